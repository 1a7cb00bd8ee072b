"""Convert a trained Keras model to ONNX with tf2onnx, in the shape the contract promises."""

from __future__ import annotations

from gatenet import contract
from gatenet.gate import Gate
from gatenet.tensorflow_quiet import import_training_stack

import_training_stack()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402


def to_onnx(model: keras.Model, gate: Gate, metadata: dict[str, str]) -> bytes:
    """One float32 input `bits` [N, inputs] and one float32 output `probabilities` [N, outputs]."""
    signature = [tf.TensorSpec([None, gate.inputs], tf.float32, name=contract.INPUT_NAME)]

    @tf.function(input_signature=signature)
    def serve(bits):
        return {contract.OUTPUT_NAME: model(bits, training=False)}

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=contract.OPSET)
    for value in [*proto.graph.input, *proto.graph.output]:
        value.type.tensor_type.shape.dim[0].dim_param = contract.BATCH_DIM
    used_domains = {node.domain for node in proto.graph.node}
    for opset in [opset for opset in proto.opset_import if opset.domain not in used_domains]:
        proto.opset_import.remove(opset)  # tf2onnx adds ai.onnx.ml even when no node uses it
    proto.graph.name = gate.key
    proto.graph.doc_string = ""  # names the traced function's counter, which would make exports differ
    proto.producer_name = "gatenet"
    proto.doc_string = f"gatenet model of gate {gate.name}: {gate.description}".strip(": ")
    del proto.metadata_props[:]
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    return proto.SerializeToString()


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
