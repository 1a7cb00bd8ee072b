"""Netlists: the 16 functions, JSON with one-line errors, bit-parallel evaluation, exact checks and
minimization that never changes a function."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netlists import FULL_ADDER

from gatenet.gate import input_rows
from gatenet.netlist import (
    FUNCTION_NAMES,
    FUNCTIONS,
    TABLES,
    Netlist,
    NetlistError,
    Node,
    Output,
    evaluate,
    exact,
    gate_count,
    minimize,
)

X = FUNCTIONS


def full_adder_table() -> np.ndarray:
    ones = input_rows(3).sum(axis=1)
    return np.stack([ones % 2, ones >= 2], axis=1).astype(np.uint8)


def test_the_16_functions_in_difflogic_order():
    a, b = input_rows(2).T
    expected = {
        "FALSE": 0 * a,
        "AND": a & b,
        "A_AND_NOT_B": a & (1 - b),
        "A": a,
        "NOT_A_AND_B": (1 - a) & b,
        "B": b,
        "XOR": a ^ b,
        "OR": a | b,
        "NOR": 1 - (a | b),
        "XNOR": 1 - (a ^ b),
        "NOT_B": 1 - b,
        "A_OR_NOT_B": a | (1 - b),
        "NOT_A": 1 - a,
        "NOT_A_OR_B": (1 - a) | b,
        "NAND": 1 - (a & b),
        "TRUE": 1 + 0 * a,
    }
    assert list(expected) == list(FUNCTION_NAMES)
    for index, column in enumerate(expected.values()):
        assert TABLES[index].tolist() == column.tolist()
        one = Netlist(("a", "b"), (Node(index, 0, 1),), (Output(2),), ("out",))
        assert evaluate(one)[:, 0].tolist() == column.tolist()


def test_full_adder_evaluates_and_is_exact():
    assert exact(FULL_ADDER, full_adder_table()) is None
    assert gate_count(FULL_ADDER) == 5


def test_a_broken_netlist_names_its_first_wrong_row():
    broken = Netlist(
        FULL_ADDER.inputs,
        FULL_ADDER.nodes[:4] + (Node(X["AND"], 5, 6),),
        FULL_ADDER.outputs,
        FULL_ADDER.output_names,
    )
    wrong = exact(broken, full_adder_table())
    assert wrong is not None
    assert (wrong.row, wrong.inputs, wrong.expected, wrong.got) == (3, (0, 1, 1), (0, 1), (0, 0))
    assert str(wrong) == "row 3 (inputs (0, 1, 1)): expected (0, 1), got (0, 0)"


def test_json_round_trip():
    text = FULL_ADDER.to_json()
    assert json.loads(text)["nodes"][0] == {"op": "XOR", "a": 0, "b": 1}
    assert Netlist.from_json(text) == FULL_ADDER


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["nodes"][1].update(b=9),
            "netlist node 1: input b is 9, expected a signal 0..3 (3 inputs, then the 1 earlier nodes)",
        ),
        (
            lambda d: d["nodes"][2].update(op="XAND"),
            "netlist node 2: op 'XAND' is not one of the 16 functions",
        ),
        (lambda d: d["nodes"][0].update(a=True), "netlist node 0: input a is True, expected a signal 0..2"),
        (lambda d: d["nodes"][0].pop("a"), "netlist node 0: expected an object with keys op, a, b"),
        (
            lambda d: d["outputs"][1].update(signal=8),
            "netlist output 'carry_out': signal is 8, expected null (a constant) or a signal 0..7",
        ),
        (lambda d: d.update(version=2), "netlist: expected version 1, got 2"),
        (lambda d: d.update(nodes={}), "netlist: expected 'nodes' to be a list, got dict"),
    ],
)
def test_json_errors_name_the_part_and_the_rule(change, message):
    data = FULL_ADDER.to_dict()
    change(data)
    with pytest.raises(NetlistError) as error:
        Netlist.from_json(json.dumps(data))
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_not_json_is_one_line():
    with pytest.raises(NetlistError, match="^netlist: not JSON"):
        Netlist.from_json("{")


def test_minimize_removes_wires_constants_duplicates_and_complements():
    nodes = (
        Node(X["NAND"], 0, 1),  # n0 = NOT AND(a, b)
        Node(X["NOT_A"], 2, 0),  # n1 = NOT n0 = AND(a, b): a complemented wire
        Node(X["AND"], 1, 0),  # n2 = AND(b, a): a duplicate of n1, inputs swapped
        Node(X["A_AND_NOT_B"], 0, 0),  # n3 = 0: a constant
        Node(X["OR"], 5, 4),  # n4 = OR(0, n1) = n1
        Node(X["XOR"], 3, 2),  # n5 = XOR(NOT AND, AND) = 1
        Node(X["XNOR"], 6, 4),  # n6 = XNOR(n4, n2) = 1
    )
    netlist = Netlist(
        ("a", "b"), nodes, (Output(6), Output(7, True), Output(8), Output(2)), ("p", "q", "r", "s")
    )
    small = minimize(netlist)
    assert small.nodes == (Node(X["AND"], 0, 1),)
    assert small.outputs == (Output(2), Output(None, False), Output(None, True), Output(2, True))
    assert np.array_equal(evaluate(small), evaluate(netlist))


def test_minimize_absorbs_complements_into_consumers():
    # NOT a AND NOT b is NOR(a, b): one gate, kept as OR with the complement on the output
    netlist = Netlist(
        ("a", "b"),
        (Node(X["NOT_A"], 0, 1), Node(X["NOT_B"], 0, 1), Node(X["AND"], 2, 3)),
        (Output(4),),
        ("out",),
    )
    small = minimize(netlist)
    assert small.nodes == (Node(X["OR"], 0, 1),) and small.outputs == (Output(2, True),)


@st.composite
def netlists(draw) -> Netlist:
    inputs = draw(st.integers(1, 4))
    nodes = []
    for k in range(draw(st.integers(0, 12))):
        signal = st.integers(0, inputs + k - 1)
        nodes.append(Node(draw(st.integers(0, 15)), draw(signal), draw(signal)))
    signals = inputs + len(nodes)
    outputs = draw(
        st.lists(
            st.builds(Output, st.none() | st.integers(0, signals - 1), st.booleans()), min_size=1, max_size=3
        )
    )
    return Netlist(
        tuple(f"x{i}" for i in range(inputs)),
        tuple(nodes),
        tuple(outputs),
        tuple(f"o{i}" for i in range(len(outputs))),
    )


@settings(max_examples=300, deadline=None)
@given(netlists())
def test_minimize_keeps_the_function_on_every_row(netlist):
    small = minimize(netlist)
    assert exact(small, evaluate(netlist)) is None
    assert small.gates <= netlist.gates
    assert minimize(small) == small
    for node in small.nodes:  # every kept node is a real gate of two different signals
        assert node.a < node.b and node.function in (
            X["AND"],
            X["A_AND_NOT_B"],
            X["NOT_A_AND_B"],
            X["XOR"],
            X["OR"],
        )


def test_evaluation_past_64_rows():
    inputs = tuple(f"x{i}" for i in range(8))
    nodes = [Node(X["XOR"], 0, 1)]
    for k in range(2, 8):
        nodes.append(Node(X["XOR"], 8 + len(nodes) - 1, k))
    parity = Netlist(inputs, tuple(nodes), (Output(8 + len(nodes) - 1),), ("out",))
    assert exact(parity, (input_rows(8).sum(axis=1, keepdims=True) % 2).astype(np.uint8)) is None
    assert gate_count(parity) == 7
