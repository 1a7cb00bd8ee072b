"""What the commands say when something is off: each line names the thing, what was expected, and the
command that fixes it, spelled for the folder the user asked about."""

from __future__ import annotations

from pathlib import Path

import pytest
from folder_tools import copy_models, gatenet

# XOR redefined with a third input: the committed model was trained for the two-input gate.
XOR3 = """\
import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="XOR", inputs=3, truth=lambda a, b, c: a ^ b ^ c))
"""


@pytest.fixture
def models(tmp_path) -> Path:
    return copy_models(tmp_path / "models", ["XOR", "AND"])


def test_predict_says_a_model_is_out_of_date_and_how_to_retrain_it(models, tmp_path):
    (tmp_path / "xor3.py").write_text(XOR3)
    changed = ["-p", "no:xor", "-p", str(tmp_path / "xor3.py"), "predict", "XOR", "--dir", "models"]
    why = (
        "models/xor.onnx is out of date (the XOR plugin's truth table changed; input names changed "
        "(['a', 'b'] -> ['a', 'b', 'c'])); retrain it: gatenet train XOR --out models"
    )
    refused = gatenet(*changed, "1", "0", "1", cwd=tmp_path)  # bits for the gate as it is now
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == f"Error: {why}\n"
    answered = gatenet(
        *changed, "1", "0", cwd=tmp_path
    )  # bits for the model: its answer, and why to doubt it
    assert (answered.returncode, answered.stdout, answered.stderr) == (0, "1\n", f"note: {why}\n")


def test_status_and_check_name_the_folder_they_were_asked_about(models, tmp_path):
    (models / "and.onnx").unlink()
    status = gatenet("status", "--dir", "models", cwd=tmp_path)
    assert status.stdout.splitlines()[-1].endswith("stale or missing; run gatenet train --out models"), (
        status.stdout
    )
    check = gatenet("train", "--check", "--out", "models", "--seed", "3", cwd=tmp_path)
    assert check.returncode == 1
    assert check.stdout.splitlines()[-1].endswith("stale or missing; run gatenet train --out models --seed 3")
    one = gatenet("train", "--check", "AND", "--out", "models", cwd=tmp_path)
    assert (
        one.stdout.splitlines()[-1]
        == "models: 0 up to date, 1 stale or missing; run gatenet train AND --out models"
    )


def test_status_says_how_to_remove_orphaned_models(models, tmp_path):
    status = gatenet("-p", "no:xor", "status", "--dir", "models", cwd=tmp_path)
    assert status.stdout.splitlines()[-1].endswith(
        ", 1 orphaned; run gatenet train --out models and gatenet prune --dir models"
    )
