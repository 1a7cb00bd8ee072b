"""Logic models as a first-class kind: `gatenet train --kind logic` learns exact circuits of two-input
gates, ships them as ONNX with the same contract, and they go through the same records, up-to-date
detection, `--check`, `verify`, `predict` and circuits as network models."""

import hashlib
import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from folder_tools import gatenet

from gatenet import runtime
from gatenet.contract import KEY_NETLIST
from gatenet.gate import Gate
from gatenet.logic_onnx import _graph
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import FUNCTIONS, Netlist, Node, Output, exact
from gatenet.recipe import LogicRecipe, Recipe, recipe_for
from gatenet.record import Kind
from gatenet.store import ModelFolder

LOGIC = ("--kind", "logic")


@pytest.fixture(scope="module")
def logic_folder(tmp_path_factory) -> Path:
    """XOR, MAJORITY3 and FULL_ADDER learned as logic models, and the circuit HALF_ADDER_WIRED built
    from logic models of XOR and AND."""
    out = tmp_path_factory.mktemp("logic") / "models"
    names = ("XOR", "MAJORITY3", "FULL_ADDER", "HALF_ADDER_WIRED")
    trained = gatenet("train", *names, *LOGIC, "--out", str(out), "--json")
    assert trained.returncode == 0, trained.stderr
    return out


def test_a_logic_model_is_an_exact_circuit_in_a_record_of_kind_logic(logic_folder):
    records = ModelFolder(logic_folder).entries()
    for name in ("xor.onnx", "majority3.onnx", "full_adder.onnx", "and.onnx"):
        record = records[name]
        assert record.kind is Kind.LOGIC and record.margin == record.worst_margin == 0.5
        model = runtime.load(logic_folder / name)
        outputs = model.probabilities(model.rows)
        assert np.array_equal(outputs, model.table)  # exactly 0.0 or 1.0, and right, on every row
        netlist = Netlist.from_json(model.metadata[KEY_NETLIST])
        assert exact(netlist, model.table) is None
        assert record.logic["gates"] == netlist.gates
    assert records["xor.onnx"].logic["gates"] == 1  # XOR is one of the 16 functions
    assert records["majority3.onnx"].logic["gates"] == 4  # the minimum (gatenet.exact_minimum)
    # the optimum, 2 XOR, 2 AND and an OR: the defaults with the plugin's hint of 2 nodes a layer
    assert records["full_adder.onnx"].logic["gates"] == 5
    assert records["half_adder_wired.onnx"].kind is Kind.CIRCUIT  # a circuit of logic models


def test_logic_models_verify_predict_and_are_up_to_date(logic_folder):
    verified = gatenet("verify", "--dir", str(logic_folder))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count("verified") == 5  # XOR, AND, MAJORITY3, FULL_ADDER and the circuit
    predicted = gatenet("predict", "FULL_ADDER", "1", "1", "0", "--dir", str(logic_folder), "--probabilities")
    assert predicted.stdout.split() == ["0.000000", "1.000000"]
    names = ("XOR", "MAJORITY3", "FULL_ADDER", "HALF_ADDER_WIRED")
    check = gatenet("train", *names, *LOGIC, "--out", str(logic_folder), "--check")
    assert check.returncode == 0, check.stdout
    again = gatenet("train", *names, *LOGIC, "--out", str(logic_folder), "--json")
    assert {row["status"] for row in json.loads(again.stdout)["results"]} == {"up to date"}
    rows = {row["gate"]: row for row in json.loads(again.stdout)["results"]}
    assert rows["XOR"]["kind"] == "logic" and rows["XOR"]["logic"]["gates"] == 1


def test_asking_for_the_other_kind_makes_the_model_stale(logic_folder):
    check = gatenet("train", "XOR", "--out", str(logic_folder), "--check")
    assert check.returncode == 1
    assert "XOR: stale: a logic model; its recipe now asks for a network" in check.stdout
    wider = gatenet("train", "XOR", *LOGIC, "--logic-width", "6", "--out", str(logic_folder), "--check")
    assert "logic network changed (width 4 -> 6)" in wider.stdout


def test_the_kind_comes_from_hints_and_project_settings_and_the_call_in_that_order():
    hinted = Gate("HINTED", 2, lambda a, b: a & b, network={"kind": "logic", "logic_width": 2})
    recipe = recipe_for(hinted, [], seed=0, restarts=4, margin=0.4)
    assert isinstance(recipe, LogicRecipe) and recipe.spec == LogicSpec(width=2)
    assert isinstance(recipe_for(hinted, [{"kind": "network"}], 0, 4, 0.4), Recipe)
    project, call = {"kind": "network"}, {"kind": "logic", "logic_depth": 1}
    assert recipe_for(hinted, [project, call], 0, 4, 0.4).spec == LogicSpec(width=2, depth=1)


def test_a_bad_logic_setting_is_one_line_naming_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gatenet]\nkind = "logic"\nlogic_wiring = "spaghetti"\n')
    result = gatenet("train", "XOR", "--out", str(tmp_path / "m"), cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "logic_wiring: expected one of random, learned, got 'spaghetti'" in result.stderr
    with pytest.raises(ValueError, match="kind: expected one of network, logic, got 'quantum'"):
        Gate("BAD", 2, lambda a, b: a, network={"kind": "quantum"})


def test_a_project_that_asks_for_logic_gets_logic_models_and_an_up_to_date_status(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.gatenet.gates.AND]\nkind = "logic"\n')
    trained = gatenet("train", "AND", "--out", "m", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert ModelFolder(tmp_path / "m").entries()["and.onnx"].kind is Kind.LOGIC
    status = gatenet("status", "--dir", "m", cwd=tmp_path)
    assert "AND              up to date" in status.stdout


def test_a_hand_broken_netlist_fails_verify_and_names_the_row(logic_folder, tmp_path):
    """A folder whose XOR model computes OR (its file and manifest agree, so only running it tells)."""
    folder = tmp_path / "broken"
    shutil.copytree(logic_folder, folder)
    good = onnx.load(folder / "xor.onnx")
    broken = Netlist(("a", "b"), (Node(FUNCTIONS["OR"], 0, 1),), (Output(2),), ("out",))
    model = onnx.helper.make_model(_graph(broken, "xor"), opset_imports=good.opset_import)
    model.ir_version = good.ir_version
    model.metadata_props.extend(good.metadata_props)
    data = model.SerializeToString()
    (folder / "xor.onnx").write_bytes(data)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["xor.onnx"]["sha256"] = hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    result = gatenet("verify", "--dir", str(folder))
    assert result.returncode == 1
    assert "row 11: expected 0, got 1.000" in result.stdout + result.stderr


def test_a_one_input_gate_is_learned_without_warnings():
    """NOT's first nodes have one candidate input: nothing to learn there, and nothing to warn about."""
    from gatenet.logic_learner import learn_circuit

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = learn_circuit(Gate("NOT", 1, lambda a: 1 - a), LogicSpec(restarts=2, steps=50))
    assert result.verified and result.gates == 0  # a complement is free


def test_plot_draws_a_logic_models_learned_circuit_and_its_curves(logic_folder, tmp_path):
    result = gatenet("plot", "XOR", "FULL_ADDER", "--dir", str(logic_folder), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "full_adder_schematic.svg").read_text()
    netlist = Netlist.from_json(runtime.load(logic_folder / "full_adder.onnx").metadata[KEY_NETLIST])
    assert len(re.findall(r"<title>part_n\d+</title>", svg)) == netlist.gates  # a box per two-input gate
    assert ">XOR<" in (tmp_path / "xor_schematic.svg").read_text()
    assert (tmp_path / "learning_curves.png").stat().st_size > 0
