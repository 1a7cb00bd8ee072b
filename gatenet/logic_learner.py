"""Learn gates as networks of learned two-input logic gates (after difflogic), discretized to exact circuits.

Each node of a network is a soft choice among the 16 two-input functions of `gatenet.netlist`, relaxed
to real inputs by their multilinear extension (difflogic's forms: AND is ab, XOR a + b - 2ab, ...).
After training, every node takes its most likely function and inputs; the circuit that results is
minimized and checked on every row, and a gate counts as learned only when that check passes.

What makes small exact circuits likely, chosen from the literature and then measured here (24 three-input
functions, 8 restarts each; the share of restarts whose discretized circuit was exact at the end):

- Input-wise parametrization (light DLGN, Ruettgers et al. 2025): a node holds 4 logits, one per input
  row, rather than 16, one per function; its gradients do not fade through a 16-way softmax. 0.67 with
  16 logits, 0.80 with 4.
- Gumbel noise on every choice (logistic noise on a row's bit) with a temperature annealed from 1 to
  0.1, so training explores circuits and ends near the discrete one. Straight-through estimates
  (hard forward, "Mind the Gap", Yousefi et al. 2025) are an option: on these small tables they were
  worse (0.26-0.33 against 0.36-0.80 with the soft forward), so the soft forward is the default.
- Pass-through start (difflogic's residual initialisation): every node starts leaning to "a", a
  wire, so a network starts as wires and turns on only the gates it needs. 0.70 without, 0.75 with.
- A price on nodes that are not wires made fewer restarts exact (0.48 against 0.80), so there is none:
  minimization removes the wires, dead nodes and duplicates a network leaves.
- Outputs read straight from the last nodes (one per output bit), not difflogic's group sum; every
  node may read any input or earlier node, so depth does not force wires.
- Several restarts of every gate train side by side in one batch, and the smallest circuit that is
  exact at any logged step is kept.

Like `gatenet.trainer`, every network of one shape trains in one compiled program, weights stacked
along a leading network axis; the loss is the sum of each network's own loss, so with Adam each
network gets the updates it would get alone. A network's start and noise come from its seed and
restart alone (noise from a counter-based hash, not a shared random stream), and results are the
same on every run with the same seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gatenet.gate import Gate
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import TABLES, Netlist, Node, Output, exact, minimize
from gatenet.tensorflow_quiet import import_training_stack

import_training_stack()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

PASS_THROUGH = 3  # "a", difflogic's function 3
_TABLES = TABLES.astype(np.float32)


@dataclass
class LogicHistory:
    """At each logged step: the relaxed loss, and the accuracy of the circuit discretized from it."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)


@dataclass
class LearnedCircuit:
    """One gate's result: the smallest exact netlist any restart reached (None if none was exact),
    the restart and step that found it, and that restart's history."""

    gate: Gate
    netlist: Netlist | None
    restart: int
    step: int | None
    history: LogicHistory

    @property
    def verified(self) -> bool:
        return self.netlist is not None

    @property
    def gates(self) -> int | None:
        return None if self.netlist is None else self.netlist.gates


def minterms(a, b):
    """How much real a, b in [0, 1] are each input row (0 0, 0 1, 1 0, 1 1), on a new last axis."""
    return ops.stack([(1 - a) * (1 - b), (1 - a) * b, a * (1 - b), a * b], axis=-1)


def relaxed_functions(a, b):
    """The 16 functions of real a, b in [0, 1], on a new last axis: each the sum of the minterms its
    truth table holds (difflogic's forms: AND is ab, XOR a + b - 2ab); at 0/1 they are the tables."""
    return ops.einsum("...m,fm->...f", minterms(a, b), _TABLES)


def learn_circuit(gate: Gate, spec: LogicSpec | None = None, seed: int = 0) -> LearnedCircuit:
    """Learn one gate; see `learn_circuits`."""
    return learn_circuits([gate], spec, seed)[0]


def learn_circuits(
    gates: Sequence[Gate], spec: LogicSpec | None = None, seed: int = 0
) -> list[LearnedCircuit]:
    """Learn every gate with `spec.restarts` networks each, all gates of one shape in one program, and
    keep per gate the exact circuit with the fewest gates. Results are in the order of `gates`."""
    spec = spec or LogicSpec()
    results: dict[int, LearnedCircuit] = {}
    shapes = sorted({(gate.inputs, gate.outputs) for gate in gates})
    for shape in shapes:
        group = [index for index, gate in enumerate(gates) if (gate.inputs, gate.outputs) == shape]
        learned = _Run([gates[index] for index in group], spec, seed).learn()
        results.update(zip(group, learned, strict=True))
    return [results[index] for index in range(len(gates))]


@dataclass
class LogicSnapshot:
    """Where a stepped training is: the step, each restart's relaxed loss and discretized accuracy,
    and the restart that is best now (most rows right, then lowest loss) node by node: the function
    each node leans to (an index into `netlist.FUNCTION_NAMES`), how likely the node makes it (at
    temperature 1, as the relaxed loss is measured) and the two signals it reads (numbered as in a
    netlist: inputs, then nodes). `best_gates` is the smallest exact circuit found at a logged step
    so far (None before one is), the one `LogicTraining.result` ends with unless a smaller comes."""

    step: int
    restart: int
    loss: float
    accuracy: float
    functions: list[int]
    probabilities: list[float]
    wires: list[tuple[int, int]]
    losses: list[float]
    accuracies: list[float]
    best_gates: int | None


class LogicTraining:
    """One gate's logic networks (all its restarts) trained a few steps at a time, for a page that
    draws them as they learn. It steps, logs and keeps circuits exactly as `learn_circuits` does, so
    the circuit it ends with is the one `learn_circuit(gate, spec, seed)` learns."""

    def __init__(self, gate: Gate, spec: LogicSpec | None = None, seed: int = 0) -> None:
        self.gate, self.spec, self.seed = gate, spec or LogicSpec(), seed
        self._run = _Run([gate], self.spec, seed)

    @property
    def step(self) -> int:
        return self._run.step

    @property
    def done(self) -> bool:
        return self._run.done

    @property
    def widths(self) -> list[int]:
        """Nodes per layer: `depth` layers of `width`, then one per output."""
        return list(self._run.widths)

    def advance(self, steps: int) -> LogicSnapshot:
        """Train up to `steps` more steps (none past `spec.steps`) and say where the training is."""
        self._run.advance(steps)
        relaxed, accuracy, functions, wires = (np.asarray(value) for value in self._run.evaluate())
        shown = int(np.lexsort((relaxed, -accuracy))[0])
        found = self._run.best[0].netlist
        return LogicSnapshot(
            step=self.step,
            restart=shown,
            loss=float(relaxed[shown]),
            accuracy=float(accuracy[shown]),
            functions=functions[shown].tolist(),
            probabilities=self._run.leanings(shown).tolist(),
            wires=[(int(a), int(b)) for a, b in wires[shown].reshape(-1, 2)],
            losses=relaxed.tolist(),
            accuracies=accuracy.tolist(),
            best_gates=None if found is None else found.gates,
        )

    def result(self) -> LearnedCircuit:
        """The learned circuit, after training whatever steps are left."""
        self._run.advance(self.spec.steps)
        return self._run.results()[0]


@dataclass
class _Best:
    netlist: Netlist | None = None
    restart: int = 0
    step: int | None = None


class _Run:
    """The networks of one shape, stacked: gate g's restart r is network g * restarts + r."""

    def __init__(self, gates: list[Gate], spec: LogicSpec, seed: int) -> None:
        self.gates, self.spec = gates, spec
        self.inputs, self.outputs = gates[0].inputs, gates[0].outputs
        self.widths = [spec.width] * spec.depth + [self.outputs]
        self.nodes = sum(self.widths)
        starts = [_initial(self.inputs, self.widths, spec, seed, r) for r in range(spec.restarts)]
        stacked = [
            np.stack([start[part] for _ in gates for start in starts]) for part in range(len(starts[0]))
        ]
        self.gate_logits = keras.Variable(stacked[0], name="gate_logits")
        self.wiring = [keras.Variable(w, name=f"wiring_{layer}") for layer, w in enumerate(stacked[1:])]
        ids = np.array([_network_id(seed, r) for r in range(spec.restarts)] * len(gates), np.int64)
        self.ids = ops.convert_to_tensor(ids)
        rows = gates[0].rows.astype(np.float32)
        self.x = ops.convert_to_tensor(np.broadcast_to(rows, (len(ids), *rows.shape)))
        tables = np.repeat(np.stack([gate.table for gate in gates]), spec.restarts, axis=0)
        self.y = ops.convert_to_tensor(tables.astype(np.float32))
        learned = spec.wiring == "learned"
        chosen = [wires for wires in self.wiring if learned and wires.shape[-1] > 1]  # one candidate: fixed
        self.variables = [self.gate_logits, *chosen]
        self.optimizer = keras.optimizers.Adam(spec.learning_rate)
        self.optimizer.build(self.variables)
        self.train = tf.function(self._train)
        self.evaluate = tf.function(self._evaluate)
        self.step = 0
        self.best = [_Best() for _ in gates]
        self._seen: dict[int, bytes] = {}  # per network, the choices last checked
        self.logged = [self._log(0)]  # (step, relaxed losses, accuracies) at every logged step

    def _uniform(self, step, stream: int, shape: tuple[int, ...]):
        """Uniform noise in (0, 1) for every network, a hash of (network, step, stream, element): no
        state shared between networks, so a network's noise does not depend on what trains beside it."""
        element = ops.reshape(ops.arange(int(np.prod(shape)), dtype="int64"), shape)
        network = ops.reshape(self.ids, (-1,) + (1,) * len(shape))
        key = network * 0x9E3779 + ops.cast(step, "int64") * 0x7FEB35 + stream * 0x27D4EB + element * 0x165667
        return ops.clip((ops.cast(_hash(key), "float32") + 0.5) / 2.0**32, 1e-7, 1 - 1e-7)

    def _tables(self, step, temperature, noisy: bool, hard: bool):
        """Every node's truth table as weights on the four input rows, [networks, nodes, 4]: one-hot
        functions' tables when `hard`. Gumbel noise for a choice among 16, logistic noise for a bit."""
        logits = self.gate_logits
        if self.spec.parametrization == "inputwise":
            if noisy:
                uniform = self._uniform(step, 0, logits.shape[1:])
                logits = logits + ops.log(uniform) - ops.log(1 - uniform)
            soft = ops.sigmoid(logits / temperature)
            return ops.cast(logits > 0, "float32") + (soft - ops.stop_gradient(soft)) if hard else soft
        if noisy:
            logits = logits - ops.log(-ops.log(self._uniform(step, 0, logits.shape[1:])))
        return ops.einsum("gnf,fm->gnm", _choose(logits, temperature, hard), _TABLES)

    def _forward(self, step, temperature, noisy: bool, hard: bool):
        """Every network's outputs on every row, [networks, rows, outputs]. With `hard` and no noise
        this is exactly the discretized circuit: one-hot choices of 0/1 values are 0/1 values."""
        tables = self._tables(step, temperature, noisy, hard)
        signals, first = self.x, 0
        for layer, (width, wires) in enumerate(zip(self.widths, self.wiring, strict=True)):
            if self.spec.wiring == "random" or wires.shape[-1] == 1:  # one candidate: nothing to learn
                select = ops.one_hot(ops.argmax(wires, axis=-1), wires.shape[-1])
            else:
                noise = -ops.log(-ops.log(self._uniform(step, layer + 1, wires.shape[1:]))) if noisy else 0.0
                select = _choose(wires + noise, temperature, hard)
            pair = ops.einsum("grc,gwkc->grwk", signals, select)
            out = ops.einsum(
                "grwm,gwm->grw", minterms(pair[..., 0], pair[..., 1]), tables[:, first : first + width]
            )
            signals, first = ops.concatenate([signals, out], axis=-1), first + width
        return signals[..., -self.outputs :]

    def _chosen(self):
        """Each node's most likely function: the argmax of its 16 logits, or its 4 rows' signs."""
        if self.spec.parametrization == "functions":
            return ops.argmax(self.gate_logits, axis=-1)
        bits = ops.cast(self.gate_logits > 0, "int64")
        return ops.sum(bits * ops.convert_to_tensor(np.array([8, 4, 2, 1], np.int64)), axis=-1)

    def leanings(self, network: int) -> np.ndarray:
        """How likely each node of `network` makes the function it leans to, at temperature 1: the
        softmax of its 16 logits at their largest, or the product of its 4 rows' bit probabilities."""
        logits = np.asarray(self.gate_logits[network], np.float64)
        if self.spec.parametrization == "functions":
            shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
            return shifted.max(axis=-1) / shifted.sum(axis=-1)
        return np.prod(1.0 / (1.0 + np.exp(-np.abs(logits))), axis=-1)

    def _losses(self, predictions):
        """Each network's mean squared error over its table."""
        return ops.mean(ops.square(predictions - self.y), axis=(1, 2))

    def _train(self, start, stop):
        first, last = self.spec.temperature
        hard = self.spec.straight_through

        def step(number):
            temperature = first * (last / first) ** (ops.cast(number, "float32") / self.spec.steps)
            with tf.GradientTape() as tape:
                total = ops.sum(self._losses(self._forward(number, temperature, True, hard)))
            self.optimizer.apply(tape.gradient(total, self.variables), self.variables)
            return (number + 1,)

        tf.while_loop(lambda number: number < stop, step, (start,))

    def _evaluate(self):
        """The relaxed loss (softmax choices, no noise), the accuracy of the discretized circuit, and
        its choices: the function of every node and the two signals it reads."""
        relaxed = self._losses(self._forward(0, 1.0, False, False))
        right = ops.equal(self._forward(0, 1.0, False, True), self.y)
        accuracy = ops.mean(ops.cast(right, "float32"), axis=(1, 2))
        wires = ops.concatenate([ops.argmax(w, axis=-1) for w in self.wiring], axis=1)
        return relaxed, accuracy, self._chosen(), wires

    @property
    def done(self) -> bool:
        return self.step >= self.spec.steps

    def advance(self, steps: int) -> None:
        """Train up to `steps` more steps, in segments that end at every logged step (each
        `log_every`, and the last), where the discretized circuits are checked: the same checks
        however the steps are split, so a run stepped by a page learns what `learn` does."""
        target = min(self.step + max(0, steps), self.spec.steps)
        while self.step < target:
            logged = min((self.step // self.spec.log_every + 1) * self.spec.log_every, self.spec.steps)
            stop = min(target, logged)
            self.train(tf.constant(self.step), tf.constant(stop))
            self.step = stop
            if stop == logged:
                self.logged.append(self._log(stop))

    def learn(self) -> list[LearnedCircuit]:
        """Train, discretize at every logged step, and keep per gate the smallest exact circuit."""
        self.advance(self.spec.steps)
        return self.results()

    def results(self) -> list[LearnedCircuit]:
        """Per gate, the smallest exact circuit found at a logged step so far, and its restart's
        history (or, with none exact, the history of the restart most right at the last log)."""
        steps = [step for step, _, _ in self.logged]
        losses, accuracies = (np.stack([entry[part] for entry in self.logged], axis=1) for part in (1, 2))
        results = []
        for index, (gate, found) in enumerate(zip(self.gates, self.best, strict=True)):
            mine = slice(index * self.spec.restarts, (index + 1) * self.spec.restarts)
            restart = found.restart if found.netlist else int(np.argmax(accuracies[mine, -1]))
            network = index * self.spec.restarts + restart
            history = LogicHistory(steps, losses[network].tolist(), accuracies[network].tolist())
            results.append(LearnedCircuit(gate, found.netlist, restart, found.step, history))
        return results

    def _log(self, step: int) -> tuple[int, np.ndarray, np.ndarray]:
        """Check the circuit of every network whose discretized circuit is right on every row and has
        changed since it was last checked; keep it when it is smaller than its gate's best."""
        relaxed, accuracy, functions, wires = (np.asarray(value) for value in self.evaluate())
        for network in np.flatnonzero(accuracy == 1.0).tolist():
            key = functions[network].tobytes() + wires[network].tobytes()
            if self._seen.get(network) == key:
                continue
            self._seen[network] = key
            index, restart = divmod(network, self.spec.restarts)
            gate, found = self.gates[index], self.best[index]
            netlist = minimize(self._netlist(gate, functions[network], wires[network]))
            if exact(netlist, gate.table) is None and (
                found.netlist is None or netlist.gates < found.netlist.gates
            ):
                self.best[index] = _Best(netlist, restart, step)
        return step, relaxed, accuracy

    def _netlist(self, gate: Gate, functions: np.ndarray, wires: np.ndarray) -> Netlist:
        """The discrete circuit: candidates are numbered as signals are (inputs, then nodes in order),
        and the outputs are the last nodes."""
        nodes = tuple(Node(int(f), int(a), int(b)) for f, (a, b) in zip(functions, wires, strict=True))
        last = self.inputs + self.nodes - self.outputs
        return Netlist(
            gate.input_names, nodes, tuple(Output(last + j) for j in range(self.outputs)), gate.output_names
        )


def _choose(logits, temperature, hard: bool):
    """A softmax choice; with `hard`, the one-hot argmax forward and the softmax's gradient backward
    (straight-through)."""
    soft = ops.softmax(logits / temperature, axis=-1)
    if not hard:
        return soft
    # soft - soft is exactly 0, so the forward value is exactly one-hot (1 + soft - soft is not)
    return ops.one_hot(ops.argmax(logits, axis=-1), logits.shape[-1]) + (soft - ops.stop_gradient(soft))


def _hash(key):
    """A 32-bit integer hash (two multiply-xorshift rounds) of int64 keys, kept in int64 so no product
    overflows: a key under 2^32 times a constant under 2^27."""
    mask = 0xFFFF_FFFF
    x = ops.bitwise_and(key, mask)
    for _ in range(2):
        x = ops.bitwise_and(ops.bitwise_xor(ops.right_shift(x, 16), x) * 0x45D9F3B, mask)
    return ops.bitwise_xor(ops.right_shift(x, 16), x)


def _network_id(seed: int, restart: int) -> int:
    return int(np.random.SeedSequence([seed, restart]).generate_state(1)[0] & 0x7FFF_FFFF)


def _initial(inputs: int, widths: list[int], spec: LogicSpec, seed: int, restart: int) -> list[np.ndarray]:
    """One network's start from (seed, restart) alone: gate logits leaning to the pass-through "a", and
    per layer the wiring logits over the candidates (for random wiring, a fixed one-hot pair)."""
    rng = np.random.default_rng([seed, restart])
    if spec.parametrization == "functions":
        gates = rng.normal(0.0, 1.0, (sum(widths), 16))
        gates[:, PASS_THROUGH] += spec.pass_through
    else:
        gates = rng.normal(0.0, 1.0, (sum(widths), 4)) + spec.pass_through * (2.0 * TABLES[PASS_THROUGH] - 1)
    parts, candidates = [gates.astype(np.float32)], inputs
    for width in widths:
        if spec.wiring == "learned":
            wires = rng.normal(0.0, 1.0, (width, 2, candidates))
        else:
            wires = np.zeros((width, 2, candidates))
            for node in range(width):
                wires[node, [0, 1], rng.choice(candidates, 2, replace=candidates < 2)] = 1.0
        parts.append(wires.astype(np.float32))
        candidates += width
    return parts
