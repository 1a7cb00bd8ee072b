"""What network to build and how to train it: plain data, so it can live in model metadata."""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

DEFAULT_RESTARTS = 4  # seeds tried per gate, in order; the first that verifies is kept
DEFAULT_CHUNK = 4096  # gates per training program: bounds memory, and is the size of one Ray task
DEFAULT_ESCALATE = 3  # rungs of the ladder above the network asked for (`ladder`); 0 turns it off


MAX_STEPS = 2**31 - 1  # the compiled training loop counts steps in int32
MAX_UNITS = 65536  # per hidden layer: the command line's bound too
MAX_LAYERS = 64
MAX_ESCALATE = 3  # the rungs `ladder` knows above the first
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # how Keras names activations, losses and optimizers
NO_HIDDEN = "none"  # how the command line and a sweep's CSV spell "no hidden layer"


class NetworkError(ValueError):
    """A network setting that cannot be used; the message names the setting, and `setting` holds it
    when one setting is to blame."""

    def __init__(self, message: str, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


@dataclass(frozen=True)
class NetworkSpec:
    """The tutorial's network by default: Dense(16, relu) -> Dense(sigmoid) per output, MSE, Adam.

    The learning rate is 0.01 rather than Keras' 0.001: with 1000 full-table steps the classic rate
    leaves easy gates such as OR short of a confident answer. Hidden biases start at 0.01, not 0:
    with zero biases the all-zeros input row gives every ReLU a pre-activation of exactly 0, whose
    gradient is 0, so that row can stay stuck at 0.5; that is the classic recipe's ~1-in-170 XOR
    failure. With both, every shipped gate verified on every one of 1000 seeds.
    """

    hidden: tuple[int, ...] = (16,)
    activation: str | tuple[str, ...] = "relu"
    output_activation: str = "sigmoid"
    loss: str = "mse"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    steps: int = 1000
    hidden_bias: float = 0.01

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            object.__setattr__(self, name, check_setting(name, getattr(self, name)))
        if isinstance(self.activation, str):
            object.__setattr__(self, "activation", (self.activation,) * len(self.hidden))
        if len(self.activation) != len(self.hidden):
            raise NetworkError(
                f"activation: give one activation, or one per hidden layer ({len(self.hidden)}), "
                f"got {list(self.activation)}",
                "activation",
            )

    def with_changes(self, **changes: object) -> NetworkSpec:
        """A copy with the given settings changed; `None` values leave a setting as it is.

        A new `hidden` keeps a single shared activation, so `hidden=(8, 8)` needs no activation list.
        """
        changes = {key: value for key, value in changes.items() if value is not None}
        if "hidden" in changes and "activation" not in changes and len(set(self.activation)) <= 1:
            changes["activation"] = self.activation[0] if self.activation else "relu"
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain JSON data, a new dict each time; its fields are flat, so `asdict`'s deep copy (a fifth
        of a family model's export) is not needed."""
        values = ((name, getattr(self, name)) for name in self.__dataclass_fields__)
        return {name: list(value) if isinstance(value, tuple) else value for name, value in values}


@dataclass(frozen=True)
class Rung:
    """One rung of the escalation ladder: a network and the seeds tried with it, in order."""

    network: NetworkSpec
    seeds: tuple[int, ...]


def ladder(network: NetworkSpec, seed: int, restarts: int, escalate: int) -> list[Rung]:
    """The networks and seeds a gate is trained with, in turn, until one verifies.

    Rung 0 is the network asked for with seeds `seed` .. `seed + restarts - 1`. A gate that every one
    of them fails is almost always a start that ends with one row confidently wrong, so rung 1 tries
    twice as many fresh seeds of the same network; rung 2 adds a hidden layer as wide as the last
    (16 units when there is none), which learned each of the 79 four-input functions the default
    network fails on most of its seeds, and rung 3 gives that deeper network twice the steps and the
    fresh seeds. Wider layers were measured too and rescued fewer (benchmarks/README.md).
    """
    if not (_is_int(escalate) and 0 <= escalate <= MAX_ESCALATE):
        raise NetworkError(f"escalate: expected a whole number from 0 to {MAX_ESCALATE}, got {escalate!r}")
    first = tuple(range(seed, seed + restarts))
    fresh = tuple(range(seed + restarts, seed + 3 * restarts))
    width = network.hidden[-1] if network.hidden else 16
    activation = network.activation[-1] if network.activation else "relu"
    deeper = replace(network, hidden=(*network.hidden, width), activation=(*network.activation, activation))
    rungs = [
        Rung(network, first),
        Rung(network, fresh),
        Rung(deeper, first),
        Rung(replace(deeper, steps=min(2 * network.steps, MAX_STEPS)), fresh),
    ]
    return rungs[: escalate + 1]


def hidden_text(hidden: Sequence[int], separator: str = "+") -> str:
    """Hidden layers as the command line spells them: `16+8` in a sweep's list and CSV (`16,8` for
    `--hidden`), or `none`; `parse_hidden` reads it back."""
    return separator.join(map(str, hidden)) or NO_HIDDEN


def parse_hidden(text: str, separator: str = ",") -> tuple[int, ...]:
    """The sizes `hidden_text` wrote: `none` (any case) is no hidden layer. A ValueError for anything
    else, or a size outside [1, MAX_UNITS], so the command line can refuse it before TensorFlow loads."""
    if text.strip().lower() == NO_HIDDEN:
        return ()
    sizes = tuple(int(part) for part in text.split(separator))
    if not all(1 <= units <= MAX_UNITS for units in sizes):
        raise ValueError(f"hidden: each size must be in [1, {MAX_UNITS}], got {text!r}")
    return sizes


def check_setting(name: str, value: object) -> object:
    """`value` as `NetworkSpec` keeps it, or a NetworkError naming the setting.

    One setting at a time, so pyproject.toml tables can be checked before they are layered. All that
    can be checked without Keras is checked here, so a plugin's bad hint fails when its gate is made:
    types, ranges, and that names look like names. Booleans are refused as numbers: `steps = true` is
    a mistake, not 1.
    """
    try:
        return _checked(name, value)
    except NetworkError as error:
        error.setting = name
        raise


def _checked(name: str, value: object) -> object:
    if name == "hidden":
        if not isinstance(value, list | tuple):
            raise NetworkError(
                "hidden: expected a list of whole numbers like [16] or [16, 8] (or [] for none), "
                f"got {value!r}"
            )
        if not all(_is_int(units) and units >= 1 for units in value):
            raise NetworkError(f"hidden: each layer needs a whole number of units >= 1, got {list(value)}")
        if len(value) > MAX_LAYERS or max(value, default=0) > MAX_UNITS:
            raise NetworkError(
                f"hidden: at most {MAX_LAYERS} layers of at most {MAX_UNITS} units, got {_short(value)}"
            )
        return tuple(value)
    if name == "activation":
        if isinstance(value, str) and NAME.fullmatch(value):
            return value
        if isinstance(value, list | tuple) and all(
            isinstance(item, str) and NAME.fullmatch(item) for item in value
        ):
            return tuple(value)
        raise NetworkError(
            "activation: expected a name like 'relu' or one per hidden layer like ['relu', 'tanh'], "
            f"got {_short(value)}"
        )
    if name == "steps":
        if not _is_int(value) or value < 1:
            raise NetworkError(f"steps: must be a whole number >= 1, got {_short(value)}")
        if value > MAX_STEPS:
            raise NetworkError(f"steps: at most {MAX_STEPS}, got {value}")
        return value
    if name in ("learning_rate", "hidden_bias"):
        rule = "a number > 0" if name == "learning_rate" else "a number"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NetworkError(f"{name}: must be {rule}, got {_short(value)}")
        if not math.isfinite(value):
            raise NetworkError(f"{name}: must be a finite number, got {value!r}")
        if name == "learning_rate" and value <= 0:
            raise NetworkError(f"{name}: must be {rule}, got {value!r}")
        return float(value)
    if not (isinstance(value, str) and NAME.fullmatch(value)):
        raise NetworkError(
            f"{name}: expected a name such as {getattr(NetworkSpec, name)!r}, got {_short(value)}"
        )
    return value


def _short(value: object) -> str:
    """A repr short enough for one line, whatever a plugin passed."""
    return reprlib.repr(value)


def _is_int(value: object) -> bool:
    """An int but not a bool (True is an int to Python); each caller states its own bounds."""
    return isinstance(value, int) and not isinstance(value, bool)
