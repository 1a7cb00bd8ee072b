"""A model folder from someone else: a cloned repository, a downloaded zip, a folder another program
writes into. Whatever its journal, manifest or models say, gatenet never touches a file outside it,
deletes only what it provably wrote, and trusts no model's word about itself.

Each crafted folder sits in a sandbox beside files it must not touch, and the tests compare one digest
of the whole sandbox before and after.
"""

import json
import os
import shutil
import subprocess

import numpy as np
import onnx
import pytest
from folder_tools import GATENET, copy_models, run_cli, tree_digest
from onnx import numpy_helper

from gatenet import runtime
from gatenet.manifest import ManifestError, sha256
from gatenet.store import FolderError, ModelFolder

GATENET_OWN = (".gatenet/lock", ".gatenet/.gitignore")  # what a writer may make in a folder


@pytest.fixture
def sandbox(tmp_path):
    """sandbox/{victim_dir/keep.txt, victim_file.txt, repo/README.md, repo/exported/{xor, and}}."""
    root = tmp_path / "sandbox"
    folder = copy_models(root / "repo" / "exported", ["xor", "and"])
    (root / "victim_dir").mkdir()
    (root / "victim_dir" / "keep.txt").write_text("keep me\n")
    (root / "victim_file.txt").write_text("victim\n")
    (root / "repo" / "README.md").write_text("# a repository\n")
    return root, folder


def sandbox_digest(root, folder):
    """Everything in the sandbox but gatenet's own lock and .gitignore inside the folder."""
    inside = folder.relative_to(root)
    return tree_digest(root, skip=tuple(str(inside / name) for name in GATENET_OWN))


def write_journal(folder, document):
    (folder / ".gatenet" / "staging").mkdir(parents=True, exist_ok=True)
    (folder / ".gatenet" / "journal.json").write_text(json.dumps(document))


def xor_entry(folder):
    return json.loads((folder / "manifest.json").read_text())["models"]["xor.onnx"]


def crafted_journals(folder):
    """The three attacks the issue reproduced: a staged folder, a removed file, an entry's file."""
    entry = xor_entry(folder)
    files = {**entry["files"], "../../w.sh": "0" * 64}
    return {
        "staged outside": {"staged": "../../../../victim_dir", "entries": {}, "removed": []},
        "removed outside": {"staged": "1-1", "entries": {}, "removed": ["../../victim_file.txt"]},
        "entry file outside": {
            "staged": "1-1",
            "entries": {"xor.onnx": {**entry, "files": files}},
            "removed": [],
        },
    }


@pytest.mark.parametrize("attack", ["staged outside", "removed outside", "entry file outside"])
def test_a_crafted_journal_changes_nothing_for_a_reader_or_a_writer(sandbox, attack):
    root, folder = sandbox
    write_journal(folder, crafted_journals(folder)[attack])
    staged = folder / ".gatenet" / "staging" / "1-1"
    staged.mkdir()
    (staged / "w.sh").write_text("echo owned\n")  # what the entry's ../../w.sh would move out
    before = sandbox_digest(root, folder)

    result = run_cli("verify", "--dir", str(folder))
    assert result.exit_code == 1
    assert "a commit was interrupted; `gatenet recover --dir" in result.output
    assert sandbox_digest(root, folder) == before

    result = run_cli("recover", "--dir", str(folder))
    assert result.exit_code == 1
    assert f"{folder / '.gatenet' / 'journal.json'}: refused: " in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert sandbox_digest(root, folder) == before


def test_a_journal_committed_to_git_does_not_make_the_pre_commit_check_delete_files(tmp_path, monkeypatch):
    """`gatenet train --check` in a fresh clone whose .gatenet/journal.json was added with `git add -f`."""
    repo = tmp_path / "origin"
    folder = copy_models(repo / "exported")
    (repo / "README.md").write_text("# a repository\n")
    write_journal(folder, {"staged": "1-1", "entries": {}, "removed": ["../README.md"]})
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "-f", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-q", "-m", "x"], check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    assert (clone / "exported" / ".gatenet" / "journal.json").exists()
    before = tree_digest(clone, skip=("exported/.gatenet/lock",))
    monkeypatch.chdir(clone)

    result = run_cli("train", "--check")

    assert result.exit_code == 1
    assert "a commit was interrupted" in result.output
    assert (clone / "README.md").read_text() == "# a repository\n"
    assert tree_digest(clone, skip=("exported/.gatenet/lock",)) == before


def test_readers_never_delete_files_they_did_not_make(sandbox):
    root, folder = sandbox
    (folder / ".notes.tmp").write_text("my notes\n")
    (folder / ".cache.tmp").mkdir()
    (folder / ".cache.tmp" / "data").write_text("cached\n")
    (folder / ".gatenet" / "staging").mkdir(parents=True)
    (folder / ".gatenet" / "staging" / "mine").write_text("not a staging folder of gatenet's\n")
    before = sandbox_digest(root, folder)
    for command in (["verify"], ["status"], ["predict", "XOR", "0", "1"]):
        result = run_cli(*command, "--dir", str(folder))
        assert result.exit_code == 0, result.output
    assert sandbox_digest(root, folder) == before


def test_a_writer_clears_only_the_scratch_names_gatenet_makes(sandbox):
    root, folder = sandbox
    private = folder / ".gatenet"
    (private / "staging" / "123-456").mkdir(parents=True)
    (private / ".manifest.json.99.tmp").write_text("torn")
    (private / "staging" / "mine").write_text("someone's\n")
    (folder / ".notes.tmp").write_text("my notes\n")
    assert run_cli("recover", "--dir", str(folder)).exit_code == 0
    assert not (private / "staging" / "123-456").exists() and not (private / ".manifest.json.99.tmp").exists()
    assert (private / "staging" / "mine").exists() and (folder / ".notes.tmp").exists()


@pytest.mark.parametrize("name", ["lock", "holder.json", "journal.json"])
def test_gatenet_never_writes_through_a_link_in_its_own_folder(sandbox, name):
    root, folder = sandbox
    (folder / ".gatenet").mkdir()
    (folder / ".gatenet" / name).symlink_to(root / "victim_file.txt")
    before = sandbox_digest(root, folder)
    result = run_cli("prune", "--dir", str(folder), "--yes")  # any command that writes
    assert result.exit_code == 1
    assert f"{folder / '.gatenet' / name}: a link; gatenet's own files are never links" in result.output
    assert (root / "victim_file.txt").read_text() == "victim\n"
    assert sandbox_digest(root, folder) == before


def test_a_hard_link_of_the_lock_file_is_refused(sandbox):
    root, folder = sandbox
    (folder / ".gatenet").mkdir()
    os.link(root / "victim_file.txt", folder / ".gatenet" / "lock")
    result = run_cli("prune", "--dir", str(folder), "--yes")
    assert result.exit_code == 1 and "a link" in result.output
    assert (root / "victim_file.txt").read_text() == "victim\n"


def test_a_model_or_its_files_reached_through_a_symlink_out_of_the_folder_fail(sandbox):
    root, folder = sandbox
    outside = copy_models(root / "outside", ["xor"])
    (folder / "xor.onnx").unlink()
    (folder / "xor.onnx").symlink_to(outside / "xor.onnx")
    shutil.rmtree(folder / "and")
    (folder / "and").symlink_to(copy_models(root / "outside_and", ["and"]) / "and")

    result = run_cli("verify", "--dir", str(folder))

    assert result.exit_code == 1
    assert f"{folder / 'xor.onnx'}: leads outside {folder} through a symlink" in result.output
    assert f"{folder / 'and' / 'history.json'}: leads outside {folder} through a symlink" in result.output


def test_a_format_2_entry_must_list_every_file_of_its_layout(tmp_path):
    folder = copy_models(tmp_path / "empty_files", ["xor"])
    document = json.loads((folder / "manifest.json").read_text())
    document["models"]["xor.onnx"]["files"] = {}
    (folder / "manifest.json").write_text(json.dumps(document))
    with pytest.raises(ManifestError, match="xor.onnx: paths must be the folder's own layout"):
        ModelFolder(folder).entries()


def test_a_manifest_nested_too_deep_is_one_line(tmp_path):
    folder = tmp_path / "deep"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"format": 2, "models": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ManifestError, match="manifest.json: nested too deep to be a manifest"):
        ModelFolder(folder).entries()
    result = run_cli("verify", "--dir", str(folder))
    assert result.exit_code == 1 and "nested too deep" in result.output


def tamper(folder, key, margin, weights):
    """Set the model's own margin, break or weaken its weights, and update its manifest SHA-256, as an
    attacker who edits a folder would."""
    path = folder / f"{key}.onnx"
    model = onnx.load(path)
    for prop in model.metadata_props:
        if prop.key == "gatenet.margin":
            prop.value = margin
    for init in model.graph.initializer:
        values = numpy_helper.to_array(init).astype(np.float32)
        if weights == "zero":  # every output 0: no weights, and a large negative output bias
            values = np.full_like(values, -100.0 if "output" in init.name and values.ndim == 1 else 0.0)
        else:
            values = values * 0.3  # weak: every output on the right side of 0.5, by about 0.04
        init.CopyFrom(numpy_helper.from_array(values, init.name))
    path.write_bytes(model.SerializeToString())
    document = json.loads((folder / "manifest.json").read_text())
    document["models"][f"{key}.onnx"]["sha256"] = sha256(path.read_bytes())
    (folder / "manifest.json").write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("margin", "weights", "message"),
    [
        ("-1", "zero", "gatenet.margin: must be a number in (0, 0.5], got -1.0"),
        ("-inf", "zero", "gatenet.margin: must be a number in (0, 0.5], got -inf"),
        ("nan", "zero", "gatenet.margin: must be a number in (0, 0.5], got nan"),
        ("0.001", "weak", "its metadata says margin 0.001, its entry in manifest.json 0.4"),
    ],
)
def test_a_margin_a_model_claims_for_itself_is_never_trusted(tmp_path, margin, weights, message):
    folder = copy_models(tmp_path / "tampered", ["xor"])
    tamper(folder, "xor", margin, weights)

    result = run_cli("verify", "--dir", str(folder))
    assert result.exit_code == 1
    assert message in result.output and "verified" not in result.output

    result = run_cli("export-c", "--dir", str(folder), "--out", str(tmp_path / "c"))
    assert result.exit_code == 1 and message in result.output
    assert not (tmp_path / "c" / "xor.h").exists()


def test_a_lone_model_file_is_verified_at_the_default_margin_whatever_it_says(tmp_path):
    folder = copy_models(tmp_path / "lone", ["xor"])
    tamper(folder, "xor", "0.001", "weak")
    model = runtime.load(folder / "xor.onnx")
    assert model.declared_margin == 0.001
    check = model.verify()
    assert check.margin == 0.4 and not check.verified and 0 < check.worst_margin < 0.1
    assert runtime.load(folder / "xor.onnx", margin=0.01).verify().verified


def test_verify_uses_the_manifests_margin_or_the_commands(tmp_path):
    folder = copy_models(tmp_path / "margins", ["xor"])
    tamper(folder, "xor", "0.4", "weak")
    assert run_cli("verify", "--dir", str(folder)).exit_code == 1  # the manifest's 0.4
    result = run_cli("verify", "--dir", str(folder), "--margin", "0.01")
    assert result.exit_code == 0, result.output


def test_status_deep_runs_the_models_that_the_manifest_vouches_for(tmp_path):
    folder = copy_models(tmp_path / "deep_status", ["xor", "and"])
    tamper(folder, "xor", "0.4", "zero")  # broken weights, the SHA-256 updated to match

    shallow = run_cli("status", "--dir", str(folder), "--json")
    states = {model["name"]: model["state"] for model in json.loads(shallow.output)["models"]}
    assert states["XOR"] == "up to date"  # the manifest alone cannot tell: documented

    deep = run_cli("status", "--dir", str(folder), "--deep", "--json")
    models = {model["name"]: model for model in json.loads(deep.output)["models"]}
    assert models["XOR"]["state"] == "stale"
    assert models["XOR"]["reasons"][0].startswith("does not verify: row 01: expected 1, got 0.000")
    assert models["AND"]["state"] == "up to date"


def test_a_reader_reports_an_interrupted_commit_and_a_writer_finishes_it(sandbox):
    root, folder = sandbox
    write_journal(folder, {"staged": "1-1", "entries": {}, "removed": ["and.onnx"]})
    (folder / "and" / "notes.txt").write_text("mine\n")
    with pytest.raises(FolderError, match="a commit was interrupted"):
        ModelFolder(folder).entries()
    result = run_cli("recover", "--dir", str(folder))
    assert result.exit_code == 0 and "finished an interrupted commit" in result.output
    assert sorted(ModelFolder(folder).entries()) == ["xor.onnx"]  # read without an interrupted commit
    # only the files the manifest listed went: the folder keeps what someone else put in it
    assert sorted(p.name for p in (folder / "and").rglob("*")) == ["notes.txt"]
    assert not (folder / "and.onnx").exists()


def add_listed_copy(folder, source_key, key):
    """A model the manifest lists under gate `key`, with files copied from `source_key`'s."""
    document = json.loads((folder / "manifest.json").read_text())
    entry = document["models"][f"{source_key}.onnx"]
    shutil.copy(folder / f"{source_key}.onnx", folder / f"{key}.onnx")
    shutil.copytree(folder / source_key, folder / key)
    files = {path.replace(source_key, key, 1): digest for path, digest in entry["files"].items()}
    layout = {"test_data": f"{key}/test_data_set_0", "history": f"{key}/history.json"}
    document["models"][f"{key}.onnx"] = {**entry, "gate": key.upper(), **layout, "files": files}
    (folder / "manifest.json").write_text(json.dumps(document))


def test_prune_removes_only_the_files_the_manifest_lists_and_lists_each_first(sandbox):
    root, folder = sandbox
    (folder / "resnet.onnx").write_bytes(b"someone else's model")
    (folder / "resnet" / "images").mkdir(parents=True)
    (folder / "resnet" / "images" / "cat.jpg").write_bytes(b"a cat")
    add_listed_copy(folder, "xor", "oldgate")
    (folder / "oldgate" / "notes.txt").write_text("my notes on it\n")
    outside = tree_digest(root / "victim_dir")

    result = run_cli("prune", "--dir", str(folder), "--yes")

    assert result.exit_code == 0, result.output
    assert f"left alone: {folder / 'resnet.onnx'} (not in its manifest, so not gatenet's)" in result.output
    listed = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert listed == [
        str(folder / "oldgate.onnx"),
        str(folder / "oldgate" / "history.json"),
        str(folder / "oldgate" / "test_data_set_0" / "input_0.pb"),
        str(folder / "oldgate" / "test_data_set_0" / "output_0.pb"),
    ]
    assert (folder / "resnet.onnx").read_bytes() == b"someone else's model"
    assert (folder / "resnet" / "images" / "cat.jpg").read_bytes() == b"a cat"
    assert sorted(path.name for path in (folder / "oldgate").rglob("*")) == ["notes.txt"]
    assert not (folder / "oldgate.onnx").exists()
    assert sorted(ModelFolder(folder).entries()) == ["and.onnx", "xor.onnx"]
    assert tree_digest(root / "victim_dir") == outside


def test_prune_of_a_folder_that_does_not_exist_creates_nothing(tmp_path):
    result = run_cli("prune", "--dir", str(tmp_path / "TYPO"), "--yes")
    assert result.exit_code == 2 and "TYPO: no such folder" in result.output
    assert not (tmp_path / "TYPO").exists()


def test_a_staging_folder_that_links_out_moves_nothing_into_the_folder(sandbox):
    """A journal naming a valid entry, and `.gatenet/staging/1-1` a symlink to a folder outside that
    holds files of the right names: recovery would have moved them in, emptying the folder outside."""
    root, folder = sandbox
    victim = copy_models(root / "victim_models", ["xor"])
    entry = xor_entry(folder)
    write_journal(folder, {"staged": "1-1", "entries": {"xor.onnx": entry}, "removed": []})
    (folder / ".gatenet" / "staging" / "1-1").symlink_to(victim)
    before = sandbox_digest(root, folder)
    result = run_cli("recover", "--dir", str(folder))
    assert result.exit_code == 1
    assert "1-1 is not a staging folder gatenet made" in result.output
    assert sandbox_digest(root, folder) == before


# Where a staged file lies: by its number in the journal's order (`1` is the entry's first file after
# the model, xor/history.json), or, as gatenet staged before chunked commits, under its own path.
STAGED_HISTORY = ["1", "xor/history.json"]


@pytest.mark.parametrize("staged_as", STAGED_HISTORY)
def test_a_link_inside_a_staging_folder_is_refused(sandbox, staged_as):
    root, folder = sandbox
    victim = copy_models(root / "victim_models", ["xor"])
    write_journal(folder, {"staged": "1-1", "entries": {"xor.onnx": xor_entry(folder)}, "removed": []})
    staged = folder / ".gatenet" / "staging" / "1-1"
    (staged / staged_as).parent.mkdir(parents=True)
    (staged / staged_as).symlink_to(victim / "xor" / "history.json")
    before = sandbox_digest(root, folder)
    result = run_cli("recover", "--dir", str(folder))
    assert result.exit_code == 1 and "a link in staging" in result.output
    assert sandbox_digest(root, folder) == before


@pytest.mark.parametrize("staged_as", STAGED_HISTORY)
def test_a_staged_file_the_journal_does_not_name_is_not_moved_in(sandbox, staged_as):
    root, folder = sandbox
    write_journal(folder, {"staged": "1-1", "entries": {"xor.onnx": xor_entry(folder)}, "removed": []})
    staged = folder / ".gatenet" / "staging" / "1-1"
    (staged / staged_as).parent.mkdir(parents=True)
    (staged / staged_as).write_bytes(b"not the history the journal vouches for")
    result = run_cli("recover", "--dir", str(folder))
    assert result.exit_code == 1 and "staged, but not the file the journal names" in result.output
    assert (folder / "xor" / "history.json").read_bytes() != b"not the history the journal vouches for"


@pytest.mark.parametrize(
    ("fifo", "command", "message"),
    [
        ("xor.onnx", "verify", "xor.onnx: not a regular file"),
        ("xor/history.json", "verify", "history.json: not a regular file"),
        ("manifest.json", "verify", "manifest.json: not a regular file"),
        (".gatenet/holder.json", "recover", "holder.json: not a regular file"),
        (".gatenet/journal.json", "verify", "journal.json: not a regular file"),
    ],
)
def test_a_fifo_where_a_file_should_be_is_one_line_not_a_hang(sandbox, fifo, command, message):
    """A tar can carry a FIFO; reading one blocks forever, so it is refused before it is opened for
    reading. The command runs in its own process, with a time limit, so a hang fails the test."""
    root, folder = sandbox
    path = folder / fifo
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    result = subprocess.run(
        [GATENET, command, "--dir", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_status_of_a_folder_not_made_yet_lists_every_gate_as_missing(tmp_path):
    result = run_cli("status", "--dir", str(tmp_path / "not_yet"), "--json")
    states = {model["state"] for model in json.loads(result.output)["models"]}
    assert result.exit_code == 0 and states == {"missing"}
    assert not (tmp_path / "not_yet").exists()
