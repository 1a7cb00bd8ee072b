"""Which learner makes a gate's model, and the rule for every setting a gate's layers may hold.

A gate's settings come in layers, each overriding the one before: gatenet's defaults, the plugin's
hints, `[tool.gatenet]`, `[tool.gatenet.gates.NAME]`, then the command line (or the API call). The
setting `kind` picks the learner: `network` (the default: a small neural network, `NetworkSpec`) or
`logic` (a network of learned two-input logic gates, `LogicSpec`, whose settings are `logic_*`).
A folder holds one model per gate, so changing a gate's kind makes its model stale; it is retrained.
"""

from __future__ import annotations

from collections.abc import Mapping

from gatenet.logic_spec import SETTINGS as LOGIC_SETTINGS
from gatenet.logic_spec import logic_spec
from gatenet.network import NetworkError, NetworkSpec, check_setting

KIND = "kind"
KINDS = ("network", "logic")
NETWORK_SETTINGS = tuple(NetworkSpec.__dataclass_fields__)
SETTINGS = (*NETWORK_SETTINGS, KIND, *LOGIC_SETTINGS)


def check_learner_setting(name: str, value: object) -> object:
    """`value` as the setting `name` keeps it, or a NetworkError naming the setting and what it expects."""
    if name == KIND:
        if value not in KINDS:
            raise NetworkError(f"kind: expected one of {', '.join(KINDS)}, got {value!r}", KIND)
        return value
    if name in LOGIC_SETTINGS:
        try:
            logic_spec({name: value})
        except ValueError as error:
            raise NetworkError(str(error), name) from None
        return value
    if name not in NETWORK_SETTINGS:
        raise NetworkError(f"unknown setting {name!r}; settings are: {', '.join(SETTINGS)}", name)
    return check_setting(name, value)


def kind_of(layers: list[Mapping[str, object] | None]) -> str:
    """The learner the last layer that names one picks; `network` when none does."""
    named = [layer[KIND] for layer in layers if layer and layer.get(KIND) is not None]
    return str(named[-1]) if named else KINDS[0]


def only(names: tuple[str, ...], layer: Mapping[str, object] | None) -> dict[str, object]:
    """The settings of `layer` among `names`: a network's layers without the logic settings, say."""
    return {key: value for key, value in (layer or {}).items() if key in names}
