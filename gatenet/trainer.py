"""Train Keras networks on truth tables, many at once.

Per-model overhead, not arithmetic, is what makes small networks slow to train: tracing and
compiling a program costs far more than 1000 steps of a 2-16-1 network. So every network of one
shape trains in one compiled program. The weights of all of them are stacked along a trailing
"network" axis, the loss is the sum of each network's own mean loss, and with an element-wise
optimizer such as Adam each network follows exactly the updates it would get alone. All steps run
inside one `tf.while_loop` of Keras activations, loss and optimizer, compiled whole by XLA, which
records every network's history as it goes: `model.fit` with `steps_per_execution` was tried and
spent more time in per-step bookkeeping than in the networks, and the same loop run op by op by
TensorFlow spends most of a step moving the stack through memory between kernels
(benchmarks/train_stack_speed.py measures both).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from gatenet.gate import Gate
from gatenet.history import MAX_POINTS, History, Snapshot, sample_stride, snapshot_steps
from gatenet.network import NetworkError, NetworkSpec
from gatenet.tensorflow_quiet import import_training_stack

# XLA hands a large reduction to YNNPACK, whose rounding differs from XLA's own loops, and which of the
# two runs depends on the tensor's size: a network's bits would depend on how many train beside it.
# XLA reads its flags at its first compilation, which is gatenet's training.
NO_YNNPACK = "--xla_cpu_experimental_ynn_fusion_type="
if NO_YNNPACK not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {NO_YNNPACK}".strip()
# The fewest networks a compiled program trains: below this XLA vectorises a stack's loops along
# other axes, whose rounding differs (16 was enough for every shape measured; 32 leaves a margin).
MIN_LANES = 32

import_training_stack()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

# Optimizers whose update of each weight depends only on that weight's own gradient history, so
# stacking networks changes nothing. Others (lamb, adafactor, muon...) normalise per variable and
# would mix the networks, so gatenet trains them one network per program instead.
ELEMENTWISE_OPTIMIZERS = {
    "adam",
    "adamw",
    "adamax",
    "nadam",
    "sgd",
    "rmsprop",
    "adagrad",
    "adadelta",
    "ftrl",
    "lion",
}


# Activations of a layer's units together, not each unit on its own; the rest work in any layout.
ACROSS_UNITS = {keras.activations.softmax, keras.activations.log_softmax}


@dataclass
class Trained:
    """One network trained on one gate: its weights, its outputs on the whole table, its history."""

    gate: Gate
    network: NetworkSpec
    seed: int
    weights: list[np.ndarray]
    probabilities: np.ndarray
    history: History

    @functools.cached_property
    def model(self) -> keras.Model:
        """The plain Keras model of this gate, the same layers a gate trained alone has."""
        model = build_model(self.gate, self.network)
        model.set_weights(self.weights)
        return model


def check_network(network: NetworkSpec) -> None:
    """Refuse names Keras does not know before any training starts."""
    for activation in {*network.activation, network.output_activation}:
        _keras_get(keras.activations.get, activation, "activation")
    _keras_get(keras.losses.get, network.loss, "loss")
    try:
        make_optimizer(network)
    except (ValueError, TypeError):
        raise NetworkError(
            f"optimizer: Keras has no optimizer called {network.optimizer!r}", "optimizer"
        ) from None


def make_optimizer(network: NetworkSpec) -> keras.optimizers.Optimizer:
    """A fresh optimizer of the named kind with the spec's learning rate."""
    return type(keras.optimizers.get(network.optimizer))(learning_rate=network.learning_rate)


def _keras_get(getter, name: str, setting: str) -> object:
    try:
        found = getter(name)
    except (ValueError, TypeError):
        found = None
    if found is None:
        raise NetworkError(f"{setting}: Keras has no {setting} called {name!r}", setting)
    return found


def build_model(gate: Gate, network: NetworkSpec) -> keras.Model:
    """Dense hidden layers, then one unit per output: what is exported for each gate."""
    layers = [keras.Input((gate.inputs,), name="bits")]
    for index, (units, activation) in enumerate(zip(network.hidden, network.activation, strict=True)):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"hidden_{index}"))
    layers.append(keras.layers.Dense(gate.outputs, activation=network.output_activation, name="output"))
    return keras.Sequential(layers, name=gate.key)


def initial_weights(inputs: int, outputs: int, network: NetworkSpec, seed: int) -> list[np.ndarray]:
    """Glorot-uniform kernels (Keras' Dense default), hidden biases at `network.hidden_bias` and
    output biases at 0, drawn from `seed` alone: a start never depends on what trains beside it.
    """
    sizes = [inputs, *network.hidden, outputs]
    weights = []
    for layer, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        rng = np.random.default_rng([seed, layer])
        bias = network.hidden_bias if layer < len(network.hidden) else 0.0
        weights += [
            rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32),
            np.full(fan_out, bias, np.float32),
        ]
    return weights


def train(gate: Gate, network: NetworkSpec, seed: int) -> Trained:
    """Train one network on one gate from `seed`."""
    return train_together([gate], network, [seed])[0][0]


def train_together(
    gates: Sequence[Gate],
    network: NetworkSpec,
    seeds: Sequence[int],
    snapshots: bool = False,
    points: int = MAX_POINTS,
) -> list[list[Trained]]:
    """Train one network per (gate, seed), all gates of one shape in one program; result[gate][seed].

    Each history keeps about `points` points of the curve (`history.sample_stride`)."""
    shapes = {(gate.inputs, gate.outputs) for gate in gates}
    if len(shapes) != 1:
        raise ValueError(f"gates trained together need one shape (inputs, outputs), got {sorted(shapes)}")
    pairs = [(gate, seed) for gate in gates for seed in seeds]
    if network.optimizer.lower() in ELEMENTWISE_OPTIMIZERS:
        trained = _train_stack(pairs, network, snapshots, points)
    else:
        trained = [one for pair in pairs for one in _train_stack([pair], network, snapshots, points)]
    return [trained[index * len(seeds) : (index + 1) * len(seeds)] for index in range(len(gates))]


def _train_stack(
    pairs: list[tuple[Gate, int]], network: NetworkSpec, snapshots: bool, points: int
) -> list[Trained]:
    """Train one stack; with `snapshots`, stop at each snapshot step to keep the weights for replay
    (which changes no bit, but holds ~30 copies of the stack's weights, so only exports ask for it)."""
    run = StackRun(pairs, network, _program, points)
    kept = []
    for step in snapshot_steps(network.steps) if snapshots else ():
        run.advance(step - run.step)
        kept.append((step, run.weights()))
    return run.finish(kept)


class StackRun:
    """The networks of one stack, trained a segment of steps at a time from their seeds' starts.

    Between segments their weights can be read: that is how replay snapshots are taken, and how a page
    watches one network learn. Segments change nothing: the steps, and so the weights, are the ones
    one uninterrupted run makes.
    """

    def __init__(
        self,
        pairs: list[tuple[Gate, int]],
        network: NetworkSpec,
        make_program: Callable | None = None,
        points: int = MAX_POINTS,
    ) -> None:
        self.count = len(pairs)
        # Stacks are padded with copies of the first network, whose results are dropped, so chunks and
        # retry rounds of other sizes reuse a few compiled programs instead of compiling anew. Not for
        # an optimizer that normalises per variable: a copy beside a network would change its updates.
        elementwise = network.optimizer.lower() in ELEMENTWISE_OPTIMIZERS
        padded = stack_size(self.count) if elementwise else self.count
        self.pairs = pairs + [pairs[0]] * (padded - self.count)
        # A small stack trains in a program of MIN_LANES networks, more copies of the first.
        lanes = self.pairs + [pairs[0]] * (max(0, MIN_LANES - padded) if elementwise else 0)
        self.network = network
        gate = pairs[0][0]
        # Learning rate and steps are inputs of the compiled loop, not part of it: sweeps reuse one program.
        shape = replace(network, learning_rate=1.0, steps=1)
        self.program = (make_program or _Program)(gate.inputs, gate.outputs, shape, len(lanes))
        # A start depends on the seed and the shape alone, and a stack is usually one seed.
        by_seed = {seed: initial_weights(gate.inputs, gate.outputs, network, seed) for _, seed in lanes}
        starts = [by_seed[seed] for _, seed in lanes]
        self.rows = tf.constant(gate.rows.astype(np.float32))  # every gate of one shape has these rows
        # [rows, outputs, networks], as the program keeps every tensor: the network axis last.
        self.y = tf.constant(np.stack([g.table.astype(np.float32) for g, _ in lanes], axis=-1))
        self.program.start_from(
            [np.stack(layer) for layer in zip(*starts, strict=True)], network.learning_rate
        )
        self.stride = sample_stride(network.steps, points)
        self.step = 0
        self.last_wrong = tf.fill([len(lanes)], -1)

    @property
    def done(self) -> bool:
        return self.step >= self.network.steps

    def advance(self, steps: int) -> None:
        """Train up to `steps` more steps, never past the network's `steps`."""
        stop = min(self.step + max(0, steps), self.network.steps)
        if stop > self.step:
            self.last_wrong = self.program.run(
                self.rows,
                self.y,
                tf.constant(self.step),
                tf.constant(stop),
                tf.constant(self.stride),
                self.last_wrong,
            )
            self.step = stop

    def weights(self) -> list[np.ndarray]:
        """Every network's weights now, stacked: [networks, ...] per Keras weight."""
        return self.program.weights()

    def outputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every network's probabilities on its table now, its loss, its accuracy, and whether every
        row is right."""
        probabilities, loss = (np.asarray(value) for value in self.program.evaluate(self.rows, self.y))
        right = (probabilities > 0.5) == (np.moveaxis(np.asarray(self.y), -1, 0) > 0.5)
        return probabilities, loss, right.mean(axis=(1, 2)), right.all(axis=(1, 2))

    def finish(self, snapshots: list[tuple[int, list[np.ndarray]]] = ()) -> list[Trained]:
        """Train to the end; one Trained per network asked for, with its history and snapshots."""
        self.advance(self.network.steps)
        probabilities, *final = self.outputs()
        stacked = self.weights()
        histories = self.program.histories(
            self.last_wrong.numpy()[: self.count],
            self.network.steps,
            self.stride,
            *(values[: self.count] for values in final),
        )
        return [
            Trained(
                gate,
                self.network,
                seed,
                [weight[index] for weight in stacked],
                probabilities[index],
                replace(
                    histories[index], snapshots=[Snapshot(s, [w[index] for w in ws]) for s, ws in snapshots]
                ),
            )
            for index, (gate, seed) in enumerate(self.pairs[: self.count])
        ]


class LiveTraining:
    """One network trained a few steps at a time, for a page that draws it as it learns.

    It has a program of its own, so nothing else that trains in the process can disturb it, and it
    starts and steps exactly as `train` does: the network it ends with is the one `train` makes.
    """

    def __init__(self, gate: Gate, network: NetworkSpec, seed: int) -> None:
        check_network(network)
        self.run = StackRun([(gate, seed)], network)
        self.gate, self.seed = gate, seed
        self.snapshots: list[tuple[int, list[np.ndarray]]] = []
        self._pending = snapshot_steps(network.steps)

    @property
    def step(self) -> int:
        return self.run.step

    @property
    def done(self) -> bool:
        return self.run.done

    def advance(self, steps: int) -> dict:
        """Train up to `steps` more steps (stopping at each snapshot step to keep its weights) and
        return the step, loss, accuracy, probabilities per row and the weights, as plain lists."""
        target = min(self.run.step + max(0, steps), self.run.network.steps)
        while self._pending and self._pending[0] <= target:
            self.run.advance(self._pending[0] - self.run.step)
            self.snapshots.append((self.run.step, self.run.weights()))
            self._pending.pop(0)
        self.run.advance(target - self.run.step)
        probabilities, loss, accuracy, _ = self.run.outputs()
        return {
            "step": self.run.step,
            "loss": float(loss[0]),
            "accuracy": float(accuracy[0]),
            "probabilities": probabilities[0].tolist(),
            "weights": [weight[0].tolist() for weight in self.run.weights()],
        }

    def result(self) -> Trained:
        """The trained network, after training whatever steps are left."""
        self.advance(self.run.network.steps)
        return self.run.finish(self.snapshots)[0]


def stack_size(networks: int, step: int = 256) -> int:
    """The compiled program's size for `networks` networks: the next power of two up to `step`, then
    the next multiple of `step`, so padding adds at most `step` - 1 networks to a large stack (a few
    per cent of a 4096-gate chunk).

    At least 2: TensorFlow computes a stack of one network along another path, whose rounding
    differs, and a network must train to the same bits alone, in a chunk, or in a Ray task."""
    if networks <= step:
        return max(2, 1 << (networks - 1).bit_length())
    return -(-networks // step) * step


class _Program:
    """One compiled training loop for `networks` networks of one shape, reused across calls.

    The loop is compiled whole by XLA (`jit_compile`): a step of thousands of tiny networks is
    dozens of element-wise passes over the stack, and XLA fuses them into a few loops instead of one
    TensorFlow kernel, and one round trip through memory, each. Weights are stored with the network
    axis last (kernel [fan_in, units, networks]), so every fused loop runs along the networks, and a
    layer is a broadcast multiply and a sum over its inputs rather than thousands of tiny matrix
    products. The input rows are one [rows, inputs] table shared by every network: all gates of one
    shape have the same rows. A program of one network (an optimizer that normalises per variable)
    keeps plain Keras shapes, kernel [fan_in, units], so such an optimizer sees what it would alone.

    The loop takes the steps to run (from `start` to `stop`, so a run can go in segments) and the
    history stride as inputs, and the learning rate is a variable, so settings that differ only in
    those share one program.

    The loss is the sum of each network's own mean loss over its table, so every network gets the
    gradient it would get alone. Loss and accuracy are written to a history row every step (a row
    covers `stride` steps and keeps the last), and the last step with a wrong row is carried along.
    Restoring the optimizer's initial state and loading new starting weights makes a reused program
    train exactly as a new one would.
    """

    def __init__(self, inputs: int, outputs: int, network: NetworkSpec, networks: int) -> None:
        self.networks = networks
        stack = (networks,) if networks > 1 else ()
        sizes = [inputs, *network.hidden, outputs]
        self.variables = []
        for layer, (fan_in, units) in enumerate(zip(sizes, sizes[1:], strict=False)):
            self.variables += [
                keras.Variable(np.zeros((fan_in, units, *stack), np.float32), name=f"kernel_{layer}"),
                keras.Variable(np.zeros((units, *stack), np.float32), name=f"bias_{layer}"),
            ]
        names = [*network.activation, network.output_activation]
        self.activations = [keras.activations.get(name) for name in names]
        self.optimizer = make_optimizer(network)
        self.optimizer.build(self.variables)
        self.initial_state = [variable.numpy() for variable in self.optimizer.variables]
        loss = keras.losses.get(network.loss)
        self.per_row = getattr(loss, "fn", loss)  # a Loss object wraps the per-row function
        # Row r holds [loss, accuracy] of every network at the last step of the r-th stride.
        self.trace = tf.Variable(tf.zeros((MAX_POINTS, 2, networks)), trainable=False)
        self.run = tf.function(self._run, jit_compile=True)
        self.evaluate = tf.function(self._evaluate, jit_compile=True)

    def start_from(self, weights: list[np.ndarray], learning_rate: float) -> None:
        """Load every network's starting weights, stacked as `weights()` gives them."""
        for variable, value in zip(self.variables, weights, strict=True):
            variable.assign(np.moveaxis(value, 0, -1) if self.networks > 1 else value[0])
        for variable, value in zip(self.optimizer.variables, self.initial_state, strict=True):
            variable.assign(value)
        self.optimizer.learning_rate = learning_rate

    def weights(self) -> list[np.ndarray]:
        """Every network's weights now, [networks, ...] per Keras weight (kernel, bias per layer)."""
        values = [variable.numpy() for variable in self.variables]
        return [np.moveaxis(value, -1, 0) if self.networks > 1 else value[None] for value in values]

    def probabilities(self, rows):
        """Every network's outputs on `rows` ([rows, inputs]): [rows, outputs, networks]."""
        values = None
        for layer, activation in enumerate(self.activations):
            kernel, bias = self.variables[2 * layer], self.variables[2 * layer + 1]
            if self.networks == 1:
                kernel, bias = kernel[..., None], bias[..., None]
            if values is None:
                # The rows are shared, so the first layer of every network is one matrix product:
                # [rows, inputs + 1] (a column of ones for the bias) by [inputs + 1, units * networks].
                # Its gradient is the same product transposed. The rows are bits, so each product in
                # it is exact and only the order of the sum matters: the inputs', in order.
                ones = ops.ones_like(rows[:, :1])
                weights = ops.concatenate([kernel, bias[None]], axis=0)
                fan_in, units, networks = weights.shape
                flat = ops.matmul(ops.concatenate([rows, ones], axis=1), ops.reshape(weights, (fan_in, -1)))
                summed = ops.reshape(flat, (-1, units, networks))
            else:
                summed = ops.sum(values[:, :, None, :] * kernel[None], axis=1) + bias[None]
            if activation in ACROSS_UNITS:  # it sees [rows, networks, units], as on a Dense layer
                values = _units_last(activation(_units_last(summed)))
            else:
                values = activation(summed)
        return values

    def network_losses(self, y, probabilities):
        """Each network's mean loss over its rows; `y` and `probabilities` are [rows, outputs, networks]."""
        return ops.mean(self.per_row(_units_last(y), _units_last(probabilities)), axis=0)

    def _evaluate(self, rows, y):
        probabilities = self.probabilities(rows)
        return ops.transpose(probabilities, (2, 0, 1)), self.network_losses(y, probabilities)

    def _run(self, rows, y, start, stop, stride, last_wrong):
        def step(number, last_wrong):
            with tf.GradientTape() as tape:
                probabilities = self.probabilities(rows)
                losses = self.network_losses(y, probabilities)
                total = ops.sum(losses)
            self.optimizer.apply(tape.gradient(total, self.variables), self.variables)
            right = ops.cast(ops.equal(probabilities > 0.5, y_high), "float32")
            accuracy = ops.mean(right, axis=(0, 1))
            row = [[number // stride]]
            self.trace.scatter_nd_update(row, [ops.stack([losses, accuracy])])
            return number + 1, ops.where(accuracy < 1.0, number, last_wrong)

        y_high = y > 0.5
        return tf.while_loop(lambda number, _: number < stop, step, (start, last_wrong))[1]

    def histories(
        self,
        last_wrong: np.ndarray,
        steps: int,
        stride: int,
        final_loss: np.ndarray,
        final_accuracy: np.ndarray,
        all_right: np.ndarray,
    ) -> list[History]:
        """One history per network, ending with the final weights, which no traced step saw."""
        points = -(-steps // stride)
        labels = [min((row + 1) * stride, steps) - 1 for row in range(points)]
        count = len(last_wrong)
        trace = self.trace.numpy()[:points, :, :count]
        # One conversion per quantity, network by network: a column at a time costs more than training.
        losses, accuracies = trace[:, 0].T.tolist(), trace[:, 1].T.tolist()
        return [
            History(
                step=[*labels, steps],
                loss=[*losses[index], float(final_loss[index])],
                accuracy=[*accuracies[index], float(final_accuracy[index])],
                first_right_step=int(last_wrong[index]) + 1 if all_right[index] else None,
            )
            for index in range(count)
        ]


def _units_last(values):
    """[rows, units, networks] <-> [rows, networks, units]: Keras activations and losses work on the
    last axis, as they would on a Dense layer's output."""
    return ops.transpose(values, (0, 2, 1))


@functools.lru_cache(maxsize=8)
def _program(inputs: int, outputs: int, network: NetworkSpec, networks: int) -> _Program:
    return _Program(inputs, outputs, network, networks)
