"""The escalation ladder on random functions: how many gates each rung learns, and what is left.

Workload: `--count` random functions of `--inputs` inputs (one output), each row's bit drawn from a
generator seeded with `--seed`, trained with gatenet's defaults (`--no-export`: the Keras check only)
and the ladder's default ceiling. Prints how many gates verified at each rung, how many failed, and
the wall time; `--escalate 0` gives the figures without the ladder.

    python benchmarks/escalation.py --inputs 5 [--count 10000] [--seed 0] [--escalate 3]
"""

from __future__ import annotations

import argparse
import collections
import json
import time

import numpy as np

from gatenet.gate import Gate
from gatenet.network import DEFAULT_ESCALATE
from gatenet.pipeline import stream_gates


def random_gates(count: int, inputs: int, seed: int) -> list[Gate]:
    tables = np.random.default_rng(seed).integers(0, 2, (count, 2**inputs))
    return [Gate(f"RANDOM{inputs}_{index}", inputs, table.tolist()) for index, table in enumerate(tables)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=5)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--escalate", type=int, default=DEFAULT_ESCALATE)
    args = parser.parse_args()
    gates = random_gates(args.count, args.inputs, args.seed)
    started = time.perf_counter()
    results = list(stream_gates(gates, export=False, escalate=args.escalate))
    seconds = time.perf_counter() - started
    rungs = collections.Counter(result.rung for result in results if result.verified)
    failed = [result.gate.name for result in results if not result.verified]
    print(f"{args.count} random {args.inputs}-input functions (seed {args.seed}), escalate {args.escalate}:")
    for rung in sorted(rungs):
        print(f"  rung {rung}: {rungs[rung]:>6} verified")
    print(f"  failed: {len(failed)}   wall time {seconds:.0f} s")
    summary = {"inputs": args.inputs, "count": args.count, "seed": args.seed, "escalate": args.escalate}
    summary.update(rungs={str(rung): rungs[rung] for rung in sorted(rungs)}, failed=len(failed))
    print(json.dumps({**summary, "seconds": round(seconds, 1), "failed_gates": failed[:20]}))


if __name__ == "__main__":
    main()
