"""The exact minimum number of two-input gates for small functions, found by exhaustive search.

numpy only. It is the yardstick for learned circuits: how far a learned netlist is from the best one.
Any of the 16 functions counts as one gate and complements are free (Knuth, TAOCP 7.1.2), so the
search works on "normal" functions, those that are 0 on the all-zero row: every function is one of
those or its complement, and a gate of normal signals needs only AND, a AND NOT b, NOT a AND b, XOR
or OR, the other functions being complements of these or not depending on both inputs.

A function of n inputs is a bitmask of 2^n bits (bit r: row r, rows in binary counting order). The
search is breadth first over the sets of functions a circuit has computed: a circuit of k gates is a
set reached in k steps, and what a circuit can compute next depends only on that set, so visiting each
set once per level is exact.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np

from gatenet.netlist import Netlist, Node, Output, apply, input_words

MAX_INPUTS = 3  # four inputs need Knuth's cleverer search: the sets of level 5 run to millions
OPERATIONS = (1, 2, 4, 6, 7)  # AND, A_AND_NOT_B, NOT_A_AND_B, XOR, OR: the non-trivial normal gates

State = frozenset[int]
Gate = tuple[int, int, int]  # (function, mask a, mask b)


class SearchError(ValueError):
    """A function outside what the exhaustive search covers."""


@functools.cache
def _inputs(inputs: int) -> tuple[int, ...]:
    return tuple(int(words[0]) for words in input_words(inputs))


def _mask(column: np.ndarray) -> int:
    """A truth table column as a bitmask, row r in bit r."""
    return sum(int(bit) << row for row, bit in enumerate(column))


def _normal(mask: int, inputs: int) -> int:
    """The function or its complement, whichever is 0 on row 0."""
    return mask ^ ((1 << 2**inputs) - 1) if mask & 1 else mask


def _successors(state: State) -> Iterator[tuple[State, Gate]]:
    """Every set one gate further, with the gate that reaches it."""
    signals = np.array(sorted(state), dtype=np.uint64)
    first, second = np.triu_indices(len(signals), k=1)
    for function in OPERATIONS:
        values = apply(function, signals[first], signals[second])  # normal in, normal out
        for value, a, b in zip(values.tolist(), first.tolist(), second.tolist(), strict=True):
            if value and value not in state:
                yield state | {value}, (function, int(signals[a]), int(signals[b]))


@functools.cache
def _levels(inputs: int, depth: int) -> tuple[dict[State, tuple[State, Gate] | None], ...]:
    """levels[k]: every set k gates can compute, each with its parent set and the gate that made it."""
    if not 1 <= inputs <= MAX_INPUTS:
        raise SearchError(f"exact minimum: inputs must be 1..{MAX_INPUTS}, got {inputs}")
    if depth == 0:
        return ({frozenset(_inputs(inputs)): None},)
    levels = _levels(inputs, depth - 1)
    following: dict[State, tuple[State, Gate]] = {}
    for state in levels[-1]:
        for child, gate in _successors(state):
            following.setdefault(child, (state, gate))
    return (*levels, following)


def _targets(table: np.ndarray) -> tuple[int, frozenset[int]]:
    """The input count and the normal forms of the outputs that need a gate."""
    table = np.asarray(table)
    inputs = int(table.shape[0]).bit_length() - 1
    if table.ndim != 2 or table.shape[0] != 2**inputs:
        raise SearchError(f"exact minimum: expected a table of 2^n rows x outputs, got shape {table.shape}")
    if not 1 <= inputs <= MAX_INPUTS:
        raise SearchError(f"exact minimum: inputs must be 1..{MAX_INPUTS}, got {inputs}")
    masks = {_normal(_mask(column), inputs) for column in table.T}
    return inputs, frozenset(masks - {0, *_inputs(inputs)})


def _first_circuit(table: np.ndarray, limit: int) -> tuple[int, list[Gate]]:
    """The input count and the gates, in order, of a smallest circuit that computes every output.

    A smallest circuit's last gate adds the one output its first k - 1 gates lack, so level k is
    never built: only the sets of level k - 1 that lack exactly one output are tried one gate further.
    """
    inputs, targets = _targets(table)
    if not targets:
        return inputs, []
    for depth in range(1, limit + 1):
        levels = _levels(inputs, depth - 1)
        for state in levels[-1]:
            if len(targets - state) == 1:
                gate = next((gate for child, gate in _successors(state) if targets <= child), None)
                if gate is not None:
                    return inputs, [*_gates_to(levels, state), gate]
    raise SearchError(f"exact minimum: no circuit of at most {limit} gates (raise the limit)")


def _gates_to(levels: tuple[dict[State, tuple[State, Gate] | None], ...], state: State) -> list[Gate]:
    """The gates, in order, that build `state` of the last level from the inputs."""
    gates: list[Gate] = []
    for level in range(len(levels) - 1, 0, -1):
        state, gate = levels[level][state]
        gates.append(gate)
    return gates[::-1]


def minimum_gates(table: np.ndarray, limit: int = 5) -> int:
    """The fewest two-input gates (complements free) that compute every output of `table`, a [2^n, outputs]
    table of 0/1 with n <= 3; searching up to `limit` gates (every single output of n <= 3 needs <= 4)."""
    return len(_first_circuit(table, limit)[1])


def minimal_netlist(
    table: np.ndarray, input_names: tuple[str, ...], output_names: tuple[str, ...], limit: int = 5
) -> Netlist:
    """A netlist with `minimum_gates(table)` gates that computes `table`."""
    inputs, gates = _first_circuit(table, limit)
    signal = {mask: index for index, mask in enumerate(_inputs(inputs))}
    nodes = []
    for function, a, b in gates:
        nodes.append(Node(function, signal[a], signal[b]))
        signal[int(apply(function, np.uint64(a), np.uint64(b)))] = inputs + len(nodes) - 1
    outputs = []
    for column in np.asarray(table).T:
        mask = _mask(column)
        normal = _normal(mask, inputs)
        outputs.append(Output(signal.get(normal) if normal else None, mask != normal))
    return Netlist(tuple(input_names), tuple(nodes), tuple(outputs), tuple(output_names))


def cost_histogram(inputs: int) -> dict[int, int]:
    """How many of the 2^(2^inputs) functions of `inputs` inputs need each number of gates.

    A function needs k gates when it first appears in a set of level k; it and its complement count."""
    cost: dict[int, int] = {}
    depth = 0
    while len(cost) < 2 ** (2**inputs - 1):  # the normal functions, constant 0 included
        for state in _levels(inputs, depth)[-1]:
            for mask in state:
                cost.setdefault(mask, depth)
        cost.setdefault(0, 0)
        depth += 1
    counts: dict[int, int] = {}
    for value in cost.values():
        counts[value] = counts.get(value, 0) + 2
    return dict(sorted(counts.items()))
