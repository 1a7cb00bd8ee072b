"""Capacity table: how many Boolean functions of 2 and 3 inputs each hidden-layer setting learns.

Workload: the families boolean2 (16 functions) and boolean3 (256), hidden none,1,2,3,4,8, 4 seeds,
learning rate 0.1, at 1000 and 4000 steps: when the counts no longer change with steps, the table
measures the architecture and not the training budget. Everything else is gatenet's default network
(relu, sigmoid output, MSE, Adam). Prints one table per family and the functions each setting missed.

    python benchmarks/capacity.py [--seeds 4]
"""

from __future__ import annotations

import argparse
import json
import time

from gatenet.plugins import collect_gates
from gatenet.sweeps import capacity

HIDDEN = [(), (1,), (2,), (3,), (4,), (8,)]
STEPS = [1000, 4000]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    seeds = parser.parse_args().seeds
    families = collect_gates().families()
    report = {}
    for family in ("boolean2", "boolean3"):
        gates = families[family]
        started = time.perf_counter()
        rows = capacity(gates, {"hidden": HIDDEN, "learning_rate": [0.1], "steps": STEPS}, seeds)
        seconds = time.perf_counter() - started
        print(f"\n{family}: {len(gates)} functions, {seeds} seeds, {seconds:.0f} s")
        print(
            "| hidden | " + " | ".join(f"learned at {steps} steps" for steps in STEPS) + " | pairs verified |"
        )
        print("| --- | " + " | ".join("---" for _ in STEPS) + " | --- |")
        for hidden in HIDDEN:
            mine = [row for row in rows if tuple(row["hidden"]) == hidden]
            counts = " | ".join(f"{row['learned']}/{row['gates']}" for row in mine)
            label = "+".join(map(str, hidden)) or "none"
            print(f"| {label} | {counts} | {mine[-1]['pairs_verified_share']:.0%} |")
        for row in rows:
            if row["steps"] == STEPS[-1] and len(row["not_learned"]) <= 16:
                print(f"  hidden {row['hidden']}: not learned {row['not_learned']}")
        report[family] = [{k: v for k, v in row.items() if k != "verified_seeds"} for row in rows]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
