"""The model folder: crash-safe commits, concurrent writers, lock-free readers, a strict manifest.

These tests need no TensorFlow: they commit real, verified models (the committed `exported/` ones and
versions retrained from another seed) through the store, in processes that are killed on purpose.
"""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from folder_tools import EXPORTED, copy_models, gate_files, judge, leftovers, run_cli, tree_digest

from gatenet import manifest
from gatenet.manifest import ManifestError, sha256
from gatenet.store import FolderError, GateFiles, ModelFolder

KEYS = ["xor", "and", "or"]

# Commits the gates of folder NEW onto folder TARGET through the store, as `gatenet train` would.
COMMIT = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
    from folder_tools import committed_gates
    from gatenet.store import ModelFolder
    target, new, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    gates = committed_gates(new)
    with ModelFolder(target).writing("test commit") as writer:
        for _ in range(rounds):
            writer.commit(gates)
    """
)


def commit(target, new, rounds=1, env=None, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-c", COMMIT, str(target), str(new), str(rounds)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """`old`: verified XOR, AND and OR; `new`: the same gates retrained from another seed."""
    from folder_tools import gatenet

    root = tmp_path_factory.mktemp("versions")
    old = copy_models(root / "old", KEYS)
    new = root / "new"
    result = gatenet("train", *KEYS, "--out", str(new), "--seed", "7", "--restarts", "1", "-q")
    assert result.returncode == 0, result.stderr
    for key in KEYS:
        assert gate_files(old, key)[f"{key}.onnx"] != gate_files(new, key)[f"{key}.onnx"]
    return old, new


def count_steps(tmp_path, old, new) -> list[str]:
    trace = tmp_path / "trace.txt"
    target = copy_models(tmp_path / "count", KEYS)
    process = commit(target, new, env={"GATENET_FAULT_TRACE": str(trace)})
    assert process.wait() == 0, process.stderr.read()
    return trace.read_text().splitlines()


@pytest.mark.parametrize("signal_name", ["KILL", "INT"])
def test_a_commit_killed_at_any_step_leaves_every_gate_old_or_new(tmp_path, versions, signal_name):
    old, new = versions
    steps = count_steps(tmp_path, old, new)
    assert len(steps) > 30, steps  # staging, journal, moves, manifest, cleanup
    outcomes = {"old": 0, "new": 0}
    for step in range(1, len(steps) + 1):
        target = copy_models(tmp_path / f"{signal_name}{step}", KEYS)
        process = commit(target, new, env={"GATENET_FAULT_AT": f"{step}:{signal_name}"})
        assert process.wait() != 0, f"step {step} ({steps[step - 1]}) was not interrupted"
        problems = judge(target, old, new, KEYS)
        assert not problems, f"killed before step {steps[step - 1]}: {problems}"
        outcomes["new" if gate_files(target, "xor") == gate_files(new, "xor") else "old"] += 1
    assert outcomes["old"] > 0 and outcomes["new"] > 0, outcomes  # both sides of the commit point were hit


def test_concurrent_writers_keep_every_entry(tmp_path, versions):
    """Four writers, fifty commits each, of different gates into one folder: nothing is lost."""
    _, new = versions
    folder = tmp_path / "shared"
    sources = []
    for writer in range(4):
        source = tmp_path / f"source{writer}"
        entries = json.loads((new / "manifest.json").read_text())["models"]
        models = {}
        for index in range(50):
            key = f"g{writer}_{index}"
            entry = {**entries["xor.onnx"], "gate": key.upper(), **ModelFolder.layout_fields(key)}
            entry["files"] = {path.replace("xor/", f"{key}/"): d for path, d in entry["files"].items()}
            models[f"{key}.onnx"] = entry
            (source / key / "test_data_set_0").mkdir(parents=True)
            (source / f"{key}.onnx").write_bytes((new / "xor.onnx").read_bytes())
            (source / key / "history.json").write_bytes((new / "xor" / "history.json").read_bytes())
            for part in ("input_0.pb", "output_0.pb"):
                (source / key / "test_data_set_0" / part).write_bytes(
                    (new / "xor" / "test_data_set_0" / part).read_bytes()
                )
        (source / "manifest.json").write_text(json.dumps({"format": manifest.FORMAT, "models": models}))
        sources.append(source)
    # One commit per gate, so the writers interleave: split each source into 50 one-gate folders.
    script = COMMIT.replace("writer.commit(gates)", "[writer.commit([gate]) for gate in gates]")
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(folder), str(source), "1"], stderr=subprocess.PIPE
        )
        for source in sources
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read()
    entries = ModelFolder(folder).entries()
    assert len(entries) == 200
    for name in entries:
        assert ModelFolder(folder).read_model(name).problems == []
    assert leftovers(folder) == []


def test_readers_never_see_a_half_written_gate(tmp_path, versions):
    """A reader polls while a writer swaps XOR between two versions: every read is one whole version."""
    old, new = versions
    folder = copy_models(tmp_path / "busy", KEYS)
    allowed = {(old / "xor.onnx").read_bytes(), (new / "xor.onnx").read_bytes()}
    source_old = copy_models(tmp_path / "back", KEYS)
    writers = [commit(folder, new, rounds=30), commit(folder, source_old, rounds=30)]
    reads, bad = 0, []

    def read_until_done():
        nonlocal reads
        reader = ModelFolder(folder)
        while any(writer.poll() is None for writer in writers):
            read = reader.read_model("xor.onnx")
            reads += 1
            if read.problems or read.data not in allowed:
                bad.append(read.problems or "unknown bytes")

    thread = threading.Thread(target=read_until_done)
    thread.start()
    thread.join(timeout=180)
    for writer in writers:
        assert writer.wait() == 0, writer.stderr.read()
    assert reads > 20 and not bad, (reads, bad[:3])


def test_a_corrupt_manifest_stops_a_writer_before_anything_changes(tmp_path, versions):
    _, new = versions
    folder = copy_models(tmp_path / "corrupt", KEYS)
    (folder / "manifest.json").write_text('{"format": 2, "models": {"xor.onnx": {"gate": 5}}}')
    before = {key: gate_files(folder, key) for key in KEYS}
    process = commit(folder, new)
    assert process.wait() != 0
    expected = "gate must be a gate name (letters, digits and underscores, starting with a letter), got 5"
    assert f"manifest.json: xor.onnx: {expected}" in process.stderr.read()
    assert {key: gate_files(folder, key) for key in KEYS} == before


def test_a_second_writer_waits_and_names_the_holder(tmp_path):
    folder = ModelFolder(tmp_path / "locked")
    messages = []
    with folder.writing("gatenet train"):
        waiter = threading.Thread(target=lambda: folder_wait(folder, messages))
        waiter.start()
        waiter.join(timeout=0.5)
        assert waiter.is_alive(), "the second writer did not wait"
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    (message,) = messages
    assert re.fullmatch(
        rf"waiting for {folder.root}: gatenet train \(pid {os.getpid()}, since [-\d]+ [:\d]+\) is writing it",
        message,
    ), message


def folder_wait(folder, messages):
    with folder.writing("second", on_wait=messages.append):
        pass


def test_a_crashed_writer_is_reported_by_readers_and_finished_by_recover(tmp_path, versions):
    old, new = versions
    folder = copy_models(tmp_path / "crashed", KEYS)
    steps = count_steps(tmp_path, old, new)
    after_journal = (
        next(i for i, step in enumerate(steps, 1) if "journal.json" in step and "rename" in step) + 2
    )
    process = commit(folder, new, env={"GATENET_FAULT_AT": f"{after_journal}:KILL"})
    assert process.wait() == -signal.SIGKILL
    assert (folder / ".gatenet" / "journal.json").exists()
    before = tree_digest(folder)
    with pytest.raises(
        FolderError, match="a commit was interrupted; `gatenet recover --dir .*` .*finishes it"
    ):
        ModelFolder(folder).read_model("xor.onnx")
    assert tree_digest(folder) == before  # a reader moves and deletes nothing
    assert ModelFolder(folder).recover() is True
    assert ModelFolder(folder).read_model("xor.onnx").problems == []
    assert gate_files(folder, "xor") == gate_files(new, "xor")
    assert leftovers(folder) == []
    assert ModelFolder(folder).recover() is False


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ([], "xor.onnx: expected a mapping of fields, got list"),
        ({"sha256": 5}, "xor.onnx: sha256 must be 64 hex digits, got 5"),
        (
            {"history": "../../../../etc/passwd"},
            "xor.onnx: history must be a relative path inside the folder",
        ),
        ({"history": "/etc/passwd"}, "xor.onnx: history must be a relative path inside the folder"),
        ({"history": "and/history.json"}, "xor.onnx: paths must be the folder's own layout"),
        ({"gate": "AND"}, "xor.onnx: the entry is for gate 'AND', whose file is not 'xor.onnx'"),
        ({"margin": -1}, "xor.onnx: margin must be a number in (0, 0.5], got -1"),
        ({"files": {"../x": "0" * 64}}, "xor.onnx: files must be a mapping of relative paths"),
    ],
)
def test_a_bad_manifest_entry_is_one_line_naming_it(tmp_path, entry, message):
    folder = copy_models(tmp_path / "bad", ["xor"])
    document = json.loads((folder / "manifest.json").read_text())
    original = document["models"]["xor.onnx"]
    document["models"]["xor.onnx"] = {**original, **entry} if isinstance(entry, dict) else entry
    (folder / "manifest.json").write_text(json.dumps(document))
    with pytest.raises(ManifestError) as error:
        ModelFolder(folder).entries()
    assert message in str(error.value) and "\n" not in str(error.value)
    assert str(folder / "manifest.json") in str(error.value)


def test_a_gate_name_too_long_for_a_file_is_refused_by_name():
    with pytest.raises(FolderError, match="name too long for a model file"):
        ModelFolder.check_key("x" * 300)


def test_the_store_writes_the_layout_the_manifest_describes(tmp_path):
    folder = ModelFolder(tmp_path / "fresh")
    model = (EXPORTED / "xor.onnx").read_bytes()
    record = ModelFolder(EXPORTED).entries()["xor.onnx"]
    test_data = {"input_0.pb": b"in", "output_0.pb": b"out"}
    with folder.writing() as writer:
        writer.commit(
            [GateFiles("xor", model, test_data, b'{"step": [], "loss": [], "accuracy": []}', record)]
        )
    written = folder.entries()["xor.onnx"]
    assert written.sha256 == sha256(model)
    assert written.files == {
        "xor/history.json": sha256(b'{"step": [], "loss": [], "accuracy": []}'),
        "xor/test_data_set_0/input_0.pb": sha256(b"in"),
        "xor/test_data_set_0/output_0.pb": sha256(b"out"),
    }
    assert (folder.root / ".gatenet" / ".gitignore").read_text().endswith("*\n")
    assert folder.read_history("xor.onnx") == {"step": [], "loss": [], "accuracy": []}
    (folder.root / "xor" / "test_data_set_0" / "input_0.pb").write_bytes(b"tampered")
    assert folder.read_model("xor.onnx").problems == [
        f"{folder.root}/xor/test_data_set_0/input_0.pb: SHA-256 differs from manifest.json"
    ]


def test_a_manifest_from_gatenet_0_1_is_read_and_upgraded_by_the_next_writer(tmp_path):
    folder = copy_models(tmp_path / "old_format", ["xor", "and"])
    document = json.loads((folder / "manifest.json").read_text())
    document["format"] = 1
    for entry in document["models"].values():
        del entry["files"]
    (folder / "manifest.json").write_text(json.dumps(document))
    assert ModelFolder(folder).read_model("xor.onnx").problems == []  # format 1 is still read
    with ModelFolder(folder).writing():
        pass
    upgraded = json.loads((folder / "manifest.json").read_text())
    assert upgraded["format"] == manifest.FORMAT
    assert upgraded["models"]["xor.onnx"]["files"]["xor/history.json"] == sha256(
        (folder / "xor" / "history.json").read_bytes()
    )
    (folder / "and" / "history.json").unlink()
    document["format"] = 1
    (folder / "manifest.json").write_text(json.dumps(document))
    with (
        pytest.raises(
            FolderError,
            match=r"and/history.json: missing \(migration m001_sha256_of_every_file\); retrain gate AND",
        ),
        ModelFolder(folder).writing(),
    ):
        pass


REMOVE = textwrap.dedent(
    """
    import sys
    from gatenet.store import ModelFolder
    with ModelFolder(sys.argv[1]).writing("test prune") as writer:
        writer.commit([], remove=sys.argv[2:])
    """
)


def test_a_removal_killed_at_any_step_leaves_each_model_whole_or_gone(tmp_path):
    def remove(folder, env=None):
        command = [sys.executable, "-c", REMOVE, str(folder), "xor.onnx", "and.onnx"]
        return subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True, text=True)

    trace = tmp_path / "trace"
    assert remove(copy_models(tmp_path / "count", KEYS), {"GATENET_FAULT_TRACE": str(trace)}).returncode == 0
    steps = trace.read_text().splitlines()
    gone = 0
    for step in range(1, len(steps) + 1):
        folder = copy_models(tmp_path / f"kill{step}", KEYS)
        before = {key: gate_files(folder, key) for key in KEYS}
        assert remove(folder, {"GATENET_FAULT_AT": f"{step}:KILL"}).returncode == -signal.SIGKILL
        assert run_cli("recover", "--dir", str(folder)).exit_code == 0
        result = run_cli("verify", "--dir", str(folder))
        assert result.exit_code == 0, (steps[step - 1], result.output)
        entries = ModelFolder(folder).entries()
        for key in ("xor", "and"):
            whole = gate_files(folder, key) == before[key] and f"{key}.onnx" in entries
            absent = gate_files(folder, key) == {} and f"{key}.onnx" not in entries
            assert whole or absent, (steps[step - 1], key)
        gone += gate_files(folder, "xor") == {}
        assert gate_files(folder, "or") == before["or"] and leftovers(folder) == []
    assert 0 < gone < len(steps)
