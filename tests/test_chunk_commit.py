"""A chunk of many gates committed as one transaction: one journal, one sync per phase.

A family export commits thousands of gates at a time, so the store stages them all without an fsync
each, makes them durable with one `syncfs(2)` before the journal names them (one fsync per file and
folder where syncfs is missing), and again after the renames, before the journal goes. These tests
kill such a commit of 64 gates over older versions of the same gates at file operations spread over
the whole commit (the batched syncs included), on both sync paths, and judge the folder as the other
kill tests do: `verify` changes nothing, `recover` finishes it, `verify` passes, and every gate is
wholly old or wholly new.
"""

import ctypes
import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from folder_tools import (
    EXPORTED,
    committed_gates,
    copy_models,
    gate_files,
    gatenet,
    judge,
    leftovers,
    run_cli,
)

from gatenet import durable, manifest
from gatenet.store import FolderError, ModelFolder

GATES = [f"BOOLEAN3_{number:03d}" for number in range(64)]
KEYS = [gate.lower() for gate in GATES]

# Commits every gate of folder NEW onto folder TARGET in ONE transaction, as a family export does.
COMMIT = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
    from folder_tools import committed_gates
    from gatenet.store import ModelFolder
    target, new = Path(sys.argv[1]), Path(sys.argv[2])
    with ModelFolder(target).writing("test chunk commit") as writer:
        writer.commit(committed_gates(new))
    """
)


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """`old`: 64 three-input functions as networks; `new`: the same 64 as logic circuits, so every
    model, record and history differs."""
    root = tmp_path_factory.mktemp("chunk")
    old, new = root / "old", root / "new"
    result = gatenet("train", *GATES, "--out", str(old), "--restarts", "2", "-q")
    assert result.returncode == 0, result.stderr
    result = gatenet(
        "train", *GATES, "--out", str(new), "--kind", "logic", "--logic-restarts", "4", "--logic-steps", "200"
    )
    assert result.returncode == 0, result.stderr
    for key in KEYS:
        assert gate_files(old, key)[f"{key}.onnx"] != gate_files(new, key)[f"{key}.onnx"]
    return old, new


def copy_folder(source, target):
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".gatenet"))
    return target


def commit(target, new, env=None):
    return subprocess.run(
        [sys.executable, "-c", COMMIT, str(target), str(new)],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def trace_of(tmp_path, versions, env):
    """The file operations of one whole chunk commit: (number, operation, path) each."""
    old, new = versions
    trace = tmp_path / "trace.txt"
    target = copy_folder(old, tmp_path / "traced")
    result = commit(target, new, {**env, "GATENET_FAULT_TRACE": str(trace)})
    assert result.returncode == 0, result.stderr
    assert [gate_files(target, key) for key in KEYS] == [gate_files(new, key) for key in KEYS]
    return [line.split(" ", 2) for line in trace.read_text().splitlines()]


def gate_folder(path):
    """Whether a traced path is a gate's own (not the folder itself, nor gatenet's `.gatenet/`)."""
    return "/traced/boolean3_" in path


SYNC_PATHS = {"syncfs": {}, "fsync each": {"GATENET_NO_SYNCFS": "1"}}


@pytest.mark.skipif(not durable.syncfs_available(), reason="syncfs(2) is Linux 5.8 and later")
def test_a_chunk_commit_syncs_once_per_phase_with_syncfs(tmp_path, versions):
    steps = trace_of(tmp_path, versions, SYNC_PATHS["syncfs"])
    # one syncfs before the journal (the staged files) and one after the renames (before it goes)
    syncs = [index for index, (_, operation, _) in enumerate(steps) if operation == "syncfs"]
    journal = next(
        index
        for index, (_, operation, path) in enumerate(steps)
        if operation == "rename" and path.endswith("journal.json")
    )
    assert len(syncs) == 2 and syncs[0] < journal < syncs[1], syncs
    staged = [path for _, operation, path in steps if operation == "write" and "/staging/" in path]
    assert len(staged) == 4 * len(KEYS)
    assert not [step for step in steps if step[1] == "fsync"]  # no staged file synced on its own
    assert not [step for step in steps if step[1] in ("fsync-dir", "mkdir") and gate_folder(step[2])]


def test_a_chunk_commit_without_syncfs_syncs_every_file_and_folder(tmp_path, versions):
    steps = trace_of(tmp_path, versions, SYNC_PATHS["fsync each"])
    assert "syncfs" not in [operation for _, operation, _ in steps]
    staged = [path for _, operation, path in steps if operation == "write" and "/staging/" in path]
    synced = [path for _, operation, path in steps if operation == "fsync"]
    assert len(staged) == 4 * len(KEYS) and synced == staged
    folders = {path for _, operation, path in steps if operation == "fsync-dir" and gate_folder(path)}
    assert folders == {f"{tmp_path}/traced/{key}{sub}" for key in KEYS for sub in ("", "/test_data_set_0")}


@pytest.mark.parametrize("sync_path", list(SYNC_PATHS))
def test_a_chunk_commit_killed_anywhere_leaves_every_gate_old_or_new(tmp_path, versions, sync_path):
    old, new = versions
    env = SYNC_PATHS[sync_path]
    steps = trace_of(tmp_path, versions, env)
    rng = random.Random(sync_path)
    # Every sync and every step around the commit point, and random steps over the whole commit.
    marked = {
        int(number)
        for number, operation, path in steps
        if operation == "syncfs" or "journal" in path or "manifest" in path
    }
    marked |= {1, len(steps)}
    chosen = sorted(marked | set(rng.sample(range(1, len(steps) + 1), 10)))
    points = [(step, "KILL") for step in chosen] + [(step, "INT") for step in rng.sample(chosen, 4)]

    def run(index):
        step, signal_name = points[index]
        folder = copy_folder(old, tmp_path / f"kill{index}")
        result = commit(folder, new, {**env, "GATENET_FAULT_AT": f"{step}:{signal_name}"})
        return folder, result.returncode

    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(run, range(len(points))))
    outcomes = set()
    for (step, signal_name), (folder, code) in zip(points, runs, strict=True):
        where = f"{signal_name} before step {step} ({' '.join(steps[step - 1][1:])})"
        assert code == -signal.SIGKILL if signal_name == "KILL" else code != 0, f"{where}: exit {code}"
        problems = judge(folder, old, new, KEYS)
        assert not problems, f"{where}: {problems[:5]}"
        states = {"new" if gate_files(folder, key) == gate_files(new, key) else "old" for key in KEYS}
        assert len(states) == 1, f"{where}: one transaction, yet some gates old and some new"
        outcomes |= states
    assert outcomes == {"old", "new"}  # both sides of the commit point were hit


def test_a_failed_sync_before_the_journal_changes_nothing(tmp_path, versions, monkeypatch):
    """A write-back error reported by the batched sync is one line, and no gate changes."""
    old, new = versions
    folder = copy_folder(old, tmp_path / "failing")
    before = {key: gate_files(folder, key) for key in KEYS}
    gates = committed_gates(new)

    def failing_syncfs(fd):
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(durable, "_SYNCFS", failing_syncfs)
    monkeypatch.setattr(durable, "SYNCFS", True)
    with (
        pytest.raises(FolderError, match=rf"^{re.escape(str(folder))}: Input/output error$"),
        ModelFolder(folder).writing() as writer,
    ):
        writer.commit(gates)
    assert {key: gate_files(folder, key) for key in KEYS} == before
    assert leftovers(folder) == []


@pytest.mark.skipif(not durable.syncfs_available(), reason="syncfs(2) is Linux 5.8 and later")
def test_a_folder_on_another_filesystem_is_synced_folder_by_folder(tmp_path, versions, monkeypatch):
    """syncfs syncs one filesystem: a gate folder mounted from another (here, made to look so) makes
    the batch fsync every folder it touched instead. The staging phase, all on one, keeps its syncfs."""
    old, new = versions
    folder = copy_folder(old, tmp_path / "traced")
    mounted = f"{folder}/{KEYS[5]}/test_data_set_0"
    trace = tmp_path / "trace.txt"
    monkeypatch.setattr(durable, "_FAULT_TRACE", str(trace))
    monkeypatch.setattr(durable, "SYNCFS", True)
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        info = real_stat(path, *args, **kwargs)
        if str(path) == mounted:
            return os.stat_result((*info[:2], info.st_dev + 1, *info[3:]))
        return info

    monkeypatch.setattr(durable.os, "stat", stat)
    with ModelFolder(folder).writing() as writer:
        writer.commit(committed_gates(new))
    steps = [line.split(" ", 2) for line in trace.read_text().splitlines()]
    assert [operation for _, operation, _ in steps].count("syncfs") == 1
    synced = {path for _, operation, path in steps if operation == "fsync-dir" and gate_folder(path)}
    assert mounted in synced and len(synced) == 2 * len(KEYS)
    assert run_cli("verify", "--dir", str(folder)).exit_code == 0


def test_the_manifest_written_chunk_by_chunk_is_the_one_manifest_dump_gives(tmp_path, versions):
    """The store keeps each entry's JSON between commits; the bytes must stay `manifest.dump`'s,
    and the entries it remembers must be the ones parsing those bytes gives."""
    old, new = versions
    folder = ModelFolder(tmp_path / "grown")
    shipped = ModelFolder(EXPORTED)
    chunks = [committed_gates(old)[:20], committed_gates(old)[20:], committed_gates(new)[10:30]]
    with folder.writing() as writer:
        assert folder._dump({}) == manifest.dump({})
        assert folder._dump(shipped.entries()) == manifest.dump(shipped.entries())  # circuits, networks
        for chunk in chunks:
            writer.commit(chunk)
            written = (folder.root / "manifest.json").read_bytes()
            parsed = manifest.parse(written, "manifest.json")
            assert written == manifest.dump(parsed)
            assert folder._parsed[0] == written and folder._parsed[2] == parsed
        writer.commit([], remove=["boolean3_000.onnx"])
    entries = folder.entries()
    assert len(entries) == 63 and "boolean3_000.onnx" not in entries
    assert entries["boolean3_015.onnx"].kind == "logic" and entries["boolean3_040.onnx"].kind == "network"
    assert (folder.root / "manifest.json").read_bytes() == manifest.dump(entries)


def test_a_journal_of_the_older_staging_layout_is_still_finished(tmp_path):
    """Before chunked commits each file was staged under its own path (`staging/<id>/xor/history.json`);
    an interrupted commit of that layout, found by a newer gatenet, is finished all the same."""
    new = copy_models(tmp_path / "new", ["xor"])
    folder = copy_models(tmp_path / "old", ["xor"])
    (folder / "xor" / "history.json").write_text('{"step": [], "loss": [], "accuracy": []}')
    document = json.loads((folder / "manifest.json").read_text())
    entry = json.loads((new / "manifest.json").read_text())["models"]["xor.onnx"]
    document["models"]["xor.onnx"]["files"]["xor/history.json"] = manifest.sha256(
        (folder / "xor" / "history.json").read_bytes()
    )
    (folder / "manifest.json").write_text(json.dumps(document))
    staged = folder / ".gatenet" / "staging" / "7-7"
    (staged / "xor").mkdir(parents=True)
    shutil.copy(new / "xor" / "history.json", staged / "xor" / "history.json")  # the one file not yet moved
    (folder / ".gatenet" / "journal.json").write_text(
        json.dumps({"staged": "7-7", "entries": {"xor.onnx": entry}, "removed": []})
    )
    assert run_cli("verify", "--dir", str(folder)).exit_code == 1  # interrupted
    result = run_cli("recover", "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert gate_files(folder, "xor") == gate_files(new, "xor")
    assert run_cli("verify", "--dir", str(folder)).exit_code == 0 and leftovers(folder) == []
