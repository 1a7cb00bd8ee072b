"""The committed models in exported/ are what other apps get: check them without trusting gatenet."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

from gatenet import runtime
from gatenet.manifest import sha256
from gatenet.plugins import collect_gates

EXPORTED = Path(__file__).resolve().parent.parent / "exported"
EXPECTED = {"xor": [0, 1, 1, 0], "and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "nand": [1, 1, 1, 0]}


def test_committed_models_verify_row_by_row_with_plain_onnxruntime():
    rows = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
    for name, expected in EXPECTED.items():
        session = ort.InferenceSession(str(EXPORTED / f"{name}.onnx"), providers=["CPUExecutionProvider"])
        probabilities = session.run(["probabilities"], {"bits": rows})[0][:, 0]
        for row, truth, probability in zip(rows, expected, probabilities, strict=True):
            assert abs(probability - truth) <= 0.1, (name, row, probability)


def shipped_keys() -> set[str]:
    """Every default gate and every circuit: what `gatenet train` makes with no names."""
    registry = collect_gates()
    return {gate.key for gate in registry.default_gates()} | set(registry.circuits)


def test_committed_models_are_every_default_gate_and_circuit_and_match_the_manifest():
    models = json.loads((EXPORTED / "manifest.json").read_text())["models"]
    shipped = {f"{key}.onnx" for key in shipped_keys()}
    assert {"add8.onnx", "mux4.onnx", "parity8_tree.onnx"} <= shipped
    assert set(models) == shipped == {path.name for path in EXPORTED.glob("*.onnx")}
    for file_name, entry in models.items():
        assert entry["sha256"] == sha256((EXPORTED / file_name).read_bytes())
        assert entry["verified"] is True and entry["worst_margin"] >= 0.4


def test_committed_folder_passes_gatenet_verify():
    results = runtime.verify_dir(EXPORTED)
    assert len(results) == len(shipped_keys())
    assert [result.path.name for result in results if not result.ok] == []


def test_committed_models_are_what_gatenet_train_makes_now():
    """The recipe of every committed model is today's: a forgotten retrain fails here, not in an app."""
    result = subprocess.run(
        [sys.executable, "-m", "gatenet.cli", "train", "--check"],
        capture_output=True,
        text=True,
        cwd=EXPORTED.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_committed_circuits_are_the_bytes_the_builder_makes_now():
    """A builder change that alters circuit bytes must bump CIRCUIT_VERSION and be rebuilt: `--check`
    compares recipes, so only rebuilding shows a change the recipe does not record."""
    from gatenet.circuit_onnx import build
    from gatenet.status import circuit_recipes
    from gatenet.store import ModelFolder

    registry = collect_gates()
    models = runtime.load_dir(EXPORTED)
    for recipe in circuit_recipes(ModelFolder(EXPORTED), list(registry.circuits.values()), "digital", 0.4):
        built = build(recipe, models)
        assert built.model == (EXPORTED / f"{recipe.gate.key}.onnx").read_bytes(), recipe.gate.name
