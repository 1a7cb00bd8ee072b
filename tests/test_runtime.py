import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gatenet import runtime

EXPORTED = Path(__file__).resolve().parent.parent / "exported"


@pytest.fixture(scope="module")
def xor():
    return runtime.load(EXPORTED / "xor.onnx")


def test_a_model_describes_and_checks_itself(xor):
    assert (xor.name, xor.input_names, xor.output_names) == ("XOR", ("a", "b"), ("out",))
    assert xor.table[:, 0].tolist() == [0, 1, 1, 0]
    check = xor.verify()
    assert check.verified and check.margin == 0.4 and check.worst_margin >= 0.4


def test_predict_takes_lists_tuples_and_arrays(xor):
    assert xor.predict([[0, 0], [0, 1], [1, 0], [1, 1]]).tolist() == [[0], [1], [1], [0]]
    assert xor.predict(((1, 1), (1, 0))).tolist() == [[0], [1]]
    assert xor.predict(np.array([[True, False]])).tolist() == [[1]]
    probabilities = xor.probabilities(np.array([[0, 1]], np.int64))
    assert probabilities.dtype == np.float32 and probabilities[0, 0] > 0.9


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([[0, 1, 1]], "gate 'XOR': expected rows of 2 bits (a, b), got rows of 3 bits"),
        ([[]], "gate 'XOR': expected rows of 2 bits (a, b), got rows of 0 bits"),
        ([0, 1], "got one flat list of 2 values; give a list of rows, e.g. [[0, 1]]"),
        (np.zeros((1, 2, 1)), "got an array of shape (1, 2, 1); give a list of rows, e.g. [[0, 1]]"),
        ([[0, 1], [1]], "the rows have different lengths"),
        ([[0, 2]], "inputs must be 0 or 1, got [2]"),
        ([[0, 0.5]], "inputs must be 0 or 1, got [0.5]"),
        ([[0, float("nan")]], "inputs must be 0 or 1, got [nan]"),
        ([["0", "1"]], "inputs must be the numbers 0 or 1, got text"),
        ([[0, None]], "inputs must be the numbers 0 or 1, got object values"),
        (np.zeros((0, 2)), "got an empty batch"),
    ],
)
def test_bad_rows_are_refused_naming_the_gate(xor, rows, message):
    with pytest.raises(ValueError) as error:
        xor.predict(rows)
    assert message in str(error.value)


def test_files_that_are_not_gatenet_models_are_named_in_the_error(tmp_path):
    with pytest.raises(runtime.ModelError, match="nothing.onnx: no such model file"):
        runtime.load(tmp_path / "nothing.onnx")
    (tmp_path / "text.onnx").write_text("not a model")
    with pytest.raises(runtime.ModelError, match="text.onnx: not a loadable ONNX model"):
        runtime.load(tmp_path / "text.onnx")
    (tmp_path / "half.onnx").write_bytes((EXPORTED / "xor.onnx").read_bytes()[:700])
    with pytest.raises(runtime.ModelError, match="half.onnx: not a loadable ONNX model"):
        runtime.load(tmp_path / "half.onnx")


def test_running_models_never_imports_tensorflow():
    code = (
        "import sys; from gatenet import runtime; "
        f"m = runtime.load({str(EXPORTED / 'xor.onnx')!r}); "
        "assert m.predict([[0, 1]]).tolist() == [[1]]; assert m.verify().verified; "
        "from gatenet.cli import cli; "
        "print(sorted(k for k in ('tensorflow', 'keras', 'tf2onnx', 'onnx') if k in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_the_base_install_alone_runs_and_verifies_models(tmp_path):
    """`pip install .` without the train extra: predict and verify work, TensorFlow is not even there."""
    root = EXPORTED.parent
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, gatenet = venv / "bin" / "python", venv / "bin" / "gatenet"
    source = tmp_path / "source"  # pip builds in the source tree (build/): keep that out of the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source)
    for package in ("gatenet", "plugins"):
        shutil.copytree(root / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([python, "-m", "pip", "install", "-q", str(source)], check=True, capture_output=True)
    code = (
        "import importlib.util, sys; from gatenet import runtime; "
        "m = runtime.load(sys.argv[1]); "
        "print(m.predict([[0, 0], [0, 1], [1, 0], [1, 1]]).ravel().tolist(), m.verify().verified, "
        "'tensorflow' in sys.modules, importlib.util.find_spec('tensorflow') is not None)"
    )
    output = subprocess.run(
        [python, "-c", code, EXPORTED / "xor.onnx"], capture_output=True, text=True, check=True
    )
    assert output.stdout.split() == ["[0,", "1,", "1,", "0]", "True", "False", "False"]
    predicted = subprocess.run(
        [gatenet, "predict", "XOR", "1", "0", "--dir", EXPORTED], capture_output=True, text=True
    )
    assert (predicted.returncode, predicted.stdout) == (0, "1\n")
    verified = subprocess.run([gatenet, "verify", "--dir", EXPORTED], capture_output=True, text=True)
    assert verified.returncode == 0 and verified.stdout.count("verified") == len(
        list(EXPORTED.glob("*.onnx"))
    )
    listed = subprocess.run([gatenet, "list"], capture_output=True, text=True)
    assert listed.returncode == 0 and "XOR" in listed.stdout
    trained = subprocess.run(
        [gatenet, "train", "XOR", "--out", tmp_path / "out"], capture_output=True, text=True
    )
    assert trained.returncode == 1
    assert "training needs the 'train' extra" in trained.stderr and "Traceback" not in trained.stderr
    # Up-to-date models need no training, so the base install checks and "trains" them.
    root = EXPORTED.parent
    checked = subprocess.run([gatenet, "train", "--check"], capture_output=True, text=True, cwd=root)
    assert checked.returncode == 0 and checked.stdout.endswith("up to date, 0 stale or missing\n")
    shutil.copytree(EXPORTED, tmp_path / "copy")
    again = subprocess.run(
        [gatenet, "train", "--out", tmp_path / "copy", "-q"], capture_output=True, text=True
    )
    assert (again.returncode, again.stderr) == (0, "")
