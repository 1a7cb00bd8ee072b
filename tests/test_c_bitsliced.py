"""Bit-sliced C for logic models (issue 22): the header compiled for real with the strict flags, and run
against onnxruntime on every row, one row at a time and 64 rows to a word."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from c_tools import CC, STRICT, compile_and_run
from folder_tools import EXPORTED, gatenet
from netlists import FULL_ADDER, XOR

from gatenet import c_bitsliced, c_export, contract, runtime
from gatenet.gate import Gate
from gatenet.logic_onnx import netlist_model
from gatenet.netlist import FUNCTION_NAMES, FUNCTIONS, TABLES, Netlist, Node, Output, evaluate

X = FUNCTIONS


def ripple_adder() -> Netlist:
    """a + b + carry_in of two 4-bit numbers: 9 inputs, 5 outputs, 512 rows, in ADD4's bit order."""
    inputs = ("a3", "a2", "a1", "a0", "b3", "b2", "b1", "b0", "carry_in")
    nodes: list[Node] = []
    sums = []

    def add(function: str, a: int, b: int) -> int:
        nodes.append(Node(X[function], a, b))
        return len(inputs) + len(nodes) - 1

    carry = 8
    for bit in range(4):  # a0 + b0 first: a_k is input 3 - k, b_k input 7 - k
        half = add("XOR", 3 - bit, 7 - bit)
        sums.append(add("XOR", half, carry))
        carry = add("OR", add("AND", 3 - bit, 7 - bit), add("AND", half, carry))
    outputs = (Output(carry), *(Output(signal) for signal in reversed(sums)))
    return Netlist(inputs, tuple(nodes), outputs, ("carry_out", "sum3", "sum2", "sum1", "sum0"))


def random_netlist(inputs: int, count: int, seed: int) -> Netlist:
    """Every one of the 16 functions, dead nodes, and complemented and constant outputs."""
    rng = np.random.default_rng(seed)
    nodes = [
        Node(k % 16, *map(int, rng.integers(0, inputs + k, size=2)))  # k % 16: each function at least once
        for k in range(count)
    ]
    outputs = [Output(int(rng.integers(0, inputs + count)), bool(rng.random() < 0.5)) for _ in range(4)]
    outputs += [Output(None, False), Output(None, True), Output(0, True)]
    names = tuple(f"x{i}" for i in range(inputs))
    return Netlist(names, tuple(nodes), tuple(outputs), tuple(f"y{j}" for j in range(len(outputs))))


def logic_model(tmp_path: Path, name: str, netlist: Netlist) -> runtime.GateModel:
    gate = Gate(name, netlist.inputs, evaluate(netlist), netlist.output_names)
    path = tmp_path / f"{gate.key}.onnx"
    path.write_bytes(netlist_model(netlist, gate))
    return runtime.load(path)


def tampered(model: runtime.GateModel, path: Path, **changes: str) -> runtime.GateModel:
    """`model` with some metadata replaced, as a shared or tampered folder might hold."""
    path.parent.mkdir(parents=True, exist_ok=True)
    proto = onnx.load_from_string(model.data)
    for prop in proto.metadata_props:
        prop.value = changes.get(prop.key, prop.value)
    path.write_bytes(proto.SerializeToString())
    return runtime.load(path)


def run_header(
    tmp_path: Path, model: runtime.GateModel, text: str, rows: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray]:
    """What the header gives: `_verify()`, every table row through `_probabilities`, and `rows` packed 64
    to a word (bit j of word i is input i of row j) through `_packed`."""
    gate, upper = model.name.lower(), model.name.upper()
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / f"{gate}.h").write_text(text)
    words = -(-len(rows) // 64)
    padded = np.zeros((words * 64, model.inputs), np.uint8)
    padded[: len(rows)] = rows
    packed = np.packbits(padded.reshape(words, 64, -1).transpose(0, 2, 1), axis=2, bitorder="little")
    packed = np.ascontiguousarray(packed).view("<u8")[..., 0]  # [words, inputs]
    literal = ",\n".join("{" + ", ".join(f"0x{int(w):016X}" for w in word) + "}" for word in packed)
    program = f"""#include <stdio.h>
#include <inttypes.h>
#include "{gate}.h"
static const uint64_t rows[{words}][{upper}_INPUTS] = {{{literal}}};
int main(void)
{{
    float bits[{upper}_INPUTS], out[{upper}_OUTPUTS];
    uint64_t got[{upper}_OUTPUTS];
    printf("%d\\n", {gate}_verify());
    for (long row = 0; row < {upper}_ROWS; ++row) {{
        for (int i = 0; i < {upper}_INPUTS; ++i) bits[i] = (float)((row >> ({upper}_INPUTS - 1 - i)) & 1);
        {gate}_probabilities(bits, out);
        for (int j = 0; j < {upper}_OUTPUTS; ++j) printf("%.9g ", (double)out[j]);
        printf("\\n");
    }}
    for (int word = 0; word < {words}; ++word) {{
        {gate}_packed(rows[word], got);
        for (int j = 0; j < {upper}_OUTPUTS; ++j) printf("%016" PRIX64 " ", got[j]);
        printf("\\n");
    }}
    return 0;
}}
"""
    result = compile_and_run(tmp_path, program)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    table_rows = len(model.rows)
    one_by_one = np.array([[float(v) for v in line.split()] for line in lines[1 : 1 + table_rows]])
    out_words = np.array([[int(v, 16) for v in line.split()] for line in lines[1 + table_rows :]], np.uint64)
    bits = (out_words[:, :, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)  # [words, outputs, 64]
    sliced = bits.transpose(0, 2, 1).reshape(-1, model.outputs)[: len(rows)]
    return int(lines[0]), one_by_one, sliced


def check_against_onnxruntime(tmp_path: Path, model: runtime.GateModel, seed: int = 0) -> str:
    """The header of `model` is bit-sliced, verifies itself, and gives onnxruntime's outputs on every row:
    one row at a time, and packed in a shuffled order with some rows twice (so the last word is partial)."""
    text = c_export.header(model)
    assert f"{model.name.lower()}_packed(const uint64_t inputs[" in text
    rng = np.random.default_rng(seed)
    table_rows = model.rows
    shuffled = table_rows[rng.permutation(len(table_rows))]
    rows = np.concatenate([shuffled, table_rows[: 1 + len(table_rows) // 3]])
    failing, one_by_one, sliced = run_header(tmp_path, model, text, rows)
    expected = model.probabilities(table_rows)
    assert failing == 0
    assert set(np.unique(expected)) <= {0.0, 1.0}
    np.testing.assert_array_equal(one_by_one, expected)  # exactly 0.0 and 1.0, as onnxruntime's
    np.testing.assert_array_equal(sliced, model.probabilities(rows))
    return text


@pytest.mark.parametrize(
    "name, netlist",
    [
        ("XOR", XOR),
        ("FULL_ADDER", FULL_ADDER),
        ("RANDOM7", random_netlist(7, 60, seed=1)),  # 128 rows: two words
        ("ADD4C", ripple_adder()),  # 512 rows: eight words
    ],
)
def test_the_bitsliced_header_verifies_itself_and_matches_onnxruntime_on_every_row(tmp_path, name, netlist):
    model = logic_model(tmp_path, name, netlist)
    text = check_against_onnxruntime(tmp_path, model)
    assert f"#define {name}_INPUTS {len(netlist.inputs)}" in text
    assert f"#define {name}_OUTPUTS {len(netlist.outputs)}" in text
    assert f"#define {name}_WORDS {-(-(2 ** len(netlist.inputs)) // 64)}L" in text
    code = text[text.index("*/") :]
    assert "float" not in code[: code.index("_probabilities")]  # the circuit itself is words only


def test_a_gate_is_one_bitwise_operation_on_words():
    assert c_bitsliced.expression(X["XOR"], "x", "y") == "x ^ y"
    assert c_bitsliced.expression(X["A_AND_NOT_B"], "x", "y") == "x & ~y"


def test_every_function_is_its_truth_table_in_c(tmp_path):
    """a = 1100 and b = 1010 hold the rows (a, b) = 00, 01, 10, 11 as bits 0..3: f(a, b) is f's table."""
    lines = ["#include <stdio.h>", "#include <stdint.h>", "int main(void)", "{"]
    lines.append("    const uint64_t a = 0xC, b = 0xA;")
    for function in range(16):
        lines.append(f'    printf("%d\\n", (int)(({c_bitsliced.expression(function, "a", "b")}) & 0xF));')
    lines += ["    return 0;", "}", ""]
    result = compile_and_run(tmp_path, "\n".join(lines))
    assert result.returncode == 0, result.stderr
    got = [int(line) for line in result.stdout.split()]
    assert got == [sum(int(TABLES[f][m]) << m for m in range(4)) for f in range(16)], FUNCTION_NAMES


def test_a_netlist_with_one_flipped_gate_fails_its_own_verify_and_is_not_exported(tmp_path):
    model = logic_model(tmp_path, "FULL_ADDER", FULL_ADDER)
    nodes = list(FULL_ADDER.nodes)
    nodes[4] = Node(X["AND"], nodes[4].a, nodes[4].b)  # carry_out = OR(ab, (a ^ b) c) becomes AND
    broken = Netlist(FULL_ADDER.inputs, tuple(nodes), FULL_ADDER.outputs, FULL_ADDER.output_names)
    bad = tampered(model, tmp_path / "bad" / "full_adder.onnx", **{contract.KEY_NETLIST: broken.to_json()})
    wrong = r"full_adder.onnx: its netlist is not its truth table: row 3 "
    with pytest.raises(c_export.CExportError, match=wrong):
        c_export.header(bad)
    text = c_export.header(bad, verified_only=False)  # the header of the broken circuit, written anyway
    failing, one_by_one, _ = run_header(tmp_path, bad, text, bad.rows)
    wrong_rows = int((evaluate(broken) != evaluate(FULL_ADDER)).any(axis=1).sum())
    assert failing == wrong_rows == 4  # ab and (a ^ b) c never hold together: every carry is lost
    np.testing.assert_array_equal(one_by_one, evaluate(broken))


def test_a_netlist_of_other_widths_is_refused_by_name(tmp_path):
    model = logic_model(tmp_path, "XOR", XOR)
    other = tampered(model, tmp_path / "bad" / "xor.onnx", **{contract.KEY_NETLIST: FULL_ADDER.to_json()})
    with pytest.raises(c_export.CExportError, match=r"xor.onnx: its netlist has 3 inputs and 2 outputs"):
        c_export.header(other, verified_only=False)
    junk = tampered(model, tmp_path / "junk" / "xor.onnx", **{contract.KEY_NETLIST: "{"})
    with pytest.raises(c_export.CExportError, match=r"xor.onnx: gatenet.netlist: netlist: not JSON"):
        c_export.header(junk)


def test_hostile_names_stay_inert_comment_text(tmp_path):
    model = logic_model(tmp_path, "FULL_ADDER", FULL_ADDER)
    attack = "a */ int injected(void) { return 42; } /*"
    hostile = Netlist((attack, "b ??/", "c \\"), FULL_ADDER.nodes, FULL_ADDER.outputs, ("*/ #define x", "y"))
    bad = tampered(
        model,
        tmp_path / "hostile" / "full_adder.onnx",
        **{
            contract.KEY_NETLIST: hostile.to_json(),
            contract.KEY_DESCRIPTION: "a /* nested comment, a trigraph ??/\nand a splice \\",
            contract.KEY_INPUTS: '["a */ int b; /*", "b", "c"]',
        },
    )
    text = c_export.header(bad)
    assert text.index("*/") == text.index("\n */\n") + 2  # the comment ends where the header ends it
    code = text[text.index("\n */\n") :]
    assert "injected" not in code and "#define x" not in code and "??" not in code
    (tmp_path / "full_adder.h").write_text(text)
    program = '#include "full_adder.h"\nint main(void) { return full_adder_verify(); }\n'
    assert compile_and_run(tmp_path, program).returncode == 0  # strict: no nested comment, trigraph, splice
    (tmp_path / "main.c").write_text('#include "full_adder.h"\nint main(void) { return injected(); }\n')
    build = subprocess.run([CC, *STRICT, "main.c", "-o", "main"], cwd=tmp_path, capture_output=True)
    assert build.returncode != 0  # no function came out of the names


def test_the_object_has_no_writable_data(tmp_path):
    model = logic_model(tmp_path, "FULL_ADDER", FULL_ADDER)
    (tmp_path / "full_adder.h").write_text(c_export.header(model))
    (tmp_path / "use.c").write_text(
        '#include "full_adder.h"\n'
        "void run(const uint64_t *in, uint64_t *out) { full_adder_packed(in, out); }\n"
        "int check(void) { return full_adder_verify(); }\n"
    )
    subprocess.run([CC, *STRICT, "-Os", "-c", "use.c", "-o", "use.o"], cwd=tmp_path, check=True)
    sizes = subprocess.run(["size", "use.o"], cwd=tmp_path, capture_output=True, text=True, check=True)
    _, data, bss = map(int, sizes.stdout.splitlines()[1].split()[:3])
    assert data == 0 and bss == 0


def test_network_models_and_circuits_of_them_keep_their_interpreted_header():
    for name in ("XOR", "HALF_ADDER_WIRED"):  # a network, and a circuit of network XOR and AND
        text = c_export.header(runtime.load_gate(name, EXPORTED))
        assert "_packed" not in text and "#include <math.h>" in text and "static const float w0" in text


def test_freshly_trained_logic_models_and_their_circuit_export_bitsliced_through_the_cli(tmp_path):
    """XOR and AND learned as logic models, and HALF_ADDER_WIRED built from them: three headers, the
    circuit's from its two parts' netlists composed into one."""
    trained = gatenet(
        "train", "HALF_ADDER_WIRED", "--kind", "logic", "--logic-restarts", "4", "--logic-steps", "200",
        "--out", str(tmp_path / "logic"),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    result = gatenet("export-c", "--dir", str(tmp_path / "logic"), "--out", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr
    headers = sorted(path.name for path in (tmp_path / "c").iterdir())
    assert headers == ["and.h", "half_adder_wired.h", "xor.h"]
    for name in ("XOR", "AND", "HALF_ADDER_WIRED"):
        model = runtime.load_gate(name, tmp_path / "logic")
        text = (tmp_path / "c" / f"{name.lower()}.h").read_text()
        assert text == c_export.header(model) and f"#define {name}_MARGIN {model.margin!r}" in text
        assert check_against_onnxruntime(tmp_path / name, model) == text
    xor = c_bitsliced.netlist_of(runtime.load_gate("XOR", tmp_path / "logic"))
    assert "#define XOR_GATES 1" in (tmp_path / "c" / "xor.h").read_text() and xor.gates == 1
    circuit = (tmp_path / "c" / "half_adder_wired.h").read_text()
    assert "circuit (its logic parts composed, minimized" in circuit
    assert "#define HALF_ADDER_WIRED_GATES 2" in circuit  # sum = XOR(a, b), carry = AND(a, b)
