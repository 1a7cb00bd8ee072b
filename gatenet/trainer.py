"""Train Keras networks on truth tables, many at once.

Per-model overhead, not arithmetic, is what makes small networks slow to train: tracing and
compiling a program costs far more than 1000 steps of a 2-16-1 network. So every network of one
shape trains in one compiled program. The weights of all of them are stacked along a leading
"network" axis (`StackedDense`, applied with `einsum`), the loss is the sum of each network's own
mean loss, and with an element-wise optimizer such as Adam each network follows exactly the updates
it would get alone. All steps run inside one compiled `tf.while_loop` of Keras layers, loss and
optimizer, which records every network's history as it goes: `model.fit` with
`steps_per_execution` was tried and spent more time in per-step bookkeeping than in the networks.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from gatenet.gate import Gate
from gatenet.history import MAX_POINTS, History, sample_stride
from gatenet.network import NetworkError, NetworkSpec
from gatenet.tensorflow_quiet import import_training_stack

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
        raise NetworkError(f"optimizer: Keras has no optimizer called {network.optimizer!r}") from None


def make_optimizer(network: NetworkSpec) -> keras.optimizers.Optimizer:
    """A fresh optimizer of the named kind with the spec's learning rate."""
    return type(keras.optimizers.get(network.optimizer))(learning_rate=network.learning_rate)


def _keras_get(getter, name: str, setting: str) -> object:
    try:
        found = getter(name)
    except (ValueError, TypeError):
        found = None
    if found is None:
        raise NetworkError(f"{setting}: Keras has no {setting} called {name!r}")
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


def train_together(gates: Sequence[Gate], network: NetworkSpec, seeds: Sequence[int]) -> list[list[Trained]]:
    """Train one network per (gate, seed), all gates of one shape in one program; result[gate][seed]."""
    shapes = {(gate.inputs, gate.outputs) for gate in gates}
    if len(shapes) != 1:
        raise ValueError(f"gates trained together need one shape (inputs, outputs), got {sorted(shapes)}")
    pairs = [(gate, seed) for gate in gates for seed in seeds]
    if network.optimizer.lower() in ELEMENTWISE_OPTIMIZERS:
        trained = _train_stack(pairs, network)
    else:
        trained = [one for pair in pairs for one in _train_stack([pair], network)]
    return [trained[index * len(seeds) : (index + 1) * len(seeds)] for index in range(len(gates))]


def _train_stack(pairs: list[tuple[Gate, int]], network: NetworkSpec) -> list[Trained]:
    gates = [gate for gate, _ in pairs]
    # Learning rate and steps are inputs of the compiled loop, not part of it: sweeps reuse one program.
    shape = replace(network, learning_rate=1.0, steps=1)
    program = _program(gates[0].inputs, gates[0].outputs, shape, len(pairs))
    starts = [initial_weights(gate.inputs, gate.outputs, network, seed) for gate, seed in pairs]
    x = np.broadcast_to(gates[0].rows.astype(np.float32), (len(pairs), *gates[0].rows.shape)).copy()
    y = np.stack([gate.table.astype(np.float32) for gate in gates])
    program.start_from([np.stack(layer) for layer in zip(*starts, strict=True)], network.learning_rate)
    stride = sample_stride(network.steps)
    last_wrong = program.run(tf.constant(x), tf.constant(y), tf.constant(network.steps), tf.constant(stride))
    probabilities = np.asarray(program.model(x, training=False))
    stacked = [weight.numpy() for weight in program.model.weights]
    histories = program.histories(last_wrong.numpy(), network.steps, stride, y, probabilities)
    return [
        Trained(
            gate, network, seed, [weight[index] for weight in stacked], probabilities[index], histories[index]
        )
        for index, (gate, seed) in enumerate(pairs)
    ]


class StackedDense(keras.layers.Layer):
    """`networks` independent Dense layers side by side: kernel [networks, fan_in, units]."""

    def __init__(self, networks: int, units: int, activation: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.networks, self.units = networks, units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape) -> None:
        self.kernel = self.add_weight(shape=(self.networks, input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.networks, self.units), initializer="zeros", name="bias")

    def call(self, x):
        return self.activation(ops.einsum("nri,niu->nru", x, self.kernel) + self.bias[:, None, :])


class _Program:
    """One compiled training loop for `networks` networks of one shape, reused across calls.

    The loop takes the number of steps and the history stride as inputs, and the learning rate is a
    variable, so settings that differ only in those share one program.

    The loss is the sum of each network's own mean loss over its table, so every network gets the
    gradient it would get alone. Loss and accuracy are written to a history row every step (a row
    covers `stride` steps and keeps the last), and the last step with a wrong row is carried along.
    Restoring the optimizer's initial state and loading new starting weights makes a reused program
    train exactly as a new one would.
    """

    def __init__(self, inputs: int, outputs: int, network: NetworkSpec, networks: int) -> None:
        layers = [keras.Input((2**inputs, inputs), batch_size=networks)]
        for units, activation in zip(network.hidden, network.activation, strict=True):
            layers.append(StackedDense(networks, units, activation))
        layers.append(StackedDense(networks, outputs, network.output_activation))
        self.model = keras.Sequential(layers)
        self.optimizer = make_optimizer(network)
        self.optimizer.build(self.model.trainable_variables)
        self.initial_state = [variable.numpy() for variable in self.optimizer.variables]
        loss = keras.losses.get(network.loss)
        self.per_row = getattr(loss, "fn", loss)  # a Loss object wraps the per-row function
        # Row r holds [loss, accuracy] of every network at the last step of the r-th stride.
        self.trace = tf.Variable(tf.zeros((MAX_POINTS, 2, networks)), trainable=False)
        self.run = tf.function(self._run)

    def start_from(self, weights: list[np.ndarray], learning_rate: float) -> None:
        self.model.set_weights(weights)
        for variable, value in zip(self.optimizer.variables, self.initial_state, strict=True):
            variable.assign(value)
        self.optimizer.learning_rate = learning_rate

    def network_losses(self, y, probabilities):
        return ops.mean(self.per_row(y, probabilities), axis=-1)

    def _run(self, x, y, steps, stride):
        variables = self.model.trainable_variables

        def step(number, last_wrong):
            with tf.GradientTape() as tape:
                probabilities = self.model(x, training=True)
                losses = self.network_losses(y, probabilities)
                total = ops.sum(losses)
            self.optimizer.apply(tape.gradient(total, variables), variables)
            right = ops.cast(ops.equal(probabilities > 0.5, y_high), "float32")
            accuracy = ops.mean(right, axis=(1, 2))
            row = [[number // stride]]
            self.trace.scatter_nd_update(row, [ops.stack([losses, accuracy])])
            return number + 1, ops.where(accuracy < 1.0, number, last_wrong)

        y_high = y > 0.5
        start = (tf.constant(0), tf.fill([self.trace.shape[2]], -1))
        return tf.while_loop(lambda number, _: number < steps, step, start)[1]

    def histories(
        self, last_wrong: np.ndarray, steps: int, stride: int, y: np.ndarray, probabilities: np.ndarray
    ) -> list[History]:
        """One history per network, ending with the final weights, which no traced step saw."""
        points = -(-steps // stride)
        labels = [min((row + 1) * stride, steps) - 1 for row in range(points)]
        final_loss = np.asarray(self.network_losses(y, probabilities))
        final_right = (probabilities > 0.5) == (y > 0.5)
        final_accuracy, all_right = final_right.mean(axis=(1, 2)), final_right.all(axis=(1, 2))
        trace = self.trace.numpy()[:points]
        losses, accuracies = trace[:, 0], trace[:, 1]
        return [
            History(
                step=[*labels, steps],
                loss=[*losses[:, index].tolist(), float(final_loss[index])],
                accuracy=[*accuracies[:, index].tolist(), float(final_accuracy[index])],
                first_right_step=int(last_wrong[index]) + 1 if all_right[index] else None,
            )
            for index in range(len(last_wrong))
        ]


@functools.lru_cache(maxsize=8)
def _program(inputs: int, outputs: int, network: NetworkSpec, networks: int) -> _Program:
    return _Program(inputs, outputs, network, networks)
