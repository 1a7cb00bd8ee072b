"""Learning logic models a class at a time, and up the ladder when a network is too small."""

import json
import re
from dataclasses import replace

import numpy as np
import pytest
from folder_tools import run_cli

from gatenet import logic_models
from gatenet.gate import Gate, table_gate
from gatenet.logic_models import learn_chunk, learn_gates, stream_logic
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import exact
from gatenet.recipe import LogicRecipe

SMALL = LogicSpec(restarts=4, steps=150, escalate=1)


def test_every_member_of_a_class_gets_an_exact_circuit_of_the_classs_size():
    """AND, NOR, A_AND_NOT_B and OR are one NPN class; so are XOR and XNOR: one learning each."""
    gates = [
        table_gate(name, [column])
        for name, column in [
            ("AND", "0001"),
            ("NOR", "1000"),
            ("A_AND_NOT_B", "0010"),
            ("OR", "0111"),
            ("XOR", "0110"),
            ("XNOR", "1001"),
        ]
    ]
    found = learn_gates(gates, SMALL, 0)
    for gate, learned in zip(gates, found, strict=True):
        assert learned.circuit.gate is gate
        assert learned.circuit.netlist.inputs == gate.input_names
        assert exact(learned.circuit.netlist, gate.table) is None, gate.name
        assert learned.circuit.netlist.gates == 1


def test_a_gates_circuit_does_not_depend_on_what_learns_beside_it(monkeypatch):
    """No noise or update crosses between networks (batched rounding aside, which this small batch
    does not meet)."""
    parity = table_gate("PARITY3", ["01101001"])
    alone = learn_gates([parity], SMALL, 3)[0]
    monkeypatch.setattr(logic_models, "_CLASSES", {})  # learn the class again, beside others
    others = [
        table_gate(f"F{k}", [format(k, "08b")]) for k in (23, 105, 150, 232)
    ]  # 105, 150: parity's class
    together = learn_gates([*others, parity], SMALL, 3)[-1]
    assert together.circuit.netlist == alone.circuit.netlist
    assert (together.rung, together.circuit.step) == (alone.rung, alone.circuit.step)


def test_a_class_is_learned_once_per_process(monkeypatch):
    """A family's later chunks reuse the classes its first chunks learned."""
    learn_gates([table_gate("MAJORITY3", ["00010111"])], SMALL, 5)

    def no_learning(*args):
        raise AssertionError("learned again")

    monkeypatch.setattr(logic_models, "learn_circuits", no_learning)
    (again,) = learn_gates([table_gate("MAJ_AB_NOT_C", ["00101011"])], SMALL, 5)  # majority(a, b, NOT c)
    assert exact(again.circuit.netlist, again.circuit.gate.table) is None
    with pytest.raises(AssertionError, match="learned again"):
        learn_gates([table_gate("MAJ_AB_NOT_C", ["00101011"])], replace(SMALL, steps=151), 5)


def test_a_network_too_small_for_a_gate_climbs_the_ladder_and_says_which_rung_learned_it():
    """MAJORITY3 needs three levels of two-input gates: the output node alone cannot compute it, nor a
    layer then the output (no circuit of depth 2 can); two layers can. Without the ladder the gate
    fails, and the message says how far it went."""
    majority = Gate("MAJORITY3", 3, lambda a, b, c: int(a + b + c >= 2))
    small = LogicSpec(width=1, depth=0, restarts=8, steps=300, escalate=2)
    ladder = [(rung.width, rung.depth, rung.steps) for rung in small.ladder()]
    assert ladder == [(1, 0, 300), (2, 1, 600), (4, 2, 1200)]
    ((result, files),) = learn_chunk([LogicRecipe(majority, small, 0)])
    assert result.verified and result.rung == 2 and result.steps == 1200
    assert result.logic["rung"] == 2 and result.logic["depth"] == 3
    assert files.entry.training.network == small.to_dict()  # the recipe's spec: up to date as asked
    assert files.entry.training.steps == 1200 and files.entry.logic["rung"] == 2

    ((failed, none),) = learn_chunk(
        [LogicRecipe(majority, LogicSpec(width=1, depth=0, restarts=2, steps=100, escalate=0), 0)]
    )
    assert not failed.verified and none is None
    assert "no exact circuit up to 2 restarts of 100 steps at width 1" in failed.problem


def test_the_train_table_and_json_say_which_rung_learned_a_gate(tmp_path):
    """MAJORITY3 (a shipped gate) from a network of one node: two rungs up, as the test above shows."""
    small = ["--kind", "logic", "--logic-width", "1", "--logic-depth", "0", "--logic-restarts", "8"]
    out = ["--logic-steps", "300", "--out", str(tmp_path / "models")]
    table = run_cli("train", "MAJORITY3", *small, *out)
    assert table.exit_code == 0, table.output
    assert re.search(r"^MAJORITY3\s+yes \(r2\)\s", table.output, re.MULTILINE), table.output
    rows = json.loads(run_cli("train", "MAJORITY3", *small, *out, "--force", "--json").output)["results"]
    assert rows[0]["logic"]["rung"] == 2 and rows[0]["steps"] == 1200
    fresh = json.loads(run_cli("train", "MAJORITY3", *small, *out, "--json").output)["results"]
    assert fresh[0]["status"] == "up to date" and fresh[0]["logic"]["rung"] == 2


def test_gates_of_several_outputs_are_learned_as_they_are():
    half_adder = Gate("HALF_ADDER", 2, lambda a, b: (a ^ b, a & b), outputs=("sum", "carry"))
    (learned,) = learn_gates([half_adder], SMALL, 0)
    assert learned.circuit.netlist.output_names == ("sum", "carry")
    assert exact(learned.circuit.netlist, half_adder.table) is None
    assert np.array_equal(half_adder.table.shape, (4, 2))


def test_without_export_each_circuit_is_checked_in_numpy_and_no_file_is_made(monkeypatch):
    """`gatenet train --no-export`: no ONNX file is built, yet a circuit carried wrongly to a class
    member is caught on its rows."""

    def no_file(*args, **kwargs):
        raise AssertionError("an ONNX file was built")

    monkeypatch.setattr(logic_models.logic_onnx, "netlist_model", no_file)
    gates = [table_gate("AND", ["0001"]), table_gate("NOR", ["1000"])]  # one class
    results = list(stream_logic([LogicRecipe(gate, SMALL, 0) for gate in gates], None, 8, export=False))
    assert [(result.verified, result.gates) for result in results] == [(True, 1), (True, 1)]

    monkeypatch.setattr(logic_models.npn, "transform_netlist", lambda netlist, transform: netlist)
    monkeypatch.setattr(logic_models, "_CLASSES", {})
    results = list(stream_logic([LogicRecipe(gate, SMALL, 0) for gate in gates], None, 8, export=False))
    wrong = [result for result in results if not result.verified]
    assert len(wrong) == 1 and wrong[0].problem.startswith("the circuit is not exact: row ")
