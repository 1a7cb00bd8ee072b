"""Hardware exports (gatenet.hdl) checked by the real tools (gatenet.logic_tools): Yosys, ABC, Icarus.

CI installs the tools (scripts/setup-system), so a missing tool fails here; nothing is skipped.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from folder_tools import copy_models, gatenet
from netlists import FULL_ADDER, XOR

from gatenet import contract, hdl, logic_tools
from gatenet.netlist import FUNCTIONS, Netlist, Node, Output, evaluate, exact

HOSTILE = "EVIL */ module evil(); endmodule /* \\\n.names a out\n1 1\n// x ??/"


def made(netlist: Netlist, name: str = "GATE", description: str = "") -> hdl.Design:
    """A design of a hand-made netlist, its table computed from it (so it is exact)."""
    return hdl.Design(
        name, netlist, evaluate(netlist), "hand-made", f"{name.lower()}.onnx", "0" * 64, "none", description
    )


def broken(netlist: Netlist) -> hdl.Design:
    """The design of `netlist` with its last gate's function flipped to another, table unchanged."""
    good = made(netlist)
    nodes = list(netlist.nodes)
    nodes[-1] = Node(15 - nodes[-1].function, nodes[-1].a, nodes[-1].b)
    return dataclasses.replace(good, netlist=dataclasses.replace(netlist, nodes=tuple(nodes)))


def assert_all_pass(design: hdl.Design) -> list[logic_tools.ToolCheck]:
    checks = logic_tools.check(design)
    assert [c.tool for c in checks] == ["yosys", "abc", "abc", "iverilog"]
    assert all(c.ok for c in checks), [str(c) for c in checks if not c.ok]
    return checks


@pytest.mark.parametrize("netlist", [XOR, FULL_ADDER], ids=["XOR", "FULL_ADDER"])
def test_every_tool_proves_a_hand_made_netlist(netlist):
    checks = assert_all_pass(made(netlist))
    assert "sat -prove" in checks[0].what and f"all {2 ** len(netlist.inputs)} rows" in checks[3].what


@pytest.mark.parametrize("netlist", [XOR, FULL_ADDER], ids=["XOR", "FULL_ADDER"])
def test_a_flipped_gate_fails_every_check_and_names_a_row(netlist):
    design = broken(netlist)
    wrong = exact(design.netlist, design.table)
    assert wrong is not None  # the flip changed the function
    for check in logic_tools.check(design):
        assert not check.ok, check
        row = re.search(r"row (\d+) \(", check.detail)
        assert row, check
        assert not np.array_equal(evaluate(design.netlist)[int(row[1])], design.table[int(row[1])])


def test_a_fresh_logic_model_and_the_shipped_network_models_and_circuits_are_proven(tmp_path):
    import gatenet as api

    api.train("FULL_ADDER", out=tmp_path / "logic", kind="logic", steps=300, restarts=4)
    (learned,), skipped = hdl.designs_in(tmp_path / "logic")
    assert learned.source == hdl.LEARNED and not skipped
    assert_all_pass(learned)
    shipped = ["XOR", "AND", "OR", "HALF_ADDER_WIRED", "FULL_ADDER", "PARITY4", "FULL_ADDER_WIRED"]
    folder = copy_models(tmp_path / "shipped", shipped)
    designs = {d.file: d for d in hdl.designs_in(folder)[0]}
    assert designs["xor.onnx"].source == hdl.EXACT and designs["parity4.onnx"].source == hdl.DIAGRAM
    assert designs["full_adder_wired.onnx"].source == hdl.COMPOSED
    assert (designs["xor.onnx"].gates, designs["xor.onnx"].and_nodes) == (1, 3)
    assert (designs["parity4.onnx"].gates, designs["parity4.onnx"].and_nodes) == (3, 9)
    for design in designs.values():
        assert_all_pass(design)


def test_a_decision_diagram_is_exact_on_random_tables():
    rng = np.random.default_rng(0)
    for inputs in range(4, 9):
        table = rng.integers(0, 2, (2**inputs, 3)).astype(np.uint8)
        netlist, source = hdl.table_netlist(table, [f"i{k}" for k in range(inputs)], ["x", "y", "z"])
        assert source == hdl.DIAGRAM and exact(netlist, table) is None
        aig = hdl.aig_of(netlist)
        assert exact(hdl.aig_netlist(aig, netlist.inputs, netlist.output_names), table) is None


def test_the_aiger_file_reads_back_as_written():
    design = made(FULL_ADDER)
    data = hdl.aiger(design)
    assert data.startswith(b"aig 10 3 0 2 7\n")  # M = I + A, no latches
    assert hdl.read_aiger(data, "x") == hdl.aig_of(design.netlist)
    assert b"i0 a\ni1 b\ni2 carry_in\no0 sum\no1 carry_out\nc\n" in data
    assert hdl._varint(0x3FFF + 1) == bytes([0x80, 0x80, 0x01])  # 7 bits a byte, low first


def test_the_aig_counts_xor_as_three_ands_and_inverters_as_free():
    ins = ("a", "b")
    for function, ands in [("XOR", 3), ("XNOR", 3), ("NAND", 1), ("OR", 1), ("NOT_A", 0), ("TRUE", 0)]:
        netlist = Netlist(ins, (Node(FUNCTIONS[function], 0, 1),), (Output(2, True),), ("out",))
        assert len(hdl.aig_of(netlist).ands) == ands, function
        assert hdl.read_aiger(hdl.aiger(made(netlist)), "x").outputs is not None
    constant = made(Netlist(ins, (), (Output(None, True),), ("out",)))
    assert_all_pass(constant)
    assert logic_tools.abc_minimize(constant, "collapse; sop; strash; dc2", from_table=True).abc_ands == 0


def test_hostile_names_stay_inside_comments_and_identifiers():
    ports = hdl.identifiers(["a b", "1x", "module", "out;", "A_B", "a_b"])
    assert ports == ["a_b", "x1x", "module_", "out_", "A_B_2", "a_b_3"]
    bits = hdl.identifiers(["x);\nendmodule", "wire", "n0"])
    netlist = Netlist(tuple(bits[:2]), XOR.nodes, XOR.outputs, (bits[2],))
    design = dataclasses.replace(
        made(netlist, HOSTILE, HOSTILE), bit_names=(("x);\nendmodule", "wire"), ("n0",))
    )
    assert re.fullmatch(r"EVIL_\w+", design.module)
    assert_all_pass(design)  # each tool read the files as one module of one gate, nothing more
    text = hdl.verilog(design)
    code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    assert "evil(" not in code and text.count("*/") == 1 and "??/" not in text
    assert re.findall(r"^(module|endmodule)\b", code, re.M) == ["module", "endmodule"]
    blif = hdl.blif(design)
    assert [line for line in blif.splitlines() if line.startswith(".names")] == [
        ".names x___endmodule wire_ n0_2",
        ".names n0_2 n0",
    ]
    assert all(not line.endswith("\\") for line in blif.splitlines())
    symbols, comment = hdl.aiger(design).split(b"\nc\n", 1)
    assert symbols.endswith(b"i0 x___endmodule\ni1 wire_\no0 n0")  # the symbol table: identifiers only
    assert b"EVIL */ module" not in comment and b"EVIL * / module evil" in comment


def test_bad_tool_input_is_one_line():
    design = made(XOR)
    garbage = logic_tools.abc_cec(design, "aig", b"not an aiger file\n")
    assert not garbage.ok and "\n" not in garbage.detail and garbage.detail
    verilog = logic_tools.yosys_prove(design, "module XOR (input wire a; endmodule\n")
    assert not verilog.ok and "\n" not in verilog.detail and verilog.detail
    sim = logic_tools.iverilog_simulate(design, "module XOR (input wire a; endmodule\n")
    assert not sim.ok and "\n" not in sim.detail and sim.detail
    for bad in [b"", b"aag 1 1 0 1 0\n2\n", b"aig 3 1 0 1 2\n2\n\x01"]:
        with pytest.raises(hdl.HdlError) as error:
            hdl.read_aiger(bad, "out.aig")
        assert str(error.value).startswith("out.aig: ") and "\n" not in str(error.value)
    with pytest.raises(hdl.HdlError, match=r"^abc: .*frobnicate.*script") as error:
        logic_tools.abc_minimize(design, "strash; frobnicate")
    assert "\n" not in str(error.value)


def test_a_missing_tool_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(logic_tools.ToolMissing, match="yosys.*scripts/setup-system.*apt-get install yosys"):
        logic_tools.yosys_prove(made(XOR))
    assert logic_tools.available() == {"yosys": None, "abc": None, "iverilog": None}


def test_the_abc_round_trip_is_verified_and_no_larger_than_abc_says(tmp_path):
    folder = copy_models(tmp_path / "shipped", ["FULL_ADDER", "MUX4", "NOT", "AND", "OR"])
    for design in hdl.designs_in(folder, ["FULL_ADDER", "MUX4"])[0]:
        result = logic_tools.abc_minimize(design, "strash; dc2; resyn2")
        after = result.after
        assert exact(after.netlist, design.table) is None
        assert after.and_nodes <= result.abc_ands and after.gates <= result.abc_ands
        assert "minimized by ABC (strash; dc2; resyn2)" in after.source
        assert_all_pass(after)
    full_adder = hdl.designs_in(folder, ["FULL_ADDER"])[0][0]
    assert (full_adder.and_nodes, logic_tools.abc_minimize(full_adder).abc_ands) == (9, 7)


def test_export_hdl_writes_every_format_and_prints_the_counts(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "FULL_ADDER"])
    out = tmp_path / "hdl"
    result = gatenet("export-hdl", "XOR", "FULL_ADDER", "--dir", str(folder), "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["model", "gates", "AND", "nodes", "files"]
    assert lines[1].split()[:3] == ["xor.onnx", "1", "3"]
    assert lines[2].split()[:3] == ["full_adder.onnx", "5", "9"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{key}.{suffix}" for key in ("xor", "full_adder") for suffix in ("v", "blif", "aig")
    )
    assert "sha256 " + hdl.designs_in(folder, ["XOR"])[0][0].sha256 in (out / "xor.v").read_text()
    result = gatenet("export-hdl", "--dir", str(folder), "--out", str(out), "--abc", "strash; dc2; resyn2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == [
        "model",
        "gates",
        "AND",
        "nodes",
        "ABC",
        "gates",
        "ABC",
        "ANDs",
        "files",
    ]
    assert result.stdout.splitlines()[1].split()[:5] == ["full_adder.onnx", "5", "9", "7", "7"]
    bad = gatenet("export-hdl", "--dir", str(folder), "--out", str(out), "--format", "verilog,vhdl")
    assert (
        bad.returncode == 1
        and bad.stderr == "Error: format: expected some of verilog, blif, aig, got unknown 'vhdl'\n"
    )


def test_verify_tools_says_which_tools_ran(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "AND", "HALF_ADDER_WIRED"])
    result = gatenet("verify", "--tools", "--dir", str(folder))
    assert result.returncode == 0, result.stdout + result.stderr
    proven = [line for line in result.stdout.splitlines() if " proven " in line]
    assert len(proven) == 12
    assert {line.split()[0] for line in proven} == {"xor.onnx", "and.onnx", "half_adder_wired.onnx"}
    assert re.search(r"^tools run: yosys \(.*\), abc \(.*\), iverilog \(.*\)$", result.stdout, re.M)


def test_a_circuit_s_wiring_is_checked_not_trusted(tmp_path):
    import json

    from gatenet import runtime

    folder = copy_models(tmp_path / "models", ["XOR", "AND", "HALF_ADDER_WIRED"])

    def find(name: str) -> runtime.GateModel:
        return runtime.load_gate(name, folder)

    model = find("HALF_ADDER_WIRED")
    wiring = json.loads(model.metadata[contract.KEY_CIRCUIT])
    assert hdl.design(model, None, find).gates == 2
    swapped = json.loads(json.dumps(wiring))
    swapped["outputs"] = {"sum": wiring["outputs"]["carry"], "carry": wiring["outputs"]["sum"]}
    unknown = json.loads(json.dumps(wiring))
    unknown["parts"][0]["inputs"]["a"] = "nowhere.out"
    itself = json.loads(json.dumps(wiring))
    itself["parts"][0]["gate"] = "HALF_ADDER_WIRED"
    for metadata, message in [
        ("{not json", "is not a circuit's wiring"),
        (json.dumps(swapped), "its circuit is not its truth table: row 1"),
        (json.dumps(unknown), "reads 'nowhere.out', no input or earlier part's output"),
        (json.dumps(itself), "contains itself"),
    ]:
        model.metadata[contract.KEY_CIRCUIT] = metadata
        with pytest.raises(hdl.HdlError) as error:
            hdl.design(model, None, lambda name: model if name == "HALF_ADDER_WIRED" else find(name))
        assert str(error.value).startswith("half_adder_wired.onnx: ") and message in str(error.value)
        assert "\n" not in str(error.value)


def test_an_empty_abc_script_is_refused_before_any_file_is_written(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR"])
    result = gatenet("export-hdl", "--dir", str(folder), "--out", str(tmp_path / "hdl"), "--abc", " ")
    assert (
        result.returncode == 1
        and result.stderr == "Error: abc script: expected commands separated by ';', got ' '\n"
    )
    assert not (tmp_path / "hdl").exists()


def test_a_tampered_model_s_metadata_stays_inert_in_every_file(tmp_path):
    import onnx

    from gatenet import contract, runtime

    proto = onnx.load(copy_models(tmp_path / "models", ["XOR"]) / "xor.onnx")
    changes = {
        contract.KEY_DESCRIPTION: "a */ module evil; endmodule /* ??/\n.names a out\n1 1\\",
        contract.KEY_INPUTS: '["a */ wire b; /*", "b\\nendmodule"]',
    }
    for prop in proto.metadata_props:
        prop.value = changes.get(prop.key, prop.value)
    (tmp_path / "xor.onnx").write_bytes(proto.SerializeToString())
    model = runtime.load(tmp_path / "xor.onnx")
    design = hdl.design(model, None, lambda name: model)
    assert design.netlist.inputs == ("a____wire_b____", "b_endmodule")
    assert design.recipe.startswith("none") and design.sha256 == hdl.hashlib.sha256(model.data).hexdigest()
    assert_all_pass(design)
    verilog_code = re.sub(r"/\*.*?\*/", "", hdl.verilog(design), flags=re.S)
    blif_code = [line for line in hdl.blif(design).splitlines() if not line.startswith("#")]
    assert "evil" not in verilog_code and not any("evil" in line or line == "1 1\\" for line in blif_code)
    assert "\n.names a out\n" not in hdl.blif(design)  # the description's `.names a out` stayed a comment


def test_verify_tools_runs_no_tool_on_a_folder_that_fails_verification(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR"])
    (folder / "xor.onnx").write_bytes((folder / "xor.onnx").read_bytes() + b"\0")
    result = gatenet("verify", "--tools", "--dir", str(folder))
    assert result.returncode == 1 and "xor.onnx                 FAILED" in result.stdout
    assert "note: --tools not run" in result.stderr and "proven" not in result.stdout
