"""Which escalation rescues the functions the default network fails: how the ladder's rungs were chosen.

Workload: the gates that failed in a `gatenet train ... --no-escalate --no-export --json` run (its
output file is the argument), trained again under each candidate rung, side by side. Prints, per
candidate, how many of them some seed verifies, and the share of (gate, seed) pairs that verify.

    gatenet train --family boolean4 --no-escalate --no-export --json > boolean4.json
    python benchmarks/ladder_candidates.py boolean4.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from gatenet import trainer
from gatenet.check import DEFAULT_MARGIN, check_table
from gatenet.network import NetworkSpec
from gatenet.plugins import collect_gates

BASE = NetworkSpec()
CANDIDATES = {
    "8 fresh seeds (4..11)": (BASE, range(4, 12)),
    "hidden 32, seeds 0..3": (BASE.with_changes(hidden=(32,)), range(4)),
    "hidden 32, seeds 0..7": (BASE.with_changes(hidden=(32,)), range(8)),
    "hidden 64, seeds 0..3": (BASE.with_changes(hidden=(64,)), range(4)),
    "hidden bias 0.1, seeds 0..3": (BASE.with_changes(hidden_bias=0.1), range(4)),
    "2000 steps, seeds 0..3": (BASE.with_changes(steps=2000), range(4)),
    "rate 0.003, 3000 steps, seeds 0..3": (BASE.with_changes(learning_rate=0.003, steps=3000), range(4)),
    "hidden 16+16, seeds 0..3": (BASE.with_changes(hidden=(16, 16)), range(4)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="a `gatenet train --json` output with failed gates")
    args = parser.parse_args()
    with open(args.results) as file:
        failed = [row["gate"] for row in json.load(file)["results"] if not row["verified"]]
    registry = collect_gates()
    gates = [registry.find(name) for name in failed]
    print(f"{len(gates)} gates failed")
    for name, (network, seeds) in CANDIDATES.items():
        started = time.perf_counter()
        trials = trainer.train_together(gates, network, list(seeds))
        verified = np.array(
            [
                [check_table(g.table, t.probabilities, DEFAULT_MARGIN).verified for t in ts]
                for g, ts in zip(gates, trials, strict=True)
            ]
        )
        seconds = time.perf_counter() - started
        print(
            f"{name:36s} {verified.any(axis=1).sum():4d} of {len(gates)}",
            f"  per seed {verified.mean():.2f}   {seconds:.1f} s",
        )


if __name__ == "__main__":
    main()
