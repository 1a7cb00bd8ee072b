"""A model's recipe: everything that decides its bytes, known without TensorFlow.

Training and export are deterministic, so a model is up to date exactly when its files are intact
and its recipe is the one `gatenet train` would use now: the gate's truth table and bit names, the
network (defaults, plugin hints, `[tool.gatenet]`, command line), the first seed and the number of
restarts, the margin, and gatenet's export version. The library versions a model was trained with
are recorded beside it but are not part of the recipe (docs/model-folder.md says why).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gatenet.check import EXACT_MARGIN
from gatenet.circuit import Circuit
from gatenet.contract import encode_table
from gatenet.gate import Gate
from gatenet.learners import NETWORK_SETTINGS, SETTINGS, kind_of, only
from gatenet.logic_spec import SETTINGS as LOGIC_SETTINGS
from gatenet.logic_spec import LogicSpec, logic_spec
from gatenet.network import DEFAULT_ESCALATE, NetworkError, NetworkSpec, Rung, ladder
from gatenet.record import Kind, ModelRecord

# Bump when gatenet's training or export would give other bytes for the same recipe.
EXPORT_VERSION = 4  # 3: the escalation ladder; 4: the trainer compiled whole by XLA
BUILD_NAMES = {
    "seed": "first seed",
    "restarts": "restarts",
    "escalate": "escalation ceiling",
    "export": "gatenet's export version",
}
# Bump when gatenet's logic learner or its ONNX export would give other bytes for the same recipe (2: one
# learning per NPN class, and the ladder).
LOGIC_EXPORT_VERSION = 2
# Bump when the same circuit and gate models would give another circuit model.
CIRCUIT_VERSION = 2


def network_for(gate: Gate, *settings: Mapping[str, object] | None) -> NetworkSpec:
    """gatenet's defaults, then the plugin's hints for this gate, then each mapping of settings in turn
    (their `kind` and `logic_*` settings are the logic learner's, not the network's)."""
    network = NetworkSpec().with_changes(**only(NETWORK_SETTINGS, gate.network))
    for layer in settings:
        unknown = [name for name in layer or {} if name not in SETTINGS]
        if unknown:
            raise NetworkError(
                f"unknown network setting {unknown[0]!r}; settings are: {', '.join(SETTINGS)}", unknown[0]
            )
        network = network.with_changes(**only(NETWORK_SETTINGS, layer))
    return network


def recipe_for(
    gate: Gate,
    settings: Sequence[Mapping[str, object] | None],
    seed: int,
    restarts: int,
    margin: float,
    escalate: int = DEFAULT_ESCALATE,
) -> Recipe | LogicRecipe:
    """How `gatenet train` makes this gate's model now: with the learner its settings' `kind` picks
    (`gatenet.learners`), from the plugin's hints and then each layer of `settings` in turn."""
    if kind_of([gate.network, *settings]) == "logic":
        layers = [only(LOGIC_SETTINGS, layer) for layer in [gate.network, *settings]]
        try:
            spec = logic_spec({name: value for layer in layers for name, value in layer.items()})
        except ValueError as error:
            raise NetworkError(str(error)) from None
        return LogicRecipe(gate, spec, seed)
    return Recipe(gate, network_for(gate, *settings), seed, restarts, margin, escalate)


@dataclass(frozen=True)
class Recipe:
    """How one gate's model is made: the network asked for, and the ladder it escalates along."""

    gate: Gate
    network: NetworkSpec
    seed: int
    restarts: int
    margin: float
    escalate: int = DEFAULT_ESCALATE

    def ladder(self) -> list[Rung]:
        """The networks and seeds tried in turn (`gatenet.network.ladder`)."""
        return ladder(self.network, self.seed, self.restarts, self.escalate)

    def build(self) -> dict:
        """What the model and its manifest entry record besides the gate, network and margin (a model
        also records the rung of the ladder that made it, `rung`, and that rung's network)."""
        return {
            "seed": self.seed,
            "restarts": self.restarts,
            "escalate": self.escalate,
            "export": EXPORT_VERSION,
        }

    def differences(self, record: ModelRecord) -> list[str]:
        """Why a model was not made by this recipe; empty when it was: the network it records must be
        the one its rung of this recipe's ladder trains."""
        build = record.training.build if record.training is not None else None
        rung = (build or {}).get("rung", 0)
        rungs = self.ladder()
        network = rungs[rung].network if isinstance(rung, int) and 0 <= rung < len(rungs) else self.network
        found = _training_changes(self.gate, record, Kind.NETWORK, "network", network.to_dict())
        if record.kind is not Kind.NETWORK:
            return found
        if record.margin != self.margin:
            found.append(f"margin changed ({_pair(record.margin, self.margin)})")
        if build is None:
            return [*found, "no build record: trained by an older gatenet"]
        return found + _build_changes(self.build(), build)


@dataclass(frozen=True)
class LogicRecipe:
    """How one gate's model is made as a network of learned logic gates: exact, so its margin is 0.5."""

    gate: Gate
    spec: LogicSpec
    seed: int
    margin: float = EXACT_MARGIN

    def build(self) -> dict:
        """What the model and its record keep besides the gate and the spec."""
        return {"seed": self.seed, "restarts": self.spec.restarts, "export": LOGIC_EXPORT_VERSION}

    def differences(self, record: ModelRecord) -> list[str]:
        """Why a model was not made by this recipe; empty when it was."""
        found = _training_changes(self.gate, record, Kind.LOGIC, "logic network", self.spec.to_dict())
        if record.kind is not Kind.LOGIC:
            return found
        return found + _build_changes(self.build(), record.training.build or {})


def _training_changes(gate: Gate, record: ModelRecord, kind: Kind, what: str, now: dict) -> list[str]:
    """How a trained model's gate, kind and learner settings differ from a recipe's."""
    found = definition_changes(gate, record.truth_table, record.inputs, record.outputs)
    if record.kind is not kind:
        return [*found, f"a {record.kind} model; its recipe now asks for a {what}"]
    then = record.training.network
    changed = [f"{key} {_pair(then.get(key), v)}" for key, v in now.items() if then.get(key) != v]
    return [*found, f"{what} changed ({', '.join(changed)})"] if changed else found


def _build_changes(now: dict, then: Mapping) -> list[str]:
    return [
        f"{BUILD_NAMES[key]} changed ({_pair(then.get(key), value)})"
        for key, value in now.items()
        if then.get(key) != value
    ]


@dataclass(frozen=True)
class CircuitRecipe:
    """How one circuit's model is made: its netlist, the wiring mode, the margin, and the bytes of
    each gate model it is built from (`gate_digests`: model file -> SHA-256, as the folder has them)."""

    gate: Circuit
    wiring: str
    margin: float
    gate_digests: Mapping[str, str]

    def record(self) -> dict:
        """What the model's manifest entry keeps as `circuit`, besides how it verified."""
        return {
            "wiring": self.wiring,
            "netlist": netlist_digest(self.gate),
            "gates": dict(sorted(self.gate_digests.items())),
            "version": CIRCUIT_VERSION,
        }

    def differences(self, record: ModelRecord) -> list[str]:
        """Why a model was not made by this recipe; empty when it was.

        The truth table is not recomputed: the netlist and the gate models' digests decide it, and a
        gate whose table changed is retrained (so its digest changes) before any circuit is built.
        """
        found = definition_changes(self.gate, record.truth_table, record.inputs, record.outputs, tables=False)
        if record.margin != self.margin:
            found.append(f"margin changed ({_pair(record.margin, self.margin)})")
        then = record.circuit
        if then is None:
            return [*found, "not a circuit model"]
        now = self.record()
        if then.get("wiring") != now["wiring"]:
            found.append(f"wiring changed ({_pair(then.get('wiring'), now['wiring'])})")
        if then.get("netlist") != now["netlist"]:
            found.append("the netlist changed")
        gates = then["gates"]
        changed = sorted(
            name for name in {*gates, *now["gates"]} if gates.get(name) != now["gates"].get(name)
        )
        if changed:
            found.append(f"gate models changed ({', '.join(changed)})")
        if then.get("version") != CIRCUIT_VERSION:
            found.append(f"gatenet's circuit version changed ({_pair(then.get('version'), CIRCUIT_VERSION)})")
        return found


def netlist_digest(circuit: Circuit) -> str:
    """A short fingerprint of how the circuit is wired, all the way down to its gates."""
    wiring = [(i.path, i.gate.name, [(s.part, s.index) for s in i.sources]) for i in circuit.instances]
    outputs = [(s.part, s.index) for s in circuit.output_signals]
    return hashlib.sha256(json.dumps([wiring, outputs, circuit.netlist]).encode()).hexdigest()[:16]


def definition_changes(
    gate: Gate | Circuit,
    truth_table: Sequence[str] | None,
    inputs: Sequence[str],
    outputs: Sequence[str],
    tables: bool = True,
) -> list[str]:
    """How the gate as its plugin defines it now differs from the truth table and bit names a model
    was made for (as its record, or its metadata, says)."""
    found = []
    tabulated = tables and getattr(gate, "exhaustive", True)  # else the netlist stands for the table
    if tabulated and list(truth_table or ()) != encode_table(gate.table):
        found.append(f"the {gate.name} plugin's truth table changed")
    for field, then, names in (("input", inputs, gate.input_names), ("output", outputs, gate.output_names)):
        if list(then) != list(names):
            found.append(f"{field} names changed ({_pair(list(then), list(names))})")
    return found


def _pair(before: object, now: object) -> str:
    return f"{before} -> {now}"
