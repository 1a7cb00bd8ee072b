"""What the model folder's crash-safe commit costs, against writing the same files plainly.

The workload is N gates (the committed XOR model, test data and history under N names; what a
commit costs does not depend on what the files hold), committed in one transaction into an empty
folder and then again over themselves. The plain baseline writes the same bytes with no staging,
no journal and no fsync, which is what a crash can tear. Runs are interleaved.

    python benchmarks/commit_cost.py [--gates 256] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from table import median_table

from gatenet.store import GateFiles, ModelFolder

EXPORTED = Path(__file__).resolve().parent.parent / "exported"


def workload(count: int) -> list[GateFiles]:
    entry = json.loads((EXPORTED / "manifest.json").read_text())["models"]["xor.onnx"]
    fields = {key: value for key, value in entry.items() if key not in ("sha256", "files")}
    model = (EXPORTED / "xor.onnx").read_bytes()
    history = (EXPORTED / "xor" / "history.json").read_bytes()
    data = {path.name: path.read_bytes() for path in (EXPORTED / "xor" / "test_data_set_0").iterdir()}
    return [GateFiles(f"g{i}", model, data, history, {**fields, "gate": f"G{i}"}) for i in range(count)]


def plain(root: Path, gates: list[GateFiles]) -> None:
    for gate in gates:
        (root / gate.key / "test_data_set_0").mkdir(parents=True, exist_ok=True)
        (root / f"{gate.key}.onnx").write_bytes(gate.model)
        (root / gate.key / "history.json").write_bytes(gate.history)
        for name, data in gate.test_data.items():
            (root / gate.key / "test_data_set_0" / name).write_bytes(data)
    (root / "manifest.json").write_text(json.dumps({"models": {g.key: g.entry for g in gates}}))


def timed(action, *args) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gates", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    gates = workload(args.gates)
    times: dict[str, list[float]] = {"commit, empty folder": [], "commit, replacing": [], "plain writes": []}
    for _ in range(args.runs):
        root = Path(tempfile.mkdtemp(prefix="gatenet-commit-"))
        with ModelFolder(root / "store").writing() as writer:
            times["commit, empty folder"].append(timed(writer.commit, gates))
            times["commit, replacing"].append(timed(writer.commit, gates))
        times["plain writes"].append(timed(plain, root / "plain", gates))
        shutil.rmtree(root)
    medians = median_table(f"{args.gates} gates, {args.runs} runs", times, ("ms per gate", args.gates))
    ratio = medians["commit, empty folder"] / medians["plain writes"]
    print(f"\nthe crash-safe commit costs {ratio:.1f}x plain writes")
    print(json.dumps({"gates": args.gates, "runs": args.runs, "medians": medians, "ratio": ratio}))


if __name__ == "__main__":
    main()
