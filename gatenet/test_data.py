"""The ONNX test-data set written beside every model: TensorFlow-free, so circuits write it too."""

from __future__ import annotations

import numpy as np
from onnx import numpy_helper

from gatenet import contract


def test_data_set(rows: np.ndarray, probabilities: np.ndarray) -> dict[str, bytes]:
    """The whole table as an ONNX test-data set (the backend-test and model-zoo layout).

    Outputs are the model's own probabilities, which is what test harnesses compare against.
    """
    return {
        "input_0.pb": numpy_helper.from_array(
            rows.astype(np.float32), contract.INPUT_NAME
        ).SerializeToString(),
        "output_0.pb": numpy_helper.from_array(
            probabilities.astype(np.float32), contract.OUTPUT_NAME
        ).SerializeToString(),
    }
