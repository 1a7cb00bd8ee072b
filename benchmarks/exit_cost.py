"""What ending a process that trained with TensorFlow costs, three ways, measured in one run.

- teardown: the normal interpreter exit (module and object finalisation, TensorFlow's C++ destructors);
- exit handlers + os._exit: what `gatenet` does, so a plugin's `atexit` handlers and `logging` flush;
- bare os._exit: what gatenet 0.1 did, losing those handlers.

Each child trains XOR (a real training leaves TensorFlow's runtime fully up), prints the time, and
exits; the parent notes when the process is gone. Modes are interleaved so all see the same machine.

    python benchmarks/exit_cost.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from table import median_table

CHILD = """
import atexit, os, sys, time
import gatenet
gatenet.train("XOR", out=None, restarts=1, steps=200)
print(time.time(), flush=True)
if sys.argv[1] == "handlers":
    atexit._run_exitfuncs()
    os._exit(0)
if sys.argv[1] == "bare":
    os._exit(0)
"""
MODES = {
    "teardown": "normal interpreter exit",
    "handlers": "exit handlers + os._exit",
    "bare": "bare os._exit",
}


def exit_seconds(mode: str) -> float:
    process = subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, text=True)
    done = float(process.stdout.readline())
    process.wait()
    return time.time() - done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    times: dict[str, list[float]] = {label: [] for label in MODES.values()}
    for _ in range(runs):
        for mode, label in MODES.items():
            times[label].append(exit_seconds(mode))
    by_label = median_table(f"how the process ends: work done to process gone, {runs} runs", times)
    medians = {mode: by_label[label] for mode, label in MODES.items()}
    saved = medians["teardown"] - medians["handlers"]
    cost = medians["handlers"] - medians["bare"]
    print(f"\nthe exit handlers cost {cost * 1000:.1f} ms; skipping the teardown saves {saved:.3f} s")
    print(json.dumps({"runs": runs, "medians": medians, "handlers_cost": cost, "teardown_saved": saved}))


if __name__ == "__main__":
    main()
