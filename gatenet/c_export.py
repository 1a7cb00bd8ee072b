"""Verified ONNX models as self-contained C99 headers, for apps that cannot carry an ONNX runtime.

The header is generated from the ONNX file's own graph and weights, node by node, so the C code and
the model cannot drift apart; it also carries the truth table, so `<gate>_verify()` proves it on the
target. Only `<math.h>` is used, all data is `static const` inside the functions, nothing is allocated.

A logic model (one that carries its circuit), or a circuit whose parts are all logic models of its
folder, is written from that circuit instead, bit-sliced, by `gatenet.c_bitsliced`: the same
contract, 64 rows a call.

emlearn and similar tools convert a Keras or scikit-learn object, not the ONNX file, support fewer
activations, and need their own runtime headers with writable buffers; hence a generator of our own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

import numpy as np

from gatenet import c_bitsliced, contract
from gatenet.gate import is_name
from gatenet.netlist import Netlist, minimize
from gatenet.runtime import GateModel

ROW_LIMIT_IN_COMMENT = 256  # larger truth tables are stored in the header but not listed in its comment

# Element-wise ONNX operators as C expressions of $x (and $y), given the node's attributes.
_UNARY: dict[str, Callable[[dict], str]] = {
    "Identity": lambda a: "$x",
    "Neg": lambda a: "(-$x)",
    "Abs": lambda a: "fabsf($x)",
    "Relu": lambda a: "($x > 0.0f ? $x : 0.0f)",
    "LeakyRelu": lambda a: f"($x >= 0.0f ? $x : {_float(a.get('alpha', 0.01))} * $x)",
    "Sigmoid": lambda a: "(1.0f / (1.0f + expf(-$x)))",
    "Tanh": lambda a: "tanhf($x)",
    "Exp": lambda a: "expf($x)",
    "Sqrt": lambda a: "sqrtf($x)",
    "Round": lambda a: "rintf($x)",  # half to even, as ONNX rounds (circuits round between gates)
    "Softsign": lambda a: "($x / (1.0f + fabsf($x)))",
    "Softplus": lambda a: "($x > 0.0f ? $x + log1pf(expf(-$x)) : log1pf(expf($x)))",
    "Elu": lambda a: f"($x >= 0.0f ? $x : {_float(a.get('alpha', 1.0))} * expm1f($x))",
    "Selu": lambda a: (
        f"({_float(a.get('gamma', 1.0507009873554805))} * "
        f"($x > 0.0f ? $x : {_float(a.get('alpha', 1.6732632423543772))} * expm1f($x)))"
    ),
}
_BINARY = {
    "Add": ("($x + $y)", np.add),
    "Sub": ("($x - $y)", np.subtract),
    "Mul": ("($x * $y)", np.multiply),
    "Div": ("($x / $y)", np.divide),
    "Min": ("fminf($x, $y)", np.minimum),
    "Max": ("fmaxf($x, $y)", np.maximum),
}
SUPPORTED_OPS = sorted({*_UNARY, *_BINARY, "MatMul", "Clip", "Softmax", "LogSoftmax", "Split", "Concat"})


class CExportError(ValueError):
    """A model that cannot become a C header; the message names the model and the reason."""


@dataclass(frozen=True)
class _Row:
    """A value computed per row: a C array of `width` floats."""

    name: str
    width: int


def header(model: GateModel, verified_only: bool = True) -> str:
    """The C99 header of a verified model, named after its gate (`xor.h` for XOR).

    `verified_only=False` is for tests of the translation itself, on networks with random weights.
    """
    import onnx
    from onnx import numpy_helper

    if not is_name(model.name):  # it becomes C identifiers and macros
        raise CExportError(f"{model.path}: gate name {model.name!r} is not letters, digits and underscores")
    if model.table is None:
        raise CExportError(
            f"{model.path}: has no stored truth table for {model.name.lower()}_verify() "
            f"(a circuit of {model.inputs} inputs, verified on a sample); export-c takes up to 20 inputs"
        )
    check = model.verify()
    if verified_only and not check.verified:
        worst = f"worst margin {check.worst_margin:.3f}, needs {check.margin}"
        raise CExportError(f"{model.path}: not verified ({worst}), so not exported")
    try:
        composed = c_bitsliced.circuit_netlist(model)
    except ValueError as error:
        raise CExportError(str(error)) from None
    if c_bitsliced.is_logic(model) or composed is not None:
        return _bitsliced(model, verified_only, composed)
    graph = onnx.load_from_string(model.data).graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    prefix, upper = model.name.lower(), model.name.upper()
    body = _Body(model, constants, {name for node in graph.node for name in node.input})
    try:
        for node in graph.node:
            body.add(node)
    except CExportError:
        raise
    except ValueError as error:  # a value C cannot write (see `_float`)
        raise CExportError(f"{model.path}: {error}") from None
    result = body.values.get(contract.OUTPUT_NAME)
    if not isinstance(result, _Row) or result.width != model.outputs:
        raise CExportError(f"{model.path}: the graph does not end in {model.outputs} {contract.OUTPUT_NAME}")
    usage = [
        f"{prefix}_probabilities(bits, out) runs the network on one row;",
        f"{prefix}_verify() runs the whole truth table: the number of failing rows, 0 when good.",
    ]
    lines = [
        *_comment(model, usage),
        f"#ifndef GATENET_{upper}_H",
        f"#define GATENET_{upper}_H",
        "",
        "#include <math.h>",
        "",
        f"#define {upper}_INPUTS {model.inputs}",
        f"#define {upper}_OUTPUTS {model.outputs}",
        f"#define {upper}_ROWS {len(model.rows)}L",
        f"#define {upper}_MARGIN {model.margin!r}",
        "",
        f"/* The probability of each output being 1, for one row of {upper}_INPUTS bits (0.0f or 1.0f). */",
        f"static inline void {prefix}_probabilities(const float bits[{upper}_INPUTS], "
        f"float out[{upper}_OUTPUTS])",
        "{",
        *body.lines,
        f"    for (int j = 0; j < {upper}_OUTPUTS; ++j) out[j] = {result.name}[j];",
        "}",
        "",
        *_verify(model, prefix, upper),
        "",
        f"#endif /* GATENET_{upper}_H */",
        "",
    ]
    return "\n".join(lines)


def _bitsliced(model: GateModel, verified_only: bool, composed: Netlist | None) -> str:
    """A logic model's header (or a circuit's, `composed` of logic models): its circuit, bit-sliced
    (`gatenet.c_bitsliced`), under the same comment.

    The circuit must be the model's truth table unless `verified_only` is off (tests of a broken one)."""
    prefix, upper = model.name.lower(), model.name.upper()
    try:
        circuit = minimize(composed or c_bitsliced.netlist_of(model, check=verified_only))
    except ValueError as error:
        raise CExportError(str(error)) from None
    source = "its logic parts composed" if composed else "the model's"
    usage = [
        f"The circuit, bit-sliced: {prefix}_packed(inputs, outputs) computes 64 rows a call, one uint64_t",
        "word per input and output, bit j of each word being row j. One bitwise operation per gate.",
        f"{prefix}_probabilities(bits, out) runs one row: each output exactly 0.0f or 1.0f;",
        f"{prefix}_verify() runs the whole truth table: the number of failing rows, 0 when good.",
        "",
        f"circuit ({source}, minimized; complements are free):",
        *str(circuit).splitlines(),
    ]
    return "\n".join(
        [
            *_comment(model, usage),
            f"#ifndef GATENET_{upper}_H",
            f"#define GATENET_{upper}_H",
            "",
            *c_bitsliced.code(prefix, upper, circuit, model.table, model.margin),
            "",
            f"#endif /* GATENET_{upper}_H */",
            "",
        ]
    )


class _Body:
    """The statements of `<gate>_probabilities`, one block per ONNX node, in the graph's own order."""

    def __init__(self, model: GateModel, constants: dict[str, np.ndarray], used: set[str]) -> None:
        self.model = model
        self.used = used | {contract.OUTPUT_NAME}
        self.values: dict[str, _Row | np.ndarray] = {contract.INPUT_NAME: _Row("bits", model.inputs)}
        self.values.update(constants)
        self.lines: list[str] = []
        self.count = self.weights = 0

    def add(self, node) -> None:
        attributes = {attr.name: _attribute(attr) for attr in node.attribute}
        args = [self.values[name] if name else None for name in node.input]
        if node.op_type not in SUPPORTED_OPS:
            raise self._refuse(f"uses the ONNX operator {node.op_type}")
        if node.op_type in _BINARY and all(isinstance(arg, np.ndarray) for arg in args):
            self.values[node.output[0]] = _BINARY[node.op_type][1](*args)  # constants fold here
            return
        if node.op_type in ("Split", "Concat"):
            if attributes.get("axis") not in (1, -1):
                raise self._refuse(f"applies {node.op_type} across rows")
            if node.op_type == "Split":
                for name, part in zip(node.output, self._split(args, node.output), strict=True):
                    self.values[name] = part
                return
            result = self._concat(args)
        elif node.op_type == "MatMul":
            result = self._matmul(args)
        elif node.op_type in ("Softmax", "LogSoftmax"):
            result = self._softmax(node.op_type, args[0], attributes)
        else:
            result = self._elementwise(node.op_type, args, attributes)
        self.values[node.output[0]] = result

    def _matmul(self, args: list) -> _Row:
        rows, weights = args
        if not isinstance(rows, _Row) or not isinstance(weights, np.ndarray) or weights.ndim != 2:
            raise self._refuse("multiplies matrices other than a row by a weight matrix")
        out = self._new(weights.shape[1])
        table = self._constant(weights)
        self.lines += [
            f"    for (int j = 0; j < {out.width}; ++j) {{",
            "        float sum = 0.0f;",
            f"        for (int i = 0; i < {rows.width}; ++i) sum += {rows.name}[i] * {table}[i][j];",
            f"        {out.name}[j] = sum;",
            "    }",
        ]
        return out

    def _split(self, args: list, names: list[str]) -> list[_Row | None]:
        """A circuit's columns: each output is a slice of the row (none for a column nobody reads)."""
        rows, sizes = args[0], [int(size) for size in np.asarray(args[1]).reshape(-1)]
        if not isinstance(rows, _Row) or sum(sizes) != rows.width:
            raise self._refuse("splits something other than a row into its columns")
        parts, start = [], 0
        for name, size in zip(names, sizes, strict=True):
            part = self._new(size) if name in self.used else None
            if part is not None:
                self.lines.append(
                    f"    for (int j = 0; j < {size}; ++j) {part.name}[j] = {rows.name}[{start} + j];"
                )
            parts.append(part)
            start += size
        return parts

    def _concat(self, args: list) -> _Row:
        """A gate's input bits gathered from the circuit's wires, side by side."""
        if not all(isinstance(arg, _Row) for arg in args):
            raise self._refuse("concatenates constants")
        out = self._new(sum(arg.width for arg in args))
        start = 0
        for arg in args:
            self.lines.append(
                f"    for (int j = 0; j < {arg.width}; ++j) {out.name}[{start} + j] = {arg.name}[j];"
            )
            start += arg.width
        return out

    def _elementwise(self, op: str, args: list, attributes: dict) -> _Row:
        widths = {arg.width for arg in args if isinstance(arg, _Row)}
        if len(widths) != 1:
            raise self._refuse(f"applies {op} to {'no row' if not widths else 'rows of different widths'}")
        width = widths.pop()
        x, y, top = (self._operand(args[at] if at < len(args) else None, width) for at in range(3))
        if op in _UNARY:
            expression = Template(_UNARY[op](attributes)).substitute(x=x)
        elif op == "Clip":  # relu6 and hard_sigmoid: either bound may be absent
            expression = f"fmaxf({x}, {y})" if y else x
            expression = f"fminf({expression}, {top})" if top else expression
        elif len(args) == 2:
            expression = Template(_BINARY[op][0]).substitute(x=x, y=y)
        else:
            raise self._refuse(f"applies {op} to {len(args)} values")
        out = self._new(width)
        self.lines.append(f"    for (int j = 0; j < {width}; ++j) {out.name}[j] = {expression};")
        return out

    def _softmax(self, op: str, rows: _Row, attributes: dict) -> _Row:
        if attributes.get("axis", -1) not in (-1, 1):
            raise self._refuse(f"applies {op} across rows")
        out = self._new(rows.width)
        shifted = f"{rows.name}[j] - top"
        value = f"{shifted} - logf(sum)" if op == "LogSoftmax" else f"expf({shifted}) / sum"
        self.lines += [
            "    {",
            f"        float top = {rows.name}[0], sum = 0.0f;",
            f"        for (int j = 1; j < {rows.width}; ++j) top = fmaxf(top, {rows.name}[j]);",
            f"        for (int j = 0; j < {rows.width}; ++j) sum += expf({shifted});",
            f"        for (int j = 0; j < {rows.width}; ++j) {out.name}[j] = {value};",
            "    }",
        ]
        return out

    def _operand(self, arg: _Row | np.ndarray | None, width: int) -> str:
        if isinstance(arg, _Row):
            return f"{arg.name}[j]"
        if arg is None:
            return ""
        if arg.size == 1:
            return _float(arg.reshape(()).item())
        if arg.size == width and arg.shape[-1] == width:
            return f"{self._constant(arg.reshape(width))}[j]"
        raise self._refuse(f"broadcasts a constant of shape {list(arg.shape)} over {width} values")

    def _constant(self, value: np.ndarray) -> str:
        value = np.asarray(value, np.float32)
        if not np.isfinite(value).all():
            raise self._refuse("holds a weight that is not a finite number")
        name = f"w{self.weights}"
        self.weights += 1
        dims = "".join(f"[{size}]" for size in value.shape)
        self.lines.append(f"    static const float {name}{dims} = {_initializer(value)};")
        return name

    def _new(self, width: int) -> _Row:
        row = _Row(f"t{self.count}", width)
        self.count += 1
        self.lines.append(f"    float {row.name}[{width}];")
        return row

    def _refuse(self, problem: str) -> CExportError:
        network = json.loads(self.model.metadata.get(contract.KEY_NETWORK, "{}"))
        activations = sorted({*network.get("activation", []), network.get("output_activation")} - {None})
        return CExportError(
            f"{self.model.path}: {problem}, which the C export does not support "
            f"(activations {', '.join(activations)}; supported ONNX operators: {', '.join(SUPPORTED_OPS)})"
        )


def _verify(model: GateModel, prefix: str, upper: str) -> list[str]:
    """`<gate>_verify()`: every row of the stored truth table, counting rows that miss the margin."""
    bits = np.asarray(model.table, np.uint8).T.reshape(-1)  # output by output, row by row
    packed = np.packbits(bits, bitorder="little")
    return [
        "/* Rows of the truth table (stored below) whose outputs miss the verified margin: 0 when good. */",
        f"static inline int {prefix}_verify(void)",
        "{",
        f"    static const unsigned char truth[{packed.size}] = {_initializer(packed, ints=True)};",
        "    long row, bad = 0;",
        f"    float bits[{upper}_INPUTS], out[{upper}_OUTPUTS];",
        f"    for (row = 0; row < {upper}_ROWS; ++row) {{",
        "        int good = 1;",
        f"        for (int i = 0; i < {upper}_INPUTS; ++i)",
        f"            bits[i] = (float)((row >> ({upper}_INPUTS - 1 - i)) & 1);  /* first input: top bit */",
        f"        {prefix}_probabilities(bits, out);",
        f"        for (int j = 0; j < {upper}_OUTPUTS; ++j) {{",
        f"            long at = (long)j * {upper}_ROWS + row;",
        "            int want = (truth[at >> 3] >> (at & 7)) & 1;",
        "            double margin = want ? (double)out[j] - 0.5 : 0.5 - (double)out[j];",
        f"            if (!(margin >= {upper}_MARGIN)) good = 0;",
        "        }",
        "        bad += !good;",
        "    }",
        "    return (int)bad;",
        "}",
    ]


def _comment(model: GateModel, usage: list[str]) -> list[str]:
    """The header's opening comment: what the model is, where it came from, how to call it (`usage`),
    and its truth table."""
    sha = hashlib.sha256(model.data).hexdigest()
    network = json.loads(model.metadata.get(contract.KEY_NETWORK, "{}"))
    text = [
        f"{model.name.lower()}.h: gate {model.name} as plain C99, generated by `gatenet export-c`.",
        "",
        *(model.metadata.get(contract.KEY_DESCRIPTION, "") or "(no description)").splitlines(),
        "",
        f"inputs:  {', '.join(model.input_names)}",
        f"outputs: {', '.join(model.output_names)}",
        f"network: {json.dumps(network, sort_keys=True)}",
        f"seed:    {model.metadata.get(contract.KEY_SEED, '?')}",
        f"margin:  {model.margin} (each output is on its truth's side of 0.5 by at least this)",
        f"from:    {model.path.name}, sha256 {sha}",
        "",
        *usage,
        "",
        *_table_lines(model),
    ]
    safe = [piece for line in text for piece in comment_lines(line)]
    return ["/*", *[f" * {line}".rstrip() for line in safe], " */", ""]


def comment_lines(text: str) -> list[str]:
    """Text from a model file as inert comment lines: whatever its metadata says, it cannot end the
    comment, open a nested one, splice lines (a trailing backslash or the trigraph ??/) or hide a
    control character."""
    lines = []
    for line in str(text).splitlines() or [""]:
        line = "".join(char if char.isprintable() else " " for char in line).rstrip()
        line = line.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?")
        lines.append(line + " ." if line.endswith("\\") else line)
    return lines


def _table_lines(model: GateModel) -> list[str]:
    rows = len(model.rows)
    if rows > ROW_LIMIT_IN_COMMENT:
        return [f"truth table: {rows} rows, stored in {model.name.lower()}_verify() (too many to list here)"]
    inputs = [len(name) for name in model.input_names]
    outputs = [len(name) for name in model.output_names]

    def line(left: list, right: list) -> str:
        cells = [
            str(cell).rjust(width) for cell, width in zip([*left, *right], inputs + outputs, strict=True)
        ]
        return "  " + " ".join(cells[: len(inputs)]) + " | " + " ".join(cells[len(inputs) :])

    lines = ["truth table:", line(list(model.input_names), list(model.output_names))]
    for row, expected in zip(model.rows, model.table, strict=True):
        lines.append(line([int(bit) for bit in row], [int(bit) for bit in expected]))
    return lines


def _attribute(attr) -> object:
    from onnx import helper

    return helper.get_attribute_value(attr)


def _float(value: float) -> str:
    """A C float literal that reads back as exactly the same float32; C has no literal for inf or NaN."""
    if not np.isfinite(np.float32(value)):
        raise ValueError(f"holds the value {value}, which C has no literal for; only finite numbers export")
    return np.format_float_scientific(np.float32(value), unique=True) + "f"


def _initializer(value: np.ndarray, ints: bool = False, indent: str = "        ") -> str:
    """A C brace initializer nested like the array, a few values to a line."""
    if value.ndim > 1:
        inner = indent + "    "
        parts = [_initializer(part, ints, inner) for part in value]
        return "{\n" + inner + (",\n" + inner).join(parts) + "}"
    items = [str(int(item)) if ints else _float(item) for item in value]
    per_line = 16 if ints else 6
    chunks = [", ".join(items[at : at + per_line]) for at in range(0, len(items), per_line)]
    return "{" + (",\n" + indent).join(chunks) + "}"


def write_headers(models: list[GateModel], out_dir: Path) -> list[Path]:
    """Write one header per model into `out_dir`; each file appears whole or not at all."""
    from gatenet import durable

    texts = [(model, header(model)) for model in models]  # every model is checked before any file changes
    durable.make_dirs(out_dir)
    written = []
    for model, text in texts:
        path = out_dir / f"{model.name.lower()}.h"
        durable.write_atomically(path, text.encode())
        written.append(path)
    return written
