"""An exact circuit of two-input gates (a `Netlist`) as one ONNX model with gatenet's contract.

Every one of the 16 functions is its multilinear form f(a, b) = c0 + c1 a + c2 b + c3 ab (AND is ab,
XOR a + b - 2ab, NOT a is 1 - a). On bits 0.0/1.0 every value in the graph is a small integer, which
float32 holds exactly, so every output is exactly 0.0 or 1.0: the model's worst margin is 0.5.

The graph has one group of ops per depth level, vectorized across the level's nodes, so depth, not
gate count, sets its size. A level reads the columns it needs by MatMul with a constant matrix that
has one nonzero entry per column (the coefficients folded in), never by Gather, Slice or Split, so the
only ops are MatMul, Add and Mul: MatMul and Add are what every committed model already runs in
onnxruntime, onnxruntime-web, Node and OpenCV DNN (examples/cpp); Mul multiplies two tensors of one
shape, elementwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from gatenet import contract
from gatenet.check import EXACT_MARGIN, check_margin
from gatenet.gate import Gate
from gatenet.netlist import FUNCTIONS, TABLES, Netlist, Node, exact

WIRE = FUNCTIONS["A"]  # f(a, b) = a: a signal carried on to a later level
# (c0, c1, c2, c3) of each function, from its table (rows 00, 01, 10, 11)
COEFFICIENTS = TABLES.astype(np.float32) @ np.array(
    [[1, -1, -1, 1], [0, 0, 1, -1], [0, 1, 0, -1], [0, 0, 0, 1]], np.float32
)
# what the model computes: metadata_extra may add to the contract's keys, not replace these
_FIXED = {
    contract.KEY_FORMAT,
    contract.KEY_GATE,
    contract.KEY_INPUTS,
    contract.KEY_OUTPUTS,
    contract.KEY_TRUTH,
    contract.KEY_MARGIN,
    contract.KEY_VERIFICATION,
    contract.KEY_NETLIST,
}


def netlist_model(
    netlist: Netlist,
    gate: Gate,
    margin: float = EXACT_MARGIN,
    metadata_extra: Mapping[str, str] | None = None,
) -> bytes:
    """The model of `gate` that computes `netlist`, checked with onnx's reference evaluator on every row.

    `margin` is the one it is declared verified at (it clears 0.5, the most any margin can ask).
    `metadata_extra` adds keys, or replaces the contract's seed, network and build (0, {} and {} unless
    given: how the circuit was learned is the learner's to say), never the keys that say what the model
    computes. A netlist that is not `gate` is a ValueError naming its first wrong row.
    """
    check_margin(margin)
    _check_matches(netlist, gate)
    extra = dict(metadata_extra or {})
    if fixed := sorted(_FIXED.intersection(extra)):
        raise ValueError(f"metadata_extra: cannot replace {', '.join(fixed)}, which the netlist decides")
    metadata = contract.model_metadata(gate, margin, 0, {}, {}) | extra
    metadata[contract.KEY_NETLIST] = json.dumps(netlist.to_dict(), separators=(",", ":"))
    model = helper.make_model(
        _graph(netlist, gate.key),
        opset_imports=[helper.make_opsetid("", contract.OPSET)],
        producer_name="gatenet",
    )
    model.ir_version = 8
    model.doc_string = f"gatenet logic circuit {gate.name}: {netlist.gates} two-input gates"
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model, full_check=True)
    (got,) = ReferenceEvaluator(model).run(None, {contract.INPUT_NAME: gate.rows.astype(np.float32)})
    if not np.array_equal(got, gate.table):
        raise AssertionError(f"{gate.name}: the graph does not compute its netlist")  # a bug here, not input
    return model.SerializeToString()


def _check_matches(netlist: Netlist, gate: Gate) -> None:
    """The file's netlist, names and truth table must tell one story."""
    names = (netlist.inputs, netlist.output_names)
    if names != (gate.input_names, gate.output_names):
        raise ValueError(
            f"gate {gate.name!r}: the netlist's inputs and outputs {names} are not the gate's "
            f"{(gate.input_names, gate.output_names)}"
        )
    if (mismatch := exact(netlist, gate.table)) is not None:
        raise ValueError(f"gate {gate.name!r}: the netlist is not exact: {mismatch}")


@dataclass
class _Builder:
    """The nodes and constants of a graph, as they are made.

    Names are short (level d's tensors are d and a letter; a node is named after its output) because
    in a model this small they are a good part of the file.
    """

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    constants: list[onnx.TensorProto] = field(default_factory=list)

    def constant(self, name: str, array: np.ndarray) -> str:
        self.constants.append(numpy_helper.from_array(np.asarray(array, np.float32), name))
        return name

    def op(self, op_type: str, inputs: Sequence[str], output: str, **attributes: object) -> str:
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], output, **attributes))
        return output


def _graph(netlist: Netlist, name: str) -> onnx.GraphProto:
    """bits -> level 1 -> ... -> the output columns. Each level's tensor holds its own nodes and, as
    wires (the function "A"), every earlier signal a later level or an output still reads, so a level
    reads only the one before it and no tensor is wider than the circuit is at that depth."""
    builder, signals, count = _Builder(), contract.INPUT_NAME, len(netlist.inputs)
    column = {signal: signal for signal in range(count)}  # signal -> its column in `signals`
    levels = _levels(netlist)
    last_read = _last_reads(netlist, levels)
    for depth, level in enumerate(levels, 1):
        carried = [signal for signal in column if last_read.get(signal, 0) > depth]
        nodes = [netlist.nodes[k] for k in level] + [Node(WIRE, signal, signal) for signal in carried]
        signals = _level(builder, signals, len(column), nodes, column, str(depth))
        column = {signal: i for i, signal in enumerate([count + k for k in level] + carried)}
    _outputs(builder, signals, len(column), netlist, column)
    shapes = [[contract.BATCH_DIM, len(netlist.inputs)], [contract.BATCH_DIM, len(netlist.outputs)]]
    return helper.make_graph(
        builder.nodes,
        name,
        [helper.make_tensor_value_info(contract.INPUT_NAME, TensorProto.FLOAT, shapes[0])],
        [helper.make_tensor_value_info(contract.OUTPUT_NAME, TensorProto.FLOAT, shapes[1])],
        builder.constants,
    )


def _levels(netlist: Netlist) -> list[list[int]]:
    """The nodes the outputs need, by depth (a node is one deeper than its deeper input); dead ones go."""
    count = len(netlist.inputs)
    live = {o.signal for o in netlist.outputs if o.signal is not None}
    for k in range(len(netlist.nodes) - 1, -1, -1):
        if count + k in live:
            live |= {netlist.nodes[k].a, netlist.nodes[k].b}
    depth = [0] * count
    levels: list[list[int]] = []
    for k, node in enumerate(netlist.nodes):
        depth.append(1 + max(depth[node.a], depth[node.b]))
        if count + k in live:
            levels.extend([] for _ in range(depth[-1] - len(levels)))
            levels[depth[-1] - 1].append(k)
    return [level for level in levels if level]


def _last_reads(netlist: Netlist, levels: list[list[int]]) -> dict[int, int]:
    """The last level that reads each signal; an output reads after the last level."""
    last = {o.signal: len(levels) + 1 for o in netlist.outputs if o.signal is not None}
    for depth, level in enumerate(levels, 1):
        for k in level:
            for signal in (netlist.nodes[k].a, netlist.nodes[k].b):
                last[signal] = max(last.get(signal, 0), depth)
    return last


def _level(
    builder: _Builder, signals: str, width: int, level: list[Node], column: dict[int, int], name: str
) -> str:
    """The level's values [N, nodes]: signals @ (c1 A + c2 B) + c0 + (signals @ c3 A) * (signals @ B),
    where A and B pick each node's a and b columns. Terms whose coefficients are all 0 are left out."""
    c0, c1, c2, c3 = COEFFICIENTS[[node.function for node in level]].T
    pick_a, pick_b = np.zeros((2, width, len(level)), np.float32)
    pick_a[[column[node.a] for node in level], range(len(level))] = 1
    pick_b[[column[node.b] for node in level], range(len(level))] = 1
    terms = []
    if c1.any() or c2.any() or not c3.any():
        linear = builder.constant(f"{name}L", pick_a * c1 + pick_b * c2)
        terms.append(builder.op("MatMul", [signals, linear], f"{name}l"))
    if c3.any():
        a = builder.op("MatMul", [signals, builder.constant(f"{name}A", pick_a * c3)], f"{name}a")
        b = builder.op("MatMul", [signals, builder.constant(f"{name}B", pick_b)], f"{name}b")
        terms.append(builder.op("Mul", [a, b], f"{name}p"))
    if c0.any():
        terms.append(builder.constant(f"{name}C", c0))
    value = terms[0]
    for index, term in enumerate(terms[1:]):
        value = builder.op("Add", [value, term], f"{name}s{index}")
    return value


def _outputs(builder: _Builder, signals: str, width: int, netlist: Netlist, column: dict[int, int]) -> None:
    """probabilities = signals @ W + bias: each output's column, complemented as 1 - x, or a constant.

    When the last level's columns are the outputs, in order (a learned network's are), it is renamed."""
    weights = np.zeros((width, len(netlist.outputs)), np.float32)
    bias = np.array([o.complement for o in netlist.outputs], np.float32)
    for j, out in enumerate(netlist.outputs):
        if out.signal is not None:
            weights[column[out.signal], j] = -1 if out.complement else 1
    if builder.nodes and not bias.any() and np.array_equal(weights, np.eye(width)):
        builder.nodes[-1].output[0] = contract.OUTPUT_NAME  # the op that made `signals`
        return
    picked = contract.OUTPUT_NAME if not bias.any() else "o"
    builder.op("MatMul", [signals, builder.constant("W", weights)], picked)
    if bias.any():
        builder.op("Add", [picked, builder.constant("C", bias)], contract.OUTPUT_NAME)
