"""Stacked training speed: microseconds per network-step, before and after, and where the time goes.

    python benchmarks/train_stack_speed.py [--networks 4096] [--steps 1000] [--rounds 3]
        [--inputs 4 5] [--baseline REV] [--profile] [--stacks 256 512 1024 2048 4096]

Workload: `--networks` random truth tables of each input count in `--inputs` (numpy seed 0; 16 rows for
4 inputs, 32 for 5), one seed each, the default NetworkSpec (Dense(16, relu) -> Dense(1, sigmoid),
MSE, Adam at 0.01), `--steps` full-table steps. A network-step is one step of one network.

Everything is measured in this one run, variants timed in turn each round so that load from other
processes hits them alike; the figure kept is the best of `--rounds` (the least disturbed), and the
median is shown beside it. Compilation is excluded: each program runs once before it is timed.

- `before`: gatenet/trainer.py as it was at `--baseline` (loaded from git), `train_together` end to end.
- `after`: today's `train_together`, end to end (starting weights, training, outputs, histories).
- `--profile`: the loop alone (`StackRun.advance`) of today's program and of variants that leave
  parts out, so the differences say where a step's time goes: the history bookkeeping (trace row,
  accuracy, last wrong step), the Keras optimizer (against a plain `w -= lr * g`), the backward pass
  (forward and loss only), and XLA itself (the same loop not compiled by XLA).
- `--stacks`: the same networks trained as stacks of each size in turn: what a stack that fits in
  the cache buys.

Prints a table per workload and one JSON line.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

from gatenet import trainer
from gatenet.gate import Gate
from gatenet.network import NetworkSpec

tf = trainer.tf  # TensorFlow as gatenet imports it: quietly
ops = trainer.ops
ROOT = Path(__file__).resolve().parent.parent
# gatenet/trainer.py before issue 23's change (per-network einsum, Keras layers, no XLA).
BASELINE = "3bcbc0042c3b8b76f5d0edb061983430929411f0"


def random_gates(count: int, inputs: int, seed: int = 0) -> list[Gate]:
    rng = np.random.default_rng(seed)
    tables = rng.integers(0, 2, (count, 2**inputs))
    return [
        Gate(name=f"RANDOM{inputs}_{index}", inputs=inputs, truth=list(table))
        for index, table in enumerate(tables)
    ]


def baseline_trainer(revision: str) -> types.ModuleType:
    """gatenet/trainer.py at `revision`, imported as a module of its own beside today's."""
    source = subprocess.run(
        ["git", "show", f"{revision}:gatenet/trainer.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("gatenet_trainer_baseline")
    module.__file__ = f"{revision}:gatenet/trainer.py"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


class WithoutBookkeeping(trainer._Program):
    """Today's loop minus the trace row, the accuracy and the last wrong step."""

    def _run(self, rows, y, start, stop, stride, last_wrong):
        def step(number):
            with tf.GradientTape() as tape:
                total = ops.sum(self.network_losses(y, self.probabilities(rows)))
            self.optimizer.apply(tape.gradient(total, self.variables), self.variables)
            return (number + 1,)

        tf.while_loop(lambda number: number < stop, step, (start,))
        return last_wrong


class PlainUpdate(trainer._Program):
    """Forward, loss and gradients as today, then `w -= 0.01 * g` instead of the Keras optimizer."""

    def _run(self, rows, y, start, stop, stride, last_wrong):
        def step(number):
            with tf.GradientTape() as tape:
                total = ops.sum(self.network_losses(y, self.probabilities(rows)))
            for gradient, variable in zip(tape.gradient(total, self.variables), self.variables, strict=True):
                variable.assign_sub(0.01 * gradient)
            return (number + 1,)

        tf.while_loop(lambda number: number < stop, step, (start,))
        return last_wrong


class ForwardOnly(trainer._Program):
    """Forward and loss only; every weight moves by a tiny amount each step so that the compiler
    cannot hoist any layer out of the loop."""

    def _run(self, rows, y, start, stop, stride, last_wrong):
        def step(number):
            nudge = 1e-9 * ops.mean(self.network_losses(y, self.probabilities(rows)))
            for variable in self.variables:
                variable.assign_add(ops.broadcast_to(nudge, variable.shape))
            return (number + 1,)

        tf.while_loop(lambda number: number < stop, step, (start,))
        return last_wrong


class WithoutXla(trainer._Program):
    """Today's loop, run by TensorFlow op by op instead of compiled by XLA."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.run = tf.function(self._run, jit_compile=False)


PROFILE = {
    "today's loop": trainer._Program,
    "without history bookkeeping": WithoutBookkeeping,
    "plain w -= lr*g, no optimizer": PlainUpdate,
    "forward and loss only": ForwardOnly,
    "without XLA": WithoutXla,
}


@functools.cache
def cached(kind: type, inputs: int, outputs: int, network: NetworkSpec, networks: int) -> trainer._Program:
    return kind(inputs, outputs, network, networks)


class Clock:
    """Wall and CPU seconds since it was made. On a machine shared with other work, CPU time (of
    every thread of this process) is the steadier figure: it leaves out the time other processes ran."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def elapsed(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def time_train_together(
    module: types.ModuleType, gates: list[Gate], network: NetworkSpec
) -> tuple[float, float]:
    """Seconds for `train_together` of `gates`, one seed each, its program compiled beforehand."""
    started = Clock()
    results = module.train_together(gates, network, [0])
    assert len(results) == len(gates)
    return started.elapsed()


def time_loop(kind: type, gates: list[Gate], network: NetworkSpec) -> tuple[float, float]:
    """Seconds of the training loop alone (`StackRun.advance` of every step) for a program of `kind`."""
    run = trainer.StackRun([(gate, 0) for gate in gates], network, functools.partial(cached, kind))
    started = Clock()
    run.advance(network.steps)
    run.last_wrong.numpy()
    return started.elapsed()


def stacks_loop(parts: list[list[Gate]], network: NetworkSpec) -> tuple[float, float]:
    """The loop of today's program over each part in turn: seconds, wall and CPU, in all."""
    times = [time_loop(trainer._Program, part, network) for part in parts]
    return sum(wall for wall, _ in times), sum(cpu for _, cpu in times)


def measure(label: str, timings: dict[str, list[tuple[float, float]]], network_steps: int) -> dict:
    """Print and return us per network-step, wall and CPU, best and median of the rounds."""
    table = {}
    for name, runs in timings.items():
        figures = {}
        for index, kind in enumerate(("wall", "cpu")):
            values = [run[index] / network_steps * 1e6 for run in runs]
            figures[kind] = round(min(values), 4)
            figures[f"{kind}_median"] = round(statistics.median(values), 4)
        table[name] = figures
    first = next(iter(table.values()))
    print(f"\n{label}: us per network-step, best of {len(next(iter(timings.values())))} (median)")
    print(f"  {'':<34} {'wall':>16} {'cpu':>16}   {'wall ratio':>10} {'cpu ratio':>9}")
    for name, row in table.items():
        print(
            f"  {name:<34} {row['wall']:7.3f} ({row['wall_median']:6.3f})"
            f" {row['cpu']:7.3f} ({row['cpu_median']:6.3f})"
            f"   x{row['wall'] / first['wall']:8.2f} x{row['cpu'] / first['cpu']:7.2f}"
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--inputs", type=int, nargs="+", default=[4, 5])
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the 'before' trainer")
    parser.add_argument("--profile", action="store_true", help="time variants that leave parts out")
    parser.add_argument("--stacks", type=int, nargs="*", default=[], help="stack sizes to compare")
    args = parser.parse_args()
    before = baseline_trainer(args.baseline) if args.baseline else None
    network = NetworkSpec(steps=args.steps)
    report = {}
    for inputs in args.inputs:
        gates = random_gates(args.networks, inputs)
        network_steps = len(gates) * network.steps
        entries = {"after": functools.partial(time_train_together, trainer, gates, network)}
        if before is not None:
            entries = {"before": functools.partial(time_train_together, before, gates, network), **entries}
        if args.profile:
            for name, kind in PROFILE.items():
                entries[f"loop: {name}"] = functools.partial(time_loop, kind, gates, network)
        for size in args.stacks:
            parts = [gates[start : start + size] for start in range(0, len(gates), size)]
            entries[f"loop in stacks of {size}"] = functools.partial(stacks_loop, parts, network)
        short = network.with_changes(steps=2)  # compiles every program once, outside the timings
        for warm in [before, trainer]:
            if warm is not None:
                warm.train_together(gates, short, [0])
        for kind in PROFILE.values() if args.profile else ():
            time_loop(kind, gates, short)
        for size in args.stacks:
            time_loop(trainer._Program, gates[:size], short)
        timings: dict[str, list[tuple[float, float]]] = {name: [] for name in entries}
        for _ in range(args.rounds):
            for name, entry in entries.items():
                timings[name].append(entry())
        label = f"{len(gates)} random {inputs}-input tables ({2**inputs} rows), {network.steps} steps"
        report[f"{inputs} inputs"] = measure(label, timings, network_steps)
        if before is not None:
            row = report[f"{inputs} inputs"]
            wall, cpu = (row["before"][kind] / row["after"][kind] for kind in ("wall", "cpu"))
            print(f"  after is {wall:.2f}x as fast as before in wall time, {cpu:.2f}x in CPU time")
    print(
        json.dumps(
            {
                "benchmark": "train_stack_speed",
                "networks": args.networks,
                "steps": args.steps,
                "results": report,
            }
        )
    )


if __name__ == "__main__":
    main()
