"""A gate from its truth table on the command line, for anyone who does not want to write a plugin:
`gatenet train --table 0110 --name MYXOR`, rows numbered as BOOLEAN<n>_<k> numbers them."""

import pytest
from folder_tools import gatenet, run_cli

from gatenet.gate import table_gate
from gatenet.plugins import collect_gates
from gatenet.store import ModelFolder


def test_a_table_is_read_in_the_bit_order_of_the_boolean_families():
    families = collect_gates()
    for text, twin in (("0110", "BOOLEAN2_06"), ("0001", "BOOLEAN2_08"), ("01101001", "BOOLEAN3_150")):
        gate = table_gate("MINE", [text])
        assert gate.table.tolist() == families.find(twin).table.tolist(), text
    two = table_gate("HALF", ["0110", "0001"])
    assert (two.inputs, two.outputs) == (2, 2) and two.table.tolist() == [[0, 0], [1, 0], [1, 0], [0, 1]]


def test_a_table_gate_trains_verifies_predicts_and_is_up_to_date(tmp_path):
    out = str(tmp_path / "models")
    assert gatenet("train", "--table", "0110", "--name", "MYXOR", "--out", out).returncode == 0
    assert ModelFolder(tmp_path / "models").entries()["myxor.onnx"].truth_table == ("0110",)
    assert gatenet("predict", "MYXOR", "1", "0", "--dir", out).stdout.strip() == "1"
    check = gatenet("train", "--table", "0110", "--name", "MYXOR", "--out", out, "--check")
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--table", "012", "--name", "BAD"], "table '012': expected 2, 4, 8, ... characters"),
        (["--table", "0112", "--name", "BAD"], "table '0112': expected 4 characters, each 0 or 1"),
        (["--table", "0110", "--table", "01", "--name", "BAD"], "table '01': expected 4 characters"),
        (["--table", "0110"], "--table and --name go together"),
        (["--table", "0110", "--name", "XOR"], "--name XOR: a registered gate or circuit has that name"),
        (["AND", "--table", "0110", "--name", "MINE"], "give no GATE or --family with it"),
    ],
)
def test_a_bad_table_is_one_line_naming_it(tmp_path, args, message):
    result = run_cli("train", *args, "--out", str(tmp_path / "m"))
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "m").exists()
