"""The exported models run in a C++ app: examples/cpp checks them with OpenCV's DNN module."""

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from gatenet import runtime

ROOT = Path(__file__).resolve().parent.parent
CPP_APP = ROOT / "examples" / "cpp"
EXPORTED = ROOT / "exported"
PACKAGES = "cmake g++ make libopencv-dev nlohmann-json3-dev libssl-dev"
ROW = re.compile(r"row (\d+) \(([01]+)\) out=")


@pytest.fixture(scope="module")
def cpp_check(tmp_path_factory):
    """Configure and build the app once, in a temporary folder, never in the checkout."""
    if shutil.which("cmake") is None:
        pytest.fail(f"cmake is not installed; the C++ example needs: apt-get install {PACKAGES}")
    build = tmp_path_factory.mktemp("cpp") / "build"
    for step in (["cmake", "-S", CPP_APP, "-B", build], ["cmake", "--build", build, "-j2"]):
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            pytest.fail(
                f"{' '.join(map(str, step))} failed (needs: apt-get install {PACKAGES}):\n"
                f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )
    binary = build / "gatenet-check"

    def run(*args: object) -> subprocess.CompletedProcess:
        return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=120)

    return run


def exported_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "exported"
    shutil.copytree(EXPORTED, copy)
    return copy


def onnxruntime_probabilities(path: Path) -> np.ndarray:
    """Every truth-table row, in gatenet's own row order, through onnxruntime."""
    rows = runtime.load(path).rows.astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"bits": rows})[0]


def test_cpp_verifies_every_committed_model_with_the_same_numbers_as_onnxruntime(cpp_check):
    names = sorted(path.name for path in EXPORTED.glob("*.onnx"))
    assert {"xor.onnx", "full_adder.onnx", "parity8.onnx"} <= set(names)

    result = cpp_check("check-models", EXPORTED)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sorted(line.split()[0] for line in lines) == names
    assert all(re.fullmatch(r"\S+\.onnx  verified  worst margin 0\.\d{3}", line) for line in lines), lines

    result = cpp_check("check-models", EXPORTED, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["models"]
    assert sorted(report) == names
    manifest = json.loads((EXPORTED / "manifest.json").read_text())["models"]
    for name, entry in report.items():
        assert entry["verified"] is True and entry["worst_margin"] >= manifest[name]["margin"]
        assert entry["worst_margin"] == pytest.approx(manifest[name]["worst_margin"], abs=1e-5)
        expected = onnxruntime_probabilities(EXPORTED / name)
        np.testing.assert_allclose(np.array(entry["probabilities"]), expected, atol=1e-5, err_msg=name)


def test_cpp_reports_a_tampered_model_and_verifies_the_rest(cpp_check, tmp_path):
    copy = exported_copy(tmp_path)
    data = bytearray((copy / "or.onnx").read_bytes())
    data[-30] ^= 0xFF
    (copy / "or.onnx").write_bytes(bytes(data))

    result = cpp_check("check-models", copy)
    assert result.returncode == 1
    assert "or.onnx  FAILED  sha256 mismatch" in result.stdout
    assert "xor.onnx  verified  worst margin" in result.stdout
    assert [line for line in result.stdout.splitlines() if "FAILED" in line] == [
        line for line in result.stdout.splitlines() if line.startswith("or.onnx")
    ]


def test_cpp_names_the_rows_of_a_model_whose_weights_changed(cpp_check, tmp_path):
    """A changed weight with a matching sha256 in the manifest: only running the truth table catches it."""
    copy = exported_copy(tmp_path)
    path = copy / "xor.onnx"
    model = onnx.load(path)
    # The output layer's bias: the Add that feeds the final Sigmoid. +10 pushes every row towards 1,
    # so the rows that want 0 (00 and 11) fail and the rows that want 1 still pass.
    sigmoid = next(node for node in model.graph.node if node.op_type == "Sigmoid")
    add = next(node for node in model.graph.node if node.output[0] == sigmoid.input[0])
    bias = next(init for init in model.graph.initializer if init.name in add.input)
    bias.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(bias) + 10, bias.name))
    onnx.save(model, path)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["models"]["xor.onnx"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2))

    probabilities = onnxruntime_probabilities(path)[:, 0]
    want = np.array([0, 1, 1, 0])
    failing = {row for row in range(4) if (probabilities[row] - 0.5) * (1 if want[row] else -1) < 0.4}
    assert failing == {0, 3}

    result = cpp_check("check-models", copy)
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if line.startswith("xor.onnx"))
    assert line.startswith("xor.onnx  FAILED  row 0 (00) out=")
    assert {(int(row), bits) for row, bits in ROW.findall(line)} == {(0, "00"), (3, "11")}
    assert "xnor.onnx  verified" in result.stdout and result.stdout.count("FAILED") == 1


def test_cpp_predicts_one_row_and_refuses_the_wrong_number_of_bits(cpp_check):
    result = cpp_check("predict", EXPORTED, "FULL_ADDER", 1, 1, 0)
    assert result.returncode == 0, result.stderr
    outputs = {
        name: (float(p), bit) for name, p, bit in (line.split() for line in result.stdout.splitlines())
    }
    assert set(outputs) == {"sum", "carry_out"}
    assert outputs["sum"][0] < 0.1 and outputs["sum"][1] == "0"
    assert outputs["carry_out"][0] > 0.9 and outputs["carry_out"][1] == "1"

    result = cpp_check("predict", EXPORTED, "full_adder", 1, 1)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "FULL_ADDER takes 3 bits" in result.stderr and "got 2" in result.stderr


def test_cpp_times_a_one_row_call(cpp_check):
    result = cpp_check("time", EXPORTED, "XOR", 1000)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"xor 1 row: \d+ ns per call\n", result.stdout)


@pytest.mark.parametrize(
    "manifest, complaint",
    [
        (None, "No such file or directory"),
        ("{not json", "not valid JSON"),
        ('{"format": 2}', "lists no models"),
    ],
)
def test_cpp_refuses_a_missing_or_broken_manifest_in_one_line(cpp_check, tmp_path, manifest, complaint):
    if manifest is not None:
        (tmp_path / "manifest.json").write_text(manifest)
    result = cpp_check("check-models", tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert str(tmp_path / "manifest.json") in result.stderr and complaint in result.stderr


def test_cpp_checks_the_integrity_of_a_sampled_circuit_and_says_why_it_skips_its_rows(
    cpp_check, add12_folder, tmp_path
):
    folder = add12_folder[0]
    result = cpp_check("check-models", folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "add12.onnx  skipped  rows not checked: verified on a sample when built (sampled 1000633)"
        in result.stdout
    )
    assert "full_adder.onnx  verified" in result.stdout
    predicted = cpp_check("predict", folder, "ADD12", *"1111111111110000000000010")
    assert predicted.returncode == 0 and predicted.stdout.splitlines()[0].split()[::2] == ["carry_out", "1"]
    data = bytearray((folder / "add12.onnx").read_bytes())
    tampered = tmp_path / "tampered"
    shutil.copytree(folder, tampered)
    data[-30] ^= 0xFF
    (tampered / "add12.onnx").write_bytes(bytes(data))
    result = cpp_check("check-models", tampered)
    assert result.returncode == 1 and "add12.onnx  FAILED  sha256 mismatch" in result.stdout
