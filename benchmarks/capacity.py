"""Capacity table: how many Boolean functions of 2 and 3 inputs each hidden-layer setting learns.

Workload: the families boolean2 (16 functions) and boolean3 (256), hidden none,1,2,3,4,8, 4 seeds,
learning rate 0.1, at 1000 and 4000 steps: when the counts no longer change with steps, the table
measures the architecture and not the training budget. Everything else is gatenet's default network
(relu, sigmoid output, MSE, Adam). Prints one table per family and the functions each setting missed.
With --boolean4, also all 65,536 functions of 4 inputs with no hidden layer (1 seed: logistic
regression barely depends on its start), at the same two budgets; then a linear program (scipy) finds
which of them are linearly separable, and those are trained again at 16,000 steps, to show that the
count is the architecture's and not the budget's.

    python benchmarks/capacity.py [--seeds 4] [--boolean4]
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
    parser.add_argument("--boolean4", action="store_true", help="also boolean4 with no hidden layer")
    arguments = parser.parse_args()
    families = collect_gates().families()
    report = {}
    studies = [("boolean2", HIDDEN, arguments.seeds), ("boolean3", HIDDEN, arguments.seeds)]
    if arguments.boolean4:
        studies.append(("boolean4", [()], 1))
    for family, hidden_settings, seeds in studies:
        gates = list(families[family])
        started = time.perf_counter()
        rows = capacity(gates, {"hidden": hidden_settings, "learning_rate": [0.1], "steps": STEPS}, seeds)
        seconds = time.perf_counter() - started
        print(f"\n{family}: {len(gates)} functions, {seeds} seeds, {seconds:.0f} s")
        print(
            "| hidden | " + " | ".join(f"learned at {steps} steps" for steps in STEPS) + " | pairs verified |"
        )
        print("| --- | " + " | ".join("---" for _ in STEPS) + " | --- |")
        for hidden in hidden_settings:
            mine = [row for row in rows if tuple(row["hidden"]) == hidden]
            counts = " | ".join(f"{row['learned']}/{row['gates']}" for row in mine)
            label = "+".join(map(str, hidden)) or "none"
            print(f"| {label} | {counts} | {mine[-1]['pairs_verified_share']:.0%} |")
        for row in rows:
            if row["steps"] == STEPS[-1] and len(row["not_learned"]) <= 16:
                print(f"  hidden {row['hidden']}: not learned {row['not_learned']}")
        report[family] = [
            {k: v for k, v in row.items() if k not in ("verified_seeds", "not_learned")} for row in rows
        ]
    if arguments.boolean4:
        report["boolean4_separable"] = separable_check(list(families["boolean4"]))
    print(json.dumps(report))


def separable_check(members: list) -> dict:
    """How many functions of 4 inputs a linear program separates, and how many of those logistic
    regression learns with a generous budget."""
    import numpy as np
    from scipy.optimize import linprog

    rows = np.hstack([members[0].rows, np.ones((16, 1))])
    separable = []
    for gate in members:
        signs = gate.table[:, 0].astype(float) * 2 - 1
        # w, b with sign * (w.x + b) >= 1 on every row exists exactly when the function is separable
        found = linprog(
            np.zeros(5), A_ub=-signs[:, None] * rows, b_ub=-np.ones(16), bounds=[(None, None)] * 5
        )
        if found.status == 0:
            separable.append(gate)
    (row,) = capacity(separable, {"hidden": [()], "learning_rate": [0.1], "steps": [16000]}, 1)
    print(
        f"\nboolean4: {len(separable)} linearly separable (linear program); logistic regression learns "
        f"{row['learned']} of them at 16000 steps; not learned: {row['not_learned'][:10]}"
    )
    return {"separable": len(separable), "learned_at_16000_steps": row["learned"]}


if __name__ == "__main__":
    main()
