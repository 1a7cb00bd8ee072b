"""Logic models as bit-sliced C99: the model's circuit as one bitwise expression per gate on uint64_t
words, so one call computes 64 rows (bit j of a word is row j), as difflogic's compiled models do.

A logic model carries its exact circuit (`contract.KEY_NETLIST`); the header is written from that
netlist, not from the ONNX graph's float arithmetic, and the netlist is checked against the model's
truth table (which onnxruntime has checked the graph against) before anything is written. A circuit
whose parts are all logic models gets the one netlist `gatenet.hdl` composes from them. The header
keeps the contract of `gatenet.c_export`'s: `<GATE>_INPUTS`, `<GATE>_OUTPUTS`, `<gate>_probabilities`
(exactly 0.0f or 1.0f) and `<gate>_verify()` over every row, plus `<gate>_packed` for 64 rows a call.
Only `<stdint.h>` is used; nothing is allocated and nothing is writable outside the stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from gatenet import contract
from gatenet.netlist import FUNCTION_NAMES, Netlist, NetlistError, exact
from gatenet.runtime import GateModel

# Each of the 16 functions of `gatenet.netlist` as a C expression of the words $a and $b: the one place
# the C text of a function lives. A minimized netlist uses only AND, A_AND_NOT_B, NOT_A_AND_B, XOR
# and OR (its complements moved into its consumers and outputs, where `~` is free), one instruction each
# on CPUs with and-not (x86 BMI1 andn, ARM bic).
C_FUNCTIONS = {
    "FALSE": "(uint64_t)0",
    "AND": "$a & $b",
    "A_AND_NOT_B": "$a & ~$b",
    "A": "$a",
    "NOT_A_AND_B": "~$a & $b",
    "B": "$b",
    "XOR": "$a ^ $b",
    "OR": "$a | $b",
    "NOR": "~($a | $b)",
    "XNOR": "~($a ^ $b)",
    "NOT_B": "~$b",
    "A_OR_NOT_B": "$a | ~$b",
    "NOT_A": "~$a",
    "NOT_A_OR_B": "~$a | $b",
    "NAND": "~($a & $b)",
    "TRUE": "~(uint64_t)0",
}
assert tuple(C_FUNCTIONS) == FUNCTION_NAMES  # one entry per function, in their numbering
ROWS_PER_WORD = 64


def expression(function: int, a: str, b: str) -> str:
    """The C expression of function number `function` (0..15) of the words named `a` and `b`."""
    return C_FUNCTIONS[FUNCTION_NAMES[function]].replace("$a", a).replace("$b", b)


def is_logic(model: GateModel) -> bool:
    """Whether `model` carries its circuit, so its C can be bit-sliced."""
    return contract.KEY_NETLIST in model.metadata


def circuit_netlist(model: GateModel) -> Netlist | None:
    """The one netlist of a circuit model whose every part (nested circuits' parts too) is a logic
    model of the folder it was loaded from, composed as its wiring records by `gatenet.hdl` and checked
    exact on every row there; None for any other model, which keeps the interpreted header.

    The parts are the folder's models now, not the copies inside the circuit's ONNX file: an exact
    part computes the same function either way, and the composition is checked against the table."""
    from gatenet import hdl, runtime

    models: dict[str, GateModel] = {}

    def find(name: str) -> GateModel:
        if name.lower() not in models:
            models[name.lower()] = runtime.load_gate(name, model.path.parent)
        return models[name.lower()]

    if is_logic(model) or model.table is None or not _all_logic(model, find, ()):
        return None
    design = hdl.design(model, None, find)  # an HdlError, a ValueError, names the file and the reason
    return Netlist(model.input_names, design.netlist.nodes, design.netlist.outputs, model.output_names)


def _all_logic(model: GateModel, find: Callable[[str], GateModel], within: tuple[str, ...]) -> bool:
    """Whether `model` is a logic model, or a circuit of them all the way down (up to `MAX_NESTING`)."""
    from gatenet.circuit import MAX_NESTING

    if is_logic(model):
        return True
    nested = model.name.lower() in within or len(within) > MAX_NESTING
    if contract.KEY_CIRCUIT not in model.metadata or nested:
        return False
    try:
        gates = {str(part["gate"]) for part in json.loads(model.metadata[contract.KEY_CIRCUIT])["parts"]}
        return all(_all_logic(find(gate), find, (*within, model.name.lower())) for gate in gates)
    except (ValueError, KeyError, TypeError, OSError):  # not a circuit's wiring, or a part is missing
        return False


def netlist_of(model: GateModel, check: bool = True) -> Netlist:
    """The circuit a logic model carries, which (with `check`) gives its stored truth table on every row;
    anything else is a ValueError naming the file and, for a wrong circuit, its first wrong row."""
    try:
        netlist = Netlist.from_json(model.metadata[contract.KEY_NETLIST])
    except NetlistError as error:
        raise ValueError(f"{model.path}: {contract.KEY_NETLIST}: {error}") from None
    widths = (len(netlist.inputs), len(netlist.outputs))
    if widths != (model.inputs, model.outputs):
        raise ValueError(
            f"{model.path}: its netlist has {widths[0]} inputs and {widths[1]} outputs, "
            f"the model {model.inputs} and {model.outputs}"
        )
    if check and model.table is not None and (mismatch := exact(netlist, model.table)) is not None:
        raise ValueError(f"{model.path}: its netlist is not its truth table: {mismatch}")
    return netlist


def code(prefix: str, upper: str, circuit: Netlist, table: np.ndarray, margin: float) -> list[str]:
    """The header's macros and functions for `circuit`, with `table` ([rows, outputs] of 0/1) stored for
    `<prefix>_verify()`. The circuit is minimized (`netlist.minimize`): no dead gate, so every word is read.
    """
    rows = len(table)
    words = -(-rows // ROWS_PER_WORD)
    return [
        "#include <stdint.h>",
        "",
        f"#define {upper}_INPUTS {len(circuit.inputs)}",
        f"#define {upper}_OUTPUTS {len(circuit.outputs)}",
        f"#define {upper}_ROWS {rows}L",
        f"#define {upper}_MARGIN {margin!r}",
        f"#define {upper}_GATES {circuit.gates}",
        f"#define {upper}_WORDS {words}L  /* words of 64 rows that hold the whole truth table */",
        "",
        "/* 64 rows at once: bit j of inputs[i] is input i of row j, and bit j of outputs[k] output k of",
        f"   row j. {circuit.gates} two-input gates, one bitwise operation each; complements are free. */",
        f"static inline void {prefix}_packed(const uint64_t inputs[{upper}_INPUTS], "
        f"uint64_t outputs[{upper}_OUTPUTS])",
        "{",
        *_gates(circuit),
        "}",
        "",
        f"/* One row of {upper}_INPUTS bits (0.0f or 1.0f; above 0.5f reads as 1): each output exactly",
        "   0.0f or 1.0f. */",
        f"static inline void {prefix}_probabilities(const float bits[{upper}_INPUTS], "
        f"float out[{upper}_OUTPUTS])",
        "{",
        f"    uint64_t in[{upper}_INPUTS], got[{upper}_OUTPUTS];",
        f"    for (int i = 0; i < {upper}_INPUTS; ++i) in[i] = bits[i] > 0.5f ? 1u : 0u;",
        f"    {prefix}_packed(in, got);",
        f"    for (int j = 0; j < {upper}_OUTPUTS; ++j) out[j] = (float)(got[j] & 1u);",
        "}",
        "",
        *_verify(prefix, upper, table),
    ]


def _gates(circuit: Netlist) -> list[str]:
    """`<gate>_packed`'s body: one const word per gate, then the outputs. Inputs are read in place, so
    an input no gate reads leaves no unused variable."""
    count = len(circuit.inputs)

    def word(signal: int) -> str:
        return f"inputs[{signal}]" if signal < count else f"n{signal - count}"

    lines = [
        f"    const uint64_t n{k} = {expression(node.function, word(node.a), word(node.b))};"
        for k, node in enumerate(circuit.nodes)
    ]
    for j, out in enumerate(circuit.outputs):
        value = "(uint64_t)0" if out.signal is None else word(out.signal)
        lines.append(f"    outputs[{j}] = {'~' if out.complement else ''}{value};")
    if not circuit.nodes and all(out.signal is None for out in circuit.outputs):  # else something reads them
        lines.insert(0, "    (void)inputs;  /* every output is a constant */")
    return lines


def _verify(prefix: str, upper: str, table: np.ndarray) -> list[str]:
    """`<gate>_verify()`: every row of the truth table, 64 at a time, counting the rows any output misses.

    Row r is the binary digits of r, first input most significant: input i's word is a fixed pattern
    when its digit changes within a word (the low 6 bits of r), else all zeros or all ones."""
    rows, outputs = table.shape
    words = -(-rows // ROWS_PER_WORD)
    bits = np.zeros((outputs, words * ROWS_PER_WORD), np.uint8)
    bits[:, :rows] = np.asarray(table, np.uint8).T
    truth = np.packbits(bits, axis=1, bitorder="little").view("<u8")  # [outputs, words]
    low = [sum(1 << j for j in range(ROWS_PER_WORD) if j >> shift & 1) for shift in range(6)]
    last = ["        wrong &= " + _hex((1 << rows) - 1) + ";  /* past the last row */"] if rows < 64 else []
    return [
        "/* Rows of the truth table (stored below) that any output gets wrong: 0 when good. */",
        f"static inline int {prefix}_verify(void)",
        "{",
        f"    static const uint64_t truth[{upper}_OUTPUTS][{upper}_WORDS] = {_words(truth)};",
        f"    static const uint64_t low[6] = {{{', '.join(_hex(value) for value in low)}}};",
        f"    uint64_t in[{upper}_INPUTS], got[{upper}_OUTPUTS];",
        "    long word, bad = 0;",
        f"    for (word = 0; word < {upper}_WORDS; ++word) {{",
        "        uint64_t wrong = 0;",
        f"        for (int i = 0; i < {upper}_INPUTS; ++i) {{",
        f"            int shift = {upper}_INPUTS - 1 - i;  /* the first input is the top bit of the row */",
        "            in[i] = shift < 6 ? low[shift] : ((word >> (shift - 6)) & 1) ? ~(uint64_t)0 : 0;",
        "        }",
        f"        {prefix}_packed(in, got);",
        f"        for (int j = 0; j < {upper}_OUTPUTS; ++j) wrong |= got[j] ^ truth[j][word];",
        *last,
        "        for (; wrong; wrong &= wrong - 1) ++bad;",
        "    }",
        "    return (int)bad;",
        "}",
    ]


def _hex(value: int) -> str:
    return f"0x{int(value):016X}"


def _words(truth: np.ndarray) -> str:
    """A brace initializer of [outputs][words] 64-bit words, four to a line."""
    outputs = []
    for column in truth:
        items = [_hex(value) for value in column.tolist()]
        chunks = [", ".join(items[at : at + 4]) for at in range(0, len(items), 4)]
        outputs.append("{" + ",\n            ".join(chunks) + "}")
    return "{\n        " + ",\n        ".join(outputs) + "}"
