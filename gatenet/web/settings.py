"""A playground training request, checked and bounded before anything trains.

Everything here runs without TensorFlow, so a bad request is refused at once with the field at fault;
only whether Keras knows an activation, loss or optimizer needs Keras (`check_names`). The bounds keep
one request from taking the machine: a table of at most 4 inputs and 4 outputs, at most 4 hidden layers
of 32 units (FULL_ADDER and PARITY4 train with 32), 20,000 steps. A logic network (`"kind": "logic"`,
`gatenet.logic_learner`) takes the `logic_*` settings `gatenet train --kind logic` takes, checked by
`LogicSpec` itself, within bounds of its own: 16 nodes a layer, 8 layers, 32 restarts, 5,000 steps.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType

from gatenet.check import EXACT_MARGIN
from gatenet.gate import NAME_RULE, Gate, GateError, is_name
from gatenet.logic_spec import LogicSpec
from gatenet.network import NetworkError, NetworkSpec
from gatenet.recipe import network_for, recipe_for
from gatenet.registry import Registry
from gatenet.web.errors import Refusal

LIMITS = {
    "inputs": 4,
    "outputs": 4,
    "layers": 4,
    "units": 32,
    "steps": 20_000,
    "learning_rate": 10.0,
    "seed": 2**31 - 1,
    "speed": 1000,
    "name": 40,
    "logic_width": 16,
    "logic_depth": 8,
    "logic_restarts": 32,
    "logic_steps": 5000,
}
DEFAULT_SPEED = 5  # steps per update: XOR's 1000 steps take 8 s at 25 updates a second
NETWORK_FIELDS = ("hidden", "activation", "output_activation", "loss", "optimizer", "learning_rate", "steps")
LOGIC_FIELDS = ("logic_width", "logic_depth", "logic_wiring", "logic_restarts", "logic_steps")
KINDS = ("network", "logic")
FIELDS = (
    "name",
    "gate",
    "inputs",
    "table",
    "kind",
    *NETWORK_FIELDS,
    *LOGIC_FIELDS,
    "seed",
    "speed",
    "replace",
)
KERAS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


@dataclass(frozen=True)
class TrainingRequest:
    """What to train, how, and where it goes: the model `name` (its file is `name.lower()`.onnx).
    A network (`network`) or a network of logic gates (`logic`): exactly one of the two is set."""

    gate: Gate
    network: NetworkSpec | None
    seed: int
    speed: int  # steps per progress update: how fast the page sees it learn, not what it learns
    replace: bool = False  # the user said to replace a model of this name already in the folder
    logic: LogicSpec | None = None

    @property
    def name(self) -> str:
        return self.gate.name

    @property
    def kind(self) -> str:
        return "network" if self.logic is None else "logic"

    @property
    def steps(self) -> int:
        return self.network.steps if self.logic is None else self.logic.steps


def parse(document: object, registry: Registry) -> TrainingRequest:
    """The request a JSON body asks for, or a Refusal naming its first bad field.

    The truth table is a shipped gate's (`gate`) or typed in (`inputs` and `table`, one string of bits
    per output in binary counting order). The model's `name` must not be a registered gate or circuit
    (409): the playground never overwrites a model that `gatenet train` or `build` owns. A model of
    that name already in the folder is replaced only when `replace` is true (see `Playground.submit`).
    """
    if not isinstance(document, dict):
        raise Refusal(400, "body", "expected a JSON object of training settings")
    for field in document:
        if field not in FIELDS:
            raise Refusal(
                400,
                str(field)[:40],
                f"unknown setting {str(field)[:40]!r}; settings are: {', '.join(FIELDS)}",
            )
    kind = document.get("kind", "network")
    if kind not in KINDS:
        raise Refusal(400, "kind", f"kind: expected one of {', '.join(KINDS)}, got {str(kind)[:40]!r}")
    _one_kind(document, kind)
    source, description = _source(document, registry)
    name = _name(document, source, registry)
    rows = [tuple(int(bit) for bit in row) for row in source.table]
    gate = Gate(name, source.input_names, rows, source.output_names, description=description)
    network = _network(document, source) if kind == "network" else None
    logic = logic_for(source, document) if kind == "logic" else None
    seed = whole(document, "seed", 0, 0, LIMITS["seed"])
    speed = whole(document, "speed", DEFAULT_SPEED, 1, LIMITS["speed"])
    replace = document.get("replace", False)
    if not isinstance(replace, bool):
        raise Refusal(400, "replace", f"replace: must be true or false, got {str(replace)[:40]}")
    return TrainingRequest(gate, network, seed, speed, replace, logic)


def _one_kind(document: dict, kind: str) -> None:
    """Refuse a setting of the other kind: a logic network has no hidden layers, a network no gates."""
    other = LOGIC_FIELDS if kind == "network" else NETWORK_FIELDS
    field = next((field for field in document if field in other), None)
    if field is not None:
        own = ", ".join(NETWORK_FIELDS if kind == "network" else LOGIC_FIELDS)
        raise Refusal(
            400, field, f"{field}: not a setting of a {kind} training (kind {kind!r} takes {own}); drop it"
        )


def logic_for(source: Gate, document: dict | None = None) -> LogicSpec:
    """The logic network `gatenet train --kind logic` gives the gate (gatenet's defaults and the
    plugin's hints), with the request's `logic_*` settings on top, checked by LogicSpec, then bounded;
    with `escalate` 0, as the page watches the one network it asked for learn, or fail to."""
    document = document or {}
    settings = {"kind": "logic", **{field: document[field] for field in LOGIC_FIELDS if field in document}}
    try:
        # The Playground trains the spec the page shows, no larger one behind its back: no ladder.
        spec = replace(recipe_for(source, [settings], 0, 1, EXACT_MARGIN).spec, escalate=0)
    except (NetworkError, ValueError) as error:
        field = str(error).partition(":")[0]
        raise Refusal(400, field if field in LOGIC_FIELDS else "kind", str(error)) from None
    for field in LOGIC_FIELDS:
        limit, value = LIMITS.get(field), getattr(spec, field.removeprefix("logic_"))
        if limit is not None and value > limit:
            raise Refusal(400, field, f"{field}: at most {limit:,}, got {value:,}")
    return spec


def check_names(request: TrainingRequest, trainer: ModuleType) -> None:
    """Refuse an activation, loss or optimizer Keras does not know, or cannot use, naming the field.

    The output layer is checked alone first, so its activation's error names `output_activation`.
    Knowing a name is not enough: Keras also knows its abstract `Loss` and `Optimizer`, which fail
    only once training calls them. So each is then tried once on a tensor shaped like its layer's.
    """
    network = request.network
    if network is None:  # a logic network: LogicSpec has checked every setting it has
        return
    # The output layer first, then each hidden layer alone: an error names the layer it is in.
    layers = [(replace(network, hidden=(), activation=()), "output_activation", {})]
    layers += [
        (replace(network, hidden=(units,), activation=(name,)), "activation", {"layer": index})
        for index, (units, name) in enumerate(zip(network.hidden, network.activation, strict=True))
    ]
    for spec, activation_field, where in layers:
        try:
            trainer.check_network(spec)
        except NetworkError as error:
            field = str(error).partition(":")[0]
            if field == "activation":
                raise Refusal(400, activation_field, str(error), **where) from None
            raise Refusal(400, field, str(error)) from None
        except Exception as error:  # Keras failed on a name it knows (an optimizer missing its arguments)
            raise Refusal(
                400, "network", f"network: Keras cannot use these settings ({describe(error)})"
            ) from None
    import keras

    outputs = request.gate.outputs
    targets = keras.ops.convert_to_tensor([[0.0] * outputs, [1.0] * outputs])
    guesses = keras.ops.convert_to_tensor([[0.25] * outputs, [0.75] * outputs])
    for index, (units, name) in enumerate(zip(network.hidden, network.activation, strict=True)):
        _try(
            "activation",
            name,
            lambda name=name, units=units: keras.activations.get(name)(
                keras.ops.reshape(keras.ops.linspace(-1.0, 1.0, 2 * units), (2, units))
            ),
            layer=index,
        )
    _try(
        "output_activation",
        network.output_activation,
        lambda: keras.activations.get(network.output_activation)(guesses),
    )
    _try("loss", network.loss, lambda: keras.losses.get(network.loss)(targets, guesses))

    def one_update() -> None:
        weight = keras.Variable([[0.5]])
        trainer.make_optimizer(network).apply([keras.ops.ones((1, 1))], [weight])

    _try("optimizer", network.optimizer, one_update)


def _try(field: str, name: str, run: Callable[[], object], **where: object) -> None:
    """Run `name` once as training would; anything it raises refuses the request, naming the field (and
    `where` in it: a hidden layer's index)."""
    try:
        run()
    except Exception as error:  # whatever Keras raises, the request is refused, never the training failed
        raise Refusal(
            400, field, f"{field}: Keras's {name!r} cannot be used for training ({describe(error)})", **where
        ) from None


def describe(error: BaseException) -> str:
    """An exception as one line that always says something: its type, and its message or that it had none."""
    message = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}: {message}" if message else f"{type(error).__name__}, with no message"


def playable(registry: Registry) -> list[Gate]:
    """The registered gates small enough for the playground, by name."""
    return [
        gate
        for _, gate in sorted(registry.gates.items())
        if gate.inputs <= LIMITS["inputs"] and gate.outputs <= LIMITS["outputs"]
    ]


def _source(document: dict, registry: Registry) -> tuple[Gate, str]:
    """The gate whose truth table is to be learned, a shipped one or a table typed in, and its description."""
    name, table = document.get("gate"), document.get("table")
    if name is not None and (table is not None or "inputs" in document):
        raise Refusal(
            400, "table", "give a shipped gate's name (gate) or a truth table (inputs and table), not both"
        )
    if name is not None:
        gate = registry.find(name) if isinstance(name, str) else None
        if gate is None:
            raise Refusal(400, "gate", f"no registered gate called {str(name)[:40]!r}; see gatenet list")
        if gate.inputs > LIMITS["inputs"] or gate.outputs > LIMITS["outputs"]:
            raise Refusal(
                400,
                "gate",
                f"{gate.name} has {gate.inputs} inputs and {gate.outputs} outputs; the playground takes "
                f"at most {LIMITS['inputs']} inputs and {LIMITS['outputs']} outputs",
            )
        return gate, f"{gate.name}'s truth table, trained in the playground"
    if table is None:
        raise Refusal(400, "gate", "give a shipped gate's name (gate) or a truth table (inputs and table)")
    inputs = whole(document, "inputs", None, 1, LIMITS["inputs"])
    rows = 2**inputs
    if not isinstance(table, list) or not 1 <= len(table) <= LIMITS["outputs"]:
        raise Refusal(
            400, "table", f"table must be a list of 1 to {LIMITS['outputs']} strings of bits, one per output"
        )
    for column in table:
        if not isinstance(column, str) or len(column) != rows or set(column) - {"0", "1"}:
            shown = repr(column[:40]) if isinstance(column, str) else type(column).__name__
            raise Refusal(
                400,
                "table",
                f"each output needs {rows} bits of 0 and 1 (one per row of {inputs} inputs), got {shown}",
            )
    truth = [tuple(int(column[row]) for column in table) for row in range(rows)]
    try:
        return Gate("TABLE", inputs, truth, len(table)), "a truth table typed in the playground"
    except GateError as error:  # cannot happen with the checks above, but a Gate rule must never slip by
        raise Refusal(400, "table", str(error)) from None


def _name(document: dict, source: Gate, registry: Registry) -> str:
    name = document.get("name", f"PLAY_{source.name}")
    if not is_name(name) or len(name) > LIMITS["name"]:
        raise Refusal(
            400,
            "name",
            f"name must be {NAME_RULE}, at most {LIMITS['name']} characters; got {str(name)[:60]!r}",
        )
    owned = registry.find(name) or registry.find_circuit(name)
    if owned is not None:
        raise Refusal(
            409,
            "name",
            f"{owned.name} is a registered gate or circuit, whose model gatenet owns; pick another name",
        )
    return name


def _network(document: dict, source: Gate) -> NetworkSpec:
    """The gate's network with the request's settings on top, then bounded."""
    settings = {field: document[field] for field in NETWORK_FIELDS if field in document}
    for field in ("activation", "output_activation", "loss", "optimizer"):
        names = settings.get(field)
        for value in names if isinstance(names, list) else [names]:
            if value is not None and not (isinstance(value, str) and KERAS_NAME.fullmatch(value)):
                raise Refusal(
                    400, field, f"{field}: expected a Keras name such as 'relu', got {str(value)[:40]!r}"
                )
    if isinstance(settings.get("activation"), list):
        settings["activation"] = tuple(settings["activation"])
    if isinstance(settings.get("hidden"), list):
        settings["hidden"] = tuple(settings["hidden"])
    try:
        network = network_for(source, settings)
    except NetworkError as error:
        field = str(error).partition(":")[0]
        raise Refusal(400, field if field in NETWORK_FIELDS else "network", str(error)) from None
    if len(network.hidden) > LIMITS["layers"] or any(units > LIMITS["units"] for units in network.hidden):
        raise Refusal(
            400,
            "hidden",
            f"hidden: at most {LIMITS['layers']} layers of at most {LIMITS['units']} units, "
            f"got {list(network.hidden)[:8]}",
        )
    if network.steps > LIMITS["steps"]:
        raise Refusal(400, "steps", f"steps: at most {LIMITS['steps']:,}, got {network.steps:,}")
    if network.learning_rate > LIMITS["learning_rate"]:
        raise Refusal(
            400,
            "learning_rate",
            f"learning_rate: at most {LIMITS['learning_rate']:g}, got {network.learning_rate:g}",
        )
    return network


def whole(document: dict, field: str, default: int | None, low: int, high: int) -> int:
    value = document.get(field, default)
    if value is None:
        raise Refusal(400, field, f"{field}: missing; give a whole number from {low} to {high}")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Refusal(
            400, field, f"{field}: must be a whole number from {low} to {high:,}, got {str(value)[:40]}"
        )
    return value
