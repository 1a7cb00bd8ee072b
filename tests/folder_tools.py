"""Helpers for the model-folder tests: run gatenet, snapshot a folder, and judge it after a crash."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from gatenet.cli import cli
from gatenet.store import GateFiles, ModelFolder

ROOT = Path(__file__).resolve().parents[1]
EXPORTED = ROOT / "exported"
GATENET = Path(sys.executable).with_name("gatenet")


def gatenet(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The real console script in a fresh process, as a user runs it."""
    return subprocess.run(
        [str(GATENET), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        **kwargs,
    )


def run_cli(*args: str):
    """The CLI in this process (no start-up cost), for the many `verify` runs of the kill tests."""
    return CliRunner().invoke(cli, list(args))


def copy_models(target: Path, gates: list[str] | None = None) -> Path:
    """A folder holding the committed, verified models (all of them, or the named ones) and a manifest."""
    manifest = json.loads((EXPORTED / "manifest.json").read_text())
    keep = {f"{gate.lower()}.onnx" for gate in gates} if gates else set(manifest["models"])
    target.mkdir(parents=True, exist_ok=True)
    for name in keep:
        key = name.removesuffix(".onnx")
        shutil.copy2(EXPORTED / name, target / name)
        shutil.copytree(EXPORTED / key, target / key)
    manifest["models"] = {name: entry for name, entry in manifest["models"].items() if name in keep}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return target


def gate_files(folder: Path, key: str) -> dict[str, bytes]:
    """Every file of one gate (model, history, test data), by path inside the folder."""
    files = (
        {f"{key}.onnx": (folder / f"{key}.onnx").read_bytes()} if (folder / f"{key}.onnx").exists() else {}
    )
    if (folder / key).is_dir():
        files.update(
            {
                str(path.relative_to(folder)): path.read_bytes()
                for path in (folder / key).rglob("*")
                if path.is_file()
            }
        )
    return files


def leftovers(folder: Path) -> list[str]:
    """Temporary files, staging and journals: what a finished or repaired folder must not hold."""
    private = folder / ".gatenet"
    found = [str(path) for path in folder.rglob("*.tmp")]
    found += [str(path) for path in (private / "staging").glob("*")] if (private / "staging").is_dir() else []
    found += [str(private / "journal.json")] if (private / "journal.json").exists() else []
    return found


def tree_digest(root: Path, skip: tuple[str, ...] = ()) -> str:
    """One SHA-256 of every path under `root` and what it holds (a file's bytes, a link's target), so
    any file or folder made, changed or removed changes it. Paths in `skip` (relative) are left out."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if relative in skip:
            continue
        digest.update(relative.encode() + b"\0")
        if path.is_symlink():
            digest.update(b"link " + os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def judge(folder: Path, old: Path, new: Path, keys: list[str]) -> list[str]:
    """What is wrong with `folder` after a crash: `gatenet verify` changes nothing, `gatenet recover`
    then finishes any interrupted commit and clears every temporary file, after which `gatenet verify`
    passes, and every gate is wholly its old or wholly its new version."""
    problems = []
    before = tree_digest(folder, skip=(".gatenet/lock",))
    result = run_cli("verify", "--dir", str(folder))
    if tree_digest(folder, skip=(".gatenet/lock",)) != before:
        problems.append("verify changed the folder")
    if result.exit_code != 0 and "interrupted" not in result.output:
        problems.append(f"verify before recover, exit {result.exit_code}: {result.output.strip()}")
    result = run_cli("recover", "--dir", str(folder))
    if result.exit_code != 0:
        problems.append(f"recover exit {result.exit_code}: {result.output.strip()}")
    result = run_cli("verify", "--dir", str(folder))
    if result.exit_code != 0:
        problems.append(f"verify exit {result.exit_code}: {result.output.strip()}")
    for key in keys:
        files = gate_files(folder, key)
        if files not in (gate_files(old, key), gate_files(new, key)):
            problems.append(f"{key}: neither wholly old nor wholly new")
        entry = json.loads((folder / "manifest.json").read_text())["models"].get(f"{key}.onnx")
        if entry is None:
            problems.append(f"{key}: no manifest entry")
    problems += [f"left behind: {path}" for path in leftovers(folder)]
    return problems


def committed_gates(folder: Path) -> list[GateFiles]:
    """Every gate of a folder read back as the files a commit writes, to commit them elsewhere."""
    gates = []
    for name, record in ModelFolder(folder).entries().items():
        key = name.removesuffix(".onnx")
        data = {path.name: path.read_bytes() for path in (folder / key / "test_data_set_0").iterdir()}
        history = (folder / key / "history.json").read_bytes()
        gates.append(GateFiles(key, (folder / name).read_bytes(), data, history, record))
    return gates
