"""Families at scale: all 65,536 four-input functions, per-gate cost against family size, export cost,
Ray against in-process, and Ray's cost per task.

Workloads (gatenet's default network: Dense(16, relu) -> sigmoid, MSE, Adam at 0.01, 1000 steps, up
to 4 seeds per gate, chunks of 4096 gates):
  (a) `gatenet train --family boolean4 --no-export` in a fresh process: wall time and peak RSS;
  (b) per-gate cost of training + checking the first 16, 256, 4096 and 65,536 members of boolean4 in
      this process (TensorFlow imported, programs compiled once beforehand);
  (c) the first 4096 members of boolean4 with export (ONNX, onnxruntime check, commit) against
      without: the cost per exported model;
  (d) a capacity sweep (boolean3, hidden none,1,2,4, 4 seeds) in-process and on a local Ray cluster of
      2 workers, and the round trip of an empty Ray task;
  (e) the cost model: importing the training stack in a fresh process, compiling a program, and
      microseconds per network-step against networks per program.

    python benchmarks/scale.py [--skip-full]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gatenet.pipeline import train_gates
from gatenet.plugins import collect_gates
from gatenet.sweeps import capacity

GATENET = Path(sys.executable).with_name("gatenet")
SIZES = [16, 256, 4096, 65536]
SWEEP = {"hidden": [(), (1,), (2,), (4,)], "learning_rate": [0.1], "steps": [1000]}


def full_family() -> dict:
    """(a): a fresh `gatenet train --family boolean4 --no-export`, timed, with its peak RSS."""
    started = time.perf_counter()
    run = subprocess.run(
        [str(GATENET), "train", "--family", "boolean4", "--no-export", "--quiet"],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    failed = [line for line in run.stderr.splitlines() if line.startswith("error: gate")]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB -> GiB
    return {"seconds": round(seconds, 1), "peak_rss_gib": round(peak, 2), "not_verified": len(failed)}


def per_gate(members: list) -> list[dict]:
    """(b): training + Keras check per gate, by how many gates run."""
    train_gates(members[:8192], export=False)  # compiles the chunk programs; not timed
    rows = []
    for size in SIZES:
        started = time.perf_counter()
        results = train_gates(members[:size], export=False)
        seconds = time.perf_counter() - started
        verified = sum(result.verified for result in results)
        rows.append(
            {
                "gates": size,
                "seconds": round(seconds, 2),
                "ms_per_gate": round(1000 * seconds / size, 3),
                "verified": verified,
            }
        )
    return rows


def export_cost(members: list) -> dict:
    """(c): the same 4096 gates with and without export; the difference is the cost of exporting."""
    gates = members[:4096]
    started = time.perf_counter()
    train_gates(gates, export=False)
    without = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        results = train_gates(gates, folder)
        with_export = time.perf_counter() - started
        files = sum(1 for _ in Path(folder).rglob("*") if _.is_file())
    exported = sum(result.path is not None for result in results)
    return {
        "gates": len(gates),
        "exported": exported,
        "files": files,
        "seconds_without": round(without, 2),
        "seconds_with": round(with_export, 2),
        "ms_per_exported_model": round(1000 * (with_export - without) / exported, 2),
    }


def ray_against_here(gates: list) -> dict:
    """(d): one capacity sweep here and on a local 2-worker Ray cluster, and an empty task's round trip."""
    import ray

    from gatenet import ray_jobs

    started = time.perf_counter()
    here = capacity(gates, SWEEP, seeds=4)
    here_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    start_seconds = time.perf_counter() - started
    run_jobs = ray_jobs.runner()
    started = time.perf_counter()
    there = capacity(gates, SWEEP, seeds=4, run_jobs=run_jobs)
    first_seconds = time.perf_counter() - started  # includes each worker importing TensorFlow
    started = time.perf_counter()
    capacity(gates, SWEEP, seeds=4, run_jobs=run_jobs)
    warm_seconds = time.perf_counter() - started
    empty = ray.remote(lambda: None)
    ray.get([empty.remote() for _ in range(20)])
    started = time.perf_counter()
    for _ in range(200):
        ray.get(empty.remote())
    round_trip_ms = 1000 * (time.perf_counter() - started) / 200
    ray.shutdown()
    return {
        "same_rows": here == there,
        "here_seconds": round(here_seconds, 2),
        "ray_start_seconds": round(start_seconds, 2),
        "ray_first_seconds": round(first_seconds, 2),
        "ray_warm_seconds": round(warm_seconds, 2),
        "empty_task_round_trip_ms": round(round_trip_ms, 2),
    }


def cost_model(members: list) -> dict:
    """(e): where a chunk's time goes, and how a step's cost per network falls with the stack."""
    from gatenet import trainer
    from gatenet.network import NetworkSpec

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import gatenet.pipeline"], check=True)
    import_seconds = time.perf_counter() - started
    network = NetworkSpec()
    rows = []
    for networks in (64, 256, 1024, 4096, 16384):
        gates = members[:networks]
        started = time.perf_counter()
        trainer.train_together(gates, network.with_changes(steps=1), [0])  # compiles this size
        compile_seconds = time.perf_counter() - started
        started = time.perf_counter()
        trainer.train_together(gates, network, [0])
        seconds = time.perf_counter() - started
        rows.append(
            {
                "networks": networks,
                "compile_seconds": round(compile_seconds, 2),
                "us_per_network_step": round(1e6 * seconds / (networks * network.steps), 3),
            }
        )
    return {"import_seconds": round(import_seconds, 2), "stacks": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-full", action="store_true", help="skip (a), the 65,536-gate fresh run")
    skip_full = parser.parse_args().skip_full
    families = collect_gates().families()
    members = list(families["boolean4"])
    report = {}
    if not skip_full:
        report["full"] = full = full_family()
        print(
            f"(a) gatenet train --family boolean4 --no-export: {full['seconds']} s, peak RSS "
            f"{full['peak_rss_gib']} GiB, {full['not_verified']} of 65536 not verified by any of 4 seeds"
        )
    report["per_gate"] = rows = per_gate(members)
    print("\n(b) | gates | seconds | ms per gate | verified |\n| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['gates']} | {row['seconds']} | {row['ms_per_gate']} | {row['verified']} |")
    report["export"] = cost = export_cost(members)
    print(
        f"\n(c) {cost['gates']} gates: {cost['seconds_without']} s without export, {cost['seconds_with']} s "
        f"with ({cost['exported']} models, {cost['files']} files): "
        f"{cost['ms_per_exported_model']} ms per model"
    )
    report["ray"] = ray = ray_against_here(list(families["boolean3"]))
    print(
        f"\n(d) capacity sweep, boolean3 x 4 settings x 4 seeds: here {ray['here_seconds']} s; Ray: start "
        f"{ray['ray_start_seconds']} s, first sweep {ray['ray_first_seconds']} s, second "
        f"{ray['ray_warm_seconds']} s; same rows: {ray['same_rows']}; empty task round trip "
        f"{ray['empty_task_round_trip_ms']} ms"
    )
    report["cost"] = cost = cost_model(members)
    print(f"\n(e) importing gatenet.pipeline (TensorFlow, Keras, tf2onnx): {cost['import_seconds']} s")
    print("| networks per program | compile seconds | us per network-step |\n| --- | --- | --- |")
    for row in cost["stacks"]:
        print(f"| {row['networks']} | {row['compile_seconds']} | {row['us_per_network_step']} |")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
