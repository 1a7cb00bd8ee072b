"""A circuit as one ONNX model, made from the verified gate models of a model folder.

Each gate instance is a copy of its gate model's nodes; the weights of a gate used many times are
stored once (shared initializers), so the file grows by nodes, not weights, with every instance.
In `digital` wiring a gate output that feeds another gate is rounded to 0 or 1 first, so a circuit
of verified gates computes its truth table exactly; in `analog` wiring probabilities flow on as they
are. The model keeps the gate contract (`bits` [N, inputs] -> `probabilities` [N, outputs]) and is
verified with onnxruntime on every row of the circuit's truth table before it is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from gatenet import contract, runtime
from gatenet.check import Check, check_table
from gatenet.circuit import WIRINGS, Circuit, Signal
from gatenet.errors import describe
from gatenet.recipe import CircuitRecipe
from gatenet.record import Kind, ModelRecord
from gatenet.store import GateFiles, Writer
from gatenet.test_data import test_data_set

CHUNK_ROWS = 1 << 17
TEST_DATA_ROWS = 4096  # of a sampled circuit's verified rows, spread evenly, go into test_data_set_0


@dataclass
class Built:
    """A circuit model, onnxruntime's verdict on it, and how the margin held at each gate depth."""

    recipe: CircuitRecipe
    model: bytes = field(repr=False)
    check: Check
    depth_margins: list[float]  # worst margin of any gate output at depth 1, 2, ...
    rows: np.ndarray = field(repr=False)  # what it was verified on: every row, or a sample
    seconds: float = 0.0

    @property
    def verification(self) -> str:
        circuit = self.recipe.gate
        return "exhaustive" if circuit.exhaustive else f"sampled {len(self.rows)}"

    @property
    def broke_at(self) -> int | None:
        """The first gate depth whose outputs fall short of the margin (analog wiring), or None."""
        short = [depth for depth, worst in enumerate(self.depth_margins, 1) if worst < self.recipe.margin]
        return short[0] if short else None

    @property
    def record(self) -> dict:
        """The manifest entry's `circuit`: the recipe, and how it was verified."""
        circuit = self.recipe.gate
        return {
            **self.recipe.record(),
            "instances": len(circuit.instances),
            "depth": circuit.depth,
            "verification": self.verification,
            "depth_margins": [round(margin, 6) for margin in self.depth_margins],
        }


def build(recipe: CircuitRecipe, models: Mapping[str, runtime.GateModel]) -> Built:
    """The circuit's model from `models` (gate key -> verified gate model), checked with onnxruntime
    on every row, or above 2^20 rows on `sample_rows` (a million random rows and the edge rows)."""
    started = time.perf_counter()
    circuit, margin = recipe.gate, recipe.margin
    if recipe.wiring not in WIRINGS:
        raise ValueError(f"wiring: expected one of {', '.join(WIRINGS)}, got {recipe.wiring!r}")
    rows = circuit.verification_rows()
    expected = circuit.table if circuit.exhaustive else circuit.outputs_for(rows)  # a wrong truth fails here
    graph, taps = _graph(circuit, models, recipe.wiring)
    model = _model(graph, recipe, None if circuit.exhaustive else len(rows))
    runtime.GateModel(Path(f"{circuit.name} (built, in memory)"), model)  # the contract holds
    (probabilities,) = runtime.run_outputs(model, rows, [contract.OUTPUT_NAME])
    check = check_table(expected, probabilities, margin)
    margins = _depth_margins(circuit, graph, taps, rows)
    return Built(recipe, model, check, margins, rows, time.perf_counter() - started)


def circuit_files(built: Built) -> GateFiles:
    """Everything to commit for a verified circuit model, laid out like a gate's."""
    circuit, check = built.recipe.gate, built.check
    history = {"circuit": circuit.name, "worst_margin": round(check.worst_margin, 6), **built.record}
    entry = ModelRecord(
        kind=Kind.CIRCUIT,
        gate=circuit.name,
        inputs=circuit.input_names,
        outputs=circuit.output_names,
        truth_table=tuple(contract.encode_table(circuit.table)) if circuit.exhaustive else None,
        margin=built.recipe.margin,
        worst_margin=round(check.worst_margin, 6),
        opset=contract.OPSET,
        circuit=built.record,
    )
    every = max(1, len(built.rows) // TEST_DATA_ROWS) if not circuit.exhaustive else 1
    test_data = test_data_set(built.rows[::every], check.probabilities[::every])
    return GateFiles(circuit.key, built.model, test_data, (json.dumps(history) + "\n").encode(), entry)


def build_into(writer: Writer, recipes: list[CircuitRecipe], on_result=None) -> list[Built | str]:
    """Build each circuit from the gate models in the writer's folder and commit each verified one.

    A circuit that cannot be built (a gate model missing or broken) is a one-line problem, and the
    others go on; a circuit that fails verification is not written.
    """
    models: dict[str, runtime.GateModel] = {}
    results: list[Built | str] = []
    for recipe in recipes:
        circuit = recipe.gate
        try:
            for gate in _gates(circuit):
                if gate.key not in models:
                    models[gate.key] = runtime.load_gate(gate.name, writer.folder.root)
            built = build(recipe, models)
        except Exception as error:  # a plugin's truth function may raise anything: it costs one circuit
            reason = str(error) if isinstance(error, ValueError) else describe(error)
            reason = reason.removeprefix(f"circuit {circuit.name!r}: ")
            result: Built | str = f"circuit {circuit.name!r} not built: {reason}"
        else:
            if built.check.verified:
                writer.commit([circuit_files(built)])
            result = built
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _gates(circuit: Circuit) -> list:
    return list({instance.gate.key: instance.gate for instance in circuit.instances}.values())


def _graph(
    circuit: Circuit, models: dict[str, runtime.GateModel], wiring: str
) -> tuple[onnx.GraphProto, list[str]]:
    """The graph, and the name of each instance's probabilities (for the margin at each depth)."""
    graphs = {gate.key: onnx.load_from_string(models[gate.key].data).graph for gate in _gates(circuit)}
    parts = _Parts(initializers=_shared_weights(graphs))
    inputs = _input_columns(parts, circuit)
    raw: list[list[str]] = []  # per instance: its output columns, as probabilities
    fed: list[list[str]] = []  # per instance: its output columns as the next gates see them
    taps = []

    def column(signal: Signal, feeding: bool) -> str:
        return (
            inputs[signal.index]
            if signal.part is None
            else (fed if feeding else raw)[signal.part][signal.index]
        )

    for instance in circuit.instances:
        path, gate = instance.path, instance.gate
        bits = [column(signal, feeding=True) for signal in instance.sources]
        probabilities = _copy_instance(parts, path, gate.key, graphs[gate.key], bits)
        taps.append(probabilities)
        rounded = probabilities
        if wiring == "digital":
            rounded = f"{path}/bits_out"
            parts.nodes.append(helper.make_node("Round", [probabilities], [rounded], f"{path}/round"))
        raw.append(parts.columns(probabilities, gate.outputs, f"{path}/p"))
        fed.append(raw[-1] if rounded == probabilities else parts.columns(rounded, gate.outputs, f"{path}/b"))
    outputs = [column(signal, feeding=False) for signal in circuit.output_signals]
    return _finish(parts, circuit, outputs), taps


@dataclass
class _Parts:
    """The nodes and initializers of a circuit's graph, in the order they are made."""

    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)

    def ones(self, name: str, count: int) -> str:
        """A constant of `count` ones: the sizes that split a tensor into its columns."""
        self.initializers.append(numpy_helper.from_array(np.ones(count, np.int64), name))
        return name

    def columns(self, tensor: str, count: int, prefix: str) -> list[str]:
        """The [N, 1] columns of an [N, count] tensor (the tensor itself when it has one column)."""
        if count == 1:
            return [tensor]
        columns = [f"{prefix}{index}" for index in range(count)]
        sizes = self.ones(f"split:{count}", count)
        self.nodes.append(helper.make_node("Split", [tensor, sizes], columns, f"{prefix}_split", axis=1))
        return columns


def _shared_weights(graphs: Mapping[str, onnx.GraphProto]) -> list[onnx.TensorProto]:
    """Each gate's weights once, renamed by gate, so all its instances read the same tensors."""
    initializers = []
    for key, gate_graph in graphs.items():
        for init in gate_graph.initializer:
            shared = onnx.TensorProto()
            shared.CopyFrom(init)
            shared.name = f"w:{key}/{init.name}"  # `:` is in no part name, so no tensor name clashes
            initializers.append(shared)
    return initializers


def _input_columns(parts: _Parts, circuit: Circuit) -> list[str]:
    """The circuit's input bits as [N, 1] columns, so each instance can pick its own."""
    if circuit.inputs == 1:
        return [contract.INPUT_NAME]
    inputs = [f"in:{name}" for name in circuit.input_names]
    split = parts.ones("split:inputs", circuit.inputs)
    parts.nodes.append(
        helper.make_node("Split", [contract.INPUT_NAME, split], inputs, "split_inputs", axis=1)
    )
    return inputs


def _copy_instance(parts: _Parts, path: str, key: str, gate_graph: onnx.GraphProto, bits: list[str]) -> str:
    """One gate instance: its input columns as one tensor, then a copy of its gate's nodes whose
    tensors are renamed under `path` (the weights to the shared ones); the name of its probabilities."""
    if len(bits) > 1:
        parts.nodes.append(helper.make_node("Concat", bits, [f"{path}/bits"], f"{path}/concat", axis=1))
        bits = [f"{path}/bits"]
    names = {contract.INPUT_NAME: bits[0], contract.OUTPUT_NAME: f"{path}/probabilities"}
    names.update({init.name: f"w:{key}/{init.name}" for init in gate_graph.initializer})
    for index, node in enumerate(gate_graph.node):
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.name = f"{path}/{index}"  # short names: every instance repeats them
        for output in node.output:
            names.setdefault(output, f"{path}/{len(names)}")
        copy.input[:] = [names[name] if name else "" for name in node.input]
        copy.output[:] = [names[name] for name in node.output]
        parts.nodes.append(copy)
    return names[contract.OUTPUT_NAME]


def _finish(parts: _Parts, circuit: Circuit, outputs: list[str]) -> onnx.GraphProto:
    """The graph: the output columns joined into `probabilities`, only the nodes that lead there,
    and the gate contract's input and output."""
    if len(outputs) > 1:
        parts.nodes.append(helper.make_node("Concat", outputs, [contract.OUTPUT_NAME], "outputs", axis=1))
    else:
        parts.nodes.append(helper.make_node("Identity", outputs, [contract.OUTPUT_NAME], "outputs"))
    batch, float32 = contract.BATCH_DIM, TensorProto.FLOAT
    bits = helper.make_tensor_value_info(contract.INPUT_NAME, float32, [batch, circuit.inputs])
    probabilities = helper.make_tensor_value_info(contract.OUTPUT_NAME, float32, [batch, circuit.outputs])
    return helper.make_graph(_used(parts.nodes), circuit.key, [bits], [probabilities], parts.initializers)


def _used(nodes: list[onnx.NodeProto]) -> list[onnx.NodeProto]:
    """The nodes that lead to the output: a split column or rounding nobody reads is dropped."""
    needed, kept = {contract.OUTPUT_NAME}, []
    for node in reversed(nodes):
        if needed.intersection(node.output):
            kept.append(node)
            needed.update(node.input)
    return kept[::-1]


def _model(graph: onnx.GraphProto, recipe: CircuitRecipe, sampled: int | None) -> bytes:
    circuit = recipe.gate
    _dedupe_initializers(graph)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", contract.OPSET)], producer_name="gatenet"
    )
    model.ir_version = 8
    model.doc_string = f"gatenet circuit {circuit.name}: {circuit.description}".strip(": ")
    metadata = contract.model_metadata(circuit, recipe.margin, 0, {}, recipe.record(), sampled)
    metadata[contract.KEY_CIRCUIT] = json.dumps(circuit.netlist, sort_keys=True)
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def _dedupe_initializers(graph: onnx.GraphProto) -> None:
    """One copy of each shared constant (the split sizes are asked for once per use), none unused."""
    used = {name for node in graph.node for name in node.input}
    seen, keep = set(), []
    for init in graph.initializer:
        if init.name in used and init.name not in seen:
            seen.add(init.name)
            keep.append(init)
    del graph.initializer[:]
    graph.initializer.extend(keep)


def _depth_margins(
    circuit: Circuit, graph: onnx.GraphProto, taps: list[str], rows: np.ndarray
) -> list[float]:
    """The worst margin of any gate output at each depth, against the exact bits there.

    A gate whose outputs nobody reads (half of a sub-circuit, say) is not in the graph, nor here.
    """
    live = {name for node in graph.node for name in node.output}
    kept = [(index, name) for index, name in enumerate(taps) if name in live]
    probe = onnx.GraphProto()
    probe.CopyFrom(graph)
    del probe.output[:]
    probe.output.extend([helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for _, name in kept])
    model = helper.make_model(probe, opset_imports=[helper.make_opsetid("", contract.OPSET)])
    model.ir_version = 8
    data = model.SerializeToString()
    worst = [np.inf] * max(circuit.instances[index].depth for index, _ in kept)
    for start in range(0, len(rows), CHUNK_ROWS):  # every gate's outputs for a million rows would be big
        chunk = rows[start : start + CHUNK_ROWS]
        values = runtime.run_outputs(data, chunk, [name for _, name in kept])
        exact, _ = circuit.evaluate(chunk)
        for (index, _), got in zip(kept, values, strict=True):
            depth, want = circuit.instances[index].depth, exact[index]
            margins = np.where(want == 1, got - 0.5, 0.5 - got)
            worst[depth - 1] = min(worst[depth - 1], float(margins.min()))
    return worst
