"""The TensorFlow import filter and the Keras backend check, each in a fresh Python process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

NOISE_LINE = "I0000 00:00:00.0 cpu_feature_guard.cc:210] This TensorFlow binary is optimized"
IMPORT = "from gatenet.tensorflow_quiet import import_training_stack; import_training_stack()"
# Stands in for TensorFlow: chatter on fd 2, an optional non-noise line, then what the test adds.
FAKE_TENSORFLOW = f"""\
import logging, os, types
os.write(2, b"{NOISE_LINE}\\n")
config = types.SimpleNamespace(list_physical_devices=lambda: [])
get_logger = lambda: logging.getLogger("tensorflow")
"""


def run(code: str, tmp_path: Path, tensorflow: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """`code` in a new interpreter; with `tensorflow`, fake keras, tensorflow and tf2onnx come first."""
    environment = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "PYTHONPATH")}
    if tensorflow is not None:
        for name, source in [("keras", ""), ("tensorflow", FAKE_TENSORFLOW + tensorflow), ("tf2onnx", "")]:
            (tmp_path / name).mkdir()
            (tmp_path / name / "__init__.py").write_text(source)
        environment["PYTHONPATH"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-c", code], env={**environment, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("death", ["os.abort()", "os._exit(3)"])
def test_a_fatal_message_survives_the_process_dying_during_the_import(tmp_path, death):
    fatal = 'os.write(2, b"F0000 00:00:00.0 fatal: something broke")\n'
    result = run(IMPORT, tmp_path, fatal + death)
    assert result.returncode != 0
    assert result.stderr == "F0000 00:00:00.0 fatal: something broke\n"


def test_noise_is_dropped_and_other_lines_kept_in_order(tmp_path):
    result = run(
        IMPORT + "; import sys; print('after the import', file=sys.stderr)",
        tmp_path,
        'os.write(2, b"W0000 worth knowing\\n\\n")\n',
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "W0000 worth knowing\nafter the import\n"


def test_a_missing_package_is_named_with_how_to_install_it(tmp_path):
    result = run("import sys; sys.modules['tf2onnx'] = None; " + IMPORT, tmp_path, "")
    assert (
        "training needs the 'train' extra (tf2onnx is missing): pip install 'gatenet-logic[train]'"
        in result.stderr
    )


def test_the_real_import_prints_nothing(tmp_path):
    result = run(IMPORT, tmp_path)
    assert result.returncode == 0 and result.stderr == ""


CATCH = "import sys\ntry:\n    {}\nexcept ImportError as error:\n    print(error, 'keras' in sys.modules)"


def test_another_keras_backend_is_refused_before_anything_is_imported(tmp_path):
    result = run(CATCH.format(IMPORT), tmp_path, KERAS_BACKEND="jax")
    assert result.stdout == (
        "KERAS_BACKEND=jax is set; gatenet trains with the TensorFlow backend because tf2onnx exports "
        "TensorFlow graphs; unset it or set KERAS_BACKEND=tensorflow False\n"
    ), result.stderr


def test_keras_already_imported_with_another_backend_is_refused(tmp_path):
    (tmp_path / "keras.py").write_text(
        "import types\nbackend = types.SimpleNamespace(backend=lambda: 'jax')\n"
    )
    result = run(CATCH.format("import keras; " + IMPORT), tmp_path, PYTHONPATH=str(tmp_path))
    assert result.stdout.startswith("Keras was already imported with the jax backend; gatenet trains with"), (
        result.stderr
    )
    assert "set KERAS_BACKEND=tensorflow before Keras is imported" in result.stdout
