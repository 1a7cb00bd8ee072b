"""The same gates learned as Keras networks and as logic circuits, in one run: time, size, speed.

Workload: the shipped gates (`gatenet.gates()`, FULL_ADDER and MAJORITY3 among them), each kind
trained with its defaults through `gatenet.train(names, out=..., kind=...)` into a temporary folder of
its own, as `gatenet train NAMES --kind network|logic --out DIR` does.

- time to verified models: the wall time of that one call per kind (in-process, TensorFlow already
  imported and warmed by a one-gate call before), and per gate the wall time of a call training that
  gate alone into a folder of its own (the gate's whole time to a verified model, its program's
  compilation included);
- ONNX file bytes of each model;
- size: a network's weights (the float elements of its ONNX initializers), a logic model's two-input
  gates (its record's `logic["gates"]`, from `ModelFolder(dir).entries()`);
- onnxruntime through `gatenet.runtime.GateModel.probabilities` on a batch of 65,536 random 0/1 rows:
  the median of 7 runs after one warm-up, as ns per row and rows per second.

Ratios are logic / network, from this one run. A gate that did not verify is shown as failed.

    python benchmarks/logic_vs_network.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

import gatenet
from gatenet import runtime
from gatenet.store import ModelFolder

KINDS = ("network", "logic")
BATCH = 2**16


def gate_names() -> list[str]:
    names = [gate.name for gate in gatenet.gates()]
    return names + [name for name in ("FULL_ADDER", "MAJORITY3") if name not in names]


def weights(model: runtime.GateModel) -> int:
    graph = onnx.load_from_string(model.data).graph
    return sum(
        int(np.prod(init.dims)) for init in graph.initializer if init.data_type == onnx.TensorProto.FLOAT
    )


def ns_per_row(model: runtime.GateModel, rounds: int) -> float:
    batch = np.random.default_rng(0).integers(0, 2, (BATCH, model.inputs)).astype(np.float32)
    model.probabilities(batch)  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        model.probabilities(batch)
        times.append(time.perf_counter() - started)
    return statistics.median(times) / BATCH * 1e9


def measure(kind: str, names: list[str], root: Path, rounds: int) -> dict:
    """Train every gate in one call, then each gate alone; describe each verified model."""
    out = root / kind
    started = time.perf_counter()
    results = gatenet.train(names, out=out, kind=kind)
    together = time.perf_counter() - started
    alone = {}
    for name in names:
        started = time.perf_counter()
        result = gatenet.train(name, out=root / f"{kind}-{name}", kind=kind)
        alone[name] = (time.perf_counter() - started, result.verified)
    records = {record.gate: record for record in ModelFolder(out).entries().values()}
    gates = {}
    for name, result in zip(names, results, strict=True):
        row = {"verified": result.verified, "alone s": round(alone[name][0], 3)}
        if result.verified:
            model = runtime.load_gate(name, out)
            row["bytes"] = len(model.data)
            row["size"] = records[name].logic["gates"] if kind == "logic" else weights(model)
            row["ns per row"] = ns_per_row(model, rounds)
        else:
            row["problem"] = result.problem
        gates[name] = row
    return {"together s": together, "gates": gates}


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed onnxruntime runs per model")
    arguments = parser.parse_args()
    names = gate_names()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for kind in KINDS:  # import TensorFlow and compile once per kind before anything is timed
            gatenet.train("AND", out=root / f"warm-{kind}", kind=kind)
        figures = {kind: measure(kind, names, root, arguments.rounds) for kind in KINDS}

    net, logic = (figures[kind]["gates"] for kind in KINDS)
    print(f"{len(names)} gates, batch of {BATCH:,} random rows, median of {arguments.rounds} runs\n")
    print(
        "| gate | network s | logic s | network bytes | logic bytes | weights | logic gates "
        "| network ns/row | logic ns/row | logic/network ns |"
    )
    print("|" + " --- |" * 10)
    for name in names:
        a, b = net[name], logic[name]
        cells = [
            name,
            fmt(a["alone s"]) + ("" if a["verified"] else " (failed)"),
            fmt(b["alone s"]) + ("" if b["verified"] else " (failed)"),
            f"{a['bytes']:,}" if "bytes" in a else "-",
            f"{b['bytes']:,}" if "bytes" in b else "-",
            f"{a['size']:,}" if "size" in a else "-",
            f"{b['size']}" if "size" in b else "-",
            fmt(a.get("ns per row")),
            fmt(b.get("ns per row")),
            fmt(b["ns per row"] / a["ns per row"]) if "ns per row" in a and "ns per row" in b else "-",
        ]
        print("| " + " | ".join(cells) + " |")

    both = [name for name in names if "bytes" in net[name] and "bytes" in logic[name]]
    totals = {}
    for kind, gates in zip(KINDS, (net, logic), strict=True):
        totals[kind] = {
            "verified": sum(row["verified"] for row in gates.values()),
            "together s": figures[kind]["together s"],
            "alone s": sum(row["alone s"] for row in gates.values()),
            "bytes": sum(gates[name]["bytes"] for name in both),
            "size": sum(gates[name]["size"] for name in both),
            "ns per row": statistics.median(gates[name]["ns per row"] for name in both),
        }
        totals[kind]["rows per s"] = 1e9 / totals[kind]["ns per row"]
    n, g = totals["network"], totals["logic"]
    print(f"\nTotals ({len(both)} gates verified by both kinds for bytes, size and speed):\n")
    print("| measure | network | logic | logic / network |")
    print("| --- | --- | --- | --- |")
    for label, key, digits in (
        ("gates verified", "verified", 0),
        (f"all {len(names)} gates in one call, s", "together s", 2),
        ("sum of each gate alone, s", "alone s", 2),
        ("ONNX bytes, sum", "bytes", 0),
        ("weights (network) / gates (logic), sum", "size", 0),
        ("ns per row, median over gates", "ns per row", 2),
        ("rows per second, at that median", "rows per s", 0),
    ):
        print(f"| {label} | {fmt(n[key], digits)} | {fmt(g[key], digits)} | {g[key] / n[key]:.3f} |")
    print(json.dumps({"gates": figures, "totals": totals}, default=float))


if __name__ == "__main__":
    main()
