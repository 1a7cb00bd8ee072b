"""The exported models run in a second app: examples/node checks them with onnxruntime-node."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from gatenet import runtime

ROOT = Path(__file__).resolve().parent.parent
NODE_APP = ROOT / "examples" / "node"
EXPORTED = ROOT / "exported"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm are not installed, so the Node.js example cannot run",
)


@pytest.fixture(scope="module")
def node_check(tmp_path_factory):
    """The app as a user gets it, its packages installed in a temporary copy, never in the checkout."""
    app = tmp_path_factory.mktemp("node")
    for name in ("check.mjs", "package.json", "package-lock.json"):
        shutil.copy(NODE_APP / name, app)
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=app, check=True)

    def run(directory: Path, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["node", app / "check.mjs", directory, *args], capture_output=True, text=True, timeout=120
        )

    return run


def test_node_verifies_every_committed_model_with_the_same_numbers_as_python(node_check):
    result = node_check(EXPORTED, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["models"]
    assert sorted(report) == sorted(path.name for path in EXPORTED.glob("*.onnx"))
    assert {"xor.onnx", "full_adder.onnx", "parity8.onnx"} <= set(report)
    for name, entry in report.items():
        assert entry["verified"] is True and entry["worst_margin"] >= 0.4
        model = runtime.load(EXPORTED / name)
        session = ort.InferenceSession(str(EXPORTED / name), providers=["CPUExecutionProvider"])
        expected = session.run(["probabilities"], {"bits": model.rows.astype(np.float32)})[0]
        np.testing.assert_allclose(np.array(entry["probabilities"]), expected, atol=1e-6)


def test_node_reports_a_tampered_model(node_check, tmp_path):
    copy = tmp_path / "exported"
    shutil.copytree(EXPORTED, copy)
    data = bytearray((copy / "or.onnx").read_bytes())
    data[-30] ^= 0xFF
    (copy / "or.onnx").write_bytes(bytes(data))
    result = node_check(copy)
    assert result.returncode == 1
    assert "or.onnx  FAILED  sha256 mismatch" in result.stdout
    assert "xor.onnx  verified  worst margin" in result.stdout


def test_node_checks_the_integrity_of_a_sampled_circuit_and_says_why_it_skips_its_rows(
    node_check, add12_folder
):
    result = node_check(add12_folder[0])
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "add12.onnx  skipped  rows not checked: verified on a sample when built (sampled 1000633)"
        in result.stdout
    )
