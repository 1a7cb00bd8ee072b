"""Every four-input Boolean function learned as an exact logic circuit, its gate counts beside Knuth's.

Workload: the `boolean4` family (65,536 functions), each made into the recipe `gatenet train --family
boolean4 --kind logic` makes (`gatenet.recipe.recipe_for` with `kind = "logic"` and nothing else, so
the default `LogicSpec`, seed 0: its ladder, and one learning per NPN class), and run through
`gatenet.logic_models.stream_logic` with no model folder and no export: learn, minimize, and check
every circuit on every row (in numpy; with `--export`, also as an ONNX file in onnxruntime), write
nothing. This is the path of `gatenet train --family boolean4 --kind logic --no-export`, without the
command's table.

Prints how many were learned exactly, the time, the peak RSS of this process, the total gates and the
histogram of gate counts beside the optimum (Knuth, TAOCP 7.1.2: the 65,536 functions need 340,898
gates in all). With `--sample N`, only N functions drawn at random (seed 0, without replacement),
and the time scaled up to the family, marked as an estimate (the gates too, when all were exact).

    python benchmarks/logic_boolean4.py [--sample 2048] [--chunk 4096] [--seed 0] [--export]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from collections import Counter

from gatenet.plugins import collect_gates
from gatenet.recipe import recipe_for

FUNCTIONS = 65536
# Knuth, TAOCP 4A, 7.1.2: how many four-input functions need exactly k two-input gates (complements free)
OPTIMUM = {0: 10, 1: 60, 2: 456, 3: 2474, 4: 10624, 5: 24184, 6: 25008, 7: 2720}
OPTIMUM_GATES = sum(k * count for k, count in OPTIMUM.items())  # 340,898
TARGET_GATES, TARGET_SECONDS = 375_000, 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=FUNCTIONS, help="functions, drawn at random")
    parser.add_argument("--chunk", type=int, default=4096, help="gates per program (gatenet's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--export", action="store_true", help="also build and check each ONNX file")
    arguments = parser.parse_args()

    started = time.perf_counter()
    family = list(collect_gates().select((), ("boolean4",)))
    assert len(family) == FUNCTIONS, len(family)
    picked = [family[f] for f in sorted(random.Random(0).sample(range(FUNCTIONS), arguments.sample))]
    recipes = [recipe_for(gate, [{"kind": "logic"}], arguments.seed, 4, 0.4) for gate in picked]
    print(f"spec: {recipes[0].spec}")
    from gatenet.logic_models import stream_logic  # imports TensorFlow

    imported = time.perf_counter()
    ours: Counter[int] = Counter()
    rungs: Counter[int] = Counter()
    failed = []
    for result in stream_logic(recipes, None, arguments.chunk, export=arguments.export):
        if result.verified:
            ours[result.gates] += 1
            rungs[result.rung] += 1
        else:
            failed.append(result.gate.name)
    finished = time.perf_counter()
    learning, total = finished - imported, finished - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    exact = sum(ours.values())
    gates = sum(k * count for k, count in ours.items())
    scale = FUNCTIONS / arguments.sample
    print(f"\n{exact}/{len(picked)} learned exactly; failed: {', '.join(failed[:10]) or 'none'}")
    print(f"import + recipes: {imported - started:.1f} s; learn + export + check: {learning:.1f} s")
    print(f"peak RSS: {peak:.0f} MiB")
    print("learned at each rung of the ladder: " + ", ".join(f"{k}: {rungs[k]:,}" for k in sorted(rungs)))
    # the optimum's column is always the whole family's; the sample's own optimum is not known
    print(f"\n{'gates':>5}  {'optimum of all':>14}  {'gatenet exact':>13}")
    for k in sorted(set(OPTIMUM) | set(ours)):
        print(f"{k:>5}  {OPTIMUM.get(k, 0):>14,}  {ours.get(k, 0):>13,}")
    print(f"{'sum':>5}  {OPTIMUM_GATES:>14,}  {gates:>13,}")
    if arguments.sample != FUNCTIONS:
        estimate = total * scale - (imported - started) * (scale - 1)
        print(
            f"\nsample of {arguments.sample}: scaled to {FUNCTIONS:,} functions, an estimate of "
            f"{estimate:.0f} s, {exact * scale:,.0f} exact, and "
            + (f"{gates * scale:,.0f} gates" if not failed else "no gate total (some were not exact)")
        )
    else:
        print(
            f"\ntargets: all exact {'met' if not failed else 'missed'}; "
            f"{total:.0f} s against {TARGET_SECONDS} s: {'met' if total < TARGET_SECONDS else 'missed'}; "
            f"{gates:,} gates against {TARGET_GATES:,}: {'met' if gates <= TARGET_GATES else 'missed'} "
            f"({gates / OPTIMUM_GATES:.3f}x the optimum)"
        )
    print(
        json.dumps(
            {
                "functions": len(picked),
                "exact": exact,
                "failed": len(failed),
                "seconds": round(total, 1),
                "learn_seconds": round(learning, 1),
                "peak_rss_mib": round(peak),
                "gates": gates,
                "optimum_gates": OPTIMUM_GATES if arguments.sample == FUNCTIONS else None,
                "histogram": {str(k): ours[k] for k in sorted(ours)},
                "rungs": {str(k): rungs[k] for k in sorted(rungs)},
            }
        )
    )


if __name__ == "__main__":
    main()
