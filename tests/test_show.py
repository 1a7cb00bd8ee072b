"""`gatenet show GATE`: one gate or circuit on one screen, and the same facts as `gatenet status` and the
manifest give: its state and the fix, its recipe, its record's margin and every file it lists."""

from __future__ import annotations

import json

from click.testing import CliRunner
from folder_tools import copy_models, gatenet

from gatenet.cli import cli
from gatenet.store import ModelFolder


def show(*args: str) -> tuple[int, dict[str, list[str]]]:
    """The exit status, and the screen's rows by label (a row without a label continues the one above)."""
    result = CliRunner().invoke(cli, ["show", *args])
    rows: dict[str, list[str]] = {}
    label = ""
    for line in result.output.splitlines():
        label = line[:8].strip() or label
        rows.setdefault(label, []).append(line[9:])
    return result.exit_code, rows


def test_show_a_trained_gate_with_its_recipe_margin_and_files(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR"])
    code, rows = show("xor", "--dir", str(folder))
    assert code == 0
    assert rows["XOR"] == ["2 in (a, b), 1 out (out)"]
    assert rows["status"] == ["up to date"] and "fix" not in rows
    assert rows["recipe"][0].startswith("network: hidden 16, activation relu,")
    record = ModelFolder(folder).entries()["xor.onnx"]
    assert rows["model"][0].startswith(f"network, worst margin {record.worst_margin:.3f} (verified at 0.4)")
    listed = ModelFolder(folder).removal_paths("xor.onnx", record)
    assert rows["files"] == [str(path) for path in listed] and len(listed) == 4


def test_show_a_circuit_and_a_missing_model_with_the_command_that_makes_it(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "AND", "HALF_ADDER_WIRED"])
    code, rows = show("HALF_ADDER_WIRED", "--dir", str(folder))
    assert code == 0 and rows["recipe"] == ["circuit: wiring digital, parts 1 x XOR, 1 x AND"]
    assert rows["model"][0].endswith("depth 1, instances 2, verification exhaustive")
    code, rows = show("OR", "--dir", str(folder))
    assert code == 0 and rows["status"] == ["missing: not trained yet"]
    assert rows["fix"] == [f"gatenet train OR --out {folder}"] and rows["model"] == [f"none in {folder}"]


def test_show_an_orphaned_model_from_its_record(tmp_path):
    copy_models(tmp_path / "models", ["XOR"])
    result = gatenet(
        "-p", "no:xor", "show", "XOR", "--dir", "models", cwd=tmp_path
    )  # own process: own plugins
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1:3] == [
        "status   orphaned: no plugin defines this gate",
        "fix      gatenet prune --dir models",
    ]


def test_show_json_and_an_unknown_name(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR"])
    result = CliRunner().invoke(cli, ["show", "XOR", "--dir", str(folder), "--json"])
    document = json.loads(result.output)
    assert (document["state"], document["record"]["gate"], document["recipe"]["hidden"]) == (
        "up to date",
        "XOR",
        [16],
    )
    unknown = CliRunner().invoke(cli, ["show", "NOPE", "--dir", str(folder)])
    assert unknown.exit_code == 2
    assert (
        unknown.output.splitlines()[-1]
        == "Error: no gate, circuit or model called 'NOPE' (gatenet list shows the gates)"
    )
