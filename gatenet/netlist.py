"""Exact circuits of two-input gates: the discrete form a learned logic network is checked and shipped in.

numpy only, no TensorFlow: a netlist is checked, minimized and evaluated wherever gatenet runs.

The 16 two-input functions are numbered as in difflogic (Petersen et al. 2022): function `f` is its
truth table read as a 4-bit number, row (a, b) = (0, 0) most significant, so `f(a, b)` is bit
`3 - (2a + b)` of `f`: AND is 0b0001 = 1, XOR is 0b0110 = 6, NAND is 0b1110 = 14.

Signals are numbered: the inputs first (0 .. inputs-1), then node k is signal `inputs + k`. A node
reads two earlier signals; an output reads one signal (or none: a constant) and may complement it.
Complements are free, as in Knuth's count of gates (TAOCP 7.1.2), so `gate_count` counts only the
nodes a minimized netlist keeps.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FORMAT = "gatenet-netlist"
VERSION = 1
FUNCTION_NAMES = (
    "FALSE",
    "AND",
    "A_AND_NOT_B",
    "A",
    "NOT_A_AND_B",
    "B",
    "XOR",
    "OR",
    "NOR",
    "XNOR",
    "NOT_B",
    "A_OR_NOT_B",
    "NOT_A",
    "NOT_A_OR_B",
    "NAND",
    "TRUE",
)
FUNCTIONS = {name: index for index, name in enumerate(FUNCTION_NAMES)}
# TABLES[f, 2a + b] = f(a, b): the one definition of the 16 functions every other module reads.
TABLES = ((np.arange(16)[:, None] >> (3 - np.arange(4))[None, :]) & 1).astype(np.uint8)
ALL_ONES = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


class NetlistError(ValueError):
    """A netlist that breaks a rule; the message is one line naming the part and what was expected."""


@dataclass(frozen=True)
class Node:
    """`function` (0..15) of signals `a` and `b`."""

    function: int
    a: int
    b: int


@dataclass(frozen=True)
class Output:
    """The value of `signal` (None: the constant 0), complemented when `complement`."""

    signal: int | None
    complement: bool = False


@dataclass(frozen=True)
class Mismatch:
    """The first row a netlist gets wrong."""

    row: int
    inputs: tuple[int, ...]
    expected: tuple[int, ...]
    got: tuple[int, ...]

    def __str__(self) -> str:
        return f"row {self.row} (inputs {self.inputs}): expected {self.expected}, got {self.got}"


@dataclass(frozen=True)
class Netlist:
    """Named inputs, nodes in order (each reads inputs or earlier nodes) and named outputs."""

    inputs: tuple[str, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[Output, ...]
    output_names: tuple[str, ...]

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def gates(self) -> int:
        """Nodes as written; `gate_count` is the count after minimization."""
        return len(self.nodes)

    def signal_name(self, signal: int) -> str:
        return self.inputs[signal] if signal < len(self.inputs) else f"n{signal - len(self.inputs)}"

    def __str__(self) -> str:
        """One line per node and output, e.g. `n0 = XOR(a, b)` and `sum = NOT n0`."""
        lines = [
            f"n{k} = {FUNCTION_NAMES[n.function]}({self.signal_name(n.a)}, {self.signal_name(n.b)})"
            for k, n in enumerate(self.nodes)
        ]
        for name, out in zip(self.output_names, self.outputs, strict=True):
            source = str(int(out.complement)) if out.signal is None else self.signal_name(out.signal)
            prefix = "NOT " if out.complement and out.signal is not None else ""
            lines.append(f"{name} = {prefix}{source}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "inputs": list(self.inputs),
            "nodes": [{"op": FUNCTION_NAMES[n.function], "a": n.a, "b": n.b} for n in self.nodes],
            "outputs": [
                {"name": name, "signal": out.signal, "complement": out.complement}
                for name, out in zip(self.output_names, self.outputs, strict=True)
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, data: object) -> Netlist:
        """Read what `to_dict` wrote; anything else is a NetlistError naming the part and the rule."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise NetlistError(f'netlist: expected a JSON object with "format": "{FORMAT}"')
        if data.get("version") != VERSION:
            raise NetlistError(f"netlist: expected version {VERSION}, got {data.get('version')!r}")
        inputs, nodes, outputs = (_field(data, key) for key in ("inputs", "nodes", "outputs"))
        return cls(
            inputs=tuple(inputs),
            nodes=tuple(_read_node(k, item) for k, item in enumerate(nodes)),
            outputs=tuple(_read_output(k, item) for k, item in enumerate(outputs)),
            output_names=tuple(item.get("name") if isinstance(item, dict) else None for item in outputs),
        )

    @classmethod
    def from_json(cls, text: str) -> Netlist:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise NetlistError(f"netlist: not JSON ({error})") from None
        return cls.from_dict(data)


def _field(data: dict, key: str) -> list:
    value = data.get(key)
    if not isinstance(value, list):
        raise NetlistError(f"netlist: expected {key!r} to be a list, got {type(value).__name__}")
    return value


def _read_node(k: int, item: object) -> Node:
    if not isinstance(item, dict) or set(item) != {"op", "a", "b"}:
        raise NetlistError(f"netlist node {k}: expected an object with keys op, a, b, got {item!r}")
    if item["op"] not in FUNCTIONS:
        raise NetlistError(
            f"netlist node {k}: op {item['op']!r} is not one of the 16 functions "
            f"({', '.join(FUNCTION_NAMES)})"
        )
    return Node(FUNCTIONS[item["op"]], item["a"], item["b"])


def _read_output(k: int, item: object) -> Output:
    if not isinstance(item, dict) or set(item) != {"name", "signal", "complement"}:
        raise NetlistError(
            f"netlist output {k}: expected an object with keys name, signal, complement, got {item!r}"
        )
    return Output(item["signal"], item["complement"])


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _validate(netlist: Netlist) -> None:
    """Every rule a netlist keeps, checked once where it is made, so evaluation needs no checks."""
    names = list(netlist.inputs) + list(netlist.output_names)
    if not netlist.inputs or any(not isinstance(name, str) or not name for name in names):
        raise NetlistError("netlist: expected at least one input, and every input and output named")
    if len(set(netlist.inputs)) != len(netlist.inputs):
        raise NetlistError(f"netlist: input names must be unique, got {list(netlist.inputs)}")
    if len(netlist.outputs) != len(netlist.output_names) or not netlist.outputs:
        raise NetlistError("netlist: expected at least one output, one name per output")
    for k, node in enumerate(netlist.nodes):
        if not (_is_int(node.function) and 0 <= node.function < 16):
            raise NetlistError(f"netlist node {k}: function must be 0..15, got {node.function!r}")
        below = len(netlist.inputs) + k
        for port in ("a", "b"):
            signal = getattr(node, port)
            if not (_is_int(signal) and 0 <= signal < below):
                raise NetlistError(
                    f"netlist node {k}: input {port} is {signal!r}, expected a signal 0..{below - 1} "
                    f"({len(netlist.inputs)} inputs, then the {k} earlier nodes)"
                )
    signals = len(netlist.inputs) + len(netlist.nodes)
    for name, out in zip(netlist.output_names, netlist.outputs, strict=True):
        if out.signal is not None and not (_is_int(out.signal) and 0 <= out.signal < signals):
            raise NetlistError(
                f"netlist output {name!r}: signal is {out.signal!r}, expected null (a constant) "
                f"or a signal 0..{signals - 1}"
            )
        if not isinstance(out.complement, bool):
            raise NetlistError(f"netlist output {name!r}: complement must be true or false")


# --- bit-parallel evaluation: row r of the table is bit r % 64 of word r // 64 ---


def input_words(inputs: int) -> np.ndarray:
    """[inputs, words] uint64: each input's value on every row (first input most significant)."""
    rows = np.arange(2**inputs, dtype=np.uint64)
    bits = (rows[None, :] >> np.arange(inputs - 1, -1, -1, dtype=np.uint64)[:, None]) & np.uint64(1)
    padded = np.zeros((inputs, -(-len(rows) // 64) * 64), np.uint64)
    padded[:, : len(rows)] = bits
    return (padded.reshape(inputs, -1, 64) << np.arange(64, dtype=np.uint64)).sum(axis=2, dtype=np.uint64)


def apply(function: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`function` on packed words: the OR of the minterms its truth table holds."""
    result = np.zeros_like(a)
    for minterm, bit in enumerate(TABLES[function]):
        if bit:
            left = a if minterm & 2 else ~a
            right = b if minterm & 1 else ~b
            result |= left & right
    return result


def _signal_words(netlist: Netlist) -> list[np.ndarray]:
    words = list(input_words(len(netlist.inputs)))
    for node in netlist.nodes:
        words.append(apply(node.function, words[node.a], words[node.b]))
    return words


def _output_words(out: Output, words: list[np.ndarray]) -> np.ndarray:
    value = np.zeros_like(words[0]) if out.signal is None else words[out.signal]
    return ~value if out.complement else value


def evaluate(netlist: Netlist) -> np.ndarray:
    """The netlist's truth table: [2^inputs rows, outputs] of 0/1, rows in binary counting order."""
    words = _signal_words(netlist)
    rows = 2 ** len(netlist.inputs)
    columns = []
    for out in netlist.outputs:
        packed = _output_words(out, words)
        bits = (packed[:, None] >> np.arange(64, dtype=np.uint64)[None, :]) & np.uint64(1)
        columns.append(bits.reshape(-1)[:rows])
    return np.stack(columns, axis=1).astype(np.uint8)


def exact(netlist: Netlist, table: np.ndarray) -> Mismatch | None:
    """None when the netlist gives `table` (rows x outputs of 0/1) on every row, else the first wrong row."""
    table = np.asarray(table, np.uint8)
    got = evaluate(netlist)
    if table.shape != got.shape:
        raise NetlistError(f"netlist: computes a table of shape {got.shape}, expected {table.shape}")
    wrong = np.flatnonzero((got != table).any(axis=1))
    if not len(wrong):
        return None
    row = int(wrong[0])
    bits = tuple(int(bit) for bit in np.binary_repr(row, len(netlist.inputs)))
    return Mismatch(row, bits, tuple(map(int, table[row])), tuple(map(int, got[row])))


# --- minimization ---


def function_of(table: Sequence[int]) -> int:
    """The function number of a 4-row truth table (rows 00, 01, 10, 11)."""
    return sum(int(bit) << (3 - row) for row, bit in enumerate(table))


def complement_inputs(function: int, a: bool, b: bool) -> int:
    """g with g(x, y) = function(x XOR a, y XOR b): a complemented input absorbed into the gate."""
    rows = [(ra ^ a) * 2 + (rb ^ b) for ra in (0, 1) for rb in (0, 1)]
    return function_of(TABLES[function][rows])


def swap_inputs(function: int) -> int:
    """g with g(x, y) = function(y, x)."""
    return function_of(TABLES[function][[0, 2, 1, 3]])


@dataclass(frozen=True)
class _Literal:
    signal: int | None  # None: the constant 0
    complement: bool


def minimize(netlist: Netlist) -> Netlist:
    """The same function with no gate that is not needed: an equivalent netlist whose nodes all read two
    different signals, depend on both, and compute something no earlier signal (or its complement) does.

    One pass in order, then dead-node removal. Each node's value on every row is computed bit-parallel;
    complements on its inputs are absorbed into its function, and a node whose value equals a constant,
    an input or a kept node, or their complement, becomes that signal. That single rule covers
    constant folding, pass-throughs (a node that is a or NOT a), and duplicates (the same function of
    the same inputs, in either order, or any other way of computing the same values). A kept node is
    stored with f(0, 0) = 0 and a < b; a complement goes to its consumers, and an output's is free.
    """
    count = len(netlist.inputs)
    words = input_words(count)
    values = list(words)  # values of the kept signals, by new signal number
    known = {_key(np.zeros_like(words[0])): _Literal(None, False)}
    literals: list[_Literal] = []
    for signal, value in enumerate(words):
        known[_key(value)] = _Literal(signal, False)
        literals.append(_Literal(signal, False))
    nodes: list[Node] = []
    for node in netlist.nodes:
        a, b = literals[node.a], literals[node.b]
        function = complement_inputs(node.function, a.complement, b.complement)
        zero = np.zeros_like(words[0])
        value = apply(function, *(zero if x.signal is None else values[x.signal] for x in (a, b)))
        flip = bool(value[0] & np.uint64(1))
        found = known.get(_key(value))
        if found is None:
            function = 15 - function if flip else function
            x, y = (a.signal, b.signal) if a.signal < b.signal else (b.signal, a.signal)
            function = function if (x, y) == (a.signal, b.signal) else swap_inputs(function)
            nodes.append(Node(function, x, y))
            values.append(value ^ ALL_ONES if flip else value)
            found = known[_key(value)] = _Literal(len(values) - 1, False)
        literals.append(_Literal(found.signal, found.complement != flip))
    outputs = [
        Output(literals[o.signal].signal, literals[o.signal].complement != o.complement)
        if o.signal is not None
        else o
        for o in netlist.outputs
    ]
    return _without_dead_nodes(netlist, nodes, outputs)


def _key(value: np.ndarray) -> bytes:
    """One key for a value and its complement: the form whose row 0 is 0.

    Words past the last row hold, like row 0, the value at all-zero inputs (the inputs' padding is 0),
    so once row 0 is 0 the padding is too and equal functions have equal keys."""
    return (value ^ ALL_ONES if value[0] & np.uint64(1) else value).tobytes()


def _without_dead_nodes(netlist: Netlist, nodes: list[Node], outputs: list[Output]) -> Netlist:
    count = len(netlist.inputs)
    live = {o.signal for o in outputs if o.signal is not None}
    for k in range(len(nodes) - 1, -1, -1):
        if count + k in live:
            live |= {nodes[k].a, nodes[k].b}
    kept = [k for k in range(len(nodes)) if count + k in live]
    renumber = {s: s for s in range(count)} | {count + k: count + i for i, k in enumerate(kept)}
    return Netlist(
        netlist.inputs,
        tuple(Node(nodes[k].function, renumber[nodes[k].a], renumber[nodes[k].b]) for k in kept),
        tuple(Output(None if o.signal is None else renumber[o.signal], o.complement) for o in outputs),
        netlist.output_names,
    )


def gate_count(netlist: Netlist) -> int:
    """Two-input gates the netlist needs, complements free (Knuth's measure): nodes after `minimize`."""
    return minimize(netlist).gates
