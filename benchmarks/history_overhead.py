"""What does recording the history cost? The training loop with and without it, in one run.

    python benchmarks/history_overhead.py

Workloads: 16 networks (XOR, AND, OR, NAND x 4 restarts) and 1024 networks (all 256 three-input
functions x 4 restarts), 1000 steps each, history at every step. Both loops are compiled first; each
figure is the median of 15 runs, the two loops timed in turn. Prints a table and one JSON line.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np

from gatenet import trainer
from gatenet.network import NetworkSpec
from gatenet.plugins import collect_gates

tf = trainer.tf  # TensorFlow as gatenet imports it: quietly


class WithoutHistory(trainer._Program):
    """The same loop as `trainer._Program`, minus the per-step loss, accuracy and last-wrong bookkeeping."""

    def _run(self, x, y, start, stop, stride, last_wrong):
        variables = self.model.trainable_variables

        def step(number):
            with tf.GradientTape() as tape:
                total = tf.reduce_sum(self.network_losses(y, self.model(x, training=True)))
            self.optimizer.apply(tape.gradient(total, variables), variables)
            return (number + 1,)

        tf.while_loop(lambda number: number < stop, step, (start,))
        return last_wrong


def interleaved(
    programs: list[trainer._Program], gates: list, network: NetworkSpec, rounds: int = 15
) -> list[float]:
    """Median seconds per program, timing them in turn each round so machine noise hits both alike."""
    seeds = range(4)
    starts = [trainer.initial_weights(g.inputs, g.outputs, network, s) for g in gates for s in seeds]
    x = tf.constant(np.broadcast_to(gates[0].rows.astype(np.float32), (len(starts), *gates[0].rows.shape)))
    y = tf.constant(np.stack([g.table.astype(np.float32) for g in gates for _ in seeds]))
    weights = [np.stack(layer) for layer in zip(*starts, strict=True)]
    times: list[list[float]] = [[] for _ in programs]
    for round_number in range(rounds + 1):
        for program, runs in zip(programs, times, strict=True):
            program.start_from(weights, network.learning_rate)
            started = time.perf_counter()
            unknown = tf.fill([len(starts)], -1)
            program.run(x, y, tf.constant(0), tf.constant(network.steps), tf.constant(1), unknown).numpy()
            if round_number:  # round 0 traces and compiles
                runs.append(time.perf_counter() - started)
    return [statistics.median(runs) for runs in times]


def main() -> None:
    registry = collect_gates()
    network = NetworkSpec()
    workloads = {
        "16 networks": [registry.find(name) for name in ("XOR", "AND", "OR", "NAND")],
        "1024 networks": registry.families()["boolean3"],
    }
    rows = {}
    print(f"{'1000 steps of':<16} {'with history':>13} {'without':>10} {'overhead':>9}")
    for label, gates in workloads.items():
        count = 4 * len(gates)
        programs = [
            trainer._Program(gates[0].inputs, 1, network, count),
            WithoutHistory(gates[0].inputs, 1, network, count),
        ]
        with_history, without = interleaved(programs, gates, network)
        rows[label] = {
            "with_s": round(with_history, 4),
            "without_s": round(without, 4),
            "overhead": round(with_history / without - 1, 4),
        }
        print(f"{label:<16} {with_history:>12.3f}s {without:>9.3f}s {with_history / without - 1:>8.1%}")
    print(json.dumps({"benchmark": "history_overhead", "steps": network.steps, "results": rows}))


if __name__ == "__main__":
    main()
