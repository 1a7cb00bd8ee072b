"""Circuits as netlists: exact evaluation, every validation error, and plugins that register them.

No networks here: a circuit's truth table comes from its gates' tables through the wiring.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import gatenet
from gatenet import Circuit, CircuitError, Part
from gatenet.plugins import collect_gates


@pytest.fixture(scope="module")
def registry():
    return collect_gates()


def resolved(registry, circuit: Circuit, *others: Circuit) -> Circuit:
    known = {other.key: other for other in others}
    circuit.resolve(
        lambda name: registry.find(name) or registry.find_circuit(name) or known.get(name.lower())
    )
    return circuit


def half_adder(**changes) -> Circuit:
    spec = {
        "inputs": ["a", "b"],
        "parts": {"x": Part("XOR", "a", "b"), "n": Part("AND", a="a", b="b")},
        "outputs": {"sum": "x.out", "carry": "n"},
        "truth": lambda a, b: (a ^ b, a & b),
    }
    return Circuit("HA", **{**spec, **changes})


def test_a_half_adder_computes_its_table_from_its_gates(registry):
    circuit = resolved(registry, half_adder())
    assert circuit.input_names == ("a", "b") and circuit.output_names == ("sum", "carry")
    assert circuit.table.tolist() == [[0, 0], [1, 0], [1, 0], [0, 1]]
    assert [(i.path, i.gate.name, i.depth) for i in circuit.instances] == [("x", "XOR", 1), ("n", "AND", 1)]


def test_the_shipped_circuits_compute_what_they_declare(registry):
    assert set(registry.circuits) == {
        "half_adder_wired",
        "full_adder_wired",
        "add4",
        "add8",
        "mux4",
        "parity8_tree",
    }
    for circuit in registry.circuits.values():
        assert circuit.table.shape == (2**circuit.inputs, circuit.outputs)  # declared truth checked here
    add8 = registry.find_circuit("ADD8")
    assert (add8.inputs, add8.outputs, len(add8.rows)) == (17, 9, 131072)
    assert [i.gate.name for i in add8.instances] == ["FULL_ADDER"] * 8 and add8.depth == 8
    rng = np.random.default_rng(0)
    for a, b, carry in zip(
        rng.integers(0, 256, 50), rng.integers(0, 256, 50), rng.integers(0, 2, 50), strict=True
    ):
        row = (int(a) << 9) | (int(b) << 1) | int(carry)
        assert int("".join(map(str, add8.table[row])), 2) == a + b + carry
    mux4 = registry.find_circuit("MUX4")
    for s1, s0, *data in itertools.product((0, 1), repeat=6):
        assert mux4.table[int("".join(map(str, (s1, s0, *data))), 2), 0] == data[2 * s1 + s0]
    tree = registry.find_circuit("PARITY8_TREE")
    assert (tree.table[:, 0] == registry.find("PARITY8").table[:, 0]).all() and tree.depth == 3


def test_a_circuit_of_circuits_flattens_to_gates(registry):
    full = registry.find_circuit("FULL_ADDER_WIRED")
    assert [i.path for i in full.instances] == ["h1.x", "h1.n", "h2.x", "h2.n", "o"]
    assert [i.depth for i in full.instances] == [1, 1, 2, 2, 3]
    assert full.table.tolist() == registry.find("FULL_ADDER").table.tolist()
    assert full.netlist["parts"][0] == {
        "part": "h1",
        "gate": "HALF_ADDER_WIRED",
        "circuit": True,
        "inputs": {"a": "a", "b": "b"},
        "outputs": ["sum", "carry"],
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "parts": {"x": Part("XOR", "a", "y"), "y": Part("AND", "x", "b")},
                "outputs": ["y"],
                "truth": None,
            },
            "circuit 'HA': the wiring has a cycle: x -> y -> x",
        ),
        (
            {"parts": {"x": Part("XOR", "a", "b"), "n": Part("NAAND", "a", "b")}},
            "circuit 'HA': part 'n': unknown gate or circuit 'NAAND'",
        ),
        (
            {"parts": {"x": Part("XOR", "a"), "n": Part("AND", "a", "b")}},
            "circuit 'HA': part 'x': input 'b' of XOR is not connected",
        ),
        (
            {"parts": {"x": Part("XOR", "a", "b", a="b"), "n": Part("AND", "a", "b")}},
            "circuit 'HA': part 'x': input 'a' is driven twice ('a' and 'b')",
        ),
        (
            {"outputs": {"sum": "x.out", "carry": "m.out"}},
            "circuit 'HA': output 'carry' comes from nowhere: 'm.out' is neither a circuit input",
        ),
        (
            {"parts": {"x": Part("XOR", "a", "c"), "n": Part("AND", "a", "b")}},
            "circuit 'HA': part 'x' input 'b' comes from nowhere: 'c'",
        ),
        (
            {"outputs": {"sum": "x.sum", "carry": "n"}},
            "circuit 'HA': output 'sum' comes from nowhere: XOR has no output 'sum' (out)",
        ),
        (
            {"parts": {"x": Part("XOR", "a", "b", "a"), "n": Part("AND", "a", "b")}},
            "circuit 'HA': part 'x': width mismatch: 3 sources for XOR, which has 2 inputs (a, b)",
        ),
        (
            {
                "parts": {"x": Part("HALF_ADDER", "a", "b"), "n": Part("AND", "x", "b")},
                "outputs": ["n"],
                "truth": None,
            },
            "circuit 'HA': part 'n' input 'a': 'x' has 2 outputs, a 1-bit input takes one of x.sum, x.carry",
        ),
        (
            {"parts": {"x": Part("XOR", "a", "b"), "n": Part("AND", "a", "b"), "idle": Part("OR", "a", "b")}},
            "circuit 'HA': part 'idle' drives nothing",
        ),
        ({"inputs": ["a", "a"]}, "circuit 'HA': inputs names must be unique"),
        ({"parts": {}}, "circuit 'HA': parts must be a mapping of part names to Part(...)"),
    ],
)
def test_each_wiring_mistake_is_one_error_naming_the_circuit_and_the_part(registry, changes, message):
    with pytest.raises(CircuitError) as caught:
        resolved(registry, half_adder(**changes))
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_declared_truth_the_wiring_does_not_compute_names_the_first_differing_row(registry):
    wrong = resolved(registry, half_adder(truth=lambda a, b: (a | b, a & b)))
    with pytest.raises(CircuitError) as caught:
        wrong.table  # noqa: B018
    assert str(caught.value) == (
        "circuit 'HA': the wiring does not compute the declared truth; first at row 11 (a=1 b=1): "
        "wiring gives sum=0 carry=1, truth says sum=1 carry=1"
    )


def test_a_truth_that_only_works_row_by_row_is_called_row_by_row(registry):
    circuit = resolved(registry, half_adder(truth=lambda a, b: (1 if a != b else 0, 1 if a and b else 0)))
    assert circuit.table.tolist() == [[0, 0], [1, 0], [1, 0], [0, 1]]


def test_a_circuit_that_contains_itself_is_refused(registry):
    loop = Circuit("LOOP", ["a", "b"], {"inner": Part("LOOP", "a", "b")}, ["inner.out"])
    with pytest.raises(CircuitError, match=r"circuit 'LOOP': part 'inner': circuit 'LOOP': contains itself"):
        resolved(registry, loop, loop)


class ThirdParty:
    """A plugin that brings a gate of its own and a circuit using it with another plugin's gate."""

    @gatenet.hookimpl
    def register_gates(self, register):
        register(gatenet.Gate("EQUALS", 2, lambda a, b: int(a == b)))

    @gatenet.hookimpl
    def register_circuits(self, register):
        register(
            Circuit(
                "EQUALS_OR_BOTH",
                ["a", "b"],
                {
                    "eq": Part("EQUALS", "a", "b"),
                    "both": Part("AND", "a", "b"),
                    "o": Part("OR", "eq", "both"),
                },
                ["o"],
                truth=lambda a, b: int(a == b),
            )
        )


class Broken:
    @gatenet.hookimpl
    def register_circuits(self, register):
        register(Circuit("XOR", 2, {"x": Part("AND", "a", "b")}, ["x"]))  # a gate's name
        register(Circuit("NOWHERE", 2, {"x": Part("AND", "a", "c")}, ["x"]))
        register("ADD2")
        register(Circuit("STILL_FINE", 2, {"x": Part("NAND", "a", "b")}, ["x"]))
        raise RuntimeError("the hook broke after four circuits")


def test_a_third_party_circuit_uses_gates_from_two_plugins(register_plugin):
    register_plugin(ThirdParty(), "equals-circuits")
    registry = collect_gates()
    circuit = registry.find_circuit("equals_or_both")
    assert registry.plugin_of["equals_or_both"] == "equals-circuits"
    assert [i.gate.name for i in circuit.instances] == ["EQUALS", "AND", "OR"]
    assert circuit.table[:, 0].tolist() == [1, 0, 0, 1]
    assert registry.problems == []


def test_broken_circuits_are_reported_one_by_one_and_stop_nothing_else(register_plugin):
    register_plugin(Broken(), "broken-circuits")
    registry = collect_gates()
    problems = "\n".join(registry.problems)
    assert "circuit name 'XOR' is used by plugin 'broken-circuits' and gate 'XOR' of plugin 'xor'" in problems
    assert (
        "plugin 'broken-circuits': circuit 'NOWHERE': part 'x' input 'b' comes from nowhere: 'c'" in problems
    )
    assert "plugin 'broken-circuits': register() takes a gatenet.Circuit, got str" in problems
    assert "plugin 'broken-circuits': register_circuits failed: RuntimeError: the hook broke" in problems
    assert registry.find_circuit("STILL_FINE") is not None and registry.find("XOR").inputs == 2
    assert {"add8", "mux4"} <= set(registry.circuits)


def test_a_truth_function_that_never_finishes_is_stopped_naming_the_circuit(registry, monkeypatch):
    monkeypatch.setenv("GATENET_TRUTH_TIMEOUT", "0.5")

    def forever(a, b):
        while True:
            pass

    circuit = resolved(registry, half_adder(truth=forever))
    with pytest.raises(CircuitError, match=r"circuit 'HA': truth function took more than 0.5 s for 4 rows"):
        circuit.table  # noqa: B018


@pytest.mark.parametrize(
    ("truth", "message"),
    [
        (lambda a, b: a ^ b, r"truth must give 2 bits \(0 or 1\) per row, got \[0\] for row 00"),
        (lambda a, b: (a ^ b, 2), r"truth must give 2 bits \(0 or 1\) per row, got \[0, 2\] for row 00"),
        (lambda a: a, r"truth failed on row 00: TypeError: "),
    ],
)
def test_a_truth_function_that_gives_the_wrong_thing_names_the_row(registry, truth, message):
    with pytest.raises(CircuitError, match=message):
        resolved(registry, half_adder(truth=truth)).table  # noqa: B018


class Deep:
    """A flat chain of 1,200 NOT parts declared from the output back, and circuits nested 1,500 deep:
    each once made collect_gates raise RecursionError, so every command failed."""

    @gatenet.hookimpl
    def register_circuits(self, register):
        parts = {f"p{i}": Part("NOT", f"p{i + 1}" if i < 1199 else "a") for i in range(1200)}
        register(Circuit("LONG_CHAIN", ["a"], parts, ["p0"]))
        register(Circuit("NEST0", ["a"], {"x": Part("NOT", "a")}, ["x"]))
        for level in range(1, 1500):
            register(Circuit(f"NEST{level}", ["a"], {"x": Part(f"NEST{level - 1}", "a")}, ["x"]))


def test_a_long_chain_resolves_and_circuits_nested_too_deep_are_reported_one_by_one(register_plugin):
    register_plugin(Deep(), "deep")
    registry = collect_gates()
    chain = registry.find_circuit("LONG_CHAIN")
    assert chain.depth == 1200 and chain.table[:, 0].tolist() == [0, 1]  # an even number of NOTs
    assert chain.netlist["parts"][0]["part"] == "p1199"  # each part after the part feeding it
    assert registry.find_circuit("NEST31").depth == 1 and registry.find_circuit("NEST32") is None
    too_deep = [problem for problem in registry.problems if "nest more than 32 deep" in problem]
    assert len(too_deep) == 1500 - 32 and len(registry.problems) == len(too_deep)
    assert too_deep[0] == (
        "plugin 'deep': circuit 'NEST100': circuits inside it nest more than 32 deep "
        "(nest100 -> nest99 -> nest98 -> ... -> nest69 -> nest68); at most 32 levels of circuits within "
        "circuits are supported"
    )
    assert {"add8", "mux4"} <= set(registry.circuits)


def test_a_circuit_that_would_flatten_to_too_many_gates_is_refused_before_it_is_built(registry):
    levels = [Circuit("DOUBLE0", ["a"], {"x": Part("NOT", "a")}, ["x"])]
    for level in range(1, 18):  # each level uses the one below twice: 2^17 gates
        parts = {"x": Part(f"DOUBLE{level - 1}", "a"), "y": Part(f"DOUBLE{level - 1}", "x")}
        levels.append(Circuit(f"DOUBLE{level}", ["a"], parts, ["y"]))
    with pytest.raises(CircuitError) as caught:
        resolved(registry, levels[-1], *levels)
    assert str(caught.value) == (
        "circuit 'DOUBLE17': has more than 100000 gates once the circuits inside it are flattened (at part "
        "'y'); at most 100000 are supported"
    )


class HostileNetlist:
    @gatenet.hookimpl
    def register_circuits(self, register):
        class Name:
            def __str__(self):
                raise RuntimeError("no name today")

        register(Circuit("NAMELESS", ["a"], {"x": Part(Name(), "a")}, ["x"]))


def test_a_netlist_whose_own_objects_raise_is_one_problem_for_its_circuit(register_plugin):
    register_plugin(HostileNetlist(), "hostile")
    registry = collect_gates()
    (problem,) = registry.problems
    assert problem.startswith("plugin 'hostile': circuit 'nameless': RuntimeError: no name today (")
    assert {"add8", "mux4"} <= set(registry.circuits)


BUSY_CIRCUIT = """
import time
from gatenet import Circuit, CircuitError, Part
from gatenet.plugins import collect_gates

registry = collect_gates()
circuit = Circuit(
    "HA",
    ["a", "b"],
    {"x": Part("XOR", "a", "b"), "n": Part("AND", a="a", b="b")},
    {"sum": "x.out", "carry": "n"},
    truth=lambda a, b: (sum(range(10**9)) % 2, 0),
)
circuit.resolve(lambda name: registry.find(name) or registry.find_circuit(name))
started = time.monotonic()
try:
    circuit.table
except CircuitError as error:
    print(error)
print(round(time.monotonic() - started, 1))
"""


def test_a_truth_function_busy_inside_c_is_stopped_naming_the_circuit(tmp_path):
    """In a command's own process (one thread, as gatenet runs), not this test process, whose other
    tests may have left threads that make the watchdog fall back to SIGALRM alone."""
    (tmp_path / "busy.py").write_text(BUSY_CIRCUIT)
    env = {**os.environ, "GATENET_TRUTH_TIMEOUT": "0.3"}
    result = subprocess.run(
        [sys.executable, "busy.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    problem, seconds = result.stdout.strip().splitlines()
    assert re.match(r"circuit 'HA': truth function took more than 0.3 s for 4 rows", problem), result.stdout
    assert float(seconds) < 5  # SIGALRM alone waits for sum() to return: about 25 s
