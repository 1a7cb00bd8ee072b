"""Hardware exports (issue 22): every model of a folder as Verilog, BLIF and AIGER, proven by the tools.

Workload: every model of each folder given (default: the committed `exported/`), in one run:
- each exported to structural Verilog, BLIF and binary AIGER (`gatenet.hdl`), written to a scratch
  folder, and proven equal to its truth table by Yosys, by ABC's `cec` (AIGER and BLIF) and by an
  Icarus Verilog simulation of every row (`gatenet.logic_tools.check`);
- its cost three ways, each verified on every row (and the ABC results proven again by `cec`):
  gatenet's circuit (two-input gates, AIG AND nodes); gatenet's circuit then ABC
  (`strash; dc2; resyn2`); ABC alone from the truth table (`collapse; sop; strash; dc2`).
Prints one row per model and the totals; exits 1 if any check fails.

    python benchmarks/hdl.py                       # the shipped models
    python benchmarks/hdl.py --dir exported --dir logic   # and a folder of logic models
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from gatenet import hdl, logic_tools

ROOT = Path(__file__).resolve().parent.parent
AFTER = "strash; dc2; resyn2"
ALONE = "collapse; sop; strash; dc2"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", action="append", type=Path, help="model folder (repeatable)")
    parser.add_argument("--summary", action="store_true", help="one line per folder, not per model")
    args = parser.parse_args()
    folders = args.dir or [ROOT / "exported"]
    tools = logic_tools.available()
    print("tools: " + ", ".join(f"{tool} {path or 'MISSING'}" for tool, path in tools.items()))
    heading = f"{'model':<32} {'source':<9} {'gates':>5} {'ANDs':>5} {'+ABC':>5} {'ABC alone':>9}"
    print(f"{heading} {'checks':>7} {'seconds':>7}")
    failed, totals, started = [], [0, 0, 0, 0], time.perf_counter()
    for folder in folders:
        designs, skipped = hdl.designs_in(folder)
        for note in skipped:
            print(note)
        with tempfile.TemporaryDirectory(prefix="gatenet-hdl-bench-") as scratch:
            hdl.write(designs, Path(scratch))  # the files exist, as export-hdl writes them
        sums, passed, checked, against, began_folder = [0, 0, 0, 0], 0, 0, [], time.perf_counter()
        for design in designs:
            began = time.perf_counter()
            checks = logic_tools.check(design)
            after = logic_tools.abc_minimize(design, AFTER)
            alone = logic_tools.abc_minimize(design, ALONE, from_table=True)
            checks += [logic_tools.abc_cec(after.after, "aig"), logic_tools.abc_cec(alone.after, "aig")]
            failed += [f"{design.file}: {check}" for check in checks if not check.ok]
            counts = [design.gates, design.and_nodes, after.after.and_nodes, alone.after.and_nodes]
            sums = [total + count for total, count in zip(sums, counts, strict=True)]
            against.append(counts[1] - counts[3])  # gatenet's AND nodes over ABC alone's
            ok = sum(check.ok for check in checks)
            passed, checked = passed + ok, checked + len(checks)
            if not args.summary:
                source = design.source.split(":")[0].replace("from its verified truth table", "table")
                seconds = time.perf_counter() - began
                print(
                    f"{folder.name + '/' + design.file:<32} {source:<9} {counts[0]:>5} {counts[1]:>5} "
                    f"{counts[2]:>5} {counts[3]:>9} {ok:>3}/{len(checks):<3} {seconds:>7.1f}"
                )
        totals = [total + count for total, count in zip(totals, sums, strict=True)]
        more = [excess for excess in against if excess > 0]
        name = f"{folder.name}/ ({len(designs)} models)"
        print(
            f"{name:<32} {'':<9} {sums[0]:>5} {sums[1]:>5} {sums[2]:>5} {sums[3]:>9} "
            f"{passed:>3}/{checked:<3} {time.perf_counter() - began_folder:>7.1f}"
        )
        print(
            f"  AND nodes against ABC alone: {sum(e < 0 for e in against)} fewer, "
            f"{sum(e == 0 for e in against)} equal, {len(more)} more (by {max(more, default=0)} at most)"
        )
    print(
        f"{'total':<32} {'':<9} {totals[0]:>5} {totals[1]:>5} {totals[2]:>5} {totals[3]:>9} "
        f"{'':>7} {time.perf_counter() - started:>7.1f}"
    )
    for line in failed:
        print(f"FAILED {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
