"""A model's recipe: everything that decides its bytes, known without TensorFlow.

Training and export are deterministic, so a model is up to date exactly when its files are intact
and its recipe is the one `gatenet train` would use now: the gate's truth table and bit names, the
network (defaults, plugin hints, `[tool.gatenet]`, command line), the first seed and the number of
restarts, the margin, and gatenet's export version. The library versions a model was trained with
are recorded beside it but are not part of the recipe (docs/model-folder.md says why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gatenet.contract import encode_table
from gatenet.gate import Gate
from gatenet.network import NetworkError, NetworkSpec

# Bump when gatenet's training or export would give other bytes for the same recipe.
EXPORT_VERSION = 1
BUILD_NAMES = {"seed": "first seed", "restarts": "restarts", "export": "gatenet's export version"}


def network_for(gate: Gate, *settings: Mapping[str, object] | None) -> NetworkSpec:
    """gatenet's defaults, then the plugin's hints for this gate, then each mapping of settings in turn."""
    network = NetworkSpec().with_changes(**gate.network)
    for layer in settings:
        try:
            network = network.with_changes(**dict(layer or {}))
        except TypeError as error:
            known = ", ".join(NetworkSpec.__dataclass_fields__)
            raise NetworkError(f"unknown network setting ({error}); settings are: {known}") from None
    return network


@dataclass(frozen=True)
class Recipe:
    """How one gate's model is made."""

    gate: Gate
    network: NetworkSpec
    seed: int
    restarts: int
    margin: float

    def build(self) -> dict:
        """What the model and its manifest entry record besides the gate, network and margin."""
        return {"seed": self.seed, "restarts": self.restarts, "export": EXPORT_VERSION}

    def differences(self, entry: Mapping) -> list[str]:
        """Why a manifest entry was not made by this recipe; empty when it was."""
        found = definition_changes(self.gate, entry)
        now, then = self.network.to_dict(), entry.get("network", {})
        changed = [f"{key} {_pair(then.get(key), v)}" for key, v in now.items() if then.get(key) != v]
        if changed:
            found.append(f"network changed ({', '.join(changed)})")
        if entry.get("margin") != self.margin:
            found.append(f"margin changed ({_pair(entry.get('margin'), self.margin)})")
        build = entry.get("build")
        if not isinstance(build, Mapping):
            return [*found, "no build record: trained by an older gatenet"]
        for key, value in self.build().items():
            if build.get(key) != value:
                found.append(f"{BUILD_NAMES[key]} changed ({_pair(build.get(key), value)})")
        return found


def definition_changes(gate: Gate, stored: Mapping) -> list[str]:
    """How the gate as its plugin defines it now differs from the `truth_table`, `inputs` and
    `outputs` a model was made for (a manifest entry, or what a model's metadata says)."""
    found = []
    if stored.get("truth_table") != encode_table(gate.table):
        found.append(f"the {gate.name} plugin's truth table changed")
    for field, names in (("inputs", gate.input_names), ("outputs", gate.output_names)):
        if stored.get(field) != list(names):
            found.append(f"{field[:-1]} names changed ({_pair(stored.get(field), list(names))})")
    return found


def _pair(before: object, now: object) -> str:
    return f"{before} -> {now}"
