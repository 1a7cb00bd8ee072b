"""Manifest formats: ordered, named migrations bring an old folder to the current format, once, in the
next writer; a newer format than this gatenet reads is one line saying to upgrade gatenet."""

import json

import pytest
from folder_tools import copy_models, run_cli

from gatenet import manifest, migrations
from gatenet.manifest import ManifestError
from gatenet.store import ModelFolder


def test_every_format_this_gatenet_reads_has_a_path_to_the_one_it_writes():
    for version in manifest.READABLE_FORMATS:
        steps = migrations.pending(version)
        assert [step.to_format for step in steps] == list(range(version + 1, manifest.FORMAT + 1))
        assert all(step.name.startswith("m0") for step in steps)  # named, in order
    assert [step.name for step in migrations.MIGRATIONS] == sorted(
        step.name for step in migrations.MIGRATIONS
    )


def test_an_old_folder_is_read_as_it_is_and_migrated_once_by_the_next_writer(tmp_path):
    folder = copy_models(tmp_path / "old", ["xor"])
    document = json.loads((folder / "manifest.json").read_text())
    document["format"] = 1
    for entry in document["models"].values():
        del entry["files"]
    (folder / "manifest.json").write_text(json.dumps(document))
    before = (folder / "manifest.json").read_bytes()

    assert run_cli("verify", "--dir", str(folder)).exit_code == 0  # read as it is, unchanged
    assert (folder / "manifest.json").read_bytes() == before

    assert run_cli("recover", "--dir", str(folder)).exit_code == 0  # any writer migrates
    migrated = json.loads((folder / "manifest.json").read_text())
    assert migrated["format"] == manifest.FORMAT
    assert sorted(migrated["models"]["xor.onnx"]["files"]) == ModelFolder.relative_files("xor")
    again = (folder / "manifest.json").read_bytes()
    assert run_cli("recover", "--dir", str(folder)).exit_code == 0
    assert (folder / "manifest.json").read_bytes() == again  # nothing left to do


def test_a_manifest_from_a_newer_gatenet_says_to_upgrade(tmp_path):
    folder = copy_models(tmp_path / "new", ["xor"])
    document = json.loads((folder / "manifest.json").read_text())
    document["format"] = manifest.FORMAT + 1
    (folder / "manifest.json").write_text(json.dumps(document))
    with pytest.raises(
        ManifestError, match=r"was written by a newer gatenet than this one .*; upgrade gatenet"
    ):
        ModelFolder(folder).entries()
