"""A gate is a name and a complete truth table: the one thing every other part agrees on.

No Keras here: plugins, the runtime and the tests build gates without TensorFlow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from gatenet.network import NetworkError, NetworkSpec

MAX_INPUTS = 16
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

Truth = Callable[..., object] | Sequence | Mapping | np.ndarray


class GateError(ValueError):
    """A gate definition that breaks a rule; the message names the gate and the rule."""


class Bits:
    """Named input and output bits: what a gate and the model exported from it have in common."""

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]

    @property
    def inputs(self) -> int:
        return len(self.input_names)

    @property
    def outputs(self) -> int:
        return len(self.output_names)

    @property
    def rows(self) -> np.ndarray:
        """Every input row, shape [2^inputs, inputs], in binary counting order."""
        return input_rows(self.inputs)


class Gate(Bits):
    """A logic gate with `inputs` bits in and `outputs` bits out, defined by its whole truth table.

    `truth` is either a function of the input bits returning a bit (or a tuple of bits when there
    are several outputs), or an explicit table: a sequence with one entry per row in binary counting
    order (first input most significant), or a mapping from input tuples to outputs.

    `network` holds the plugin's training hints (any `NetworkSpec` setting, e.g. `{"hidden": (32,)}`);
    a gate in a `family` is trained only when that family is asked for.
    """

    def __init__(
        self,
        name: str,
        inputs: int | Sequence[str],
        truth: Truth,
        outputs: int | Sequence[str] = 1,
        description: str = "",
        network: Mapping[str, object] | None = None,
        family: str | None = None,
    ) -> None:
        self.name = _check_name(name)
        self.input_names = _names(self.name, "inputs", inputs, _default_input_names)
        self.output_names = _names(self.name, "outputs", outputs, _default_output_names)
        if len(self.input_names) > MAX_INPUTS:
            raise GateError(
                f"gate {self.name!r}: has {len(self.input_names)} inputs, at most {MAX_INPUTS} "
                f"are supported (the truth table has 2^inputs rows)"
            )
        self.description = str(description)
        self.network = _check_network(self.name, network)
        if family is not None and not (isinstance(family, str) and NAME_PATTERN.fullmatch(family)):
            raise GateError(f"gate {self.name!r}: family must be a name like 'boolean3', got {family!r}")
        self.family = family
        self.table = _build_table(self, truth)
        self.table.flags.writeable = False

    @property
    def key(self) -> str:
        """The case-insensitive identity of the gate, also its file name stem."""
        return self.name.lower()

    def __repr__(self) -> str:
        return f"Gate(name={self.name!r}, inputs={self.inputs}, outputs={self.outputs})"


def input_rows(inputs: int) -> np.ndarray:
    """All 2^inputs rows of bits in binary counting order, first column most significant."""
    rows = np.arange(2**inputs)[:, None] >> np.arange(inputs - 1, -1, -1)[None, :]
    return (rows & 1).astype(np.uint8)


def _check_network(gate: str, network: Mapping[str, object] | None) -> dict[str, object]:
    """Training hints from the plugin, checked now so a bad hint names its gate."""
    hints = dict(network or {})
    try:
        NetworkSpec().with_changes(**hints)
    except (NetworkError, TypeError) as error:
        known = ", ".join(NetworkSpec.__dataclass_fields__)
        raise GateError(
            f"gate {gate!r}: network hints {hints} are not usable ({error}); settings are: {known}"
        ) from None
    return hints


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise GateError(
            f"gate {name!r}: name must be letters, digits and underscores, starting with a letter"
        )
    return name


def _default_input_names(count: int) -> tuple[str, ...]:
    return (
        tuple("abcdefghijklmnopqrstuvwxyz"[:count]) if count <= 26 else tuple(f"x{i}" for i in range(count))
    )


def _default_output_names(count: int) -> tuple[str, ...]:
    return ("out",) if count == 1 else tuple(f"out{i}" for i in range(count))


def _names(gate: str, field: str, value: object, default) -> tuple[str, ...]:
    if isinstance(value, bool) or not isinstance(value, (int, Sequence)) or isinstance(value, str):
        raise GateError(f"gate {gate!r}: {field} must be a count or a sequence of names, got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise GateError(f"gate {gate!r}: {field} must be at least 1, got {value}")
        return default(value)
    names = tuple(value)
    if not names:
        raise GateError(f"gate {gate!r}: {field} must name at least one bit")
    for item in names:
        if not isinstance(item, str) or not NAME_PATTERN.fullmatch(item):
            raise GateError(
                f"gate {gate!r}: {field} name {item!r} must be letters, digits and underscores, "
                "starting with a letter"
            )
    if len(set(names)) != len(names):
        raise GateError(f"gate {gate!r}: {field} names must be unique, got {list(names)}")
    return names


def _build_table(gate: Gate, truth: Truth) -> np.ndarray:
    rows = [tuple(int(bit) for bit in row) for row in input_rows(gate.inputs)]
    if callable(truth):
        values = [_call(gate, truth, row) for row in rows]
    elif isinstance(truth, Mapping):
        values = _from_mapping(gate, truth, rows)
    elif isinstance(truth, (Sequence, np.ndarray)) and not isinstance(truth, str):
        values = list(truth)
        if len(values) != len(rows):
            raise GateError(
                f"gate {gate.name!r}: truth table has {len(values)} rows, expected "
                f"{len(rows)} (2^{gate.inputs}, one per input combination)"
            )
    else:
        raise GateError(
            f"gate {gate.name!r}: truth must be a function of the input bits or a table, "
            f"got {type(truth).__name__}"
        )
    return np.array(
        [_output_bits(gate, value, row) for value, row in zip(values, rows, strict=True)], np.uint8
    )


def _call(gate: Gate, truth: Callable[..., object], row: tuple[int, ...]) -> object:
    try:
        return truth(*row)
    except Exception as error:
        raise GateError(
            f"gate {gate.name!r}: truth function raised {type(error).__name__}: {error} on inputs {row}"
        ) from error


def _from_mapping(gate: Gate, truth: Mapping, rows: list[tuple[int, ...]]) -> list[object]:
    def key(k: object) -> object:
        return tuple(int(b) for b in k) if isinstance(k, (tuple, list)) else k

    table = {key(k): v for k, v in truth.items()}
    missing = [row for row in rows if row not in table]
    extra = [k for k in table if k not in set(rows)]
    if missing or extra:
        raise GateError(
            f"gate {gate.name!r}: truth mapping must have exactly one entry per input row "
            f"(tuples of {gate.inputs} bits); missing {missing[:4]}, unexpected {extra[:4]}"
        )
    return [table[row] for row in rows]


def _output_bits(gate: Gate, value: object, row: tuple[int, ...]) -> tuple[int, ...]:
    bits = tuple(value) if isinstance(value, (Sequence, np.ndarray)) else (value,)
    if isinstance(value, str) or len(bits) != gate.outputs:
        raise GateError(
            f"gate {gate.name!r}: row {row} gives {value!r}, expected {gate.outputs} output "
            f"bit{'s' if gate.outputs > 1 else ''}"
        )
    for bit in bits:
        if not _is_bit(bit):
            raise GateError(
                f"gate {gate.name!r}: row {row} gives {value!r}, outputs must be 0 or 1 (int or bool)"
            )
    return tuple(int(bit) for bit in bits)


def _is_bit(value: object) -> bool:
    return isinstance(value, (bool, int, np.integer, np.bool_)) and int(value) in (0, 1)
