"""Issue 21: the logic model of every shipped gate passes every consumer gatenet supports on every row.

One folder of logic models, trained by the real `gatenet train --kind logic`, goes through each consumer
as tests/test_exported.py, test_node_example.py, test_cpp_example.py and test_web.py drive the
committed `exported/` folder: Python's onnxruntime, Node (examples/node), the C++ app on OpenCV's DNN
module (examples/cpp) and onnxruntime-web in Chromium (the gallery of `gatenet serve`). Each must give
exactly the truth table's outputs, 0.0 or 1.0, on every row of every model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from folder_tools import ROOT, gatenet
from web_tools import GuardedPage, gray_code

from gatenet.plugins import collect_gates

# 1 input (NOT), 2 (XOR), 3 inputs and 2 outputs (FULL_ADDER), MAJORITY3, and a circuit of logic models.
GATES = ["NOT", "XOR", "FULL_ADDER", "MAJORITY3", "HALF_ADDER_WIRED"]
LOGIC_OPS = {"MatMul", "Add", "Mul"}
CPP_PACKAGES = "cmake g++ make libopencv-dev nlohmann-json3-dev libssl-dev"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The logic models of GATES (and of AND, a part of HALF_ADDER_WIRED), trained by the CLI."""
    root = tmp_path_factory.mktemp("logic")
    result = gatenet("train", *GATES, "--kind", "logic", "--out", str(root / "models"), cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "models"


@pytest.fixture(scope="module")
def manifest(folder) -> dict[str, dict]:
    return json.loads((folder / "manifest.json").read_text())["models"]


@pytest.fixture(scope="module")
def truth(manifest) -> dict[str, np.ndarray]:
    """Every model's truth table from its gate's or circuit's definition (not from the model), as floats."""
    definitions = collect_gates().definitions()
    return {name: definitions[name.removesuffix(".onnx")].table.astype(np.float32) for name in manifest}


def all_rows(inputs: int) -> np.ndarray:
    """Every row in gatenet's order: binary counting, the first input the most significant bit."""
    return np.array([[(row >> (inputs - 1 - i)) & 1 for i in range(inputs)] for row in range(2**inputs)])


def test_the_folder_holds_logic_models_of_every_shape_and_a_circuit_of_them(folder, manifest):
    assert sorted(manifest) == sorted(path.name for path in folder.glob("*.onnx"))
    kinds = {name: entry["kind"] for name, entry in manifest.items()}
    assert kinds == {
        "not.onnx": "logic",
        "xor.onnx": "logic",
        "and.onnx": "logic",
        "full_adder.onnx": "logic",
        "majority3.onnx": "logic",
        "half_adder_wired.onnx": "circuit",
    }
    assert all(entry["verified"] is True and entry["worst_margin"] == 0.5 for entry in manifest.values())
    for name, kind in kinds.items():
        if kind == "logic":
            ops = {node.op_type for node in onnx.load(folder / name).graph.node}
            assert ops <= LOGIC_OPS, (name, ops)


def test_python_onnxruntime_gives_exactly_the_truth_table(folder, manifest, truth):
    for name in manifest:
        session = ort.InferenceSession(str(folder / name), providers=["CPUExecutionProvider"])
        rows = all_rows(len(manifest[name]["inputs"])).astype(np.float32)
        probabilities = session.run(["probabilities"], {"bits": rows})[0]
        np.testing.assert_array_equal(probabilities, truth[name], err_msg=name)


def test_node_verifies_every_logic_model_with_exactly_the_truth_table(folder, manifest, truth, tmp_path):
    assert shutil.which("node") and shutil.which("npm"), "the Node example needs node and npm"
    for name in ("check.mjs", "package.json", "package-lock.json"):
        shutil.copy(ROOT / "examples" / "node" / name, tmp_path)
    npm = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
    subprocess.run(npm, cwd=tmp_path, check=True, capture_output=True, timeout=300)
    command = ["node", tmp_path / "check.mjs", folder, "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert_report(result, manifest, truth)


def assert_report(result: subprocess.CompletedProcess, manifest: dict, truth: dict) -> None:
    """An app's `--json` report (Node's and the C++ app's share its shape): every model verified at
    the exact margin, its outputs exactly the truth table on every row."""
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)["models"]
    assert sorted(report) == sorted(manifest)
    for name, entry in report.items():
        assert entry["verified"] is True and entry["worst_margin"] == 0.5, (name, entry)
        np.testing.assert_array_equal(np.array(entry["probabilities"]), truth[name], err_msg=name)


def test_the_cpp_app_verifies_every_logic_model_with_exactly_the_truth_table(
    folder, manifest, truth, tmp_path
):
    assert shutil.which("cmake"), f"the C++ example needs: apt-get install {CPP_PACKAGES}"
    build = tmp_path / "build"
    for step in (["cmake", "-S", ROOT / "examples" / "cpp", "-B", build], ["cmake", "--build", build, "-j2"]):
        result = subprocess.run(step, capture_output=True, text=True)
        assert result.returncode == 0, (
            f"{step} (needs {CPP_PACKAGES}):\n{result.stdout[-3000:]}{result.stderr}"
        )
    check = [build / "gatenet-check", "check-models", folder]

    result = subprocess.run(check, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"{name}  verified  worst margin 0.500" for name in sorted(manifest)
    ]

    result = subprocess.run([*check, "--json"], capture_output=True, text=True, timeout=120)
    assert_report(result, manifest, truth)


def test_the_gallery_computes_every_row_of_every_logic_model_in_the_browser(browser, server, manifest, truth):
    """The gallery page runs each model with onnxruntime-web on the bits clicked, row by row in Gray code
    order (one click a row), as tests/test_web.py checks network models, and logs no error."""
    guarded = GuardedPage(browser, server)
    try:
        page = guarded.page
        page.goto(f"{server}/")
        page.wait_for_selector(".outputs[data-row]")
        keys = page.eval_on_selector_all("a.model-link", "links => links.map(link => link.dataset.key)")
        assert sorted(keys) == sorted(name.removesuffix(".onnx") for name in manifest)
        for name, entry in sorted(manifest.items()):
            key, inputs = name.removesuffix(".onnx"), len(entry["inputs"])
            page.click(f'a.model-link[data-key="{key}"]')
            page.wait_for_selector(f'article.model[data-key="{key}"] .outputs[data-row="0"]')
            facts = page.inner_text("article.model .facts")
            assert "undefined" not in facts, (key, facts)  # the page reads a logic model's own settings
            if entry["kind"] == "logic":
                assert f"learned circuit: {entry['logic']['gates']} two-input gates" in facts
            bits = [0] * inputs
            for row in gray_code(inputs):
                wanted = list(all_rows(inputs)[row])
                for i in [i for i in range(inputs) if wanted[i] != bits[i]]:
                    page.click(f'button.bit[data-input="{i}"]')
                bits = wanted
                page.wait_for_selector(f'article.model[data-key="{key}"] .outputs[data-row="{row}"]')
                shown = page.eval_on_selector_all(
                    ".out", "items => items.map(i => Number(i.dataset.probability))"
                )
                assert shown == truth[name][row].tolist(), (key, row, shown)
            page.wait_for_selector(".check.same")  # the server's onnxruntime agrees on the last row
        assert guarded.errors == []
        assert guarded.foreign == []
    finally:
        guarded.close()
