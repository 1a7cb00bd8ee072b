"""How often does each shipped gate verify from a single seed? The reliability sweep.

    python benchmarks/reliability.py [--seeds 200] [GATE ...]

Trains every gate (default: all gates outside families) from N seeds with its own network (defaults
plus the plugin's hints), all seeds side by side in one program, and checks each network against the
whole truth table at the default margin. No restarts: every seed counts on its own. Prints a table
and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from gatenet.check import DEFAULT_MARGIN, check_table
from gatenet.plugins import collect_gates
from gatenet.recipe import network_for
from gatenet.trainer import train_together


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gates", nargs="*", help="gate names (default: every gate outside a family)")
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    registry = collect_gates()
    gates = [registry.find(name) for name in args.gates] if args.gates else registry.default_gates()
    rows = []
    print(f"{'gate':<12} {'verified':>9} {'worst margin':>13} {'median all-right step':>22} {'seconds':>8}")
    for gate in gates:
        started = time.perf_counter()
        network = network_for(gate)
        trials = train_together([gate], network, range(args.seeds))[0]
        checks = [check_table(gate.table, trial.probabilities, DEFAULT_MARGIN) for trial in trials]
        right = [
            trial.history.first_right_step for trial in trials if trial.history.first_right_step is not None
        ]
        row = {
            "gate": gate.name,
            "seeds": args.seeds,
            "verified": sum(check.verified for check in checks),
            "worst_margin": round(min(check.worst_margin for check in checks), 4),
            "median_first_right_step": statistics.median(right) if right else None,
            "network": network.to_dict(),
            "seconds": round(time.perf_counter() - started, 2),
        }
        rows.append(row)
        print(
            f"{row['gate']:<12} {row['verified']:>5}/{row['seeds']:<3} {row['worst_margin']:>13.3f} "
            f"{row['median_first_right_step']!s:>22} {row['seconds']:>8.2f}"
        )
    every = all(row["verified"] == row["seeds"] for row in rows)
    print(f"target: every seed verified for every gate: {'met' if every else 'NOT met'}")
    print(
        json.dumps(
            {
                "benchmark": "reliability",
                "margin": DEFAULT_MARGIN,
                "every_seed_verified": every,
                "results": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
