"""What the fast stacked trainer must keep: a network's bits never depend on what trains beside it, on
how the run is cut into segments, or on a program being reused; and the stacked layers compute what
a plain Keras model of the same weights computes."""

import numpy as np
import pytest

from gatenet import Gate
from gatenet.network import NetworkSpec
from gatenet.trainer import LiveTraining, StackRun, Trained, train, train_together


def random_gates(count: int, inputs: int, seed: int = 0) -> list[Gate]:
    tables = np.random.default_rng(seed).integers(0, 2, (count, 2**inputs))
    return [
        Gate(name=f"R{inputs}_{index}", inputs=inputs, truth=list(table))
        for index, table in enumerate(tables)
    ]


def assert_same_bits(one: Trained, other: Trained) -> None:
    for mine, theirs in zip(one.weights, other.weights, strict=True):
        assert mine.tobytes() == theirs.tobytes()
    assert one.probabilities.tobytes() == other.probabilities.tobytes()
    assert (one.history.loss, one.history.accuracy) == (other.history.loss, other.history.accuracy)
    assert one.history.step == other.history.step
    assert one.history.first_right_step == other.history.first_right_step


@pytest.mark.parametrize(("inputs", "count"), [(4, 4096), (5, 1000)])
def test_a_network_trains_to_the_same_bits_alone_and_in_a_large_stack_of_mixed_gates(inputs, count):
    gates = random_gates(count, inputs)
    network = NetworkSpec(steps=60)
    together = train_together(gates, network, [3])
    for index in (0, 1, count // 2, count - 1):  # a stack of 1 is padded to 2; 1000 to 1024
        assert_same_bits(together[index][0], train(gates[index], network, 3))
    assert len({trials[0].probabilities.tobytes() for trials in together}) > count // 2, "the premise: mixed"


def test_segments_snapshots_and_a_live_page_give_the_bits_of_one_uninterrupted_run():
    gates = random_gates(5, 3, seed=1)
    network = NetworkSpec(steps=90)
    (whole,) = train_together(gates[:1], network, [2])
    run = StackRun([(gates[0], 2)], network)
    for steps in (1, 7, 0, 30, 500):
        run.advance(steps)
    assert_same_bits(run.finish()[0], whole[0])
    snapshotted = train_together(gates, network, [2], snapshots=True)[0][0]
    assert_same_bits(snapshotted, whole[0])
    assert [snapshot.step for snapshot in snapshotted.history.snapshots][:3] == [0, 1, 2]
    live = LiveTraining(gates[0], network, 2)
    for _ in range(4):
        live.advance(13)
    assert_same_bits(live.result(), whole[0])


def test_a_reused_program_trains_as_a_new_one_after_other_training():
    gates = random_gates(3, 4, seed=2)
    network = NetworkSpec(steps=40)
    first = train_together(gates, network, [0, 1])
    train_together(gates[::-1], network.with_changes(learning_rate=0.1), [5, 6])  # same program, other state
    again = train_together(gates, network, [0, 1])
    for trials, repeated in zip(first, again, strict=True):
        for one, other in zip(trials, repeated, strict=True):
            assert_same_bits(one, other)


@pytest.mark.parametrize(
    "network",
    [
        NetworkSpec(hidden=(8,), activation="softmax", steps=20),  # an activation across the units
        NetworkSpec(hidden=(6, 5), activation=("tanh", "relu"), output_activation="softmax", steps=20),
        NetworkSpec(hidden=(), steps=20),
    ],
)
def test_the_stacked_layers_compute_what_the_plain_keras_model_of_the_same_weights_computes(network):
    gates = [Gate(name="TWO", inputs=3, outputs=2, truth=lambda a, b, c: (a ^ b, b & c)), *random_gates(0, 3)]
    gates.append(Gate(name="OTHER", inputs=3, outputs=2, truth=lambda a, b, c: (c, a | b)))
    for trials in train_together(gates, network, [0, 1]):
        for trained in trials:
            rows = trained.gate.rows.astype(np.float32)
            np.testing.assert_allclose(np.asarray(trained.model(rows)), trained.probabilities, atol=1e-6)
