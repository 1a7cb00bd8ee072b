"""Property-based: whatever journal and manifest a folder from someone else holds (paths out of it,
links, wrong types, deep nesting, large sizes), no file outside the folder changes, a reader changes
nothing at all, and every answer is "verified", "failed, naming why" or one clear line."""

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from folder_tools import copy_models, tree_digest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatenet.manifest import ManifestError, sha256
from gatenet.runtime import ModelError, verify_dir
from gatenet.store import FolderError, ModelFolder

EXPECTED = (FolderError, ManifestError, ModelError)  # each one line naming the thing
# Absolute paths are attacks too, but only ever into this example's own sandbox: a test that found a
# regression must not delete the machine's files. These are replaced by the sandbox's real paths.
ABSOLUTE_DIR, ABSOLUTE_FILE = "ABSOLUTE_VICTIM_DIR", "ABSOLUTE_VICTIM_FILE"
OWN = (".gatenet/lock", ".gatenet/.gitignore")

PATHS = st.one_of(
    st.sampled_from(
        [
            "..",
            ".",
            ABSOLUTE_DIR,
            ABSOLUTE_FILE,
            "",
            "../victim_file.txt",
            "../../victim_dir",
            "../../../../victim_dir",
            "a/../../b",
            "xor/../../victim_file.txt",
            "link",
            "link/history.json",
            "link.onnx",
            "xor.onnx",
            "and.onnx",
            "XOR.onnx",
            "xor/history.json",
            "xor/test_data_set_0/input_0.pb",
            "1-1",
            "..\\victim_file.txt",
            "~/x",
            "x" * 300,
            "é.onnx",
        ]
    ),
    # Never a path that could reach past the sandbox if gatenet regressed: no `..`, nothing absolute.
    st.text(max_size=20).filter(lambda text: ".." not in text and not text.startswith(("/", "~", "\\"))),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | PATHS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(PATHS, children, max_size=3),
    max_leaves=12,
)
FIELDS = ["gate", "sha256", "margin", "inputs", "outputs", "truth_table", "test_data", "history", "files"]


def entries(real: dict):
    """Real entries with fields replaced by hostile values, or hostile files mappings."""
    files = st.dictionaries(PATHS, st.sampled_from(["0" * 64, *real["files"].values(), 5]), max_size=4)
    changes = st.dictionaries(st.sampled_from(FIELDS), JSON | PATHS, max_size=2) | st.fixed_dictionaries(
        {"files": files}
    )
    return changes.map(lambda change: {**real, **change}) | JSON


def nested(depth: int) -> str:
    return '{"staged": ' + "[" * depth + "]" * depth + "}"


def documents(real: dict):
    """A journal or a manifest: gatenet's own shape with hostile parts, any JSON, or deep nesting."""
    journal = st.fixed_dictionaries(
        {
            "staged": PATHS | JSON,
            "entries": st.dictionaries(PATHS, entries(real), max_size=2) | JSON,
            "removed": st.lists(PATHS, max_size=3) | JSON,
        }
    )
    manifest = st.fixed_dictionaries(
        {
            "format": st.sampled_from([1, 2, 3, "2", True]),
            "models": st.dictionaries(PATHS, entries(real), max_size=3),
        }
    )
    as_text = (journal | manifest | JSON).map(json.dumps)
    return (
        as_text
        | st.integers(1, 200_000).map(nested)
        | st.binary(max_size=64).map(lambda b: b.decode("latin-1"))
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A sandbox to copy for each example: a folder of XOR and AND beside files it must not touch."""
    root = tmp_path_factory.mktemp("template")
    copy_models(root / "exported", ["xor", "and"])
    (root / "victim_dir").mkdir()
    (root / "victim_dir" / "keep.txt").write_text("keep me\n")
    (root / "victim_file.txt").write_text("victim\n")
    (root / "exported" / "link").symlink_to(root / "victim_dir")
    return root


REAL = json.loads((Path(__file__).resolve().parents[1] / "exported" / "manifest.json").read_text())["models"]


def absolute(text: str, root: Path) -> str:
    return text.replace(ABSOLUTE_DIR, str(root / "victim_dir")).replace(
        ABSOLUTE_FILE, str(root / "victim_file.txt")
    )


def outside(root: Path) -> str:
    return tree_digest(root / "victim_dir") + sha256((root / "victim_file.txt").read_bytes())


def judge_reader(folder: Path) -> None:
    """verify: a verdict per model or one clear line; "verified" only for bytes the manifest vouches for."""
    try:
        results = verify_dir(folder)
    except EXPECTED as error:
        assert str(error) and "\n" not in str(error)
        return
    listed = json.loads((folder / "manifest.json").read_text())["models"]
    for result in results:
        if result.ok:
            assert listed[result.path.name]["sha256"] == sha256(result.path.read_bytes())
        else:
            why = result.problem or result.check.details
            assert why and "\n" not in why


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(journal=st.none() | documents(REAL["xor.onnx"]), manifest=st.none() | documents(REAL["xor.onnx"]))
def test_any_journal_and_manifest(template, tmp_path, journal, manifest):
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        root = Path(scratch) / "sandbox"
        shutil.copytree(template, root, symlinks=True)
        (root / "exported" / "link").unlink()
        (root / "exported" / "link").symlink_to(root / "victim_dir")
        folder = root / "exported"
        (folder / ".gatenet" / "staging" / "1-1").mkdir(parents=True)
        if journal is not None:
            (folder / ".gatenet" / "journal.json").write_text(absolute(journal, root))
        if manifest is not None:
            (folder / "manifest.json").write_text(absolute(manifest, root))
        before, around = tree_digest(root, skip=tuple(f"exported/{name}" for name in OWN)), outside(root)

        judge_reader(folder)
        assert tree_digest(root, skip=tuple(f"exported/{name}" for name in OWN)) == before

        try:
            ModelFolder(folder).recover()
        except EXPECTED as error:
            assert str(error) and "\n" not in str(error)
        else:
            judge_reader(folder)
        assert outside(root) == around
