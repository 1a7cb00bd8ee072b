"""How fast do exported models run? gatenet.runtime against raw onnxruntime and Keras, in one run.

    python benchmarks/runtime.py

Workload: the committed XOR model (exported/xor.onnx) on its 4-row truth table, and on 1,000,000
random rows. The Keras model is retrained from the manifest's seed, which reproduces the same weights.
Latencies are the median of 7 repeats of the best per-call mean; cold starts the median of 5 fresh
processes. Prints a table and one JSON line with the ratios against the targets.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

import numpy as np
import onnxruntime as ort

from gatenet import runtime

MODEL = Path(__file__).resolve().parent.parent / "exported" / "xor.onnx"
COLD_RUNTIME = f"from gatenet import runtime; runtime.load({str(MODEL)!r}).predict([[0, 1]])"
COLD_TENSORFLOW = (
    "import os; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3'); import numpy as np, keras; "
    "m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, activation='relu'), "
    "keras.layers.Dense(1, activation='sigmoid')]); m.predict(np.array([[0, 1]], 'float32'), verbose=0)"
)


def per_call(function, number: int) -> float:
    return statistics.median(min(timeit.repeat(function, number=number, repeat=3)) / number for _ in range(7))


def cold_start(code: str) -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def keras_model():
    from gatenet.network import NetworkSpec
    from gatenet.plugins import collect_gates
    from gatenet.trainer import train

    model = runtime.load(MODEL)
    network = json.loads(model.metadata["gatenet.network"])
    spec = NetworkSpec(**{key: tuple(v) if isinstance(v, list) else v for key, v in network.items()})
    return train(collect_gates().find(model.name), spec, int(model.metadata["gatenet.seed"])).model


def main() -> None:
    model = runtime.load(MODEL)
    table = model.rows.astype(np.float32)
    raw = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    keras = keras_model()
    figures = {
        "gatenet_predict_us": per_call(lambda: model.predict(table), 5000) * 1e6,
        "raw_onnxruntime_us": per_call(lambda: raw.run(["probabilities"], {"bits": table}), 5000) * 1e6,
        "keras_predict_us": per_call(lambda: keras.predict(table, verbose=0), 20) * 1e6,
        "keras_call_us": per_call(lambda: keras(table, training=False), 200) * 1e6,
    }
    million = np.random.default_rng(0).integers(0, 2, (1_000_000, 2)).astype(np.float32)
    figures["rows_per_second"] = 1_000_000 / per_call(lambda: model.predict(million), 3)
    figures["cold_runtime_s"] = cold_start(COLD_RUNTIME)
    figures["cold_tensorflow_s"] = cold_start(COLD_TENSORFLOW)
    ratios = {
        "runtime_vs_raw": figures["gatenet_predict_us"] / figures["raw_onnxruntime_us"],
        "keras_predict_vs_runtime": figures["keras_predict_us"] / figures["gatenet_predict_us"],
        "keras_call_vs_runtime": figures["keras_call_us"] / figures["gatenet_predict_us"],
        "cold_tensorflow_vs_runtime": figures["cold_tensorflow_s"] / figures["cold_runtime_s"],
    }
    targets = {
        "runtime_vs_raw": ("<= 2x", ratios["runtime_vs_raw"] <= 2),
        "keras_predict_vs_runtime": (">= 1000x", ratios["keras_predict_vs_runtime"] >= 1000),
        "cold_tensorflow_vs_runtime": (">= 5x", ratios["cold_tensorflow_vs_runtime"] >= 5),
        "rows_per_second": (">= 20M", figures["rows_per_second"] >= 20e6),
    }
    print(f"{'XOR, 4-row table':<40} {'per call':>12}")
    print(f"{'gatenet.runtime predict':<40} {figures['gatenet_predict_us']:>9.1f} us")
    print(f"{'raw onnxruntime InferenceSession.run':<40} {figures['raw_onnxruntime_us']:>9.1f} us")
    print(f"{'Keras model.predict':<40} {figures['keras_predict_us']:>9.1f} us")
    print(f"{'Keras model(x)':<40} {figures['keras_call_us']:>9.1f} us")
    print(f"{'throughput, 1M rows, gatenet predict':<40} {figures['rows_per_second'] / 1e6:>7.1f} M rows/s")
    print(f"{'cold start: import runtime, load, predict':<40} {figures['cold_runtime_s']:>10.3f} s")
    print(f"{'cold start: import TensorFlow + Keras':<40} {figures['cold_tensorflow_s']:>10.3f} s")
    for name, ratio in ratios.items():
        target = targets.get(name)
        verdict = f"  target {target[0]}: {'met' if target[1] else 'NOT met'}" if target else ""
        print(f"{name:<40} {ratio:>10.1f}x{verdict}")
    rows_target = targets["rows_per_second"]
    print(
        f"{'rows_per_second':<40} {'':>11} target {rows_target[0]}: {'met' if rows_target[1] else 'NOT met'}"
    )
    print(
        json.dumps(
            {
                "benchmark": "runtime",
                "model": "exported/xor.onnx",
                **{k: round(v, 4) for k, v in {**figures, **ratios}.items()},
                "targets_met": {k: v[1] for k, v in targets.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
