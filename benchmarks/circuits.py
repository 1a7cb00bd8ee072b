"""Circuit models against trained networks and against calling their gates one by one, in one run.

Workload: the committed models. PARITY8 (one trained network) against PARITY8_TREE (7 XOR models
wired in a tree); ADD8 (8 FULL_ADDER models in a ripple-carry chain, 131,072 rows). For each:
parameters, file bytes, worst margin, one 1-row call (best of 5 rounds of 2,000), throughput on a
batch of 65,536 random rows, and the time to build the circuit from its gate models and verify it on
every row (median of 5). Then one call of each circuit model against the same row computed by calling
its gate models one by one from Python, thresholding between gates as digital wiring does.
Last, onnxruntime's own floor: a 1-row call of a chain of 1, 16 and 48 Gemm kernels.
Targets: ADD8 built and exhaustively verified in under 2 s; one circuit call at least 10x faster
than the gate-by-gate loop.

    python benchmarks/circuits.py
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from gatenet import runtime
from gatenet.circuit_onnx import build
from gatenet.plugins import collect_gates
from gatenet.status import circuit_recipes
from gatenet.store import ModelFolder

ROOT = Path(__file__).resolve().parent.parent
EXPORTED = ROOT / "exported"


def best_call_seconds(call, rounds: int = 5, calls: int = 2000) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def parameters(model: runtime.GateModel) -> int:
    graph = onnx.load_from_string(model.data).graph
    return sum(
        int(np.prod(init.dims)) for init in graph.initializer if init.data_type == onnx.TensorProto.FLOAT
    )


def describe(name: str, build_seconds: float | None) -> dict:
    model = runtime.load_gate(name, EXPORTED)
    row = model.rows[-1:]
    batch = np.random.default_rng(0).integers(0, 2, (65536, model.inputs)).astype(np.float32)
    started = time.perf_counter()
    model.probabilities(batch)
    throughput = len(batch) / (time.perf_counter() - started)
    return {
        "model": name,
        "parameters": parameters(model),
        "file bytes": len(model.data),
        "worst margin": round(model.verify().worst_margin, 3),
        "1-row call us": round(best_call_seconds(lambda: model.probabilities(row)) * 1e6, 1),
        "rows per second": int(throughput),
        "build + verify s": None if build_seconds is None else round(build_seconds, 3),
    }


def build_seconds(circuit) -> float:
    """Median time to build the circuit's model from its gate models and verify it on every row."""
    folder = ModelFolder(EXPORTED)
    (recipe,) = circuit_recipes(folder, [circuit], "digital", 0.4)
    models = {i.gate.key: runtime.load_gate(i.gate.name, EXPORTED) for i in circuit.instances}
    times = []
    for _ in range(5):
        circuit.__dict__.pop("table", None)  # the truth table is computed again each time, as in a fresh run
        started = time.perf_counter()
        built = build(recipe, models)
        times.append(time.perf_counter() - started)
        assert built.check.verified
    return statistics.median(times)


def gate_by_gate(circuit, models: dict, row: list[int]) -> list[float]:
    """The circuit computed in Python, one gate model call per instance."""
    outputs: list[list[int]] = []
    probabilities: list[np.ndarray] = []
    for instance in circuit.instances:
        bits = [row[s.index] if s.part is None else outputs[s.part][s.index] for s in instance.sources]
        p = models[instance.gate.key].probabilities([bits])[0]
        probabilities.append(p)
        outputs.append([int(value > 0.5) for value in p])
    return [
        float(row[s.index]) if s.part is None else probabilities[s.part][s.index]
        for s in circuit.output_signals
    ]


def loop_against_model(circuit) -> dict:
    model = runtime.load_gate(circuit.name, EXPORTED)
    models = {i.gate.key: runtime.load_gate(i.gate.name, EXPORTED) for i in circuit.instances}
    row = [int(bit) for bit in model.rows[-1]]
    assert np.allclose(gate_by_gate(circuit, models, row), model.probabilities([row])[0], atol=1e-6)
    loop = best_call_seconds(lambda: gate_by_gate(circuit, models, row), calls=500)
    once = best_call_seconds(lambda: model.probabilities([row]))
    return {
        "circuit": circuit.name,
        "gate calls": len(circuit.instances),
        "gate by gate us": round(loop * 1e6, 1),
        "circuit model us": round(once * 1e6, 1),
        "speed-up": round(loop / once, 1),
    }


def kernel_floor() -> dict:
    """onnxruntime's cost for tensors this small: a 1-row call of a chain of n Gemm kernels, in µs."""
    weights = [
        numpy_helper.from_array(np.full((32, 32), 0.01, np.float32), "w"),
        numpy_helper.from_array(np.zeros(32, np.float32), "b"),
    ]
    value = helper.make_tensor_value_info
    row = {"bits": np.zeros((1, 32), np.float32)}
    floor = {}
    for length in (1, 16, 48):
        names = ["bits", *(f"g{i}" for i in range(length - 1)), "probabilities"]
        nodes = [helper.make_node("Gemm", [names[i], "w", "b"], [names[i + 1]]) for i in range(length)]
        graph = helper.make_graph(
            nodes,
            "chain",
            [value("bits", onnx.TensorProto.FLOAT, ["N", 32])],
            [value("probabilities", onnx.TensorProto.FLOAT, ["N", 32])],
            weights,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        session = ort.InferenceSession(model.SerializeToString(), runtime._session_options())
        floor[f"{length} kernels us"] = round(best_call_seconds(lambda s=session: s.run(None, row)) * 1e6, 1)
    return floor


def table(rows: list[dict]) -> None:
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + " --- |" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join("-" if value is None else str(value) for value in row.values()) + " |")
    print()


def main() -> None:
    registry = collect_gates()
    tree, add8 = registry.find_circuit("PARITY8_TREE"), registry.find_circuit("ADD8")
    models = [
        describe("PARITY8", None),
        describe("PARITY8_TREE", build_seconds(tree)),
        describe("ADD8", build_seconds(add8)),
    ]
    table(models)
    calls = [loop_against_model(tree), loop_against_model(add8)]
    table(calls)
    floor = kernel_floor()
    table([floor])
    print(json.dumps({"models": models, "calls": calls, "kernel floor": floor}))


if __name__ == "__main__":
    main()
