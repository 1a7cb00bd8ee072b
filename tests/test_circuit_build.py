"""Circuit models: built from the folder's verified gate models, verified on every row, written safely."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from folder_tools import EXPORTED, copy_models, gatenet
from onnx import TensorProto, helper, numpy_helper

from gatenet import Circuit, Gate, Part, contract, runtime
from gatenet.circuit_onnx import build
from gatenet.manifest import sha256
from gatenet.plugins import collect_gates
from gatenet.recipe import CircuitRecipe

ADDER_GATES = ["FULL_ADDER"]


def test_add8_is_built_from_its_gate_models_and_verified_on_all_131072_rows(tmp_path):
    folder = copy_models(tmp_path / "models", ADDER_GATES)
    result = gatenet("train", "ADD8", "--out", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["gate"]: row for row in json.loads(result.stdout)["results"]}
    assert rows["FULL_ADDER"]["status"] == "up to date" and rows["ADD8"]["status"] == "built"
    entry = json.loads((folder / "manifest.json").read_text())["models"]["add8.onnx"]
    record = entry["circuit"]
    assert record["verification"] == "exhaustive" and record["wiring"] == "digital"
    assert record["gates"] == {"full_adder.onnx": sha256((folder / "full_adder.onnx").read_bytes())}
    assert (record["instances"], record["depth"], len(record["depth_margins"])) == (8, 8, 8)
    assert entry["worst_margin"] >= 0.4 and len(entry["truth_table"][0]) == 131072

    proto = onnx.load(folder / "add8.onnx")
    onnx.checker.check_model(proto, full_check=True)
    weights = [init for init in proto.graph.initializer if init.data_type == TensorProto.FLOAT]
    assert len(weights) == 4  # FULL_ADDER's kernels and biases once, shared by its 8 instances
    model = runtime.load_gate("ADD8", folder)
    check = model.verify()
    assert check.verified and len(check.probabilities) == 131072
    for a, b, carry in [(255, 1, 0), (200, 100, 1), (0, 0, 0), (17, 42, 1)]:
        bits = [int(bit) for bit in f"{a:08b}{b:08b}{carry}"]
        assert int("".join(map(str, model.predict([bits])[0])), 2) == a + b + carry
    tensor = onnx.TensorProto()
    tensor.ParseFromString((folder / "add8" / "test_data_set_0" / "input_0.pb").read_bytes())
    assert list(tensor.dims) == [131072, 17]

    again = gatenet("train", "ADD8", "--out", str(folder))
    assert again.returncode == 0 and "ADD8             up to date" in again.stdout


def test_a_stale_gate_is_retrained_before_its_circuit_is_rebuilt(tmp_path):
    folder = copy_models(tmp_path / "models", ADDER_GATES)
    assert gatenet("train", "ADD4", "--out", str(folder)).returncode == 0
    before = json.loads((folder / "manifest.json").read_text())["models"]["add4.onnx"]["circuit"]["gates"]
    result = gatenet("train", "ADD4", "--seed", "7", "--restarts", "1", "--out", str(folder))
    assert result.returncode == 0, result.stderr
    lines = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert lines == ["FULL_ADDER", "ADD4"]  # the gate first, then the circuit built on it
    after = json.loads((folder / "manifest.json").read_text())["models"]
    assert after["full_adder.onnx"]["seed"] >= 7
    assert after["add4.onnx"]["circuit"]["gates"]["full_adder.onnx"] == after["full_adder.onnx"]["sha256"]
    assert after["add4.onnx"]["circuit"]["gates"] != before
    check = gatenet("train", "ADD4", "--seed", "7", "--restarts", "1", "--check", "--out", str(folder))
    assert check.returncode == 0, check.stdout


def test_status_check_and_verify_know_circuits(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "AND"])
    assert gatenet("train", "HALF_ADDER_WIRED", "--out", str(folder)).returncode == 0
    status = gatenet("status", "--dir", str(folder))
    assert "HALF_ADDER_WIRED up to date half_adder_wired.onnx" in status.stdout
    wiring = gatenet("train", "HALF_ADDER_WIRED", "--wiring", "analog", "--check", "--out", str(folder))
    assert wiring.returncode == 1 and "wiring changed (digital -> analog)" in wiring.stdout
    verify = gatenet("verify", "--dir", str(folder))
    assert verify.returncode == 0 and "half_adder_wired.onnx    verified" in verify.stdout


WRONG = """
import gatenet
from gatenet import Circuit, Part


@gatenet.hookimpl
def register_circuits(register):
    register(Circuit("WRONG_HALF", ["a", "b"], {"x": Part("XOR", "a", "b"), "o": Part("OR", "a", "b")},
                     {"sum": "x", "carry": "o"}, truth=lambda a, b: (a ^ b, a & b)))
    register(Circuit("RIGHT_HALF", ["a", "b"], {"x": Part("XOR", "a", "b"), "n": Part("AND", "a", "b")},
                     {"sum": "x", "carry": "n"}, truth=lambda a, b: (a ^ b, a & b)))
"""


def test_a_circuit_whose_wiring_disagrees_with_its_truth_is_refused_and_others_are_built(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "AND", "OR"])
    (tmp_path / "wrong.py").write_text(WRONG)
    result = gatenet(
        "-p", str(tmp_path / "wrong.py"), "train", "WRONG_HALF", "RIGHT_HALF", "--out", str(folder)
    )
    assert result.returncode == 1
    assert (
        "error: circuit 'WRONG_HALF' not built: the wiring does not compute the "
        "declared truth; first at row 01 (a=0 b=1): wiring gives sum=1 carry=1, truth says sum=1 carry=0"
    ) in result.stderr
    assert (folder / "right_half.onnx").exists() and not (folder / "wrong_half.onnx").exists()


def test_a_circuit_needs_its_gate_models_in_the_folder(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR"])
    result = gatenet("train", "HALF_ADDER_WIRED", "--no-export", "--out", str(folder))
    assert result.returncode == 2 and "--no-export cannot build them" in result.stderr


def soft_not_model(tmp_path: Path, steepness: float) -> runtime.GateModel:
    """A NOT gate that verifies at margin 0.4 but is soft: sigmoid(-k (x - 0.5))."""
    gate = Gate("SOFT_NOT", 1, [1, 0])
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["bits", "w"], ["h"]),
            helper.make_node("Add", ["h", "b"], ["z"]),
            helper.make_node("Sigmoid", ["z"], ["probabilities"]),
        ],
        "soft_not",
        [helper.make_tensor_value_info("bits", TensorProto.FLOAT, ["N", 1])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 1])],
        [
            numpy_helper.from_array(np.array([[-steepness]], np.float32), "w"),
            numpy_helper.from_array(np.array([steepness / 2], np.float32), "b"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", contract.OPSET)])
    for key, value in contract.model_metadata(gate, 0.4, 0, {}, {}).items():
        model.metadata_props.add(key=key, value=value)
    (tmp_path / "soft_not.onnx").write_bytes(model.SerializeToString())
    return runtime.load(tmp_path / "soft_not.onnx")


def chain(length: int) -> Circuit:
    parts = {f"n{i}": Part("SOFT_NOT", f"n{i - 1}" if i else "a") for i in range(length)}
    circuit = Circuit("CHAIN", ["a"], parts, [f"n{length - 1}"], truth=lambda a: a ^ (length % 2))
    circuit.resolve(lambda name: {"soft_not": Gate("SOFT_NOT", 1, [1, 0])}.get(name.lower()))
    return circuit


def test_analog_wiring_reports_how_the_margin_decays_with_depth(tmp_path):
    models = {"soft_not": soft_not_model(tmp_path, 5.0)}
    assert models["soft_not"].verify().verified  # the gate alone is verified: 0.924 and 0.076
    analog = build(CircuitRecipe(chain(6), "analog", 0.4, {}), models)
    margins = analog.depth_margins
    assert len(margins) == 6 and margins[0] == pytest.approx(0.4241, abs=1e-3)
    assert all(later < earlier for earlier, later in zip(margins, margins[1:], strict=False))
    assert not analog.check.verified and analog.broke_at == 2
    digital = build(CircuitRecipe(chain(6), "digital", 0.4, {}), models)
    assert digital.check.verified and digital.broke_at is None
    assert digital.depth_margins == pytest.approx([margins[0]] * 6, abs=1e-6)  # rounding restores each depth


def test_a_gate_used_many_times_adds_nodes_not_weights(tmp_path):
    registry = collect_gates()
    parity8 = runtime.load_gate("PARITY8", EXPORTED)
    weight_bytes = 4 * sum(
        int(np.prod(init.dims)) for init in onnx.load_from_string(parity8.data).graph.initializer
    )
    sizes = {}
    for length in (1, 8, 32):
        parts = {f"p{i}": Part("PARITY8", f"p{i - 1}" if i else "a", *"bcdefgh") for i in range(length)}
        circuit = Circuit(f"CHAIN{length}", list("abcdefgh"), parts, [f"p{length - 1}"])
        circuit.resolve(registry.find)
        built = build(CircuitRecipe(circuit, "digital", 0.4, {}), {"parity8": parity8})
        assert built.check.verified
        floats = [i for i in onnx.load_from_string(built.model).graph.initializer if i.data_type == 1]
        assert len(floats) == 4  # PARITY8's two kernels and two biases, once
        sizes[length] = len(built.model)
    per_instance = (sizes[32] - sizes[8]) / 24
    assert per_instance < weight_bytes / 2, (
        per_instance,
        weight_bytes,
    )  # its nodes, not its 2.5 KB of weights
    assert per_instance == pytest.approx((sizes[8] - sizes[1]) / 7, rel=0.1)  # the same for every instance


def test_the_python_api_builds_a_circuit_made_in_a_notebook(tmp_path):
    import gatenet

    folder = copy_models(tmp_path / "models", ["XOR", "AND", "OR"])
    either = Circuit(
        "EITHER_NOT_BOTH", ["a", "b"], {"o": Part("OR", "a", "b"), "x": Part("XOR", "o", "b")}, ["x"]
    )
    (built,) = gatenet.build_circuits(either, directory=folder)
    assert built.check.verified and built.recipe.gate.table[:, 0].tolist() == [0, 0, 1, 0]
    model = gatenet.load_gate("either_not_both", folder)
    assert model.predict([[1, 0], [1, 1]]).tolist() == [[1], [0]]
    with pytest.raises(ValueError, match="unknown circuit 'ADD9'"):
        gatenet.build_circuits("ADD9", directory=folder)


def test_plot_draws_a_schematic_and_an_analog_circuits_margins(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "AND"])
    assert gatenet("train", "HALF_ADDER_WIRED", "--wiring", "analog", "--out", str(folder)).returncode == 0
    result = gatenet("plot", "HALF_ADDER_WIRED", "--dir", str(folder), "--out", str(tmp_path / "plots"))
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (tmp_path / "plots").iterdir()) == [
        "half_adder_wired_margin_by_depth.png",
        "half_adder_wired_schematic.png",
        "half_adder_wired_schematic.svg",
    ]


EDGES = """
import gatenet
from gatenet import Circuit, Part


def oops(a, b):
    raise RuntimeError("no truth today")


@gatenet.hookimpl
def register_circuits(register):
    register(Circuit("CARRY_ONLY", ["a", "b"], {"h": Part("HALF_ADDER_WIRED", "a", "b")}, {"c": "h.carry"},
                     truth=lambda a, b: a & b))
    register(Circuit("RAISES", ["a", "b"], {"x": Part("XOR", "a", "b")}, ["x"], truth=oops))
    register(Circuit("NAMES", ["bits", "b"], {"in": Part("AND", "bits", "b")}, ["in"]))
    register(Circuit("AFTER", ["a"], {"n": Part("NOT", "a")}, ["n"]))
"""


def test_awkward_circuits_build_and_a_failing_truth_costs_only_its_circuit(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "AND", "NOT"])
    (tmp_path / "edges.py").write_text(EDGES)
    names = ["CARRY_ONLY", "RAISES", "NAMES", "AFTER"]
    result = gatenet("-p", str(tmp_path / "edges.py"), "train", *names, "--out", str(folder), "--json")
    assert result.returncode == 1
    assert (
        "error: circuit 'RAISES' not built: truth failed on row 00: RuntimeError: no truth today"
        in result.stderr
    )
    built = {row["gate"]: row for row in json.loads(result.stdout)["results"] if row["status"] == "built"}
    assert set(built) == {
        "CARRY_ONLY",
        "NAMES",
        "AFTER",
    }  # half of a sub-circuit unused; `in` and `bits` names
    assert built["CARRY_ONLY"]["circuit"]["depth_margins"] == [pytest.approx(0.493, abs=0.01)]
    assert runtime.load_gate("NAMES", folder).predict([[1, 1], [0, 1]]).tolist() == [[1], [0]]


BROKEN_LATER = """
import gatenet
from gatenet import Circuit, Part


@gatenet.hookimpl
def register_circuits(register):
    register(Circuit("HALF_ADDER_WIRED", ["a", "b"], {"x": Part("XOR", "a", "b"), "n": Part("AND", "a", "b")},
                     {"sum": "x", "carry": "n"}, truth=lambda a, b: (a & b, a & b)))
"""


def test_verify_fails_only_the_model_whose_circuit_definition_broke(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "AND"])
    assert gatenet("train", "HALF_ADDER_WIRED", "--out", str(folder)).returncode == 0
    (tmp_path / "later.py").write_text(BROKEN_LATER)
    result = gatenet("-p", str(tmp_path / "later.py"), "-p", "no:circuits", "verify", "--dir", str(folder))
    assert result.returncode == 1
    assert (
        "half_adder_wired.onnx    FAILED     its definition in the plugin fails: circuit 'HALF_ADDER_WIRED'"
        in (result.stdout)
    )
    assert (
        "xor.onnx                 verified" in result.stdout
        and "and.onnx                 verified" in result.stdout
    )


def test_with_a_plugin_turned_off_its_circuits_are_unavailable_not_orphaned(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "AND"])
    assert gatenet("train", "HALF_ADDER_WIRED", "--out", str(folder)).returncode == 0
    pruned = gatenet("-p", "no:xor", "prune", "--dir", str(folder), "--yes")
    assert pruned.returncode == 0 and "xor.onnx (XOR: no plugin defines it)" in pruned.stdout  # as before
    assert "half_adder_wired" not in pruned.stdout and (folder / "half_adder_wired.onnx").exists()
    asked = gatenet("-p", "no:xor", "train", "HALF_ADDER_WIRED", "--out", str(folder))
    assert asked.returncode == 2
    assert "circuit 'HALF_ADDER_WIRED' of plugin 'circuits' is not available: it needs 'XOR'" in asked.stderr
    assert "(left out: plugin xor)" in asked.stderr


def test_plot_with_no_names_draws_the_gates_and_the_circuits(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "AND"])
    assert gatenet("train", "HALF_ADDER_WIRED", "--out", str(folder)).returncode == 0
    result = gatenet("plot", "--dir", str(folder), "--out", str(tmp_path / "plots"))
    assert result.returncode == 0, result.stderr
    written = {path.name for path in (tmp_path / "plots").iterdir()}
    assert {"learning_curves.png", "xor_surface.png", "half_adder_wired_schematic.svg"} <= written


def test_a_notebook_circuit_may_not_take_a_gates_name(tmp_path):
    import gatenet as api

    folder = copy_models(tmp_path / "models", ["AND", "OR", "NAND"])
    before = (folder / "and.onnx").read_bytes()
    impostor = Circuit(
        "xor",
        ["a", "b"],
        {"n": Part("NAND", "a", "b"), "o": Part("OR", "a", "b"), "x": Part("AND", "n", "o")},
        ["x"],
    )
    with pytest.raises(ValueError, match="circuit 'xor': a registered gate or circuit has that name"):
        api.build_circuits(impostor, directory=folder)
    assert not (folder / "xor.onnx").exists() and (folder / "and.onnx").read_bytes() == before
