"""Train one Keras network on one gate's truth table.

The classic recipe calls `model.fit` for 1000 one-step epochs; nearly all of its time is per-epoch
overhead. Here the same full-table Adam steps run as one epoch in one compiled `tf.while_loop`
(`steps_per_execution=steps`), and a metric records the history from inside that loop.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from gatenet.gate import Gate
from gatenet.history import History, sample_stride
from gatenet.network import NetworkError, NetworkSpec
from gatenet.tensorflow_quiet import import_training_stack

import_training_stack()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402


@dataclass
class Trained:
    """A trained Keras model and how it behaved on the whole truth table."""

    model: keras.Model
    probabilities: np.ndarray
    history: History
    seed: int


def check_network(network: NetworkSpec) -> None:
    """Refuse names Keras does not know before any training starts."""
    for activation in {*network.activation, network.output_activation}:
        _keras_get(keras.activations.get, activation, "activation")
    _keras_get(keras.losses.get, network.loss, "loss")
    _keras_get(keras.optimizers.get, network.optimizer, "optimizer")


def _keras_get(getter, name: str, setting: str) -> object:
    try:
        found = getter(name)
    except (ValueError, TypeError):
        found = None
    if found is None:
        raise NetworkError(f"{setting}: Keras has no {setting} called {name!r}")
    return found


def build_model(gate: Gate, network: NetworkSpec) -> keras.Model:
    """Dense hidden layers, then one unit per output; the layer names are part of the contract."""
    layers = [keras.Input((gate.inputs,), name="bits")]
    for index, (units, activation) in enumerate(zip(network.hidden, network.activation, strict=True)):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"hidden_{index}"))
    layers.append(keras.layers.Dense(gate.outputs, activation=network.output_activation, name="output"))
    return keras.Sequential(layers, name=gate.key)


def train(gate: Gate, network: NetworkSpec, seed: int) -> Trained:
    """Train from the seed's initial weights for `network.steps` full-table steps."""
    keras.utils.set_random_seed(seed)
    model = build_model(gate, network)
    program = _program(gate.inputs, gate.outputs, network)
    program.start_from(model.get_weights())
    x = gate.rows.astype(np.float32)
    y = gate.table.astype(np.float32)
    data = tf.data.Dataset.from_tensors((x, y)).repeat()
    program.model.fit(data, epochs=1, steps_per_epoch=network.steps, verbose=0, shuffle=False)
    model.set_weights(program.model.get_weights())
    probabilities = np.asarray(model(x, training=False))
    final_all_right = bool(np.all((probabilities > 0.5) == (y > 0.5)))
    return Trained(model, probabilities, program.trace.history(final_all_right), seed)


class _Program:
    """A compiled training loop for one network shape, reused so each gate is not traced anew.

    Tracing and compiling cost several times more than 1000 steps of a tiny network. Restoring the
    optimizer's and the trace's initial state and loading a fresh model's weights makes a reused
    program train exactly as a new one would.
    """

    def __init__(self, inputs: int, outputs: int, network: NetworkSpec) -> None:
        self.model = build_model(Gate("program", inputs, [(0,) * outputs] * 2**inputs, outputs), network)
        self.trace = StepTrace(network.steps, network.loss)
        optimizer = keras.optimizers.get(
            {"class_name": network.optimizer, "config": {"learning_rate": network.learning_rate}}
        )
        self.model.compile(
            optimizer=optimizer, loss=network.loss, metrics=[self.trace], steps_per_execution=network.steps
        )
        optimizer.build(self.model.trainable_variables)
        self.state = [*optimizer.variables, *self.trace.variables]
        self.initial_state = [variable.numpy() for variable in self.state]

    def start_from(self, weights: list[np.ndarray]) -> None:
        self.model.set_weights(weights)
        for variable, value in zip(self.state, self.initial_state, strict=True):
            variable.assign(value)


@functools.lru_cache(maxsize=8)
def _program(inputs: int, outputs: int, network: NetworkSpec) -> _Program:
    return _Program(inputs, outputs, network)


class StepTrace(keras.metrics.Metric):
    """Records loss and accuracy every `stride` steps, and the last step with a wrong row."""

    def __init__(self, steps: int, loss: str, name: str = "trace") -> None:
        super().__init__(name=name)
        self.steps = steps
        self.stride = sample_stride(steps)
        self.loss_fn = keras.losses.get(loss)
        points = -(-steps // self.stride)
        self.step = self.add_variable(shape=(), initializer="zeros", dtype="int32", name="step")
        self.last_wrong = self.add_variable(
            shape=(), initializer=keras.initializers.Constant(-1), dtype="int32", name="last_wrong"
        )
        self.losses = self.add_variable(shape=(points,), initializer="zeros", name="losses")
        self.accuracies = self.add_variable(shape=(points,), initializer="zeros", name="accuracies")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        step = self.step
        accuracy = ops.mean(ops.cast(ops.equal(ops.cast(y_pred > 0.5, y_true.dtype), y_true), "float32"))
        loss = ops.mean(self.loss_fn(y_true, y_pred))
        index = ops.reshape(step // self.stride, (1,))
        if_sampled = ops.equal(step % self.stride, 0)
        self.losses.assign(
            ops.where(if_sampled, ops.slice_update(self.losses, index, ops.reshape(loss, (1,))), self.losses)
        )
        self.accuracies.assign(
            ops.where(
                if_sampled,
                ops.slice_update(self.accuracies, index, ops.reshape(accuracy, (1,))),
                self.accuracies,
            )
        )
        self.last_wrong.assign(ops.where(accuracy < 1.0, step, self.last_wrong))
        self.step.assign(step + 1)

    def result(self):
        return self.last_wrong

    def reset_state(self) -> None:
        """Keras resets metrics at each epoch start; the trace spans the one epoch, so keep it."""

    def history(self, final_all_right: bool) -> History:
        """The trace; the final weights, which no traced step saw, decide whether rows ended right."""
        return History(
            step=list(range(0, self.steps, self.stride)),
            loss=[float(v) for v in self.losses.numpy()],
            accuracy=[float(v) for v in self.accuracies.numpy()],
            first_right_step=int(self.last_wrong.numpy()) + 1 if final_all_right else None,
        )
