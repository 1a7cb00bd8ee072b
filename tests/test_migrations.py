"""Manifest formats: ordered, named migrations bring an old folder to the current format, once, in the
next writer; a newer format than this gatenet reads is one line saying to upgrade gatenet."""

import json

import pytest
from folder_tools import copy_models, run_cli

from gatenet import manifest, migrations
from gatenet.manifest import ManifestError
from gatenet.record import Kind
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


def test_a_format_2_circuit_becomes_a_record_of_kind_circuit_without_placeholder_training(tmp_path):
    folder = copy_models(tmp_path / "v2", ["xor", "and", "half_adder_wired"])
    document = json.loads((folder / "manifest.json").read_text())
    document["format"] = 2
    for entry in document["models"].values():
        kind = entry.pop("kind")
        if kind == "circuit":  # what gatenet wrote for a circuit before kinds were explicit
            entry.update(seed=0, steps=0, first_right_step=None, network={})
    (folder / "manifest.json").write_text(json.dumps(document))

    records = ModelFolder(folder).entries()  # read as it is
    assert records["half_adder_wired.onnx"].kind is Kind.CIRCUIT
    assert records["half_adder_wired.onnx"].training is None
    assert records["xor.onnx"].kind is Kind.NETWORK and records["xor.onnx"].training.steps > 0

    assert run_cli("recover", "--dir", str(folder)).exit_code == 0
    migrated = json.loads((folder / "manifest.json").read_text())
    assert migrated["format"] == manifest.FORMAT
    circuit = migrated["models"]["half_adder_wired.onnx"]
    assert circuit["kind"] == "circuit" and "seed" not in circuit and "network" not in circuit
    assert migrated["models"]["xor.onnx"]["kind"] == "network"
    assert run_cli("verify", "--dir", str(folder)).exit_code == 0


def test_a_record_of_an_unknown_kind_is_one_line_naming_the_entry(tmp_path):
    folder = copy_models(tmp_path / "kind", ["xor"])
    document = json.loads((folder / "manifest.json").read_text())
    document["models"]["xor.onnx"]["kind"] = "quantum"
    (folder / "manifest.json").write_text(json.dumps(document))
    with pytest.raises(
        ManifestError, match=r"xor.onnx: kind must be network or logic or circuit, got \"quantum\""
    ):
        ModelFolder(folder).entries()
    del document["models"]["xor.onnx"]["kind"]
    (folder / "manifest.json").write_text(json.dumps(document))
    with pytest.raises(ManifestError, match=r"xor.onnx: missing field 'kind'"):
        ModelFolder(folder).entries()
