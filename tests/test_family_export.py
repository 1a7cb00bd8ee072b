"""A family's models are written with compact histories (a sampled curve, no weight snapshots), as
fast as they train; gates named keep full ones, and either can be asked for."""

import json

from click.testing import CliRunner

from gatenet.cli import cli
from gatenet.history import COMPACT_POINTS


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def history(folder, key: str) -> dict:
    return json.loads((folder / key / "history.json").read_text())


def test_a_family_gets_compact_histories_and_named_gates_full_ones(tmp_path):
    assert run("train", "--family", "boolean1", "--out", str(tmp_path)).exit_code == 0
    assert run("train", "XOR", "--out", str(tmp_path)).exit_code == 0
    compact, full = history(tmp_path, "boolean1_1"), history(tmp_path, "xor")
    assert compact["snapshots"] == [] and len(compact["step"]) <= COMPACT_POINTS + 1
    assert compact["step"][:2] == [9, 19] and compact["step"][-1] == 1000  # every 10th step, and the last
    assert len(full["step"]) == 1001 and len(full["snapshots"]) > 20

    asked = tmp_path / "asked"
    assert run("train", "--family", "boolean1", "--full-history", "--out", str(asked)).exit_code == 0
    assert len(history(asked, "boolean1_1")["snapshots"]) > 20
    assert run("train", "XOR", "--compact-history", "--out", str(asked)).exit_code == 0
    assert history(asked, "xor")["snapshots"] == []
    verified = run("verify", "--dir", str(asked))
    assert verified.exit_code == 0, verified.output


def test_the_same_model_whatever_its_history(tmp_path):
    assert run("train", "XOR", "--compact-history", "--out", str(tmp_path / "a")).exit_code == 0
    assert run("train", "XOR", "--out", str(tmp_path / "b")).exit_code == 0
    assert (tmp_path / "a" / "xor.onnx").read_bytes() == (tmp_path / "b" / "xor.onnx").read_bytes()
