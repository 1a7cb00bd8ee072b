"""`gatenet export-c`: C99 headers compiled for real with the system compiler and run against onnxruntime."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from c_tools import CC, STRICT, compile_and_run, run_tables
from folder_tools import EXPORTED, ROOT, copy_models, gatenet
from onnx import helper, numpy_helper

from gatenet import c_export, contract, runtime
from gatenet.gate import Gate

SHIPPED = sorted(runtime.load_dir(EXPORTED).values(), key=lambda model: model.name)


def test_every_shipped_header_compiles_strictly_verifies_itself_and_matches_onnxruntime(tmp_path):
    c_export.write_headers(SHIPPED, tmp_path)
    found = run_tables(tmp_path, SHIPPED)  # all headers in one program: no name clashes either
    assert sorted(found) == sorted(model.name for model in SHIPPED)
    for model in SHIPPED:
        failing, probabilities = found[model.name]
        assert failing == 0, model.name
        np.testing.assert_allclose(
            probabilities, model.probabilities(model.rows), atol=1e-5, err_msg=model.name
        )


def test_a_corrupted_weight_in_the_header_fails_its_own_verify(tmp_path):
    xor = runtime.load_gate("XOR", EXPORTED)
    text = c_export.header(xor)
    last = text.rindex("static const float w")  # the output layer's weights
    end = text.index(";", last)
    flipped = re.sub(r"(-?)(\d\.\d*e[+-]\d+f)", lambda m: ("" if m[1] else "-") + m[2], text[last:end])
    (tmp_path / "xor.h").write_text(text[:last] + flipped + text[end:])
    failing, _ = run_tables(tmp_path, [xor])["XOR"]
    assert failing > 0


def test_the_header_documents_its_model(tmp_path):
    full_adder = runtime.load_gate("FULL_ADDER", EXPORTED)
    text = c_export.header(full_adder)
    comment = text[: text.index("*/")]
    assert "a + b + carry_in as two bits" in comment
    assert "inputs:  a, b, carry_in" in comment and "outputs: sum, carry_out" in comment
    assert f"sha256 {__import__('hashlib').sha256(full_adder.data).hexdigest()}" in comment
    seed = json.loads((EXPORTED / "manifest.json").read_text())["models"]["full_adder.onnx"]["seed"]
    assert '"hidden": [32]' in comment and f"seed:    {seed}\n" in comment and "margin:  0.4" in comment
    assert " *   a b carry_in | sum carry_out\n" in comment
    assert " *   1 1        0 |   0         1\n" in comment  # 1 + 1 + 0 = 10 in binary
    assert "#define FULL_ADDER_INPUTS 3" in text and "#define FULL_ADDER_OUTPUTS 2" in text
    assert "static inline void full_adder_probabilities(const float bits[FULL_ADDER_INPUTS]" in text
    assert "static inline int full_adder_verify(void)" in text
    code = text[text.index("*/") :]
    assert re.findall(r"#include <[^>]+>", code) == ["#include <math.h>"]
    assert "malloc" not in code and not re.search(r"^static (?!inline)", code, re.M)  # no globals at all


def test_the_object_has_no_data_or_code_it_does_not_need(tmp_path):
    (tmp_path / "xor.h").write_text(c_export.header(runtime.load_gate("XOR", EXPORTED)))
    (tmp_path / "use.c").write_text(
        '#include "xor.h"\nvoid run(const float *bits, float *out) { xor_probabilities(bits, out); }\n'
    )
    subprocess.run([CC, *STRICT, "-Os", "-c", "use.c", "-o", "use.o"], cwd=tmp_path, check=True)
    sizes = subprocess.run(["size", "use.o"], cwd=tmp_path, capture_output=True, text=True, check=True)
    text, data, bss = map(int, sizes.stdout.splitlines()[1].split()[:3])
    assert data == 0 and bss == 0  # weights are read-only, nothing is writable
    assert text < 1024


def test_the_c_demo_builds_with_its_documented_command_and_its_header_is_current(tmp_path):
    demo = ROOT / "examples" / "c"
    header = c_export.header(runtime.load_gate("XOR", EXPORTED))
    assert (demo / "xor.h").read_text() == header, (
        "examples/c/xor.h is stale: gatenet export-c XOR --out examples/c"
    )
    shutil.copy(demo / "main.c", tmp_path)
    (tmp_path / "xor.h").write_text(header)
    command = [CC, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "main.c", "-o", "xor-demo", "-lm"]
    subprocess.run(command, cwd=tmp_path, check=True)
    result = subprocess.run([tmp_path / "xor-demo"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()[1:5]
    assert [row[:8] for row in rows] == ["0 0 | 0 ", "0 1 | 1 ", "1 0 | 1 ", "1 1 | 0 "]
    assert all(re.fullmatch(r".{8}\(\d\.\d{3}\)", row) for row in rows)
    assert "verified" in result.stdout.splitlines()[-1]


def test_the_c_demo_exits_non_zero_when_its_header_fails(tmp_path):
    header = c_export.header(runtime.load_gate("XOR", EXPORTED))
    shutil.copy(ROOT / "examples" / "c" / "main.c", tmp_path)
    (tmp_path / "xor.h").write_text(header.replace("#define XOR_MARGIN 0.4", "#define XOR_MARGIN 0.4999"))
    result = compile_and_run(tmp_path, (tmp_path / "main.c").read_text())
    assert result.returncode == 1 and "rows miss the verified margin" in result.stderr


def test_the_cli_writes_one_header_per_model_and_names_what_is_wrong(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR", "HALF_ADDER"])
    result = gatenet("export-c", "--dir", str(folder), "--out", str(tmp_path / "c"))
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (tmp_path / "c").iterdir()) == ["half_adder.h", "xor.h"]
    result = gatenet("export-c", "XOR", "NOPE", "--dir", str(folder), "--out", str(tmp_path / "d"))
    assert result.returncode == 1 and "no model of gate 'NOPE'" in result.stderr
    assert not (tmp_path / "d").exists()  # nothing is written when any name is wrong


def write_model(path: Path, graph_nodes: list, initializers: list, gate: Gate) -> runtime.GateModel:
    """A gatenet-contract ONNX file built by hand, for graphs no trainer makes."""
    graph = helper.make_graph(
        graph_nodes,
        "hand",
        [helper.make_tensor_value_info(contract.INPUT_NAME, onnx.TensorProto.FLOAT, ["N", gate.inputs])],
        [helper.make_tensor_value_info(contract.OUTPUT_NAME, onnx.TensorProto.FLOAT, ["N", gate.outputs])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", contract.OPSET)])
    for key, value in contract.model_metadata(gate, 0.4, 0, {"activation": ["erf"]}, {}).items():
        model.metadata_props.add(key=key, value=value)
    path.write_bytes(model.SerializeToString())
    return runtime.load(path)


def test_an_operator_c_cannot_run_is_refused_by_name(tmp_path):
    gate = Gate("ODD", 1, [(0,), (1,)], 1)
    weight = numpy_helper.from_array(np.ones((1, 1), np.float32), "w")
    nodes = [
        helper.make_node("MatMul", ["bits", "w"], ["h"]),
        helper.make_node("Erf", ["h"], ["probabilities"]),
    ]
    model = write_model(tmp_path / "odd.onnx", nodes, [weight], gate)
    with pytest.raises(c_export.CExportError, match=r"odd.onnx: uses the ONNX operator Erf.*activations erf"):
        c_export.header(model, verified_only=False)


def test_an_unverified_model_is_not_exported(tmp_path):
    gate = Gate("ODD", 1, [(0,), (1,)], 1)
    weight = numpy_helper.from_array(np.full((1, 1), -5, np.float32), "w")  # answers the opposite
    nodes = [
        helper.make_node("MatMul", ["bits", "w"], ["h"]),
        helper.make_node("Sigmoid", ["h"], ["probabilities"]),
    ]
    model = write_model(tmp_path / "odd.onnx", nodes, [weight], gate)
    with pytest.raises(c_export.CExportError, match=r"odd.onnx: not verified \(worst margin"):
        c_export.header(model)


def with_metadata(tmp_path, **changes: str) -> runtime.GateModel:
    """The committed XOR model with some metadata replaced, as a shared or tampered folder might hold."""
    proto = onnx.load(EXPORTED / "xor.onnx")
    for prop in proto.metadata_props:
        prop.value = changes.get(prop.key, prop.value)
    path = tmp_path / "xor.onnx"
    path.write_bytes(proto.SerializeToString())
    return runtime.load(path)


def test_metadata_stays_inert_text_in_the_header_whatever_it_says(tmp_path):
    model = with_metadata(
        tmp_path,
        **{
            contract.KEY_SEED: "1 *\\\n/ int injected(void) { return 42; } /*",
            contract.KEY_DESCRIPTION: "a /* nested comment, a trigraph ??/\nand a splice \\",
            contract.KEY_INPUTS: '["a */ int b; /*", "b"]',
        },
    )
    text = c_export.header(model)
    assert text.index("*/") == text.index("\n */\n") + 2  # the comment ends where the header ends it
    (tmp_path / "xor.h").write_text(text)
    program = '#include "xor.h"\nint main(void) { return xor_verify(); }\n'
    assert compile_and_run(tmp_path, program).returncode == 0  # strict flags: no nested comment or trigraph
    calls = '#include "xor.h"\nint main(void) { return injected(); }\n'
    (tmp_path / "main.c").write_text(calls)
    build = subprocess.run(
        [CC, *STRICT, "-I", str(tmp_path), "main.c", "-o", "main"], cwd=tmp_path, capture_output=True
    )
    assert build.returncode != 0  # no function came out of the metadata


def test_a_gate_name_that_is_not_an_identifier_is_refused(tmp_path):
    model = with_metadata(tmp_path, **{contract.KEY_GATE: "xor(void){}int"})
    with pytest.raises(c_export.CExportError, match="gate name 'xor\\(void\\)\\{\\}int' is not letters"):
        c_export.header(model)
