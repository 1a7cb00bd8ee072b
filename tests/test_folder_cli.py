"""A verifier that cannot be fooled, and one clear line for every bad folder, file, path or setting."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from folder_tools import EXPORTED, copy_models, gatenet, run_cli
from onnx import TensorProto, helper

from gatenet.manifest import sha256
from gatenet.runtime import ModelError, load_gate, verify_dir


def one_line_error(result, text):
    """A failed command whose output is one error line containing `text`, and no traceback."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and text in errors[0], result.output


def test_a_model_copied_under_another_gates_name_is_refused(tmp_path):
    folder = copy_models(tmp_path / "copied", ["and", "xor"])
    shutil.copy(folder / "and.onnx", folder / "xor.onnx")
    result = run_cli("verify", "--dir", str(folder))
    assert result.exit_code == 1
    assert f"xor.onnx                 FAILED     {folder}/xor.onnx: SHA-256 differs" in result.output
    one_line_error(run_cli("predict", "XOR", "1", "1", "--dir", str(folder)), "SHA-256 differs")
    (folder / "manifest.json").unlink()  # no manifest to catch it: the name inside the model still does
    message = f"{folder}/xor.onnx: holds a model of gate 'AND', which belongs in and.onnx"
    one_line_error(run_cli("predict", "XOR", "1", "1", "--dir", str(folder), "--no-manifest"), message)
    result = run_cli("verify", "--dir", str(folder), "--no-manifest")
    assert result.exit_code == 1 and message in result.output


@pytest.mark.parametrize("manifest", [None, '{"format": 2, "models": {}}'])
def test_models_no_manifest_vouches_for_fail_verify_unless_asked(tmp_path, manifest):
    folder = copy_models(tmp_path / "unlisted", ["xor"])
    (folder / "manifest.json").unlink()
    if manifest is not None:
        (folder / "manifest.json").write_text(manifest)
    result = run_cli("verify", "--dir", str(folder))
    assert result.exit_code == 1
    assert f"FAILED     {folder}/xor.onnx: integrity not checked: no manifest entry" in result.output
    one_line_error(run_cli("predict", "XOR", "0", "1", "--dir", str(folder)), "no manifest entry")
    result = run_cli("verify", "--dir", str(folder), "--no-manifest")
    assert result.exit_code == 0 and "xor.onnx                 verified" in result.output
    assert run_cli("predict", "XOR", "0", "1", "--dir", str(folder), "--no-manifest").output == "1\n"


@pytest.mark.parametrize("margin", ["-1", "0", "0.6", "nan", "inf"])
def test_verify_margin_must_be_within_0_and_half(margin):
    result = run_cli("verify", "--dir", str(EXPORTED), "--margin", margin)
    assert result.exit_code == 2
    assert "Invalid value for '--margin': expected a number in (0, 0.5]" in result.output
    with pytest.raises(ValueError, match=r"margin: must be a number in \(0, 0.5\]"):
        verify_dir(EXPORTED, margin=float(margin))


def test_manifest_paths_never_leave_the_folder(tmp_path):
    folder = copy_models(tmp_path / "escape", ["xor"])
    document = json.loads((folder / "manifest.json").read_text())
    document["models"]["xor.onnx"]["history"] = "../../../../etc/passwd"
    (folder / "manifest.json").write_text(json.dumps(document))
    for args in (
        ["plot", "--dir", str(folder), "--out", str(tmp_path / "p")],
        ["verify", "--dir", str(folder)],
    ):
        one_line_error(run_cli(*args), "history must be a relative path inside the folder")
    assert not (tmp_path / "p").exists()


def test_a_model_trained_for_an_older_truth_table_is_stale(tmp_path):
    folder = copy_models(tmp_path / "stale", ["xor", "and"])
    plugin = tmp_path / "xor_now_xnor.py"
    plugin.write_text(
        "import gatenet\n\n@gatenet.hookimpl\ndef register_gates(register):\n"
        "    register(gatenet.Gate('XOR', 2, lambda a, b: int(a == b)))\n"
    )
    result = gatenet("-p", "no:xor", "-p", str(plugin), "verify", "--dir", str(folder))  # its own plugins
    assert result.returncode == 1
    assert "and.onnx                 verified" in result.stdout
    assert (
        "xor.onnx                 FAILED     retrain: the XOR plugin's truth table changed" in result.stdout
    )


def test_a_folder_named_like_a_model_is_one_line(tmp_path):
    folder = copy_models(tmp_path / "dir", ["xor"])
    (folder / "x.onnx").mkdir()
    result = run_cli("verify", "--dir", str(folder))
    assert (
        result.exit_code == 1
        and f"x.onnx                   FAILED     {folder}/x.onnx: a folder" in result.output
    )
    with pytest.raises(ModelError, match="a folder, not a model file"):
        load_gate("x", folder, require_manifest=False)


def test_a_model_whose_output_shape_disagrees_with_its_metadata_is_refused(tmp_path):
    source = onnx.load(EXPORTED / "xor.onnx")
    graph = helper.make_graph(
        [helper.make_node("Identity", ["bits"], ["probabilities"])],
        "xor",
        [helper.make_tensor_value_info("bits", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = source.ir_version
    model.metadata_props.extend(source.metadata_props)
    (tmp_path / "xor.onnx").write_bytes(model.SerializeToString())
    with pytest.raises(ModelError, match=r"expected output 'probabilities' of shape \[N, 1\]"):
        load_gate("XOR", tmp_path, require_manifest=False)
    result = run_cli("verify", "--dir", str(tmp_path), "--no-manifest")
    assert result.exit_code == 1 and "expected output 'probabilities' of shape [N, 1]" in result.output


def test_train_into_a_path_that_is_a_file_is_one_line_before_any_work(tmp_path):
    target = tmp_path / "file"
    target.write_text("not a folder")
    result = gatenet("train", "XOR", "--out", str(target))
    assert result.returncode == 1 and result.stderr == f"Error: {target}: is a file, not a folder\n"
    assert "Traceback" not in result.stderr and target.read_text() == "not a folder"


def test_train_into_a_folder_it_cannot_write_is_one_line(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    root = os.geteuid() == 0
    if root:  # permission bits do not stop root; the immutable attribute does
        subprocess.run(["chattr", "+i", str(locked)], check=True)
    try:
        result = gatenet("train", "XOR", "--out", str(locked / "models"))
        reason = "Operation not permitted" if root else "Permission denied"
        expected = f"Error: {locked}/models: cannot write here: {reason}\n"
        assert result.returncode == 1 and result.stderr == expected, result.stderr
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(locked)], check=True)


def test_train_onto_a_read_only_filesystem_is_one_line(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only filesystem needs root (CI runs as root)")
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)], check=True)
    try:
        result = gatenet("train", "XOR", "--out", str(mount / "models"))
        expected = f"Error: {mount}/models: cannot write here: Read-only file system\n"
        assert result.returncode == 1 and result.stderr == expected, result.stderr
        result = gatenet("sweep", "XOR", "--hidden-units", "2", "--seeds", "1", "--out", str(mount / "s"))
        assert result.returncode == 1 and result.stderr == f"Error: {mount}/s: Read-only file system\n"
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_plot_with_a_missing_or_malformed_history_is_one_line(tmp_path):
    folder = copy_models(tmp_path / "plots", ["xor"])
    history = folder / "xor" / "history.json"
    history.write_text('{"step": [1, 2], "loss": [1]}')
    one_line_error(run_cli("plot", "--dir", str(folder), "--out", str(tmp_path / "p")), "SHA-256 differs")
    document = json.loads((folder / "manifest.json").read_text())
    document["models"]["xor.onnx"]["files"]["xor/history.json"] = sha256(history.read_bytes())
    (folder / "manifest.json").write_text(json.dumps(document))
    one_line_error(
        run_cli("plot", "--dir", str(folder), "--out", str(tmp_path / "p")), "not a gatenet history"
    )
    history.unlink()
    one_line_error(run_cli("plot", "--dir", str(folder), "--out", str(tmp_path / "p")), "history.json")


def test_sweep_needs_at_least_one_seed(tmp_path):
    result = run_cli("sweep", "XOR", "--seeds", "0", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "Invalid value for '--seeds': 0 is not in the range 1<=x<=1000" in result.output


def test_a_typo_in_a_gate_table_of_pyproject_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("pyproject.toml").write_text("[tool.gatenet.gates.XRO]\nsteps = 10\n")
    one_line_error(
        run_cli("train", "XOR", "--out", str(tmp_path / "m")), "[tool.gatenet.gates.XRO]: no gate 'XRO'"
    )
    Path("pyproject.toml").write_text("[tool.gatenet]\nhidden = 16\n")
    one_line_error(
        run_cli("train", "XOR", "--out", str(tmp_path / "m")), "[tool.gatenet] hidden: expected a list"
    )
    assert not list((tmp_path / "m").glob("*.onnx"))


def test_debug_shows_the_traceback_of_a_summarised_failure(tmp_path):
    (tmp_path / "manifest.json").write_text("[]")
    quiet = gatenet("verify", "--dir", str(tmp_path))
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert quiet.stderr.strip().endswith("expected a JSON object with 'format' and 'models'")
    for loud in (
        gatenet("--debug", "verify", "--dir", str(tmp_path)),
        gatenet("verify", "--dir", str(tmp_path), env={"GATENET_DEBUG": "1"}),
    ):
        assert loud.returncode == 1 and "Traceback (most recent call last)" in loud.stderr
        assert "ManifestError" in loud.stderr


def test_runtime_inputs_are_still_refused_by_name():
    model = load_gate("XOR", EXPORTED)
    assert model.predict(np.array([[0, 1]])).tolist() == [[1]]
    with pytest.raises(
        ValueError, match=r"gate 'XOR': expected rows of 2 bits \(a, b\); inputs must be 0 or 1"
    ):
        model.predict([[0, 2]])


def test_debug_shows_why_training_failed(tmp_path, monkeypatch):
    from gatenet import trainer

    def broken(*args, **kwargs):
        raise RuntimeError("deep inside the trainer")

    monkeypatch.setattr(trainer, "train_together", broken)
    monkeypatch.setenv("GATENET_DEBUG", "0")  # restored afterwards: --debug sets it for the process
    quiet = run_cli("train", "XOR", "--out", str(tmp_path))
    assert "training failed: RuntimeError: deep inside the trainer" in quiet.output
    assert "Traceback" not in quiet.output
    loud = run_cli("--debug", "train", "XOR", "--out", str(tmp_path))
    assert "Traceback (most recent call last)" in loud.output and "in broken" in loud.output


def test_a_gate_that_cannot_be_written_costs_only_itself(tmp_path):
    from gatenet import Gate
    from gatenet.pipeline import train_gates

    xor = Gate("XOR", 2, [0, 1, 1, 0])
    long = Gate("L" + "o" * 300 + "NG", 2, [0, 1, 1, 0])  # same shape: trained in the same group
    results = train_gates([xor, long], tmp_path, {"steps": 300}, restarts=1)
    assert [result.verified for result in results] == [True, False]
    assert "name too long for a model file" in results[1].problem
    assert run_cli("verify", "--dir", str(tmp_path)).exit_code == 0
    assert sorted(path.name for path in tmp_path.glob("*.onnx")) == ["xor.onnx"]
