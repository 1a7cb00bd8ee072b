"""An opt-in family of gates made on demand: all 65,536 Boolean functions of 4 inputs are too many to
build each time a plugin loads (about 70 us a gate), so a family is a sequence that makes a member
when it is asked for, and finds one by name without making the others.

Members are named `<FAMILY>_<number>`, the number zero-padded to the width of the largest, so
`boolean4` holds BOOLEAN4_00000 ... BOOLEAN4_65535 and a name is found by parsing it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from gatenet.gate import Gate, GateError, is_name

T = TypeVar("T")


class Family(Sequence[Gate]):
    """`size` gates named `<NAME>_<number>`; `make(number)` makes gate `number` with that name."""

    def __init__(self, name: str, size: int, make: Callable[[int], Gate], description: str = "") -> None:
        if not is_name(name):
            raise GateError(f"family: expected a name like 'boolean4', got {name!r}")
        if not (isinstance(size, int) and size >= 1):
            raise GateError(f"family {name!r}: size must be a whole number >= 1, got {size!r}")
        self.name, self.size, self.make, self.description = name, size, make, description
        self._width = len(str(size - 1))

    @property
    def key(self) -> str:
        return self.name.lower()

    def member_name(self, number: int) -> str:
        return f"{self.name.upper()}_{number:0{self._width}d}"

    def number_of(self, name: str) -> int | None:
        """The number of the member called `name` (any letter case), or None if there is none."""
        prefix, _, digits = name.upper().rpartition("_")
        if (
            prefix != self.name.upper()
            or len(digits) != self._width
            or not (digits.isascii() and digits.isdigit())
        ):
            return None
        number = int(digits)
        return number if number < self.size else None

    def find(self, name: str) -> Gate | None:
        number = self.number_of(name)
        return None if number is None else self[number]

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, number: int) -> Gate:
        if not isinstance(number, int):
            raise TypeError(f"family {self.name!r}: members are numbered, got {number!r}")
        if not 0 <= number < self.size:
            raise IndexError(f"family {self.name!r} has members 0 .. {self.size - 1}, not {number}")
        gate = self.make(number)
        if not isinstance(gate, Gate) or gate.name.upper() != self.member_name(number):
            raise GateError(
                f"family {self.name!r}: member {number} must be a Gate named {self.member_name(number)!r}, "
                f"got {gate!r}"
            )
        gate.family = self.key
        return gate

    def __iter__(self) -> Iterator[Gate]:
        return (self[number] for number in range(self.size))

    def __repr__(self) -> str:
        return f"Family(name={self.name!r}, size={self.size})"


class GateList(Family):
    """A family whose plugin registered each member as a Gate with `family=`: held, not made."""

    def __init__(self, name: str, gates: Sequence[Gate]) -> None:
        self._gates = list(gates)
        self._numbers = {gate.key: number for number, gate in enumerate(self._gates)}
        super().__init__(name, len(self._gates), self._gates.__getitem__)

    def number_of(self, name: str) -> int | None:
        return self._numbers.get(name.lower())

    def __getitem__(self, number: int) -> Gate:
        return self._gates[number]


class Chain(Sequence[Gate]):
    """Sequences of gates one after the other, read lazily: what a selection of gates and families is."""

    def __init__(self, parts: Sequence[Sequence[Gate]]) -> None:
        self.parts = [part for part in parts if len(part)]

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)

    def __getitem__(self, index: int) -> Gate:
        if index < 0:
            index += len(self)
        for part in self.parts:
            if 0 <= index < len(part):
                return part[index]
            index -= len(part)
        raise IndexError("gate index out of range")

    def __iter__(self) -> Iterator[Gate]:
        return itertools.chain.from_iterable(self.parts)


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (the last may be shorter), read as they are needed."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
