"""NPN classes: Boolean functions that are the same up to permuting and negating inputs and the output.

Two functions in one class cost the same number of two-input gates (complements are free, and a
permutation only renames wires), so a circuit for one member is a circuit of the same size for every
other: `transform_netlist` rewrites it. This is how ABC's rewriting and Knuth's tables of minimum
circuits (TAOCP 7.1.2) treat the 65,536 four-input functions: as 222 classes.

A function of `n` inputs is its truth table as an integer, bit `r` the output on row `r`, rows in
binary counting order with the first input most significant (as `Gate.rows` and `BOOLEAN<n>_<k>`'s
number `k` are). numpy only: classifying all of boolean4 takes about a second.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from gatenet.gate import Gate, input_rows, table_gate
from gatenet.netlist import Netlist, Node, Output, complement_inputs

MAX_INPUTS = 5  # 5! * 2^5 = 3,840 transforms; six inputs would need 46,080 per function
CLASSES = {1: 2, 2: 4, 3: 14, 4: 222, 5: 616_126}  # the known counts (OEIS A000370)


@dataclass(frozen=True)
class Transform:
    """g(x) = f(y) XOR `complement`, where input i of f reads `y_i = x_{permutation[i]} XOR negations[i]`."""

    permutation: tuple[int, ...]
    negations: tuple[bool, ...]
    complement: bool

    def rows(self) -> np.ndarray:
        """For each row of g, the row of f it reads: g's table is `f_table[self.rows()] ^ complement`."""
        inputs = len(self.permutation)
        y = input_rows(inputs)[:, list(self.permutation)] ^ np.array(self.negations, dtype=np.uint8)
        return y @ (1 << (inputs - 1 - np.arange(inputs)))

    def table(self, table: np.ndarray) -> np.ndarray:
        """The truth table (0/1 per row) of g, given f's."""
        return np.asarray(table)[self.rows()] ^ int(self.complement)


@dataclass(frozen=True)
class Classified:
    """Each function's class, as its representative (the least table in the class, as an integer),
    and the transform that takes the representative to the function."""

    inputs: int
    representative: np.ndarray  # int64, one per function
    transform: list[Transform]


def _transforms(inputs: int) -> list[Transform]:
    return [
        Transform(tuple(permutation), tuple(bool(bit) for bit in negations), False)
        for permutation in itertools.permutations(range(inputs))
        for negations in itertools.product((0, 1), repeat=inputs)
    ]


def numbers_to_tables(numbers: np.ndarray, inputs: int) -> np.ndarray:
    """[functions, rows] of 0/1 from table integers (bit r = row r)."""
    rows = np.arange(2**inputs, dtype=np.int64)
    return ((np.asarray(numbers, dtype=np.int64)[:, None] >> rows[None, :]) & 1).astype(np.uint8)


def tables_to_numbers(tables: np.ndarray) -> np.ndarray:
    """Table integers (bit r = row r) from [functions, rows] of 0/1."""
    tables = np.asarray(tables, dtype=np.int64)
    return tables @ (np.int64(1) << np.arange(tables.shape[1], dtype=np.int64))


def classify(numbers: np.ndarray, inputs: int) -> Classified:
    """The NPN class of every function in `numbers`: the least table any transform of it gives."""
    if not 1 <= inputs <= MAX_INPUTS:
        raise ValueError(f"inputs: expected 1 to {MAX_INPUTS} for NPN classes, got {inputs}")
    tables = numbers_to_tables(numbers, inputs)
    full = (1 << 2**inputs) - 1
    best = np.full(len(tables), np.iinfo(np.int64).max, dtype=np.int64)
    chosen = np.zeros(len(tables), dtype=np.int64)
    complemented = np.zeros(len(tables), dtype=bool)
    transforms = _transforms(inputs)
    for index, transform in enumerate(transforms):
        image = tables_to_numbers(tables[:, transform.rows()])
        for negate in (False, True):
            value = full - image if negate else image
            better = value < best
            best[better], chosen[better], complemented[better] = value[better], index, negate
    # image = rep, so f = inverse(rep): record the transform from the representative to each function
    pairs = zip(chosen.tolist(), complemented.tolist(), strict=True)
    found = [_inverse(transforms[k], bool(c)) for k, c in pairs]
    return Classified(inputs, best, found)


def _inverse(transform: Transform, complement: bool) -> Transform:
    """The transform undoing `transform` with output complement `complement`: if rep = T(f), f = T^-1(rep)."""
    inputs = len(transform.permutation)
    # rep(x) = f(y), y_i = x_{p[i]} ^ n_i, so f(y) = rep(x) with x_{p[i]} = y_i ^ n_i
    permutation = [0] * inputs
    negations = [False] * inputs
    for i, source in enumerate(transform.permutation):
        permutation[source] = i
        negations[source] = transform.negations[i]
    return Transform(tuple(permutation), tuple(negations), complement)


def transform_netlist(netlist: Netlist, transform: Transform, output_name: str | None = None) -> Netlist:
    """A circuit for g = `transform` of the function `netlist` computes (one output), with the same
    gates: inputs renamed, input complements folded into the gates that read them, and the output's
    complement toggled. The input names stay as they are, in order."""
    inputs = len(netlist.inputs)
    if len(transform.permutation) != inputs or len(netlist.outputs) != 1:
        raise ValueError("transform_netlist: expected a one-output netlist with the transform's inputs")

    def source(signal: int) -> tuple[int, bool]:
        if signal >= inputs:
            return signal, False
        return transform.permutation[signal], transform.negations[signal]

    nodes = []
    for node in netlist.nodes:
        (a, negate_a), (b, negate_b) = source(node.a), source(node.b)
        nodes.append(Node(complement_inputs(node.function, negate_a, negate_b), a, b))
    (out,) = netlist.outputs
    complement = out.complement ^ transform.complement
    signal = out.signal
    if signal is not None:
        signal, negated = source(signal)
        complement ^= negated
    names = (output_name,) if output_name is not None else netlist.output_names
    return Netlist(netlist.inputs, tuple(nodes), (Output(signal, complement),), names)


def class_gate(inputs: int, number: int) -> Gate:
    """The gate a class is learned as, by the logic learner and the atlas: the function `number`
    (bit r = row r), usually the class's least member, named NPN<inputs>_<number>."""
    column = "".join(str(bit) for bit in numbers_to_tables([number], inputs)[0])
    return table_gate(f"NPN{inputs}_{number}", [column])
