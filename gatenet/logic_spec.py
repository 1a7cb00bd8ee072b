"""What network of learned logic gates to build and how to train it: plain data, known without
TensorFlow, so it can be a model's recipe and live in its metadata (`gatenet.logic_learner` trains it).

On the command line, in `[tool.gatenet]` and in a plugin's hints, each field is the setting
`logic_<field>` (`logic_width = 6`), beside `kind = "logic"`, which picks this learner for a gate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

WIRINGS = ("random", "learned")
PARAMETRIZATIONS = ("functions", "inputwise")
PREFIX = "logic_"


@dataclass(frozen=True)
class LogicSpec:
    """The network and how it trains; the defaults learn every function of up to 3 inputs exactly.

    `depth` layers of `width` nodes, then one node per output. Every node may read any input or any
    node of an earlier layer: through fixed random pairs (`wiring="random"`) or through a learned
    softmax over those candidates (`"learned"`).
    """

    width: int = 4
    depth: int = 3
    wiring: str = "learned"
    restarts: int = 32  # networks per gate, side by side; the smallest exact circuit wins (16: 3% more gates)
    steps: int = 500
    learning_rate: float = 0.3
    temperature: tuple[float, float] = (1.0, 0.1)  # Gumbel-softmax temperature, first and last step
    pass_through: float = 2.0  # how far every node starts toward the pass-through "a"
    log_every: int = 25
    parametrization: str = "inputwise"  # "functions": 16 logits per node; "inputwise": 4, one per row
    straight_through: bool = False  # train on the sampled discrete circuit, not the noisy mixture
    escalate: int = 2  # larger networks to try, in turn, for a gate no restart learns exactly (`ladder`)

    def __post_init__(self) -> None:
        """Refuse a setting that cannot work before anything trains; the message names it."""
        for name, allowed in (("parametrization", PARAMETRIZATIONS), ("wiring", WIRINGS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}: expected one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        for name in ("width", "depth", "restarts", "steps", "log_every", "escalate"):
            value, least = getattr(self, name), 0 if name in ("depth", "escalate") else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name}: expected a whole number >= {least}, got {value!r}")
        for name in ("learning_rate", "pass_through"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f"{name}: expected a finite number, got {value!r}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate: expected a number > 0, got {self.learning_rate!r}")
        if not (len(self.temperature) == 2 and min(self.temperature) > 0):
            raise ValueError(f"temperature: expected (first, last), both > 0, got {self.temperature!r}")

    def ladder(self) -> list[LogicSpec]:
        """This spec, then `escalate` rungs, each with twice the width, one more layer and twice the
        steps of the rung below: what a gate is learned with when no restart of the rung below found
        an exact circuit. Width gives a network more gates to choose from, a layer lets it compose
        them (majority of three needs three levels of two-input gates), and steps let it settle."""
        return [
            replace(self, width=self.width * 2**rung, depth=self.depth + rung, steps=self.steps * 2**rung)
            for rung in range(self.escalate + 1)
        ]

    def to_dict(self) -> dict:
        return {
            key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()
        }


SETTINGS = tuple(PREFIX + field.name for field in fields(LogicSpec))


def logic_spec(settings: dict[str, object]) -> LogicSpec:
    """The spec that `logic_*` settings (later ones winning) give over the defaults; a ValueError
    names the setting when a value cannot be used."""
    changes = {name.removeprefix(PREFIX): value for name, value in settings.items() if name in SETTINGS}
    if "temperature" in changes and isinstance(changes["temperature"], list):
        changes["temperature"] = tuple(changes["temperature"])
    try:
        return LogicSpec(**changes)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{PREFIX}{error}") from None
