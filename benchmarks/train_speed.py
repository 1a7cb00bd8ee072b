"""Training speed: the classic recipe, gatenet, and scikit-learn, on the same gates in one run.

    python benchmarks/train_speed.py [--runs 3]

(a) the classic tutorial recipe, in-process: Dense(16, relu) -> Dense(1, sigmoid), MSE, Adam (Keras'
    default learning rate), binary accuracy, `model.fit(epochs=1000)`, once per gate of XOR, AND, OR, NAND;
(b) `gatenet train XOR AND OR NAND` in a fresh process, end to end (imports, training, export,
    onnxruntime verification), and, separately, its training and verification alone (no imports,
    no export: `train_gates(..., export=False)` timed inside a fresh process);
(c) the peer a Python user would pick: scikit-learn MLPClassifier(hidden_layer_sizes=(16,),
    activation="relu", solver="adam"), 1000 iterations at learning rate 0.01 like gatenet's default,
    then skl2onnx export and an onnxruntime check, on the same four gates;
(d) `gatenet train` on every 2-input (16) and 3-input (256) Boolean function, with and without export.
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
import warnings

import numpy as np

GATES = {"XOR": [0, 1, 1, 0], "AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0]}
ROWS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
TRAIN_AND_VERIFY = """
import sys, time
from gatenet.pipeline import train_gates
from gatenet.plugins import collect_gates
registry = collect_gates()
gates = [registry.find(name) for name in sys.argv[1:]] or registry.families()["boolean3"]
started = time.perf_counter()
results = train_gates(gates, export=False)
assert all(result.verified for result in results)
print(time.perf_counter() - started)
"""


def worst_margin(truth: list[int], probabilities: np.ndarray) -> float:
    truth = np.array(truth)
    return float(np.min(np.where(truth == 1, probabilities - 0.5, 0.5 - probabilities)))


def classic() -> tuple[float, dict[str, float]]:
    """The tutorial, line for line, on each gate; seconds in all and the worst margin per gate."""
    import keras

    started, margins = time.perf_counter(), {}
    for name, truth in GATES.items():
        model = keras.Sequential(
            [
                keras.Input((2,)),
                keras.layers.Dense(16, activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(loss="mean_squared_error", optimizer="adam", metrics=["binary_accuracy"])
        model.fit(ROWS, np.array(truth, "float32")[:, None], epochs=1000, verbose=0)
        margins[name] = worst_margin(truth, model.predict(ROWS, verbose=0)[:, 0])
    return time.perf_counter() - started, margins


def scikit_learn() -> tuple[float, float, dict[str, float]]:
    """Training seconds, total seconds with skl2onnx export and onnxruntime check, and margins."""
    import onnxruntime as ort
    from skl2onnx import to_onnx
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    training = total = 0.0
    margins = {}
    for name, truth in GATES.items():
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = MLPClassifier(
                hidden_layer_sizes=(16,),
                activation="relu",
                solver="adam",
                learning_rate_init=0.01,
                max_iter=1000,
                tol=0,
                n_iter_no_change=1000,
                random_state=0,
            ).fit(ROWS, truth)
        trained = time.perf_counter()
        onnx_model = to_onnx(model, ROWS[:1], options={id(model): {"zipmap": False}}, target_opset=13)
        session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
        probabilities = session.run(["probabilities"], {session.get_inputs()[0].name: ROWS})[0][:, 1]
        margins[name] = worst_margin(truth, probabilities)
        training += trained - started
        total += time.perf_counter() - started
    return training, total, margins


def fresh(*args: str) -> float:
    """Seconds for one `gatenet` command in a fresh process."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gatenet.cli", *args, "--out", out], check=True, capture_output=True
        )
        return time.perf_counter() - started


def inside(*gates: str) -> float:
    """Seconds of training and verification alone, timed inside a fresh process."""
    output = subprocess.run(
        [sys.executable, "-c", TRAIN_AND_VERIFY, *gates], check=True, capture_output=True, text=True
    ).stdout
    return float(output.split()[-1])


def median_of(runs: int, measure) -> float:
    return statistics.median(measure() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from gatenet.tensorflow_quiet import import_training_stack

    import_training_stack()
    four = list(GATES)
    classic_runs = [classic() for _ in range(args.runs)]
    peer_runs = [scikit_learn() for _ in range(args.runs)]
    f = {
        "a_classic_s": statistics.median(run[0] for run in classic_runs),
        "b_gatenet_train_s": median_of(args.runs, lambda: fresh("train", *four)),
        "b_train_and_verify_s": median_of(args.runs, lambda: inside(*four)),
        "c_sklearn_training_s": statistics.median(run[0] for run in peer_runs),
        "c_sklearn_total_s": statistics.median(run[1] for run in peer_runs),
        "d_boolean2_s": median_of(args.runs, lambda: fresh("train", "--family", "boolean2")),
        "d_boolean2_no_export_s": median_of(
            args.runs, lambda: fresh("train", "--family", "boolean2", "--no-export")
        ),
        "d_boolean3_s": median_of(args.runs, lambda: fresh("train", "--family", "boolean3")),
        "d_boolean3_no_export_s": median_of(
            args.runs, lambda: fresh("train", "--family", "boolean3", "--no-export")
        ),
        "d_boolean3_train_and_verify_s": median_of(args.runs, inside),
    }
    ratios = {
        "a_over_b": f["a_classic_s"] / f["b_gatenet_train_s"],
        "b_train_and_verify_over_c_training": f["b_train_and_verify_s"] / f["c_sklearn_training_s"],
        "per_gate_4_s": f["b_gatenet_train_s"] / 4,
        "per_gate_16_s": f["d_boolean2_s"] / 16,
        "per_gate_256_s": f["d_boolean3_s"] / 256,
    }
    targets = {
        "(b) >= 25x faster than (a)": ratios["a_over_b"] >= 25,
        "(b) train+verify no slower than (c) training": ratios["b_train_and_verify_over_c_training"] <= 1,
        "(d) 256 functions trained and verified < 10 s": f["d_boolean3_no_export_s"] < 10,
        "(d) per-gate cost falls with gate count": ratios["per_gate_4_s"]
        > ratios["per_gate_16_s"]
        > ratios["per_gate_256_s"],
    }
    rows = [
        ("(a) classic recipe, 4 gates, in-process", f["a_classic_s"]),
        ("(b) gatenet train, 4 gates, fresh process, end to end", f["b_gatenet_train_s"]),
        ("(b) of which training + verification (no import, no export)", f["b_train_and_verify_s"]),
        ("(c) scikit-learn MLPClassifier training, 4 gates", f["c_sklearn_training_s"]),
        ("(c) scikit-learn + skl2onnx + onnxruntime check, 4 gates", f["c_sklearn_total_s"]),
        ("(d) gatenet train --family boolean2 (16), fresh process", f["d_boolean2_s"]),
        ("(d)   the same with --no-export", f["d_boolean2_no_export_s"]),
        ("(d) gatenet train --family boolean3 (256), fresh process", f["d_boolean3_s"]),
        ("(d)   the same with --no-export", f["d_boolean3_no_export_s"]),
        ("(d)   training + verification alone (no import, no export)", f["d_boolean3_train_and_verify_s"]),
    ]
    print(f"{'workload':<64} {'seconds':>8}")
    for label, seconds in rows:
        print(f"{label:<64} {seconds:>8.2f}")
    print(
        f"(a)/(b) = {ratios['a_over_b']:.1f}x; (b) train+verify / (c) training = "
        f"{ratios['b_train_and_verify_over_c_training']:.2f}; seconds per gate: "
        f"4 gates {ratios['per_gate_4_s']:.3f}, 16 gates {ratios['per_gate_16_s']:.3f}, "
        f"256 gates {ratios['per_gate_256_s']:.4f}"
    )
    margins = {"classic": classic_runs[-1][1], "sklearn": peer_runs[-1][2]}
    for who, values in margins.items():
        print(f"{who} worst margins: " + ", ".join(f"{k} {v:.3f}" for k, v in values.items()))
    for target, met in targets.items():
        print(f"target {target}: {'met' if met else 'NOT met'}")
    print(
        json.dumps(
            {
                "benchmark": "train_speed",
                "runs": args.runs,
                **{k: round(v, 4) for k, v in {**f, **ratios}.items()},
                "worst_margins": margins,
                "targets_met": targets,
            }
        )
    )


if __name__ == "__main__":
    main()
