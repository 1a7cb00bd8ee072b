"""Truth tables from the files logic-synthesis tools use (espresso PLA, ABC truth, BLIF), as gates.

No TensorFlow here: the `tables` plugin reads these files on every command. A file gives one `Gate`
named after its stem; its rows are put in gatenet's order (binary counting, first input the most
significant bit), whatever order the file used. A bad file is one `TableFileError` line naming the
file, the line and what was expected. docs/tables.md describes the formats and the errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gatenet.config import table_entries
from gatenet.gate import (
    MAX_INPUTS,
    MAX_OUTPUTS,
    Gate,
    GateError,
    default_input_names,
    default_output_names,
    is_name,
)
from gatenet.network import NetworkError

PLA, TRUTH, BLIF = ".pla", ".truth", ".blif"
SUFFIXES = (PLA, TRUTH, BLIF)
FORMATS = {PLA: "espresso PLA", TRUTH: "ABC truth table", BLIF: "BLIF"}
MAX_BYTES = 64 * 2**20  # a 16-input, 256-output table is 17 MB as a .truth file; more is a mistake
GATE_PREFIX, INPUT_PREFIX, OUTPUT_PREFIX = "T_", "x", "y"  # for names that start with a digit
# .type: which of the ON-set (f), OFF-set (r) and don't-care set (d) the cubes give. Without don't-cares,
# fd reads as f, fdr as fr and dr as r; d alone gives no value.
PLA_TYPES = {"f": "f", "fd": "f", "fr": "fr", "fdr": "fr", "r": "r", "dr": "r"}
INPUT_SYNONYMS = str.maketrans("2", "-")  # espresso's: 2 is -, 4 is 1 and 3 is 0
OUTPUT_SYNONYMS = str.maketrans("43", "10")


class TableFileError(GateError):
    """A table file that cannot be read as a fully specified truth table; one line naming the file
    and the line."""


@dataclass(frozen=True)
class Table:
    """What a file defines: bit names, and every row's outputs in gatenet's row order."""

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    rows: np.ndarray  # uint8, shape [2^inputs, outputs]


def is_table_path(argument: str) -> bool:
    """Whether a command-line argument names a table file: a gate name has no dot, so a known
    suffix is never a gate."""
    return Path(argument).suffix.lower() in SUFFIXES


def gate_name(path: Path) -> str:
    """The gate a file gives: its stem in upper case, other characters than letters, digits and `_`
    made `_`, and `T_` in front of a stem that does not start with a letter (`9sym.pla` is T_9SYM)."""
    return to_name(path.stem, GATE_PREFIX).upper()


def to_name(text: str, prefix: str) -> str:
    """`text` as gatenet spells names: letters, digits and underscores, starting with a letter."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return name if is_name(name) else prefix + name


def read_table_file(path: Path) -> Gate:
    """The gate a .pla, .truth or .blif file defines; TableFileError for a bad or unreadable file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise TableFileError(f"{path}: expected a {', '.join(SUFFIXES)} file")
    try:
        if not path.is_file():
            raise TableFileError(f"{path}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise TableFileError(f"{path}: {path.stat().st_size} bytes; a table file has at most {MAX_BYTES}")
        data = path.read_bytes()
    except OSError as error:
        raise TableFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        text = data.decode("utf-8-sig")  # an editor's byte-order mark is not a line of the table
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise TableFileError(
            f"{path} line {line}: expected text, got byte {data[error.start]:#04x}"
        ) from None
    table = PARSERS[suffix](text, str(path))
    return Gate(
        gate_name(path),
        table.input_names,
        table.rows,
        outputs=table.output_names,
        description=f"{FORMATS[suffix]} {_printable(path.name)}",  # not the path: models do not depend on it
    )


def parse_pla(text: str, source: str) -> Table:
    """A fully specified espresso PLA: `.i`, `.o`, `.ilb`, `.ob`, `.p`, `.type`, `.e`, and cubes whose
    inputs are 0, 1 or `-`. Under type f (and fd, espresso's default) the 1s of the cubes are the
    ON-set and every other row is 0, as espresso complements the ON-set; under r the 0s are the
    OFF-set and every other row is 1; under fr both are given, and every row must be in exactly one."""
    pla = _Pla(source)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("."):
            if not pla.directive(number, line):
                break
        else:
            pla.cube(number, line)
    return pla.table()


class _Pla:
    """The state of one PLA file as it is read, line by line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sizes: dict[str, tuple[int, int]] = {}  # ".i"/".o" -> (count, line)
        self.labels: dict[str, tuple[str, ...]] = {}
        self.kind, self.kind_line = "f", 0
        self.declared: tuple[int, int] | None = None  # .p count, line
        self.cubes: list[tuple[int, str, str]] = []  # line, input part, output part

    def error(self, number: int, message: str) -> TableFileError:
        return TableFileError(f"{self.source} line {number}: {message}")

    def directive(self, number: int, line: str) -> bool:
        """Take one keyword line; False at `.e`, the end."""
        word, *args = line.split()
        if word in (".e", ".end"):
            return False
        if word in (".i", ".o"):
            self.size(number, word, args)
        elif word in (".ilb", ".ob"):
            self.label(number, word, args)
        elif word == ".p":
            if self.declared or len(args) != 1 or not args[0].isdigit():
                raise self.error(number, f"expected one .p with the number of cubes, got {line!r}")
            self.declared = (int(args[0]), number)
        elif word == ".type":
            if self.cubes or self.kind_line or len(args) != 1 or args[0] not in PLA_TYPES:
                raise self.error(
                    number,
                    f"expected one .type f, fd, fr, fdr, r or dr before the first cube, got {line!r}",
                )
            self.kind, self.kind_line = PLA_TYPES[args[0]], number
        else:
            raise self.error(
                number,
                f"unknown directive {word!r}; expected .i, .o, .ilb, .ob, .p, .type or .e "
                "(a fully specified binary PLA)",
            )
        return True

    def size(self, number: int, word: str, args: list[str]) -> None:
        limit, what = (MAX_INPUTS, "inputs") if word == ".i" else (MAX_OUTPUTS, "outputs")
        if word in self.sizes or self.cubes:
            raise self.error(number, f"expected one {word} before the first cube")
        if len(args) != 1 or not args[0].isdigit() or int(args[0]) < 1:
            raise self.error(
                number, f"expected {word} and the number of {what}, got {' '.join([word, *args])!r}"
            )
        if int(args[0]) > limit:
            raise self.error(number, f"{word} {args[0]}: at most {limit} {what} are supported")
        self.sizes[word] = (int(args[0]), number)

    def label(self, number: int, word: str, args: list[str]) -> None:
        size_word, prefix = (".i", INPUT_PREFIX) if word == ".ilb" else (".o", OUTPUT_PREFIX)
        if size_word not in self.sizes or word in self.labels:
            raise self.error(number, f"expected one {word} after {size_word}")
        count = self.sizes[size_word][0]
        if len(args) != count:
            raise self.error(
                number, f"{word} names {_count(len(args), 'bit')}, expected {count} ({size_word} {count})"
            )
        self.labels[word] = _bit_names(args, prefix, lambda message: self.error(number, message))

    def cube(self, number: int, line: str) -> None:
        if ".i" not in self.sizes or ".o" not in self.sizes:
            raise self.error(number, f"a cube before .i and .o; expected .i and .o first, got {line!r}")
        inputs, outputs = self.sizes[".i"][0], self.sizes[".o"][0]
        chars = "".join(line.replace("|", " ").split())
        if len(chars) != inputs + outputs:
            raise self.error(
                number,
                f"expected {inputs} input and {outputs} output characters (.i {inputs}, .o {outputs}), "
                f"got {len(chars)} in {_short(line)}",
            )
        ins, outs = chars[:inputs].translate(INPUT_SYNONYMS), chars[inputs:]
        for column, char in enumerate(ins, 1):
            if char not in "01-":
                raise self.error(number, f"input {column} is {char!r}; expected 0, 1 or -")
        for column, char in enumerate(outs, 1):
            if char in "-2~":
                meaning = "a don't-care" if char in "-2" else "a 'no meaning'"
                raise self.error(
                    number,
                    f"output {column} is {char!r}, {meaning} in a fully specified table; expected 0 or 1",
                )
            if char not in "0134":
                raise self.error(number, f"output {column} is {char!r}; expected 0 or 1")
        self.cubes.append((number, ins, outs.translate(OUTPUT_SYNONYMS)))

    def table(self) -> Table:
        if ".i" not in self.sizes or ".o" not in self.sizes:
            raise TableFileError(f"{self.source}: expected .i and .o, the numbers of inputs and outputs")
        inputs, outputs = self.sizes[".i"][0], self.sizes[".o"][0]
        if self.declared and self.declared[0] != len(self.cubes):
            count, number = self.declared
            raise self.error(
                number,
                f".p {count} declared, but the file has {_count(len(self.cubes), 'cube')}",
            )
        input_names = self.labels.get(".ilb") or default_input_names(inputs)
        output_names = self.labels.get(".ob") or default_output_names(outputs)
        on, off = _cover(inputs, outputs, self.cubes)
        if self.kind == "f":
            return Table(input_names, output_names, on.astype(np.uint8))
        if self.kind == "r":
            return Table(input_names, output_names, (~off).astype(np.uint8))
        if (on & off).any():
            raise self._conflict(inputs, outputs, input_names, output_names)
        undefined = ~(on | off)
        if undefined.any():
            row, column = (int(index) for index in np.argwhere(undefined)[0])
            raise self.error(
                self.kind_line,
                f".type {self.kind}, but no cube gives output {output_names[column]} for "
                f"{_row_text(input_names, row)}; expected every row to be 0 or 1",
            )
        return Table(input_names, output_names, on.astype(np.uint8))

    def _conflict(
        self, inputs: int, outputs: int, input_names: Sequence[str], output_names: Sequence[str]
    ) -> TableFileError:
        """The first cube that contradicts an earlier one, and that earlier one: cubes are added again
        one at a time, which only a bad file pays for."""
        for index, (number, ins, outs) in enumerate(self.cubes):
            on, off = _cover(inputs, outputs, self.cubes[: index + 1])
            clash = np.argwhere(on & off)
            if len(clash):
                row, column = (int(value) for value in clash[0])
                value = outs[column]
                earlier = next(
                    line
                    for line, before, out in self.cubes[:index]
                    if out[column] != value and _covers(before, row)
                )
                raise self.error(
                    number,
                    f"cube {ins} {outs} gives output {output_names[column]} = {value} for "
                    f"{_row_text(input_names, row)}, but line {earlier} gives it {1 - int(value)}; "
                    "expected cubes that agree",
                )
        raise AssertionError("no conflicting cube")  # pragma: no cover - called only on a conflict


def _cover(inputs: int, outputs: int, cubes: Sequence[tuple[int, str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """The rows the cubes put in the ON-set (1) and in the OFF-set (0), per output. A cube's input
    part, read as a binary number, is the row: its first input is the most significant bit, as in
    gatenet's order, and `-` matches both values. Cubes go 64 at a time through one product of
    matrices, as a file may hold thousands of them."""
    rows = np.arange(2**inputs)
    on = np.zeros((2**inputs, outputs), bool)
    off = np.zeros((2**inputs, outputs), bool)
    for start in range(0, len(cubes), 64):
        chunk = cubes[start : start + 64]
        care = np.array([int(ins.replace("0", "1").replace("-", "0"), 2) for _, ins, _ in chunk])
        value = np.array([int(ins.replace("-", "0"), 2) for _, ins, _ in chunk])
        match = ((rows[:, None] & care[None, :]) == value[None, :]).astype(np.float32)  # [rows, cubes]
        ones = np.array([[char == "1" for char in outs] for _, _, outs in chunk], np.float32)
        on |= match @ ones > 0
        off |= match @ (1 - ones) > 0
    return on, off


def _covers(ins: str, row: int) -> bool:
    bits = format(row, f"0{len(ins)}b")
    return all(char in ("-", bit) for char, bit in zip(ins, bits, strict=True))


def parse_truth(text: str, source: str) -> Table:
    """ABC's binary truth tables (`read_truth -x -f FILE`): one string of 2^n 0s and 1s per output,
    the last minterm first, the first input the least significant bit of the minterm number; so
    `0010` is a AND NOT b. Outputs may also share a line, separated by spaces or `|`, as ABC allows."""
    columns: list[str] = []
    width = first = 0
    for number, raw in enumerate(text.splitlines(), 1):
        for token in re.split(r"[\s|]+", raw.strip()):
            if not token:
                continue
            bad = re.search(r"[^01]", token)
            if bad:
                meaning = " (a don't-care in a fully specified table)" if bad.group() in "-xX?~" else ""
                raise TableFileError(
                    f"{source} line {number}: character {bad.start() + 1} is {bad.group()!r}{meaning}; "
                    "expected a binary truth table of 0s and 1s, the last row first"
                )
            inputs = len(token).bit_length() - 1
            if len(token) < 2 or 2**inputs != len(token):
                raise TableFileError(
                    f"{source} line {number}: {len(token)} characters; expected 2, 4, 8, ... "
                    "(2^n for n inputs)"
                )
            if inputs > MAX_INPUTS:
                raise TableFileError(
                    f"{source} line {number}: {len(token)} characters is {inputs} inputs; "
                    f"at most {MAX_INPUTS} are supported"
                )
            if width and len(token) != width:
                raise TableFileError(
                    f"{source} line {number}: {len(token)} characters; expected {width} like line {first}, "
                    "as every output has the same inputs"
                )
            if len(columns) == MAX_OUTPUTS:
                raise TableFileError(f"{source} line {number}: at most {MAX_OUTPUTS} outputs are supported")
            width, first = width or len(token), first or number
            columns.append(token)
    if not columns:
        raise TableFileError(f"{source}: no truth table; expected a line of 2^n 0s and 1s per output")
    inputs = width.bit_length() - 1
    minterms = _reverse_bits(np.arange(width), inputs)  # the minterm of each of gatenet's rows
    bits = np.frombuffer("".join(columns).encode(), np.uint8).reshape(len(columns), width) - ord("0")
    rows = bits[:, width - 1 - minterms].T
    return Table(default_input_names(inputs), default_output_names(len(columns)), rows)


def _reverse_bits(values: np.ndarray, width: int) -> np.ndarray:
    """Each value with its `width` low bits in the other order: ABC's first input is the least
    significant bit, gatenet's the most."""
    result = np.zeros_like(values)
    for bit in range(width):
        result |= ((values >> bit) & 1) << (width - 1 - bit)
    return result


def parse_blif(text: str, source: str) -> Table:
    """One combinational BLIF `.model`: `.inputs`, `.outputs`, and `.names` covers (rows of 0, 1 and
    `-`, then the output value), in any order as long as no signal depends on itself."""
    return _Blif(source).read(text)


class _Blif:
    """One BLIF model as it is read, then evaluated on every row."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.ports: dict[str, tuple[list[str], int]] = {}  # ".inputs"/".outputs" -> names, line
        self.nodes: dict[
            str, tuple[int, list[str], list[tuple[int, str, str]]]
        ] = {}  # out -> line, ins, cover
        self.model = 0

    def error(self, number: int, message: str) -> TableFileError:
        return TableFileError(f"{self.source} line {number}: {message}")

    def read(self, text: str) -> Table:
        current: list[tuple[int, str, str]] | None = None  # the cover of the .names being read
        width = 0
        for number, words in _blif_lines(text):
            word = words[0]
            if not word.startswith("."):
                if current is None:
                    raise self.error(number, f"expected a directive, got {_short(' '.join(words))}")
                current.append(self.cover_line(number, words, width))
                continue
            current = None
            if word == ".model":
                if self.model:
                    raise self.error(
                        number, f"a second .model; expected one (the first is on line {self.model})"
                    )
                self.model = number
            elif word in (".inputs", ".outputs"):
                names, _ = self.ports.setdefault(word, ([], number))
                names += words[1:]
            elif word == ".names":
                if len(words) < 2:
                    raise self.error(number, "expected .names, its inputs and its output")
                *ins, out = words[1:]
                if out in self.nodes:
                    raise self.error(number, f"{out!r} is already set on line {self.nodes[out][0]}")
                current, width = [], len(ins)
                self.nodes[out] = (number, ins, current)
            elif word == ".end":
                break
            else:
                raise self.error(
                    number,
                    f"unknown directive {word!r}; expected .model, .inputs, .outputs, .names or .end "
                    "(one combinational model)",
                )
        return self.evaluate()

    def cover_line(self, number: int, words: list[str], width: int) -> tuple[int, str, str]:
        ins, out = ("", words[0]) if width == 0 and len(words) == 1 else ("".join(words[:-1]), words[-1])
        if len(ins) != width or len(out) != 1:
            raise self.error(
                number, f"expected {width} input characters and one output, got {_short(' '.join(words))}"
            )
        if re.search(r"[^01-]", ins):
            raise self.error(number, f"inputs {ins!r}; expected 0, 1 or - for each")
        if out not in "01":
            raise self.error(number, f"output {out!r}; expected 0 or 1 (a fully specified table)")
        return number, ins, out

    def evaluate(self) -> Table:
        inputs, input_line = self.ports.get(".inputs", ([], 0))
        outputs, _ = self.ports.get(".outputs", ([], 0))
        if not inputs or not outputs:
            raise TableFileError(f"{self.source}: expected .inputs and .outputs")
        if len(inputs) > MAX_INPUTS:
            raise self.error(input_line, f"{len(inputs)} inputs; at most {MAX_INPUTS} are supported")
        if len(outputs) > MAX_OUTPUTS:
            raise self.error(
                self.ports[".outputs"][1], f"{len(outputs)} outputs; at most {MAX_OUTPUTS} are supported"
            )
        rows = np.arange(2 ** len(inputs))
        values = {name: ((rows >> (len(inputs) - 1 - i)) & 1).astype(bool) for i, name in enumerate(inputs)}
        for name in inputs:
            if name in self.nodes:
                raise self.error(self.nodes[name][0], f"{name!r} is an input; expected a signal to set")
        for name in outputs:
            self.value(name, values)
        input_names = _bit_names(inputs, INPUT_PREFIX, lambda message: self.error(input_line, message))
        output_names = _bit_names(
            outputs, OUTPUT_PREFIX, lambda message: self.error(self.ports[".outputs"][1], message)
        )
        table = np.stack([values[name] for name in outputs], axis=1).astype(np.uint8)
        return Table(input_names, output_names, table)

    def value(self, name: str, values: dict[str, np.ndarray]) -> np.ndarray:
        """A signal on every row, its drivers first (depth first, without recursion, so a long chain
        of nodes is no problem); a loop or an undriven signal is an error."""
        stack: list[tuple[str, bool]] = [(name, False)]
        on_path: list[str] = []
        while stack:
            signal, ready = stack.pop()
            if ready:
                on_path.pop()
                values[signal] = self.node(signal, values)
                continue
            if signal in values:
                continue
            if signal not in self.nodes:
                user = self.nodes[on_path[-1]][0] if on_path else self.ports[".outputs"][1]
                raise self.error(user, f"{signal!r} is neither an input nor set by a .names")
            if signal in on_path:
                loop = on_path[on_path.index(signal) :]
                raise self.error(
                    self.nodes[signal][0], f"{signal!r} depends on itself ({' -> '.join([*loop, signal])})"
                )
            on_path.append(signal)
            stack.append((signal, True))
            stack += [(fanin, False) for fanin in reversed(self.nodes[signal][1]) if fanin not in values]
        return values[name]

    def node(self, name: str, values: dict[str, np.ndarray]) -> np.ndarray:
        """One `.names` on every row, its inputs known: the rows its cover matches, or the others
        when the cover lists the 0s."""
        number, ins, cover = self.nodes[name]
        size = len(next(iter(values.values())))
        hit = np.zeros(size, bool)
        for _, cube, _ in cover:
            match = np.ones(size, bool)
            for char, fanin in zip(cube, ins, strict=True):
                if char != "-":
                    match &= values[fanin] == (char == "1")
            hit |= match
        polarities = {out for _, _, out in cover}
        if len(polarities) > 1:
            raise self.error(number, f".names {name}: rows give both 0 and 1; expected one output value")
        return ~hit if polarities == {"0"} else hit


def _blif_lines(text: str) -> Iterable[tuple[int, list[str]]]:
    """(line number, words) of each BLIF line: comments gone, `\\` continuations joined."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0]
        start = start or number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1].split()
            continue
        words = pending + line.split()
        pending = []
        if words:
            yield start, words
        start = 0
    if pending:
        yield start, pending


PARSERS: dict[str, Callable[[str, str], Table]] = {PLA: parse_pla, TRUTH: parse_truth, BLIF: parse_blif}


def _bit_names(labels: Sequence[str], prefix: str, error: Callable[[str], TableFileError]) -> tuple[str, ...]:
    """The file's labels as bit names (see `to_name`); two labels that become one name are an error."""
    names: dict[str, str] = {}
    for label in labels:
        name = to_name(label, prefix)
        if name in names:
            same = (
                f"{label!r} is given twice" if names[name] == label else f"{names[name]!r} and {label!r} both"
            )
            raise error(f"{same} become bit name {name!r}; expected distinct names")
        names[name] = label
    return tuple(names)


def _row_text(names: Sequence[str], row: int) -> str:
    bits = format(row, f"0{len(names)}b")
    return "inputs " + " ".join(f"{name}={bit}" for name, bit in zip(names, bits, strict=True))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _printable(text: str) -> str:
    """`text` with each character that is not printable (a newline in a file name) made `?`, so a
    description stays one line wherever it is shown."""
    return "".join(char if char.isprintable() else "?" for char in text)


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def table_paths(entries: Iterable[Path], where: str) -> tuple[list[Path], list[str]]:
    """Each table file `entries` lists, a folder giving its files with a known suffix (not its
    subfolders), and a problem for each entry that is neither; `where` names the list in problems."""
    found: list[Path] = []
    problems: list[str] = []
    for entry in entries:
        if entry.is_dir():
            found += sorted(
                path for path in entry.iterdir() if path.suffix.lower() in SUFFIXES and path.is_file()
            )
        elif not entry.exists():
            problems.append(f"{where}: {entry}: no such file or folder")
        elif entry.suffix.lower() not in SUFFIXES:
            problems.append(f"{where}: {entry}: expected a folder or a {', '.join(SUFFIXES)} file")
        else:
            found.append(entry)
    return list(dict.fromkeys(found)), problems


def project_gates(pyproject: Path = Path("pyproject.toml")) -> tuple[list[Gate], list[str]]:
    """The gates of the table files `[tool.gatenet] tables` lists, and one line per problem: a bad
    file costs only itself, and two files that give one gate name give none."""
    try:
        entries = table_entries(pyproject)
    except NetworkError as error:
        return [], [str(error)]
    paths, problems = table_paths(entries, f"{pyproject} [tool.gatenet] tables")
    by_name: dict[str, list[tuple[Path, Gate]]] = {}
    for path in paths:
        try:
            gate = read_table_file(path)
        except GateError as error:
            problems.append(str(error))
            continue
        by_name.setdefault(gate.key, []).append((path, gate))
    gates = []
    for found in by_name.values():
        if len(found) > 1:
            files = " and ".join(str(path) for path, _ in found)
            problems.append(f"{files} give the same gate name {found[0][1].name!r}; rename all but one")
        else:
            gates.append(found[0][1])
    return gates, problems


def file_arguments(names: Sequence[str], find: Callable[[str], object]) -> tuple[list[Gate], tuple[str, ...]]:
    """Split command-line names into the gates of the table files among them and the other names.

    A file whose gate is already registered with the same table and bit names (listed in
    `[tool.gatenet] tables` too) stands for that gate's name; a registered gate or circuit of that
    name with another definition is a TableFileError, as is a bad file.
    """
    gates: dict[str, tuple[str, Gate]] = {}
    rest: list[str] = []
    for argument in names:
        if not is_table_path(argument):
            rest.append(argument)
            continue
        gate = read_table_file(Path(argument))
        known = find(gate.name)
        if known is not None:
            if not (isinstance(known, Gate) and same_definition(known, gate)):
                raise TableFileError(
                    f"{argument}: gives gate {gate.name!r}, and a registered gate or circuit has that "
                    "name; rename the file"
                )
            rest.append(known.name)
        elif gate.key in gates and not same_definition(gates[gate.key][1], gate):
            raise TableFileError(
                f"{gates[gate.key][0]} and {argument} both give gate {gate.name!r}; rename one"
            )
        else:
            gates.setdefault(gate.key, (argument, gate))
    return [gate for _, gate in gates.values()], tuple(rest)


def same_definition(one: Gate, other: Gate) -> bool:
    """Whether two gates make the same model: the same bit names and truth table (the recipe's part)."""
    return (
        one.input_names == other.input_names
        and one.output_names == other.output_names
        and np.array_equal(one.table, other.table)
    )
