"""Import TensorFlow, Keras and tf2onnx without their start-up chatter, keeping anything else they say.

TensorFlow's C++ side logs CUDA probing and CPU-feature notes straight to file descriptor 2 before
`TF_CPP_MIN_LOG_LEVEL` applies, so during the import fd 2 goes through a pipe to a small filter
process that drops known noise and passes every other line on at once. A separate process, not a
buffer in this one, because the import can abort: the filter outlives us and still shows why.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys

from gatenet import extras

NOISE = re.compile(
    r"absl::InitializeLog|oneDNN custom operations|cudart_stub|cuda_platform|cuInit|cuda drivers"
    r"|Unable to register cu(DNN|FFT|BLAS)|computation_placer|cpu_feature_guard"
    r"|rebuild TensorFlow with the appropriate compiler flags"
)
# Run with -I -S (no site-packages, no environment): it starts in ~25 ms, alongside the 2-4 s import,
# so the import waits ~2 ms in all. It ignores Ctrl-C so it lives until the pipe closes, and skips
# interpreter teardown at the end because the import waits for it to exit.
_FILTER = """\
import os, re, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
noise = re.compile(sys.argv[1].encode())
for line in sys.stdin.buffer:
    if line.strip() and not noise.search(line):
        sys.stderr.buffer.write(line if line.endswith(b"\\n") else line + b"\\n")
        sys.stderr.buffer.flush()
os._exit(0)
"""
_imported = False


class KerasBackendError(ImportError):
    """Keras is set to a backend other than TensorFlow, which tf2onnx cannot export from."""


def import_training_stack() -> None:
    """Import the `train` extra once, quietly, or say how to install it."""
    global _imported
    if _imported:
        return
    _check_keras_backend()
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    with _filtered_stderr():
        try:
            import keras  # noqa: F401
            import tensorflow as tf
            import tf2onnx  # noqa: F401
        except ImportError as error:
            raise extras.error("train", error) from error
        tf.config.list_physical_devices()
    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    _imported = True


def _check_keras_backend() -> None:
    """Refuse another Keras backend up front; it would otherwise fail later as a missing package."""
    why = "gatenet trains with the TensorFlow backend because tf2onnx exports TensorFlow graphs"
    backend = os.environ.get("KERAS_BACKEND") or "tensorflow"
    if backend != "tensorflow":
        raise KerasBackendError(
            f"KERAS_BACKEND={backend} is set; {why}; unset it or set KERAS_BACKEND=tensorflow"
        )
    keras = sys.modules.get("keras")
    if keras is not None and keras.backend.backend() != "tensorflow":
        raise KerasBackendError(
            f"Keras was already imported with the {keras.backend.backend()} backend; {why}; "
            "set KERAS_BACKEND=tensorflow before Keras is imported"
        )


class _filtered_stderr:
    """fd 2 through the filter process for the duration of a `with` block."""

    def __enter__(self) -> None:
        sys.stderr.flush()
        read, write = os.pipe()
        command = [sys.executable, "-I", "-S", "-c", _FILTER, NOISE.pattern]
        self.filter = subprocess.Popen(command, stdin=read)
        os.close(read)
        self.saved = os.dup(2)
        os.dup2(write, 2)
        os.close(write)

    def __exit__(self, *exc: object) -> None:
        sys.stderr.flush()
        os.dup2(self.saved, 2)  # closes our last copy of the pipe, so the filter reads to the end
        os.close(self.saved)
        try:
            self.filter.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass  # a process started during the import holds the pipe; the filter serves it on
