"""`gatenet train` against the classic tutorial recipe, on XOR, AND, OR and NAND, measured in one run.

    python benchmarks/train_speed.py [--runs 3]

(a) the classic recipe in this process: Dense(16, relu) -> Dense(1, sigmoid), MSE, Adam (its default
    learning rate), binary accuracy, `model.fit(epochs=1000)` on the 4-row table, per gate;
(b) `gatenet train` on the same four gates in a fresh process, end to end: imports, training, export,
    onnxruntime verification, manifest.
Each figure is the median of --runs runs. Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from gatenet.tensorflow_quiet import import_training_stack

GATES = {"XOR": [0, 1, 1, 0], "AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0]}


def classic(truth: list[int]) -> tuple[float, float]:
    """The tutorial, line for line; returns seconds and the worst margin it reached."""
    import keras

    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], "float32")
    y = np.array([[bit] for bit in truth], "float32")
    started = time.perf_counter()
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="mean_squared_error", optimizer="adam", metrics=["binary_accuracy"])
    model.fit(x, y, epochs=1000, verbose=0)
    seconds = time.perf_counter() - started
    p = model.predict(x, verbose=0)
    return seconds, float(np.min(np.where(y == 1, p - 0.5, 0.5 - p)))


def gatenet_train() -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gatenet.cli", "train", *GATES, "--out", out],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import_training_stack()
    classic_runs, margins = [], {}
    for _ in range(args.runs):
        total = 0.0
        for name, truth in GATES.items():
            seconds, margins[name] = classic(truth)
            total += seconds
        classic_runs.append(total)
    ours = [gatenet_train() for _ in range(args.runs)]
    a, b = statistics.median(classic_runs), statistics.median(ours)
    print(f"{'workload (XOR, AND, OR, NAND)':<52} {'seconds':>8}")
    print(f"{'(a) classic recipe, model.fit(epochs=1000), in-process':<52} {a:>8.2f}")
    print(f"{'(b) gatenet train, fresh process, end to end':<52} {b:>8.2f}")
    print(
        f"speed-up (a)/(b): {a / b:.1f}x; classic worst margins: "
        + ", ".join(f"{k} {v:.3f}" for k, v in margins.items())
    )
    print(
        json.dumps(
            {
                "benchmark": "train_speed",
                "runs": args.runs,
                "classic_s": round(a, 3),
                "gatenet_train_s": round(b, 3),
                "speedup": round(a / b, 2),
                "classic_worst_margin": {k: round(v, 4) for k, v in margins.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
