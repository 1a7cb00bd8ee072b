"""Import TensorFlow, Keras and tf2onnx without their start-up chatter, keeping anything else they say.

TensorFlow's C++ side logs CUDA probing and CPU-feature notes straight to file descriptor 2 before
`TF_CPP_MIN_LOG_LEVEL` applies, so the import runs with stderr captured and only known noise dropped.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile

NOISE = re.compile(
    r"absl::InitializeLog|oneDNN custom operations|cudart_stub|cuda_platform|cuInit|cuda drivers"
    r"|Unable to register cu(DNN|FFT|BLAS)|computation_placer|cpu_feature_guard"
    r"|rebuild TensorFlow with the appropriate compiler flags"
)
_imported = False


def import_training_stack() -> None:
    """Import the `train` extra once, quietly, or say how to install it."""
    global _imported
    if _imported:
        return
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    with _filtered_stderr():
        try:
            import keras  # noqa: F401
            import tensorflow as tf
            import tf2onnx  # noqa: F401
        except ImportError as error:
            raise ImportError(
                f"training needs the 'train' extra ({error.name} is missing): pip install 'gatenet[train]'"
            ) from error
        tf.config.list_physical_devices()
    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    _imported = True


class _filtered_stderr:
    def __enter__(self) -> None:
        sys.stderr.flush()
        self.saved = os.dup(2)
        self.buffer = tempfile.TemporaryFile()
        os.dup2(self.buffer.fileno(), 2)

    def __exit__(self, *exc: object) -> None:
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.buffer.seek(0)
        text = self.buffer.read().decode(errors="replace")
        self.buffer.close()
        kept = [line for line in text.splitlines() if line.strip() and not NOISE.search(line)]
        if kept:
            print("\n".join(kept), file=sys.stderr)
