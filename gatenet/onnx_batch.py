"""onnxruntime's check of many exported models of one shape in one run, instead of one session each.

A session costs about a millisecond to make and a 16-row run a few microseconds, so for a family the
sessions are the check. Models of one network shape share their graph (`gatenet.exporter` fills one
template with each gate's weights), so their checks can share one too: each file is parsed, its
graph must be node for node the first file's, and its weights are stacked along a leading model
axis, which the graph's MatMul, Add and element-wise nodes carry through by broadcasting. One session
then computes every model's outputs on every row. So that the stacked graph is known to compute what
the files do, every `SPOT_CHECK`-th model (the first included) also runs alone in its own session, as
`gatenet verify` runs it, and must agree; a file whose graph differs, or a graph with another kind of
node, is checked alone. Either way each model is checked on its whole truth table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import numpy_helper

from gatenet import contract, runtime
from gatenet.check import Check, check_table

SPOT_CHECK = 100  # one model in this many also runs alone: 99% of the rows are checked batched
STACKABLE = {  # nodes that carry a leading model axis through broadcasting
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Elu",
    "Selu",
    "LeakyRelu",
    "Softplus",
    "Softsign",
    "Exp",
    "Log",
    "Neg",
    "Abs",
    "Max",
    "Min",
    "Identity",
}
AGREEMENT = 1e-5  # how closely a model run alone must match its row of the stacked run


@dataclass(frozen=True)
class Unchecked:
    """One exported model to check: its bytes, a name for messages, and the table it must reproduce."""

    name: str
    model: bytes
    table: np.ndarray


def check_models(models: list[Unchecked], rows: np.ndarray, margin: float) -> tuple[list[Check], int]:
    """Each model's check on every row of `rows`, in order, and how many models ran alone.

    Raises what onnxruntime or onnx raise for a model that cannot be read, as a single check would."""
    protos = [onnx.ModelProto.FromString(model.model) for model in models]
    probabilities: dict[int, np.ndarray] = {}

    def alone(index: int) -> np.ndarray:
        return runtime.GateModel(models[index].name, models[index].model).probabilities(rows)

    stacked = [index for index, proto in enumerate(protos) if _same_graph(proto, protos[0])]
    ran_alone = 0
    if len(stacked) > 1 and all(node.op_type in STACKABLE for node in protos[0].graph.node):
        outputs = _run_stacked([protos[index] for index in stacked], rows)
        spots = range(0, len(stacked), SPOT_CHECK)  # positions in the stack
        probabilities = {stacked[spot]: alone(stacked[spot]) for spot in spots}
        ran_alone = len(probabilities)
        if all(
            np.allclose(probabilities[stacked[spot]], outputs[spot], rtol=0, atol=AGREEMENT) for spot in spots
        ):
            probabilities = {**dict(zip(stacked, outputs, strict=True)), **probabilities}
    for index in range(len(models)):
        if index not in probabilities:
            probabilities[index] = alone(index)
            ran_alone += 1
    return [check_table(model.table, probabilities[i], margin) for i, model in enumerate(models)], ran_alone


def _same_graph(proto: onnx.ModelProto, first: onnx.ModelProto) -> bool:
    graph, template = proto.graph, first.graph
    return (
        graph.node == template.node
        and graph.input == template.input
        and graph.output == template.output
        and [init.name for init in graph.initializer] == [init.name for init in template.initializer]
        and proto.opset_import == first.opset_import
    )


def _run_stacked(protos: list[onnx.ModelProto], rows: np.ndarray) -> np.ndarray:
    """Every model's outputs on `rows`, [models, rows, outputs], from one session."""
    stacked = onnx.ModelProto()
    stacked.CopyFrom(protos[0])
    del stacked.metadata_props[:]
    del stacked.graph.initializer[:]
    for position, initializer in enumerate(protos[0].graph.initializer):
        values = np.stack([numpy_helper.to_array(proto.graph.initializer[position]) for proto in protos])
        if (values == values[:1]).all():  # an activation's own constant: the same in every model
            value = values[0]
        else:  # [in, out] kernels stay matrices per model; vectors and scalars broadcast over the rows
            value = values if values.ndim == 3 else values.reshape(len(protos), 1, -1)
        stacked.graph.initializer.append(numpy_helper.from_array(value, initializer.name))
    for output in stacked.graph.output:
        output.type.tensor_type.ClearField("shape")
    (outputs,) = runtime.run_outputs(stacked.SerializeToString(), rows, [contract.OUTPUT_NAME])
    return np.broadcast_to(outputs, (len(protos), *outputs.shape[-2:]))  # no weight differed: one answer
