"""`gatenet train` on an up-to-date folder, `gatenet train --check`, and a full retrain, in one run.

Workload: a copy of the committed `exported/` (the 17 shipped gates, all up to date). Each run is a
fresh `gatenet` process, as a user or a pre-commit hook starts it; runs are interleaved.
Targets: the no-op train and the check each under 0.5 s.

    python benchmarks/incremental.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from table import median_table

ROOT = Path(__file__).resolve().parent.parent
GATENET = str(Path(sys.executable).with_name("gatenet"))


def seconds(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([GATENET, *args], check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    folder = Path(tempfile.mkdtemp(prefix="gatenet-incremental-")) / "exported"
    shutil.copytree(ROOT / "exported", folder, ignore=shutil.ignore_patterns(".gatenet"))
    times: dict[str, list[float]] = {"no-op train": [], "train --check": [], "full retrain (--force)": []}
    for _ in range(runs):
        times["no-op train"].append(seconds("train", "--out", str(folder), "-q"))
        times["train --check"].append(seconds("train", "--check", "--out", str(folder)))
        times["full retrain (--force)"].append(seconds("train", "--force", "--out", str(folder), "-q"))
    shutil.rmtree(folder.parent)
    medians = median_table(f"17 shipped gates, fresh process each, {runs} runs", times)
    ratio = medians["full retrain (--force)"] / medians["no-op train"]
    print(f"\nthe no-op train is {ratio:.0f}x faster than a full retrain")
    print(json.dumps({"runs": runs, "medians": medians, "ratio": ratio}))


if __name__ == "__main__":
    main()
