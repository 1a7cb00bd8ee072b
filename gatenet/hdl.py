"""Hardware exports: a model of a folder as structural Verilog-2001, BLIF and binary AIGER.

numpy and the runtime only, no TensorFlow. Every export starts from a `Netlist` that computes the
model's truth table exactly, checked here on every row before any file is written:

- a logic model: the circuit it carries (`contract.KEY_NETLIST`), minimized;
- a network model (verified on every row): a circuit made from its verified truth table, since its
  weights are no circuit. Up to 3 inputs, a smallest one (`exact_minimum`); above, a reduced ordered
  decision diagram (Shannon expansion in input order, equal sub-functions and complements shared,
  each decision one to three gates), then minimized;
- a circuit: its parts' netlists, each found as above from the folder's models, composed into one
  flat netlist through the wiring its metadata records.

Costs are counted two ways: two-input gates (complements free) and the AND nodes of an And-Inverter
Graph (inverters free, XOR and XNOR three ANDs), the unit of ABC and the IWLS contests. A folder may
come from someone else, so its names are untrusted: bit names become identifiers by one rule
(`identifiers`), and any text from the folder (gate name, description) goes into comments only by the
C export's rule (`c_export.comment_lines`), which also keeps it from ending a line early.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from gatenet import contract
from gatenet.c_export import comment_lines  # the C export's rule for comments
from gatenet.circuit import MAX_NESTING
from gatenet.exact_minimum import MAX_INPUTS as EXACT_INPUTS
from gatenet.exact_minimum import SearchError, minimal_netlist
from gatenet.netlist import (
    FUNCTION_NAMES,
    FUNCTIONS,
    TABLES,
    Netlist,
    NetlistError,
    Node,
    Output,
    complement_inputs,
    exact,
    minimize,
)
from gatenet.record import ModelRecord
from gatenet.runtime import GateModel

FORMATS = ("verilog", "blif", "aig")
SUFFIXES = {"verilog": ".v", "blif": ".blif", "aig": ".aig"}
LEARNED = "learned: the logic network's own circuit, minimized"
EXACT = "from its verified truth table: a smallest circuit (exhaustive search, up to 3 inputs)"
DIAGRAM = "from its verified truth table: a reduced ordered decision diagram, minimized"
COMPOSED = "composed: its parts' circuits wired as its metadata records, flattened and minimized"
# Verilog-2005 keywords (IEEE 1364-2005, annex B) and SystemVerilog's, which no port may be named.
KEYWORDS = frozenset(
    """always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign
    default defparam design disable edge else end endcase endconfig endfunction endgenerate endmodule
    endprimitive endspecify endtable endtask event for force forever fork function generate genvar
    highz0 highz1 if ifnone incdir include initial inout input instance integer join large liblist
    library localparam macromodule medium module nand negedge nmos nor noshowcancelled not notif0
    notif1 or output parameter pmos posedge primitive pull0 pull1 pulldown pullup pulsestyle_onevent
    pulsestyle_ondetect rcmos real realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1
    scalared showcancelled signed small specify specparam strong0 strong1 supply0 supply1 table task
    time tran tranif0 tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire vectored wait wand
    weak0 weak1 while wire wor xnor xor alias always_comb always_ff always_latch assert assume before
    bind bit break byte chandle class clocking const constraint context continue cover covergroup
    coverpoint cross dist do endclass endclocking endgroup endinterface endpackage endprogram
    endproperty endsequence enum expect export extends extern final first_match foreach forkjoin iff
    ignore_bins illegal_bins import inside int interface intersect join_any join_none local logic
    longint matches modport new null package packed priority program property protected pure rand
    randc randcase randsequence ref return sequence shortint shortreal solve static string struct
    super tagged this throughout timeprecision timeunit type typedef union unique var virtual void
    wait_order wildcard with within""".split()
)
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


class HdlError(ValueError):
    """A model that cannot be exported; the message is one line naming the model file and the reason."""


# --- names ---


def identifiers(names: Sequence[str], taken: Iterable[str] = ()) -> list[str]:
    """Each name as an identifier every format reads (Verilog, BLIF, AIGER symbols): letters, digits
    and underscores, not starting with a digit, no Verilog keyword, none twice and none in `taken`
    (compared ignoring case, for tools that fold it). A gatenet bit name passes unchanged."""
    used = {name.lower() for name in taken}
    result = []
    for name in names:
        base = _NOT_IDENTIFIER.sub("_", str(name))[:64] or "x"
        if base[0].isdigit() or base[0] == "_":
            base = "x" + base
        if base in KEYWORDS:
            base += "_"
        candidate, count = base, 1
        while candidate.lower() in used:
            count += 1
            candidate = f"{base}_{count}"
        used.add(candidate.lower())
        result.append(candidate)
    return result


# --- netlists of the three kinds of model ---


def table_netlist(table: np.ndarray, inputs: Sequence[str], outputs: Sequence[str]) -> tuple[Netlist, str]:
    """A netlist that computes `table` ([2^n rows, outputs] of 0/1, first input most significant), and
    how it was made: the smallest up to 3 inputs, else a decision diagram."""
    table = np.asarray(table, np.uint8)
    if len(inputs) <= EXACT_INPUTS:
        try:
            return minimal_netlist(table, tuple(inputs), tuple(outputs), limit=6), EXACT
        except SearchError:  # needs more than 6 gates: the diagram is good enough there
            pass
    return minimize(_diagram(table, tuple(inputs), tuple(outputs))), DIAGRAM


_Literal = tuple[int | None, bool]  # (signal, or None for the constant 0; complemented)
_ZERO: _Literal = (None, False)
_ONE: _Literal = (None, True)


def _diagram(table: np.ndarray, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> Netlist:
    """Shannon expansion on the inputs in order: f = x ? f1 : f0, each distinct sub-function (up to
    complement) made once. Sound by construction and checked by the caller like any other netlist."""
    count = len(inputs)
    nodes: list[Node] = []
    made: dict[tuple[int, bytes], _Literal] = {}

    def gate(function: str, x: _Literal, y: _Literal) -> _Literal:
        code = complement_inputs(FUNCTIONS[function], x[1], y[1])
        nodes.append(Node(code, x[0], y[0]))
        return (count + len(nodes) - 1, False)

    def flip(literal: _Literal) -> _Literal:
        return (literal[0], not literal[1])

    def choose(variable: _Literal, high: _Literal, low: _Literal) -> _Literal:
        """x ? high : low, in as few gates as the cofactors allow."""
        if high == low:
            return low
        if low == _ZERO:
            return variable if high == _ONE else gate("AND", variable, high)
        if low == _ONE:
            return flip(variable) if high == _ZERO else gate("OR", flip(variable), high)
        if high == _ZERO:
            return gate("AND", flip(variable), low)
        if high == _ONE:
            return gate("OR", variable, low)
        if high == flip(low):
            return gate("XOR", variable, low)
        return gate("OR", gate("AND", variable, high), gate("AND", flip(variable), low))

    def build(level: int, column: np.ndarray) -> _Literal:
        if not column.any():
            return _ZERO
        if column.all():
            return _ONE
        flipped = bool(column[0])
        normal = column ^ flipped
        key = (level, normal.tobytes())
        if key not in made:
            half = len(normal) // 2
            low, high = build(level + 1, normal[:half]), build(level + 1, normal[half:])
            made[key] = choose((level, False), high, low)
        signal, complement = made[key]
        return (signal, complement != flipped)

    results = [build(0, np.ascontiguousarray(column)) for column in table.T]
    return Netlist(inputs, tuple(nodes), tuple(Output(s, c) for s, c in results), outputs)


class _Flat:
    """Netlists of parts wired into one: each part's nodes appended with its inputs fed the literals
    given (a circuit input, a constant, or an earlier part's output)."""

    def __init__(self, inputs: int) -> None:
        self.inputs = inputs
        self.nodes: list[Node] = []

    def add(self, netlist: Netlist, feeds: Sequence[_Literal]) -> list[_Literal]:
        """Append a part; the literals of its outputs."""
        literals = list(feeds)
        for node in netlist.nodes:
            (a, ca), (b, cb) = literals[node.a], literals[node.b]
            if a is None or b is None:  # a constant feeds the gate: it is a function of one input, or none
                rows = TABLES[node.function].reshape(2, 2)
                row = rows[int(ca)] if a is None else rows[:, int(cb)]
                literals.append(_unary(row, (b, cb) if a is None else (a, ca)))
                continue
            self.nodes.append(Node(complement_inputs(node.function, ca, cb), a, b))
            literals.append((self.inputs + len(self.nodes) - 1, False))
        return [_output_literal(out, literals) for out in netlist.outputs]


def _output_literal(out: Output, literals: list[_Literal]) -> _Literal:
    if out.signal is None:
        return _ONE if out.complement else _ZERO
    signal, complement = literals[out.signal]
    return (signal, complement != out.complement)


def _unary(row: np.ndarray, literal: _Literal) -> _Literal:
    """g(x) given g's values (g(0), g(1)) and the literal x: a constant, x or NOT x."""
    if row[0] == row[1]:
        return _ONE if row[0] else _ZERO
    if literal[0] is None:  # both constant
        return _ONE if row[int(literal[1])] else _ZERO
    return (literal[0], literal[1] != bool(row[0]))


# --- a model of a folder as a design ---


@dataclass(frozen=True)
class Design:
    """What gets exported for one model: its exact netlist, its truth table and where it came from."""

    name: str  # the gate's name, as the model says (untrusted: comments only)
    netlist: Netlist  # ports already named by `identifiers`
    table: np.ndarray = field(repr=False)
    source: str  # how the netlist was made (LEARNED, EXACT, DIAGRAM, COMPOSED)
    file: str  # the model file's name
    sha256: str  # the model file's SHA-256, as its manifest entry lists it
    recipe: str  # `recipe_digest` of its manifest entry
    description: str = ""
    bit_names: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # the model's own, before `identifiers`

    @property
    def module(self) -> str:
        """The Verilog module and BLIF model name."""
        return identifiers([self.name], [*self.netlist.inputs, *self.netlist.output_names])[0]

    @property
    def gates(self) -> int:
        return self.netlist.gates

    @property
    def and_nodes(self) -> int:
        return len(aig_of(self.netlist).ands)

    def with_netlist(self, netlist: Netlist, source: str) -> Design:
        """The same model computed by another netlist (ABC's), checked on every row first."""
        check_exact(netlist, self.table, self.file)
        return replace(self, netlist=netlist, source=source)


def recipe_digest(record: ModelRecord) -> str:
    """16 hex digits of the SHA-256 of what decides the model in its manifest entry: gate, kind, bit
    names, truth table, margin, and its network and build (a trained model) or wiring and parts (a
    circuit). Results (worst margin, steps) and file digests are left out."""
    entry = record.to_json()
    kept = {key: entry.get(key) for key in ("gate", "kind", "inputs", "outputs", "truth_table", "margin")}
    kept |= {key: entry[key] for key in ("seed", "network", "build") if key in entry}
    if record.circuit is not None:
        kept["circuit"] = {key: record.circuit.get(key) for key in ("wiring", "netlist", "gates", "version")}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]


def check_exact(netlist: Netlist, table: np.ndarray, where: str) -> None:
    """The one check every exported netlist passes: it computes `table` on every row."""
    try:
        mismatch = exact(netlist, table)
    except NetlistError as error:
        raise HdlError(f"{where}: {error}") from None
    if mismatch is not None:
        raise HdlError(f"{where}: its circuit is not its truth table: {mismatch}")


def design(model: GateModel, record: ModelRecord | None, find: Callable[[str], GateModel]) -> Design:
    """The design of a model loaded from a folder (its manifest `record`), parts found by `find`
    (gate name -> model of the same folder); an HdlError naming the file when it cannot be exported."""
    where = model.path.name
    if model.table is None:
        raise HdlError(
            f"{where}: verified on a sample of {model.sampled} rows, so it has no truth table to prove "
            "an export against; hardware exports take up to 20 inputs"
        )
    netlist, source = _netlist_of(model, find, (), {})
    ports = identifiers([*model.input_names, *model.output_names])
    inputs, outputs = ports[: model.inputs], ports[model.inputs :]
    netlist = Netlist(tuple(inputs), netlist.nodes, netlist.outputs, tuple(outputs))
    check_exact(netlist, model.table, where)
    return Design(
        name=model.name,
        netlist=netlist,
        table=model.table,
        source=source,
        file=where,
        sha256=record.sha256 if record is not None else hashlib.sha256(model.data).hexdigest(),
        recipe=recipe_digest(record) if record is not None else "none (no manifest entry)",
        description=model.metadata.get(contract.KEY_DESCRIPTION, ""),
        bit_names=(model.input_names, model.output_names),
    )


def _netlist_of(
    model: GateModel, find: Callable[[str], GateModel], within: tuple[str, ...], made: dict
) -> tuple[Netlist, str]:
    """The model's netlist under its own bit names, checked exact on every row, and how it was made;
    `made` keeps each model's, so a part used many times (or nested circuits) is made once."""
    where = model.path.name
    if where in made:
        return made[where]
    if model.table is None:
        raise HdlError(f"{where}: verified on a sample, so it has no truth table (a part of {within[-1]})")
    if contract.KEY_NETLIST in model.metadata:
        try:
            netlist = minimize(Netlist.from_json(model.metadata[contract.KEY_NETLIST]))
        except NetlistError as error:
            raise HdlError(f"{where}: {error}") from None
        except RecursionError:
            raise HdlError(f"{where}: its netlist is nested too deep to be one") from None
        if (netlist.inputs, netlist.output_names) != (model.input_names, model.output_names):
            raise HdlError(f"{where}: its netlist's bit names are not the model's")
        source = LEARNED
    elif contract.KEY_CIRCUIT in model.metadata:
        netlist, source = _circuit_netlist(model, find, within, made), COMPOSED
    else:
        check = model.verify()
        if not check.verified:
            raise HdlError(f"{where}: not verified on every row ({check.details}), so not exported")
        netlist, source = table_netlist(model.table, model.input_names, model.output_names)
    check_exact(netlist, model.table, where)
    made[where] = (netlist, source)
    return netlist, source


def _circuit_netlist(
    model: GateModel, find: Callable[[str], GateModel], within: tuple[str, ...], made: dict
) -> Netlist:
    """A circuit's parts composed as its metadata wires them; every name checked, nothing trusted."""
    where = model.path.name
    if model.name.lower() in within or len(within) > MAX_NESTING:
        raise HdlError(f"{where}: circuit {model.name} contains itself, or nests too deep")
    try:
        wiring = json.loads(model.metadata[contract.KEY_CIRCUIT])
        parts, wanted = wiring["parts"], wiring["outputs"]
        if not isinstance(parts, list) or not isinstance(wanted, dict):
            raise TypeError("expected parts to be a list and outputs a mapping")
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        reason = "nested too deep" if isinstance(error, RecursionError) else error
        raise HdlError(f"{where}: {contract.KEY_CIRCUIT} is not a circuit's wiring ({reason})") from None
    known: dict[str, _Literal] = {name: (index, False) for index, name in enumerate(model.input_names)}
    flat = _Flat(model.inputs)
    for k, part in enumerate(parts):
        if not isinstance(part, dict) or not isinstance(part.get("inputs"), dict):
            raise HdlError(f"{where}: {contract.KEY_CIRCUIT} part {k} is not a part with inputs")
        name, gate = _shown(part.get("part")), str(part.get("gate"))
        try:
            part_model = find(gate)
        except (ValueError, OSError) as error:
            raise HdlError(f"{where}: part {name} needs gate {_shown(gate)}: {error}") from None
        netlist, _ = _netlist_of(part_model, find, (*within, model.name.lower()), made)
        feeds = [
            _source(known, part["inputs"].get(bit), where, f"input {_shown(bit)} of part {name}")
            for bit in part_model.input_names
        ]
        for bit, literal in zip(part_model.output_names, flat.add(netlist, feeds), strict=True):
            known[f"{part.get('part')}.{bit}"] = literal
    outputs = [_source(known, wanted.get(bit), where, f"output {_shown(bit)}") for bit in model.output_names]
    return minimize(
        Netlist(model.input_names, tuple(flat.nodes), tuple(Output(*o) for o in outputs), model.output_names)
    )


def _source(known: Mapping[str, _Literal], text: object, where: str, what: str) -> _Literal:
    if not isinstance(text, str) or text not in known:
        raise HdlError(
            f"{where}: {contract.KEY_CIRCUIT}: {what} reads {_shown(text)}, no input or earlier part's output"
        )
    return known[text]


def _shown(value: object) -> str:
    """A name from a folder in an error message: quoted, at most 40 characters of it."""
    return repr(str(value)[:40])


# --- And-Inverter Graphs ---


@dataclass(frozen=True)
class Aig:
    """An And-Inverter Graph numbered as AIGER numbers it: literal 2v (+1 complemented) of variable v,
    0 the constant false, inputs variables 1..inputs, AND k variable inputs + 1 + k, whose operands
    (rhs0 >= rhs1) are earlier literals."""

    inputs: int
    ands: tuple[tuple[int, int], ...]
    outputs: tuple[int, ...]


def aig_of(netlist: Netlist) -> Aig:
    """The netlist as an AIG: one AND per AND-like gate, three per XOR or XNOR, inverters free; equal
    ANDs made once (structural hashing) and ANDs no output reads left out."""
    count = len(netlist.inputs)
    ands: list[tuple[int, int]] = []
    made: dict[tuple[int, int], int] = {}

    def conjoin(x: int, y: int) -> int:
        x, y = max(x, y), min(x, y)
        if y == 0 or x == y ^ 1:
            return 0
        if y == 1 or x == y:
            return x
        if (x, y) not in made:
            ands.append((x, y))
            made[(x, y)] = 2 * (count + len(ands))
        return made[(x, y)]

    literals = [2 * (index + 1) for index in range(count)]
    for node in netlist.nodes:
        a, b = literals[node.a], literals[node.b]
        name = FUNCTION_NAMES[node.function]
        if name in ("XOR", "XNOR"):
            value = conjoin(conjoin(a, b) ^ 1, conjoin(a ^ 1, b ^ 1) ^ 1) ^ (name == "XNOR")
        else:
            value = _and_like(node.function, a, b, conjoin)
        literals.append(value)
    outputs = [
        int(out.complement) if out.signal is None else literals[out.signal] ^ out.complement
        for out in netlist.outputs
    ]
    return _live(Aig(count, tuple(ands), tuple(outputs)))


def _and_like(function: int, a: int, b: int, conjoin: Callable[[int, int], int]) -> int:
    """Any function but XOR and XNOR on literals: a constant, a literal, or one AND of (complemented)
    literals, complemented when the function is true on three rows."""
    rows = TABLES[function]
    ones = int(rows.sum())
    if ones in (0, 4):
        return int(ones == 4)
    if ones == 2:  # a, b or a complement (XOR and XNOR are the caller's): rows (a, b) = 00, 01, 10, 11
        return (a if rows[0] == rows[1] else b) ^ int(rows[0])
    row = int(np.flatnonzero(rows == (ones == 1))[0])  # the one row that differs
    value = conjoin(a ^ (1 - (row >> 1)), b ^ (1 - (row & 1)))
    return value ^ (ones == 3)


def _live(aig: Aig) -> Aig:
    """Only the ANDs an output reads, renumbered in order."""
    first = aig.inputs + 1
    live = {literal >> 1 for literal in aig.outputs}
    for k in range(len(aig.ands) - 1, -1, -1):
        if first + k in live:
            live |= {literal >> 1 for literal in aig.ands[k]}
    kept = [k for k in range(len(aig.ands)) if first + k in live]
    variable = {v: v for v in range(first)} | {first + k: first + i for i, k in enumerate(kept)}

    def moved(literal: int) -> int:
        return 2 * variable[literal >> 1] + (literal & 1)

    ands = tuple(tuple(sorted((moved(x), moved(y)), reverse=True)) for x, y in (aig.ands[k] for k in kept))
    return Aig(aig.inputs, ands, tuple(moved(literal) for literal in aig.outputs))  # type: ignore[arg-type]


def aig_netlist(aig: Aig, inputs: Sequence[str], outputs: Sequence[str]) -> Netlist:
    """An AIG as a netlist of AND gates (complements absorbed, free on outputs): how ABC's result
    becomes a gatenet netlist again."""
    count = aig.inputs
    literals: list[_Literal] = [_ZERO] + [(index, False) for index in range(count)]  # by variable
    nodes: list[Node] = []

    def literal(value: int) -> _Literal:
        signal, complement = literals[value >> 1]
        return (signal, complement != bool(value & 1))

    for rhs0, rhs1 in aig.ands:
        x, y = literal(rhs0), literal(rhs1)
        if _ZERO in (x, y):
            literals.append(_ZERO)
        elif x[0] is None or y[0] is None:  # one operand is the constant 1
            literals.append(y if x[0] is None else x)
        else:
            nodes.append(Node(complement_inputs(FUNCTIONS["AND"], x[1], y[1]), x[0], y[0]))
            literals.append((count + len(nodes) - 1, False))
    wired = [literal(value) for value in aig.outputs]
    return Netlist(tuple(inputs), tuple(nodes), tuple(Output(s, c) for s, c in wired), tuple(outputs))


# --- the three formats ---


def provenance(design: Design, what: str) -> list[str]:
    """The opening comment's lines, before the format's comment markers: which model, from which file
    and recipe, made how, and what it costs. Text from the folder goes through `comment_lines`."""
    ins, outs = design.bit_names
    ports = [*design.netlist.inputs, *design.netlist.output_names]
    renamed = [f"{port} <- {name}" for port, name in zip(ports, [*ins, *outs], strict=False) if port != name]
    text = [
        f"gate {design.name}: {what}, generated by `gatenet export-hdl`.",
        "",
        *(design.description or "(no description)").splitlines(),
        "",
        f"model:   {design.file}, sha256 {design.sha256} (as its manifest lists it)",
        f"recipe:  {design.recipe} (SHA-256 of its manifest entry's recipe fields, 16 hex digits)",
        f"circuit: {design.source}",
        f"cost:    {design.gates} two-input gates (complements free), {design.and_nodes} AIG AND nodes",
        f"inputs:  {', '.join(design.netlist.inputs)} (first input: most significant bit of a row)",
        f"outputs: {', '.join(design.netlist.output_names)}",
        *([f"renamed: {'; '.join(renamed)}"] if renamed else []),
        "proven equal to its truth table on every row before it was written.",
    ]
    return [piece for line in text for piece in comment_lines(line)]


_VERILOG = {
    "FALSE": "1'b0",
    "AND": "{a} & {b}",
    "A_AND_NOT_B": "{a} & ~{b}",
    "A": "{a}",
    "NOT_A_AND_B": "~{a} & {b}",
    "B": "{b}",
    "XOR": "{a} ^ {b}",
    "OR": "{a} | {b}",
    "NOR": "~({a} | {b})",
    "XNOR": "~({a} ^ {b})",
    "NOT_B": "~{b}",
    "A_OR_NOT_B": "{a} | ~{b}",
    "NOT_A": "~{a}",
    "NOT_A_OR_B": "~{a} | {b}",
    "NAND": "~({a} & {b})",
    "TRUE": "1'b1",
}


def _wire_names(design: Design) -> list[str]:
    netlist = design.netlist
    taken = [*netlist.inputs, *netlist.output_names, design.module]
    return identifiers([f"n{k}" for k in range(netlist.gates)], taken)


def verilog(design: Design) -> str:
    """Structural Verilog-2001: one module, ports named after the model's bits, one assign per gate."""
    netlist, wires = design.netlist, _wire_names(design)
    names = [*netlist.inputs, *wires]
    ports = [f"    input wire {name}" for name in netlist.inputs]
    ports += [f"    output wire {name}" for name in netlist.output_names]
    lines = ["/*", *[f" * {line}".rstrip() for line in provenance(design, "structural Verilog-2001")], " */"]
    lines += ["", f"module {design.module} (", ",\n".join(ports), ");"]
    lines += [f"    wire {name};" for name in wires]
    for name, node in zip(wires, netlist.nodes, strict=True):
        expression = _VERILOG[FUNCTION_NAMES[node.function]].format(a=names[node.a], b=names[node.b])
        lines.append(f"    assign {name} = {expression};")
    for name, out in zip(netlist.output_names, netlist.outputs, strict=True):
        if out.signal is None:
            value = "1'b1" if out.complement else "1'b0"
        else:
            value = ("~" if out.complement else "") + names[out.signal]
        lines.append(f"    assign {name} = {value};")
    return "\n".join([*lines, "endmodule", ""])


def blif(design: Design) -> str:
    """BLIF: one `.names` table per gate (its true rows), one per output (a buffer or inverter)."""
    netlist, wires = design.netlist, _wire_names(design)
    names = [*netlist.inputs, *wires]
    lines = [f"# {line}".rstrip() for line in provenance(design, "BLIF")]
    lines += ["", f".model {design.module}", f".inputs {' '.join(netlist.inputs)}"]
    lines.append(f".outputs {' '.join(netlist.output_names)}")
    for name, node in zip(wires, netlist.nodes, strict=True):
        lines.append(f".names {names[node.a]} {names[node.b]} {name}")
        lines += [f"{row >> 1}{row & 1} 1" for row in range(4) if TABLES[node.function][row]]
    for name, out in zip(netlist.output_names, netlist.outputs, strict=True):
        if out.signal is None:
            lines += [f".names {name}", *(["1"] if out.complement else [])]
        else:
            lines += [f".names {names[out.signal]} {name}", f"{int(not out.complement)} 1"]
    return "\n".join([*lines, ".end", ""])


def aiger(design: Design) -> bytes:
    """Binary AIGER (format 1.9, combinational: no latches): the header, the outputs, the ANDs
    delta-encoded, the symbol table and the provenance as the comment section."""
    aig = aig_of(design.netlist)
    count = aig.inputs + len(aig.ands)
    out = bytearray(f"aig {count} {aig.inputs} 0 {len(aig.outputs)} {len(aig.ands)}\n".encode())
    out += "".join(f"{literal}\n" for literal in aig.outputs).encode()
    for k, (rhs0, rhs1) in enumerate(aig.ands):
        lhs = 2 * (aig.inputs + 1 + k)
        out += _varint(lhs - rhs0) + _varint(rhs0 - rhs1)
    out += "".join(f"i{k} {name}\n" for k, name in enumerate(design.netlist.inputs)).encode()
    out += "".join(f"o{k} {name}\n" for k, name in enumerate(design.netlist.output_names)).encode()
    out += ("c\n" + "\n".join(provenance(design, "binary AIGER")) + "\n").encode()
    return bytes(out)


def _varint(value: int) -> bytes:
    """AIGER's unsigned integer: 7 bits a byte, least significant first, the top bit set on all but
    the last."""
    data = bytearray()
    while value >= 0x80:
        data.append(value & 0x7F | 0x80)
        value >>= 7
    data.append(value)
    return bytes(data)


def read_aiger(data: bytes, where: str) -> Aig:
    """A combinational binary AIGER file (what ABC's `write_aiger` writes), or an HdlError naming
    `where` and what was expected."""
    header, _, rest = data.partition(b"\n")
    fields = header.split()
    if len(fields) < 6 or fields[0] != b"aig" or not all(f.isdigit() for f in fields[1:]):
        raise HdlError(f"{where}: expected a binary AIGER header 'aig M I L O A', got {header[:60]!r}")
    count, inputs, latches, outputs, ands = (int(f) for f in fields[1:6])
    if latches or count != inputs + ands:
        raise HdlError(f"{where}: expected a combinational AIG (no latches, M = I + A), got {header!r}")
    lines = rest.split(b"\n", outputs)
    if len(lines) <= outputs or not all(line.strip().isdigit() for line in lines[:outputs]):
        raise HdlError(f"{where}: expected {outputs} output literals after the header")
    wired = tuple(int(line) for line in lines[:outputs])
    body, at, gates = lines[outputs], 0, []
    for k in range(ands):
        lhs = 2 * (inputs + 1 + k)
        deltas = []
        for _ in range(2):
            value, shift = 0, 0
            while True:
                if at >= len(body):
                    raise HdlError(f"{where}: the AND section ends inside AND {k}")
                byte = body[at]
                at += 1
                value |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            deltas.append(value)
        rhs0 = lhs - deltas[0]
        rhs1 = rhs0 - deltas[1]
        if not 0 <= rhs1 <= rhs0 < lhs:
            raise HdlError(f"{where}: AND {k} reads literals {rhs0} and {rhs1}, expected below {lhs}")
        gates.append((rhs0, rhs1))
    if any(literal > 2 * count + 1 for literal in wired):
        raise HdlError(f"{where}: an output reads a literal above {2 * count + 1}")
    return Aig(inputs, tuple(gates), wired)


WRITERS: dict[str, Callable[[Design], str | bytes]] = {"verilog": verilog, "blif": blif, "aig": aiger}


def file_stem(design: Design) -> str:
    """The exported files' name: the model file's, without `.onnx` (the folder has checked it)."""
    return Path(design.file).stem


def check_formats(formats: Sequence[str]) -> None:
    """Formats named as `--format` names them, or an HdlError saying which name is not one."""
    unknown = [name for name in formats if name not in WRITERS]
    if unknown or not formats:
        got = f"unknown {', '.join(map(repr, unknown))}" if unknown else "none"
        raise HdlError(f"format: expected some of {', '.join(FORMATS)}, got {got}")


def write(
    designs: Sequence[Design], out_dir: Path, formats: Sequence[str] = FORMATS
) -> dict[str, list[Path]]:
    """Write each design in each format into `out_dir` (model file -> paths); each file whole or not
    at all, and every file made in memory before any is written."""
    from gatenet import durable

    check_formats(formats)
    texts = [(d, name, WRITERS[name](d)) for d in designs for name in formats]
    durable.make_dirs(out_dir)
    written: dict[str, list[Path]] = {d.file: [] for d in designs}
    for d, name, text in texts:
        path = out_dir / f"{file_stem(d)}{SUFFIXES[name]}"
        durable.write_atomically(path, text.encode() if isinstance(text, str) else text)
        written[d.file].append(path)
    return written


def designs_in(directory: Path | str, names: Sequence[str] = ()) -> tuple[list[Design], list[str]]:
    """The design of each named model of a folder (any letter case), or of every model in it, read
    and checked as the runtime reads them (files against the manifest, metadata against entries).

    Without names, a circuit verified on a sample (no truth table to prove an export against) is
    skipped, and said so in the second list; a named one is an HdlError, as any model that fails."""
    from gatenet import runtime
    from gatenet.store import ModelFolder

    folder = ModelFolder(directory)
    cache: dict[str, GateModel] = {}

    def find(name: str) -> GateModel:
        if name.lower() not in cache:
            cache[name.lower()] = runtime.load_gate(name, folder.root)
        return cache[name.lower()]

    try:
        entries = folder.entries()
        models = [find(name) for name in names] if names else list(runtime.load_dir(folder.root).values())
    except ValueError as error:
        raise HdlError(str(error)) from None
    for model in models:
        cache.setdefault(model.name.lower(), model)
    skipped = [
        f"skipped {model.path.name}: {model.inputs} inputs, verified on a sample (no truth table)"
        for model in models
        if model.table is None and not names
    ]
    kept = [model for model in models if model.table is not None or names]
    return [design(model, entries.get(model.path.name), find) for model in kept], skipped
