"""Watching it learn: history, the Python API, sweeps, plots, output modes and the notebook."""

import csv
import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

import gatenet
from gatenet.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def test_the_python_api_trains_one_gate_and_returns_its_history(tmp_path):
    result = gatenet.train("xor", out=tmp_path)
    assert result.verified and result.path == tmp_path / "xor.onnx"
    history = result.history
    assert history.step == sorted(history.step) and history.step[-1] == result.steps == 1000
    assert history.accuracy[-1] == 1.0  # ends at the accuracy of the model it returns
    first = result.first_right_step
    assert [a for s, a in zip(history.step, history.accuracy, strict=True) if s >= first] == [1.0] * (
        1001 - first
    )
    assert history.accuracy[history.step.index(first - 1)] < 1.0
    saved = json.loads((tmp_path / "xor" / "history.json").read_text())
    assert saved["first_right_step"] == first and saved["step"] == history.step
    assert saved["loss"][-1] == pytest.approx(history.loss[-1], rel=1e-5)
    assert gatenet.load(tmp_path / "xor.onnx").verify().verified


def test_the_python_api_trains_several_gates_without_writing(tmp_path):
    results = gatenet.train(["AND", "NOT"], out=None, steps=300, hidden=(8,))
    assert [r.gate.name for r in results] == ["AND", "NOT"] and all(r.path is None for r in results)
    assert all(r.network.hidden == (8,) and r.steps == 300 for r in results)
    with pytest.raises(ValueError, match="unknown gate 'NOPE'; known gates: AND,"):
        gatenet.train("NOPE", out=None)


def test_a_small_sweep_returns_the_grid_with_sane_numbers_and_writes_its_files(tmp_path):
    result = run(
        "sweep",
        "XOR",
        "--hidden-units",
        "2,16",
        "--learning-rate",
        "0.001,0.03",
        "--steps",
        "400",
        "--seeds",
        "6",
        "--out",
        tmp_path,
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    rows = document["rows"]
    assert [(r["hidden_units"], r["learning_rate"], r["steps"]) for r in rows] == [
        (2, 0.001, 400),
        (2, 0.03, 400),
        (16, 0.001, 400),
        (16, 0.03, 400),
    ]
    for row in rows:
        assert row["seeds"] == 6 and 0 <= row["verified"] <= 6 and row["success_rate"] == row["verified"] / 6
        assert row["median_steps"] is None or 0 <= row["median_steps"] <= 400
        assert -0.5 <= row["median_margin"] <= 0.5
    by = {(r["hidden_units"], r["learning_rate"]): r for r in rows}
    assert by[(16, 0.03)]["success_rate"] == 1.0  # a wide network at a brisk rate learns XOR every time
    assert by[(16, 0.001)]["success_rate"] == 0.0  # 400 steps at Keras' default rate are not enough
    with open(tmp_path / "sweep_xor.csv") as table:
        assert len(list(csv.DictReader(table))) == 4
    assert json.loads((tmp_path / "sweep_xor.json").read_text())["rows"][0]["network"]["hidden"] == [2]
    assert (tmp_path / "sweep_xor.png").stat().st_size > 10_000


def test_a_sweep_of_one_hundred_settings_reuses_programs():
    from gatenet import sweeps

    points = sweeps.grid(
        {
            "hidden_units": [2, 4, 8, 16, 32],
            "activation": ["relu", "tanh"],
            "learning_rate": [0.001, 0.003, 0.01, 0.03, 0.1],
            "steps": [500, 1000],
        }
    )
    assert len(points) == 100
    with pytest.raises(ValueError, match="sweep: unknown axis units; axes are: hidden, hidden_units, layers"):
        sweeps.grid({"units": [2]})


def test_gatenet_plot_draws_curves_and_decision_surfaces_of_the_four_gates(tmp_path):
    trained = run("train", "XOR", "AND", "OR", "NAND", "--out", tmp_path / "models", "--quiet")
    assert trained.exit_code == 0 and trained.output == ""
    result = run("plot", "--dir", tmp_path / "models", "--out", tmp_path / "plots")
    assert result.exit_code == 0, result.output
    written = sorted(Path(line).name for line in result.output.split())
    assert written == [
        "and_surface.png",
        "learning_curves.png",
        "nand_surface.png",
        "or_surface.png",
        "xor_surface.png",
    ]
    import matplotlib.image

    curves = matplotlib.image.imread(tmp_path / "plots" / "learning_curves.png")
    surface = matplotlib.image.imread(tmp_path / "plots" / "xor_surface.png")
    assert curves.shape[1] > curves.shape[0] > 200  # four panels side by side
    assert surface.shape[0] > 300 and surface.shape[1] > 300
    missing = run("plot", "NOPE", "--dir", tmp_path / "models", "--out", tmp_path / "plots")
    assert missing.exit_code == 1 and "no history for nope" in missing.output


def test_json_output_and_quiet_mode_are_for_scripts(tmp_path):
    result = run("train", "NOT", "--out", tmp_path, "--json")
    assert result.exit_code == 0
    (entry,) = json.loads(result.output)["results"]
    assert entry["gate"] == "NOT" and entry["verified"] and entry["file"] == str(tmp_path / "not.onnx")
    assert entry["network"]["hidden"] == [16] and entry["first_right_step"] <= entry["steps"]
    failing = run("train", "XOR", "--steps", "2", "--restarts", "1", "--out", tmp_path, "--quiet")
    assert failing.exit_code == 1 and failing.output.startswith("error: gate 'XOR' not verified")


def test_the_notebook_runs_from_top_to_bottom(tmp_path):
    notebook = nbformat.read(ROOT / "examples" / "xor.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "verified: True" in outputs and "every row right from step" in outputs
    images = [
        o for cell in notebook.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert len(images) == 3
