"""Convert trained networks to ONNX with tf2onnx, in the shape the contract promises.

tf2onnx traces and optimises a TensorFlow graph, which takes far longer than training a tiny
network. Networks of one shape share one graph, so it is converted once per shape (a template whose
weights are distinct markers) and each gate's file is that graph with the gate's own weights put in
place of the markers. Every file is still checked with onnxruntime against the whole truth table.
"""

from __future__ import annotations

import copy
import functools

import numpy as np

from gatenet import contract
from gatenet.gate import Gate
from gatenet.network import NetworkSpec
from gatenet.tensorflow_quiet import import_training_stack

import_training_stack()

import keras  # noqa: E402
import onnx  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

from gatenet.trainer import Trained, build_model  # noqa: E402


def to_onnx(trained: Trained, metadata: dict[str, str]) -> bytes:
    """The trained network as an ONNX model: input `bits` [N, inputs], output `probabilities` [N, outputs]."""
    gate = trained.gate
    template = _template(gate.inputs, gate.outputs, trained.network)
    return template.render(gate, trained.weights, metadata)


class _Template:
    """A converted graph for one network shape, and which weight each of its initializers holds."""

    def __init__(self, inputs: int, outputs: int, network: NetworkSpec) -> None:
        model = build_model(Gate("gate", inputs, [(0,) * outputs] * 2**inputs, outputs), network)
        rng = np.random.default_rng(0)
        markers = [rng.standard_normal(weight.shape).astype(np.float32) for weight in model.get_weights()]
        model.set_weights(markers)
        self.proto = convert(model, inputs)
        self.slots: dict[str, int] = {}
        for initializer in self.proto.graph.initializer:
            value = numpy_helper.to_array(initializer)
            found = [
                i
                for i, marker in enumerate(markers)
                if marker.shape == value.shape and (marker == value).all()
            ]
            if len(found) > 1:
                raise RuntimeError(f"tf2onnx initializer {initializer.name!r} holds several weights")
            if found:  # the others are an activation's own constants, such as relu6's 6
                self.slots[initializer.name] = found[0]
        if sorted(self.slots.values()) != list(range(len(markers))):
            raise RuntimeError("tf2onnx graph does not hold every weight exactly once")

    def render(self, gate: Gate, weights: list[np.ndarray], metadata: dict[str, str]) -> bytes:
        proto = copy.deepcopy(self.proto)
        for initializer in proto.graph.initializer:
            if initializer.name in self.slots:
                value = np.asarray(weights[self.slots[initializer.name]], np.float32)
                initializer.CopyFrom(numpy_helper.from_array(value, initializer.name))
        proto.graph.name = gate.key
        proto.doc_string = f"gatenet model of gate {gate.name}: {gate.description}".strip(": ")
        for key, value in metadata.items():
            proto.metadata_props.add(key=key, value=value)
        return proto.SerializeToString()


@functools.lru_cache(maxsize=32)
def _template(inputs: int, outputs: int, network: NetworkSpec) -> _Template:
    return _Template(inputs, outputs, network)


def convert(model: keras.Model, inputs: int) -> onnx.ModelProto:
    """tf2onnx over a `tf.function`, with the contract's names, a named batch dimension and opset."""
    signature = [tf.TensorSpec([None, inputs], tf.float32, name=contract.INPUT_NAME)]

    @tf.function(input_signature=signature)
    def serve(bits):
        return {contract.OUTPUT_NAME: model(bits, training=False)}

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=contract.OPSET)
    for value in [*proto.graph.input, *proto.graph.output]:
        value.type.tensor_type.shape.dim[0].dim_param = contract.BATCH_DIM
    used_domains = {node.domain for node in proto.graph.node}
    for opset in [opset for opset in proto.opset_import if opset.domain not in used_domains]:
        proto.opset_import.remove(opset)  # tf2onnx adds ai.onnx.ml even when no node uses it
    proto.graph.doc_string = ""  # names the traced function's counter, which would make exports differ
    proto.producer_name = "gatenet"
    del proto.metadata_props[:]
    return proto
