"""How often do the default settings verify each gate? Trains every gate from N seeds.

    python benchmarks/reliability.py [--seeds 200] [GATE ...]

Prints a table and one JSON line. Each seed is one training run of the default network, checked
against the whole truth table at the default margin (retries are off: every seed counts).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from gatenet.check import DEFAULT_MARGIN, check_table
from gatenet.network import NetworkSpec
from gatenet.plugins import collect_gates
from gatenet.trainer import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gates", nargs="*", help="gate names (default: all registered gates)")
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    registry = collect_gates()
    gates = [registry.find(name) for name in args.gates] if args.gates else list(registry.gates.values())
    network = NetworkSpec()
    rows = []
    print(f"{'gate':<8} {'verified':>10} {'worst margin':>13} {'median all-right step':>22} {'s/seed':>7}")
    for gate in gates:
        started = time.perf_counter()
        checks, right_steps = [], []
        for seed in range(args.seeds):
            trained = train(gate, network, seed)
            checks.append(check_table(gate.table, trained.probabilities, DEFAULT_MARGIN))
            if trained.history.first_right_step is not None:
                right_steps.append(trained.history.first_right_step)
        seconds = (time.perf_counter() - started) / args.seeds
        row = {
            "gate": gate.name,
            "seeds": args.seeds,
            "verified": sum(check.verified for check in checks),
            "worst_margin": round(min(check.worst_margin for check in checks), 4),
            "median_first_right_step": statistics.median(right_steps) if right_steps else None,
            "seconds_per_seed": round(seconds, 3),
        }
        rows.append(row)
        print(
            f"{row['gate']:<8} {row['verified']:>5}/{row['seeds']:<4} {row['worst_margin']:>13.3f} "
            f"{row['median_first_right_step']!s:>22} {seconds:>7.3f}"
        )
    print(json.dumps({"benchmark": "reliability", "network": network.to_dict(), "results": rows}))


if __name__ == "__main__":
    main()
