"""What the model folder's crash-safe commit costs: now, before the batched commit, and against
writing the same files plainly.

The workload is N gates (the committed XOR model, test data and history under N names; what a
commit costs does not depend on what the files hold), committed in one transaction into an empty
folder and then again over themselves. With `--chunks K` the folder grows instead, as a family
export grows it: K commits of N new gates each, then K commits replacing them, timed per chunk.

Every run times, interleaved on the same workload:

- the store as it is now (syncfs where the kernel has it: one sync per phase of a commit);
- the same store with syncfs turned off (`GATENET_NO_SYNCFS`: one fsync per file and folder, the
  fallback for systems without syncfs);
- the store before the batched commit (`gatenet/store.py` and `gatenet/durable.py` at `--before`,
  loaded from git into a scratch package), which fsynced every file and re-hashed it when applying;
- plain writes of the same bytes with no staging, no journal and no fsync: what a crash can tear.

    python benchmarks/commit_cost.py [--gates 256] [--chunks 1] [--runs 5] [--before REV] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import importlib
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from table import median_table

from gatenet import durable, manifest
from gatenet.record import ModelRecord
from gatenet.store import GateFiles, ModelFolder

ROOT = Path(__file__).resolve().parent.parent
EXPORTED = ROOT / "exported"
BEFORE = "bc32c80a7e1192feeb07ea1b4e80259ff62ee4f7"  # the last commit with per-file fsyncs


def workload(count: int) -> list[GateFiles]:
    entry = json.loads((EXPORTED / "manifest.json").read_text())["models"]["xor.onnx"]
    record = ModelRecord.from_json("xor.onnx", entry, "xor.onnx", manifest.FORMAT)
    model = (EXPORTED / "xor.onnx").read_bytes()
    history = (EXPORTED / "xor" / "history.json").read_bytes()
    data = {path.name: path.read_bytes() for path in (EXPORTED / "xor" / "test_data_set_0").iterdir()}
    return [
        GateFiles(f"g{i}", model, data, history, dataclasses.replace(record, gate=f"G{i}"))
        for i in range(count)
    ]


def before_store(revision: str, scratch: Path):
    """`gatenet.store` as it was at `revision`, with its own `durable`, as the package `gatenet_before`."""
    package = scratch / "gatenet_before"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("store", "durable"):
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:gatenet/{name}.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        source = source.replace(
            "from gatenet import durable, manifest, migrations",
            "from gatenet import manifest, migrations\nfrom gatenet_before import durable",
        )
        (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(scratch))
    return importlib.import_module("gatenet_before.store")


def plain(root: Path, gates: list[GateFiles]) -> None:
    for gate in gates:
        (root / gate.key / "test_data_set_0").mkdir(parents=True, exist_ok=True)
        (root / f"{gate.key}.onnx").write_bytes(gate.model)
        (root / gate.key / "history.json").write_bytes(gate.history)
        for name, data in gate.test_data.items():
            (root / gate.key / "test_data_set_0" / name).write_bytes(data)
    (root / "manifest.json").write_text(json.dumps({"models": {g.key: g.entry.to_json() for g in gates}}))


def commits(folder_class, root: Path, chunks: list[list[GateFiles]], times: dict, kind: str) -> None:
    """Write every chunk as new gates, then every chunk again over itself; one time per chunk.
    `folder_class` None writes plainly."""
    with folder_class(root).writing() if folder_class else contextlib.nullcontext() as writer:
        for phase in ("new gates", "replacing"):
            os.sync()  # untimed: the old files are on disk, as a folder's are when it is written again
            for index, chunk in enumerate(chunks):
                started = time.perf_counter()
                writer.commit(chunk) if writer else plain(root / str(index), chunk)
                times[f"{kind}, {phase}"].append(time.perf_counter() - started)
    shutil.rmtree(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=256, help="gates per commit")
    parser.add_argument("--chunks", type=int, default=1, help="commits of new gates into one folder")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", default=BEFORE, help="the git revision of the store to compare with")
    parser.add_argument("--profile", action="store_true", help="profile one commit of the store as it is now")
    args = parser.parse_args()
    gates = workload(args.gates * args.chunks)
    chunks = [gates[i : i + args.gates] for i in range(0, len(gates), args.gates)]
    scratch = Path(tempfile.mkdtemp(prefix="gatenet-commit-"))
    try:
        before = before_store(args.before, scratch).ModelFolder
        if args.profile:
            profile(scratch / "profile", chunks)
            return
        kinds = ("commit now", "commit now, no syncfs", f"commit before ({args.before[:7]})", "plain writes")
        times = {f"{kind}, {phase}": [] for kind in kinds for phase in ("new gates", "replacing")}
        for run in range(args.runs):
            for kind in kinds if run % 2 == 0 else reversed(kinds):
                durable.SYNCFS = durable.syncfs_available() and kind != "commit now, no syncfs"
                store = {kinds[2]: before, kinds[3]: None}.get(kind, ModelFolder)
                commits(store, scratch / f"{kind} {run}", chunks, times, kind)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    heading = f"{args.gates} gates a commit, {args.chunks} chunk(s), {args.runs} runs"
    medians = median_table(heading, times, ("ms per gate", args.gates))
    for phase in ("new gates", "replacing"):
        now, then, floor = (medians[f"{kind}, {phase}"] for kind in (kinds[0], kinds[2], kinds[3]))
        print(f"{phase}: the commit is {then / now:.1f}x faster than before, {now / floor:.1f}x plain writes")
    print(json.dumps({"gates": args.gates, "chunks": args.chunks, "runs": args.runs, "medians": medians}))


def profile(root: Path, chunks: list[list[GateFiles]]) -> None:
    """cProfile of the store as it is now: the folder grown by every chunk, then one more commit
    replacing the last chunk; the 25 functions with the most time of their own."""
    with ModelFolder(root).writing() as writer:
        for chunk in chunks[:-1]:
            writer.commit(chunk)
        profiler = cProfile.Profile()
        profiler.runcall(writer.commit, chunks[-1])
        profiler.runcall(writer.commit, chunks[-1])
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
