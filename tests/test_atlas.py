"""The capacity atlas: per NPN class of a family, how small a ReLU layer and a logic network learn it."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from folder_tools import gatenet

from gatenet import atlas, npn
from gatenet.gate import Gate
from gatenet.plugins import collect_gates

# A small real atlas: the 4 classes of two-input functions, 4 seeds, hidden 0, 1, 2 and 8, width 1.
SMALL = ["--hidden", "0,1,2,8", "--widths", "1", "--seeds", "4"]
COLUMNS = [
    *("class", "representative", "member", "size", "support", "name", "threshold", "min_gates"),
    *("relu_h0", "relu_h1", "relu_h2", "relu_h8", "relu_k1", "relu_k2", "relu_k4"),
    *("logic_w1", "logic_k1", "logic_k2", "logic_k4", "logic_gates"),
]

MIXED = """\
import gatenet


@gatenet.hookimpl
def register_gates(register):
    register(gatenet.Gate(name="MIXED_A", inputs=2, truth=lambda a, b: a & b, family="mixed"))
    register(gatenet.Gate(name="MIXED_B", inputs=3, truth=lambda a, b, c: a & b & c, family="mixed"))
"""


@pytest.fixture(scope="module")
def boolean2(tmp_path_factory):
    """`gatenet atlas --family boolean2` run once, as a user runs it: its output, CSV rows and folder."""
    out = tmp_path_factory.mktemp("atlas")
    result = gatenet("atlas", "--family", "boolean2", *SMALL, "--out", str(out))
    assert result.returncode == 0, result.stderr
    with open(out / "boolean2.csv", newline="") as file:
        reader = csv.DictReader(file)
        rows = {row["name"]: row for row in reader}
        header = reader.fieldnames
    return result.stdout, header, rows, out


def test_the_csv_has_one_row_per_npn_class_with_its_facts(boolean2):
    _, header, rows, _ = boolean2
    assert header == COLUMNS
    assert list(rows) == ["constant", "AND2", "wire", "XOR2"]  # by least member: 0, 1, 3, 6
    facts = [(r["representative"], r["member"], r["size"], r["support"]) for r in rows.values()]
    assert facts == [
        ("0x0", "BOOLEAN2_00", "2", "0"),  # 0 and 1
        ("0x1", "BOOLEAN2_01", "8", "2"),  # AND with any inputs or output negated: 8 of the 16
        ("0x3", "BOOLEAN2_03", "4", "1"),  # a, b, not a, not b
        ("0x6", "BOOLEAN2_06", "2", "2"),  # XOR and XNOR
    ]
    assert [r["threshold"] for r in rows.values()] == ["yes", "yes", "yes", "no"]
    assert [r["min_gates"] for r in rows.values()] == ["0", "1", "0", "1"]


def test_one_relu_unit_cannot_learn_xor_but_more_can(boolean2):
    _, _, rows, _ = boolean2
    xor = rows["XOR2"]
    # one ReLU unit feeding a sigmoid is a monotone function of one weighted sum: a threshold function
    assert (xor["relu_h0"], xor["relu_h1"]) == ("0", "0")
    assert int(xor["relu_h8"]) >= 1 and xor["relu_k1"] in ("2", "8")
    for row in rows.values():  # each k column is the smallest rung with k seeds verified
        counts = {h: int(row[f"relu_h{h}"]) for h in (0, 1, 2, 8)}
        for k in (1, 2, 4):
            smallest = min((h for h, count in counts.items() if count >= k), default=None)
            assert row[f"relu_k{k}"] == ("" if smallest is None else str(smallest))
    assert int(rows["AND2"]["relu_h8"]) == 4  # linearly separable: learned on every seed


def test_the_logic_columns_give_xor_and_and_one_gate(boolean2):
    _, _, rows, _ = boolean2
    assert {name: row["logic_gates"] for name, row in rows.items()} == {
        "constant": "0",
        "AND2": "1",
        "wire": "0",
        "XOR2": "1",
    }
    assert all(row["logic_w1"] == "4" and row["logic_k4"] == "1" for row in rows.values())


def test_the_command_prints_each_rung_and_writes_a_png(boolean2):
    stdout, _, rows, out = boolean2
    lines = stdout.splitlines()
    assert lines[0].split() == ["rung", "classes", "all", "4", "seeds", "functions", "all", "seeds"]
    printed = {line.split()[0]: [int(cell) for cell in line.split()[1:]] for line in lines[1:-1]}
    assert list(printed) == ["relu_h0", "relu_h1", "relu_h2", "relu_h8", "logic_w1"]
    for rung, (some, every, functions_some, functions_all) in printed.items():
        assert some == sum(int(row[rung]) >= 1 for row in rows.values())
        assert every == sum(int(row[rung]) == 4 for row in rows.values())
        assert functions_some == sum(int(row["size"]) for row in rows.values() if int(row[rung]) >= 1)
        assert functions_all == sum(int(row["size"]) for row in rows.values() if int(row[rung]) == 4)
    assert printed["relu_h1"][0] == 3 and printed["logic_w1"] == [4, 4, 16, 16]  # XOR alone is missing
    assert lines[-1] == f"wrote {out / 'boolean2.csv'}, {out / 'boolean2.png'}"
    assert (out / "boolean2.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_same_rows_give_the_same_bytes(boolean2, tmp_path):
    _, _, rows, out = boolean2
    typed = [
        {
            key: (int(value) if value.isdigit() else None if value == "" else value)
            for key, value in row.items()
        }
        for row in rows.values()
    ]
    atlas.write_atlas("boolean2", typed, tmp_path)
    assert (tmp_path / "boolean2.csv").read_bytes() == (out / "boolean2.csv").read_bytes()
    assert (tmp_path / "boolean2.png").read_bytes() == (out / "boolean2.png").read_bytes()


@pytest.mark.parametrize(("inputs", "functions"), [(1, 4), (2, 14), (3, 104), (4, 1882)])
def test_threshold_classes_hold_every_threshold_function(inputs, functions):
    """OEIS A000609: 4, 14, 104 and 1882 threshold functions of 1 to 4 inputs."""
    classes = npn.classify(np.arange(2**2**inputs), inputs).representative
    assert int(np.isin(classes, list(atlas.threshold_classes(inputs))).sum()) == functions


def test_named_classes_support_and_hex():
    names = {name: number for number, name in atlas.class_names(4).items()}
    assert atlas.hex_table(names["XOR4"], 4) == "0x6996" and atlas.hex_table(names["AND4"], 4) == "0x0001"
    assert "AT_LEAST_2_OF_4" in names and names["MAJ3"] != names["AT_LEAST_2_OF_4"]
    assert atlas.support(np.array([0, 0, 1, 1, 0, 0, 1, 1])) == 1  # the middle input only
    assert atlas.support(np.array([0, 1, 1, 0, 1, 0, 0, 1])) == 3


def test_a_family_the_atlas_cannot_map_is_refused_before_training():
    registry = collect_gates()
    with pytest.raises(ValueError, match="^MAJORITY3: 3 inputs, but XOR has 2; give one input count$"):
        atlas.atlas([registry.find("XOR"), registry.find("MAJORITY3")])
    with pytest.raises(ValueError, match="^FULL_ADDER: the atlas takes one-output functions"):
        atlas.atlas([registry.find("FULL_ADDER")])
    with pytest.raises(ValueError, match="^hidden: expected sizes >= 0"):
        atlas.atlas([registry.find("XOR")], hidden=(-1,))
    six = Gate(name="SIX", inputs=6, truth=lambda *bits: sum(bits) % 2)
    with pytest.raises(ValueError, match="^SIX: 6 inputs; NPN classes cover 1 to 5$"):
        atlas.atlas([six])


def test_bad_input_gets_one_clear_line(tmp_path):
    unknown = gatenet("atlas", "--family", "nosuch", "--out", str(tmp_path / "a"))
    assert unknown.returncode == 2
    assert unknown.stderr.splitlines()[-1].startswith("Error: unknown family 'nosuch'; families: boolean1")
    bad = gatenet("atlas", "--family", "boolean2", "--hidden", "1,x", "--out", str(tmp_path / "a"))
    assert bad.returncode == 2 and "Invalid value for '--hidden'" in bad.stderr.splitlines()[-1]
    (tmp_path / "mixed.py").write_text(MIXED)
    mixed = gatenet(
        "-p", str(tmp_path / "mixed.py"), "atlas", "--family", "mixed", "--out", str(tmp_path / "m")
    )
    assert (mixed.returncode, mixed.stdout) == (1, "")
    assert (
        mixed.stderr == "Error: --family mixed: MIXED_B: 3 inputs, but MIXED_A has 2; give one input count\n"
    )
    assert not (tmp_path / "m" / "mixed.csv").exists()


def test_the_library_reports_progress_and_gives_the_command_s_counts(boolean2):
    _, _, rows, _ = boolean2
    gates = list(collect_gates().select((), ("boolean2",)))
    calls = []
    found = atlas.atlas(gates, hidden=(1,), widths=(1,), seeds=4, on_program=lambda *c: calls.append(c))
    # one ReLU program for all 4 classes x 4 seeds, then one logic program per seed
    assert calls == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert [row["name"] for row in found] == list(rows)
    # the same seeds give the same networks in another process and beside another ladder
    assert [row["relu_h1"] for row in found] == [int(row["relu_h1"]) for row in rows.values()]
    assert [row["logic_gates"] for row in found] == [int(row["logic_gates"]) for row in rows.values()]
    assert found[3]["relu_k1"] is None and found[1]["threshold"] == "yes"  # XOR: none; AND: separable
