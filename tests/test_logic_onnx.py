"""Exact circuits as ONNX models: onnxruntime gives the netlist's outputs on every row, exactly, through
gatenet's own runtime (so the contract and metadata hold), in a graph whose size is set by depth."""

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from netlists import FULL_ADDER, XOR

import gatenet
from gatenet import contract
from gatenet.contract import KEY_NETLIST
from gatenet.gate import Gate
from gatenet.logic_onnx import netlist_model
from gatenet.netlist import FUNCTIONS, Netlist, Node, Output, evaluate, minimize
from gatenet.runtime import GateModel

ROOT = Path(__file__).resolve().parent.parent
X = FUNCTIONS
OPS = {"MatMul", "Add", "Mul"}


def random_netlist(seed: int) -> Netlist:
    """Any of the 16 functions, inputs read twice, dead nodes, and complemented and constant outputs;
    `reach` near 1 makes long chains (deep), large makes wide levels (shallow)."""
    rng = np.random.default_rng(seed)
    inputs, count, reach = int(rng.integers(1, 7)), int(rng.integers(0, 30)), int(rng.integers(1, 30))
    nodes = []
    for k in range(count):
        signals = inputs + k
        a, b = rng.integers(max(0, signals - reach), signals, size=2)
        nodes.append(Node(int(rng.integers(0, 16)), int(a), int(b)))
    outputs = [
        Output(
            None if rng.random() < 0.15 else int(rng.integers(0, inputs + count)), bool(rng.random() < 0.4)
        )
        for _ in range(int(rng.integers(1, 5)))
    ]
    return Netlist(
        tuple(f"x{i}" for i in range(inputs)),
        tuple(nodes),
        tuple(outputs),
        tuple(f"y{j}" for j in range(len(outputs))),
    )


def gate_of(netlist: Netlist, name: str) -> Gate:
    return Gate(name, netlist.inputs, evaluate(netlist), netlist.output_names)


def run(netlist: Netlist, gate: Gate, tmp_path: Path, **options) -> GateModel:
    """The model through gatenet's runtime, having checked it is exactly the netlist on every row."""
    data = netlist_model(netlist, gate, **options)
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    path = tmp_path / f"{gate.key}.onnx"
    path.write_bytes(data)
    model = GateModel(path)
    probabilities = model.probabilities(model.rows)
    assert probabilities.dtype == np.float32
    np.testing.assert_array_equal(probabilities, evaluate(netlist).astype(np.float32))
    check = model.verify(0.5)
    assert check.verified and check.worst_margin == 0.5
    assert Netlist.from_json(model.metadata[KEY_NETLIST]) == netlist
    assert {node.op_type for node in onnx.load_from_string(data).graph.node} <= OPS
    return model


@pytest.mark.parametrize("seed", range(40))
def test_random_netlists_are_exact_on_every_row(seed, tmp_path):
    netlist = random_netlist(seed)
    model = run(netlist, gate_of(netlist, f"RANDOM{seed}"), tmp_path)
    assert model.declared_margin == 0.5
    small = minimize(netlist)  # the same function, from another graph
    run(small, gate_of(small, f"SMALL{seed}"), tmp_path)


def depth(netlist: Netlist) -> int:
    depths = [0] * len(netlist.inputs)
    for node in netlist.nodes:
        depths.append(1 + max(depths[node.a], depths[node.b]))
    return max(depths)


def test_the_random_netlists_are_deep_and_shallow_with_complemented_and_constant_outputs():
    netlists = [random_netlist(seed) for seed in range(40)]
    outputs = [out for netlist in netlists for out in netlist.outputs]
    assert any(out.signal is None for out in outputs) and any(out.complement for out in outputs)
    assert {depth(n) for n in netlists} >= {0, 1, 2, 3} and max(map(depth, netlists)) >= 15
    assert any(n.gates > 2 * depth(n) > 0 for n in netlists)  # wide levels


def graph_ops(netlist: Netlist) -> int:
    return len(onnx.load_from_string(netlist_model(netlist, gate_of(netlist, "N"))).graph.node)


def xors(pairs: list[tuple[int, int]], chain: bool) -> Netlist:
    """XORs of pairs of 8 inputs side by side, every one an output; or, as a `chain`, each XOR reads the
    one before, and the output is the last."""
    nodes = tuple(Node(X["XOR"], a, 8 + k - 1 if chain and k else b) for k, (a, b) in enumerate(pairs))
    outputs = [Output(8 + k) for k in range(len(pairs))][-1 if chain else 0 :]
    names = tuple(f"y{k}" for k in range(len(outputs)))
    return Netlist(tuple(f"x{i}" for i in range(8)), nodes, tuple(outputs), names)


def test_depth_not_gate_count_sets_the_graph_size(tmp_path):
    pairs = [(a, b) for a in range(8) for b in range(a + 1, 8)]  # 28 XORs
    assert graph_ops(xors(pairs, chain=False)) == graph_ops(xors(pairs[:1], chain=False)) == 5
    chains = [graph_ops(xors(pairs[:length], chain=True)) for length in range(1, 6)]
    assert np.diff(chains).tolist() == [5] * 4  # each level: 3 MatMul, Mul, Add
    for chain in (False, True):
        run(xors(pairs, chain), gate_of(xors(pairs, chain), "XORS"), tmp_path)


@pytest.mark.parametrize("name, netlist", [("XOR", XOR), ("FULL_ADDER", FULL_ADDER)])
def test_registered_gates_are_exact_and_smaller_than_their_network_models(name, netlist, tmp_path):
    (gate,) = gatenet.gates(name)
    model = run(netlist, gate, tmp_path)
    assert model.metadata[contract.KEY_GATE] == name
    assert model.metadata[contract.KEY_TRUTH] == json.dumps(contract.encode_table(gate.table))
    assert len(model.data) < (ROOT / "exported" / f"{gate.key}.onnx").stat().st_size


def test_a_netlist_that_is_not_the_gate_is_refused_naming_its_row():
    (gate,) = gatenet.gates("XOR")
    wrong = Netlist(("a", "b"), (Node(X["OR"], 0, 1),), (Output(2),), ("out",))
    with pytest.raises(
        ValueError, match=r"not exact: row 3 \(inputs \(1, 1\)\): expected \(0,\), got \(1,\)"
    ):
        netlist_model(wrong, gate)
    renamed = Netlist(("p", "q"), XOR.nodes, XOR.outputs, ("out",))
    with pytest.raises(ValueError, match="are not the gate's"):
        netlist_model(renamed, gate)


def test_extra_metadata_says_how_it_was_made_but_not_what_it_computes(tmp_path):
    (gate,) = gatenet.gates("XOR")
    network = json.dumps({"depth": 2, "width": 4})
    extra = {contract.KEY_SEED: "7", contract.KEY_NETWORK: network, "gatenet.gate_count": "1"}
    model = run(XOR, gate, tmp_path, margin=0.4, metadata_extra=extra)
    assert model.declared_margin == 0.4
    assert {key: model.metadata[key] for key in extra} == extra
    with pytest.raises(ValueError, match="margin: must be a number in"):
        netlist_model(XOR, gate, margin=0.6)
    for key in (contract.KEY_TRUTH, contract.KEY_MARGIN, KEY_NETLIST):
        with pytest.raises(ValueError, match=f"cannot replace {key}"):
            netlist_model(XOR, gate, metadata_extra={key: "x"})
