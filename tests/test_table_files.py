"""Truth tables from espresso PLA, ABC truth and BLIF files, as gates: read in gatenet's row order (checked
against ABC itself), refused with one line naming the file and the line, and trained from the command
line and from a `[tool.gatenet] tables` folder."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from folder_tools import gatenet, run_cli

from gatenet.config import project_settings
from gatenet.gate import MAX_INPUTS, table_gate
from gatenet.network import NetworkError
from gatenet.store import ModelFolder
from gatenet.table_files import (
    TableFileError,
    file_arguments,
    gate_name,
    parse_blif,
    parse_pla,
    parse_truth,
    project_gates,
    read_table_file,
)

ABC = shutil.which("yosys-abc")  # ABC as Debian's yosys package ships it; scripts/setup-system installs it

FULL_ADDER_PLA = """\
# a full adder, sum and carry
.i 3
.o 2
.ilb a b cin
.ob sum cout
.p 7
001 10
010 10
100 10
111 11
11- 01
1-1 01
-11 01
.e
"""
FULL_ADDER_COLUMNS = ["01101001", "00010111"]  # rows in binary counting order, a most significant

FULL_ADDER_BLIF = """\
.model full_adder   # a comment
.inputs a b \\
  cin
.outputs sum cout
.names a b half
10 1
01 1
.names half cin sum
10 1
01 1
.names a b cin cout
00- 0
0-0 0
-00 0
.end
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def columns(rows: np.ndarray) -> list[str]:
    return ["".join(map(str, column)) for column in rows.T]


# --- the formats, in gatenet's row order ----------------------------------------------------------


def test_abc_reads_0010_as_a_and_not_b():
    """ABC's truth strings list the last minterm first, with the first input as the least significant
    bit of the minterm number; gatenet's rows count with the first input most significant."""
    table = parse_truth("0010\n", "t.truth")
    assert table.input_names == ("a", "b") and table.output_names == ("out",)
    rows = dict(zip([(0, 0), (0, 1), (1, 0), (1, 1)], table.rows[:, 0].tolist(), strict=True))
    assert rows == {(0, 0): 0, (0, 1): 0, (1, 0): 1, (1, 1): 0}  # a AND NOT b
    assert columns(parse_truth("1000", "t").rows) == ["0001"]  # minterm 3, the first character: AND
    # three inputs tell a bit reversal from a string reversal: minterm 1 is a=1 (gatenet row 100),
    # minterm 4 is c=1 (gatenet row 001)
    assert columns(parse_truth("00000010\n00010000\n", "t").rows) == ["00001000", "01000000"]


def test_truth_outputs_may_share_a_line_as_abc_allows():
    assert columns(parse_truth("0110 | 1000\n\n", "t").rows) == ["0110", "0001"]
    assert parse_truth("0110 1000", "t").output_names == ("out0", "out1")


def test_a_pla_and_the_same_table_option_give_the_same_gate(tmp_path):
    gate = read_table_file(write(tmp_path, "full-adder.pla", FULL_ADDER_PLA))
    twin = table_gate("TWIN", FULL_ADDER_COLUMNS)
    assert gate.name == "FULL_ADDER" and gate.description == "espresso PLA full-adder.pla"
    assert (gate.input_names, gate.output_names) == (("a", "b", "cin"), ("sum", "cout"))
    assert gate.table.tolist() == twin.table.tolist()
    assert (gate.inputs, gate.rows.tolist()) == (3, twin.rows.tolist())


def test_under_type_f_a_row_no_cube_covers_is_0_and_a_0_output_says_nothing():
    table = parse_pla(".i 2\n.o 2\n1- 10\n11 01\n", "t.pla")
    assert columns(table.rows) == ["0011", "0001"]
    assert table.input_names == ("a", "b") and table.output_names == ("out0", "out1")
    assert columns(parse_pla(".i 1\n.o 1\n.p 0\n.e\n", "t.pla").rows) == ["00"]
    # .type fd (espresso's default) has no don't-cares left in a fully specified table: it reads as f
    assert columns(parse_pla(".i 2\n.o 1\n.type fd\n01 1\n", "t").rows) == ["0100"]


def test_under_type_fr_the_zeros_are_the_off_set_and_every_row_is_given():
    text = ".i 2\n.o 1\n.type fr\n0- 0\n10 1\n11 0\n.e\nafter .e nothing is read\n"
    assert columns(parse_pla(text, "t.pla").rows) == ["0010"]
    assert columns(parse_pla(".i 2\n.o 1\n.type fdr\n-- 0\n", "t").rows) == ["0000"]


def test_under_type_r_the_zeros_are_the_off_set_and_every_other_row_is_1():
    assert columns(parse_pla(".i 2\n.o 1\n.type r\n00 0\n11 1\n", "t.pla").rows) == ["0111"]


def test_cubes_may_be_written_without_the_space_and_labels_become_names():
    table = parse_pla(".i 2\n.o 1\n.ilb in[0] 2nd\n.ob out.y\n111\n", "t.pla")
    assert (table.input_names, table.output_names) == (("in_0_", "x2nd"), ("out_y",))
    assert columns(table.rows) == ["0001"]
    # espresso's synonyms: 2 for - in the inputs, 4 for 1 and 3 for 0 in the outputs; | separates
    synonyms = parse_pla(".i 2\n.o 2\n.type fr\n12|43\n0- 34\n", "t.pla")
    assert columns(synonyms.rows) == ["0011", "1100"]


def test_blif_covers_are_evaluated_on_every_row():
    table = parse_blif(FULL_ADDER_BLIF, "fa.blif")
    assert (table.input_names, table.output_names) == (("a", "b", "cin"), ("sum", "cout"))
    assert columns(table.rows) == FULL_ADDER_COLUMNS
    constants = (
        ".model k\n.inputs a\n.outputs one zero a_out\n.names one\n1\n.names zero\n.names a a_out\n1 1\n"
    )
    assert columns(parse_blif(constants, "k.blif").rows) == ["11", "00", "01"]
    # nodes in any order, and a chain longer than Python's recursion limit
    chain = [f".names s{i} s{i + 1}\n0 1\n" for i in range(1500)]
    text = ".model c\n.inputs s0\n.outputs s1500\n" + "".join(reversed(chain))
    assert columns(parse_blif(text, "c.blif").rows) == ["01"]


def test_a_gate_is_named_after_its_file(tmp_path):
    assert gate_name(Path("tables/my-xor.truth")) == "MY_XOR"
    assert gate_name(Path("9sym.pla")) == "T_9SYM"
    assert gate_name(Path("Adder4.BLIF")) == "ADDER4"
    odd = read_table_file(write(tmp_path, "two\nlines *.truth", "\ufeff0110\r\n"))  # and a BOM, CRLF
    assert (odd.name, odd.description) == ("TWO_LINES__", "ABC truth table two?lines *.truth")
    assert columns(odd.table) == ["0110"]


# --- checked against ABC itself -------------------------------------------------------------------


def abc(folder: Path, script: str) -> None:
    assert ABC, "no yosys-abc on this machine: scripts/setup-system installs yosys, which brings it"
    run = subprocess.run([ABC, "-c", script], cwd=folder, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "rror" not in run.stdout + run.stderr, run.stdout + run.stderr


def test_abc_reads_each_pla_as_gatenet_does(tmp_path):
    """ABC turns random PLA files into truth files (`write_truth -x`); gatenet reads both alike."""
    chance = random.Random(22)
    for case in range(6):
        inputs = chance.randint(1, 5)
        cubes = ["".join(chance.choice("01--") for _ in range(inputs)) for _ in range(chance.randint(1, 6))]
        text = f".i {inputs}\n.o 1\n" + "".join(f"{cube} 1\n" for cube in cubes) + ".e\n"
        write(tmp_path, f"case{case}.pla", text)
        abc(tmp_path, f"read_pla case{case}.pla; write_truth -x case{case}.truth")
        ours = read_table_file(tmp_path / f"case{case}.pla").table
        via_abc = read_table_file(tmp_path / f"case{case}.truth").table
        assert ours.tolist() == via_abc.tolist(), text


def test_abc_reads_each_truth_file_as_gatenet_does(tmp_path):
    """ABC reads random truth files (`read_truth -x -f`) and writes them as BLIF; gatenet reads both alike."""
    chance = random.Random(23)
    for case in range(4):
        inputs, outputs = chance.randint(1, 4), chance.randint(1, 3)
        lines = ["".join(chance.choice("01") for _ in range(2**inputs)) for _ in range(outputs)]
        write(tmp_path, f"case{case}.truth", "\n".join(lines) + "\n")
        abc(tmp_path, f"read_truth -xf case{case}.truth; write_blif case{case}.blif")
        ours = read_table_file(tmp_path / f"case{case}.truth").table
        via_abc = read_table_file(tmp_path / f"case{case}.blif").table
        assert ours.tolist() == via_abc.tolist(), lines


# --- bad files: one line naming the file and the line ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("rows.truth", "011\n", "line 1: 3 characters; expected 2, 4, 8, ..."),
        ("wide.truth", "0110\n\n01101001\n", "line 3: 8 characters; expected 4 like line 1"),
        ("dc.truth", "01-0\n", "line 1: character 3 is '-' (a don't-care in a fully specified table)"),
        ("hex.truth", "6\n", "line 1: character 1 is '6'; expected a binary truth table"),
        ("empty.truth", "\n\n", "no truth table; expected a line of 2^n 0s and 1s per output"),
        (
            "huge.truth",
            "0" * 2 ** (MAX_INPUTS + 1),
            f"line 1: {2 ** (MAX_INPUTS + 1)} characters is 17 inputs",
        ),
        ("dc.pla", ".i 2\n.o 1\n10 1\n0- -\n", "line 4: output 1 is '-', a don't-care in a fully specified"),
        ("tilde.pla", ".i 2\n.o 1\n10 ~\n", "line 3: output 1 is '~', a 'no meaning' in a fully specified"),
        ("width.pla", ".i 2\n.o 1\n10 1\n101 1\n", "line 4: expected 2 input and 1 output characters"),
        ("input.pla", ".i 2\n.o 1\n1x 1\n", "line 3: input 2 is 'x'; expected 0, 1 or -"),
        ("count.pla", ".i 2\n.o 1\n.p 3\n10 1\n.e\n", "line 3: .p 3 declared, but the file has 1 cube"),
        ("phase.pla", ".i 2\n.o 1\n.phase 1\n", "line 3: unknown directive '.phase'"),
        ("inputs.pla", "# many\n.i 17\n.o 1\n", "line 2: .i 17: at most 16 inputs are supported"),
        ("noio.pla", "10 1\n", "line 1: a cube before .i and .o"),
        ("type.pla", ".i 1\n.o 1\n.type d\n", "line 3: expected one .type f, fd, fr, fdr, r or dr"),
        ("labels.pla", ".i 2\n.o 1\n.ilb a\n", "line 3: .ilb names 1 bit, expected 2 (.i 2)"),
        ("same.pla", ".i 2\n.o 1\n.ilb a[0] a_0_\n", "line 3: 'a[0]' and 'a_0_' both become bit name"),
        (
            "clash.pla",
            ".i 2\n.o 1\n.type fr\n1- 1\n\n-0 0\n",
            "line 6: cube -0 0 gives output out = 0 for inputs a=1 b=0, but line 4 gives it 1",
        ),
        ("gap.pla", ".i 2\n.o 1\n.type fr\n1- 1\n", "line 3: .type fr, but no cube gives output out"),
        ("latch.blif", ".model m\n.inputs a\n.outputs y\n.latch a y\n", "line 4: unknown directive '.latch'"),
        (
            "dc.blif",
            ".model m\n.inputs a\n.outputs y\n.names a y\n1 -\n",
            "line 5: output '-'; expected 0 or 1",
        ),
        ("loop.blif", ".inputs a\n.outputs y\n.names a z y\n11 1\n.names y z\n1 1\n", "depends on itself"),
        ("open.blif", ".inputs a\n.outputs y\n.names q y\n1 1\n", "line 3: 'q' is neither an input nor set"),
        ("width.blif", ".inputs a b\n.outputs y\n.names a b y\n1 1\n", "line 4: expected 2 input characters"),
        ("many.blif", f".inputs {' '.join(f'i{n}' for n in range(17))}\n.outputs i0\n", "line 1: 17 inputs"),
    ],
)
def test_a_bad_file_is_one_line_naming_the_file_and_the_line(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    with pytest.raises(TableFileError) as caught:
        read_table_file(path)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value), str(caught.value)


def test_a_file_that_is_not_text_names_its_line(tmp_path):
    path = tmp_path / "binary.truth"
    path.write_bytes(b"0110\n\xff\xfe\n")
    with pytest.raises(TableFileError, match=r"binary.truth line 2: expected text, got byte 0xff"):
        read_table_file(path)
    with pytest.raises(TableFileError, match=r"missing.pla: no such file"):
        read_table_file(tmp_path / "missing.pla")


# --- gatenet train FILE.pla -------------------------------------------------------------------------


def test_train_a_pla_file_as_a_logic_circuit_then_edit_it(tmp_path):
    pla = write(tmp_path, "andnot.pla", ".i 2\n.o 1\n.ilb a b\n.ob y\n10 1\n.e\n")
    out = str(tmp_path / "models")
    logic = ["--kind", "logic", "--logic-steps", "100", "--logic-restarts", "4", "--out", out]
    trained = gatenet("train", str(pla), *logic)
    assert trained.returncode == 0, trained.stderr
    entry = ModelFolder(tmp_path / "models").entries()["andnot.onnx"]
    assert entry.truth_table == ("0010",) == tuple(columns(table_gate("T", ["0010"]).table))
    assert (entry.inputs, entry.outputs) == (("a", "b"), ("y",))
    assert gatenet("predict", "ANDNOT", "1", "0", "--dir", out).stdout.strip() == "1"
    assert gatenet("train", str(pla), *logic, "--check").returncode == 0
    pla.write_text(".i 2\n.o 1\n.ilb a b\n.ob y\n01 1\n.e\n")  # the recipe holds the table
    stale = gatenet("train", str(pla), *logic, "--check")
    assert stale.returncode == 1 and "ANDNOT: stale" in stale.stdout and "truth table changed" in stale.stdout


def test_a_bad_or_clashing_file_on_the_command_line_is_a_usage_line(tmp_path):
    bad = write(tmp_path, "bad.pla", ".i 2\n.o 1\n10 -\n")
    result = run_cli("train", str(bad), "--out", str(tmp_path / "m"))
    assert result.exit_code == 2 and f"Error: {bad} line 3: output 1 is '-'" in result.output, result.output
    xor = write(tmp_path, "xor.truth", "1000\n")
    result = run_cli("train", str(xor), "--out", str(tmp_path / "m"))
    assert result.exit_code == 2 and "gives gate 'XOR', and a registered gate or circuit" in result.output
    missing = run_cli("train", str(tmp_path / "none.blif"), "--out", str(tmp_path / "m"))
    assert missing.exit_code == 2 and "none.blif: no such file" in missing.output
    assert not (tmp_path / "m").exists()


def test_a_file_with_a_registered_gates_definition_stands_for_that_gate(tmp_path):
    registered = table_gate("XOR", ["0110"])  # the shipped XOR's table and bit names
    same = write(tmp_path, "xor.truth", "0110\n")
    found = {"xor": registered}
    assert file_arguments([str(same), "AND"], lambda name: found.get(name.lower())) == ([], ("XOR", "AND"))
    mine = write(tmp_path, "mine.pla", FULL_ADDER_PLA)
    gates, rest = file_arguments([str(mine), str(mine)], lambda name: None)
    assert [gate.name for gate in gates] == ["MINE"] and rest == ()


# --- [tool.gatenet] tables ---------------------------------------------------------------------------


def test_a_tables_folder_in_pyproject_registers_its_gates(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.gatenet]\ntables = ["tables/"]\nsteps = 10\n')
    write(tmp_path, "tables/my-xor.truth", "0110\n")
    write(tmp_path, "tables/full_adder2.blif", FULL_ADDER_BLIF)
    write(tmp_path, "tables/notes.txt", "not a table")
    listed = gatenet("list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "MY_XOR           2 in, 1 out  tables     ABC truth table my-xor.truth" in listed.stdout
    assert "FULL_ADDER2      3 in, 2 out  tables     BLIF full_adder2.blif" in listed.stdout
    logic = ["--kind", "logic", "--logic-steps", "100", "--logic-restarts", "4", "--out", "models"]
    trained = gatenet("train", "MY_XOR", *logic, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    verified = gatenet("verify", "--dir", "models", cwd=tmp_path)
    assert verified.returncode == 0 and "my_xor.onnx              verified" in verified.stdout
    again = gatenet("train", "tables/my-xor.truth", *logic, "--check", cwd=tmp_path)  # the same gate
    assert again.returncode == 0, again.stdout + again.stderr
    every = gatenet("train", "--check", "--out", "empty", cwd=tmp_path)  # what a bare `gatenet train` makes
    assert "MY_XOR: missing" in every.stdout and "FULL_ADDER2: missing" in every.stdout
    write(tmp_path, "tables/bad.pla", ".i 2\n.o 1\n.type fr\n10 1\n")
    broken = gatenet("list", cwd=tmp_path)
    assert broken.returncode == 1 and "MY_XOR " in broken.stdout
    (line,) = [line for line in broken.stderr.splitlines() if "bad.pla" in line]
    assert "plugin 'tables'" in line and "tables/bad.pla line 3: .type fr, but no cube gives" in line


def test_the_tables_setting_names_its_problems(tmp_path):
    pyproject = write(tmp_path, "pyproject.toml", '[tool.gatenet]\ntables = ["a", "b/one.pla", "c.txt"]\n')
    write(tmp_path, "a/one.pla", ".i 1\n.o 1\n1 1\n")
    write(tmp_path, "b/one.pla", ".i 1\n.o 1\n0 1\n")
    write(tmp_path, "c.txt", "")
    gates, problems = project_gates(pyproject)
    assert gates == []
    where = f"{pyproject} [tool.gatenet] tables"
    assert problems == [
        f"{where}: {tmp_path / 'c.txt'}: expected a folder or a .pla, .truth, .blif file",
        f"{tmp_path / 'a/one.pla'} and {tmp_path / 'b/one.pla'} give the same gate name 'ONE'; "
        "rename all but one",
    ]
    write(tmp_path, "pyproject.toml", '[tool.gatenet]\ntables = "tables/"\n')
    assert project_gates(pyproject) == (
        [],
        [f"{where}: expected a list of files or folders, e.g. tables = [\"tables/\"], got 'tables/'"],
    )
    assert project_settings(["one"], pyproject) == {"one": {}}  # tables is not a training setting
    write(tmp_path, "pyproject.toml", "[tool.gatenet]\ntables = []\nsteps = 0\n")
    with pytest.raises(NetworkError):
        project_settings(["one"], pyproject)
