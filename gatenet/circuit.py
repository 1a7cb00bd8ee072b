"""Circuits: registered gates (and other circuits) wired into a netlist, evaluated exactly.

A circuit is written like a netlist by hand: named parts, each an instance of a gate fed by circuit
inputs or by other parts' outputs, and circuit outputs taken from parts. Its truth table comes from
its gates' truth tables through the wiring (exact Boolean evaluation, no networks), so a circuit of
verified gate models can be checked against it row by row. No Keras and no ONNX here.

    Circuit(
        "HALF_ADDER_C",
        inputs=["a", "b"],
        parts={"x": Part("XOR", "a", "b"), "n": Part("AND", a="a", b="b")},
        outputs={"sum": "x.out", "carry": "n.out"},
    )

A source is a circuit input (`"a"`), a part's output (`"x.out"`), or a part with one output (`"x"`).
Nothing is checked when a circuit is made, so a plugin's hook never dies on one bad circuit;
`resolve` checks everything against the registered gates, and each problem names the circuit and
the part.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gatenet import watchdog
from gatenet.gate import (
    ENV_TRUTH_TIMEOUT,
    MAX_OUTPUTS,
    NAME_RULE,
    Bits,
    Gate,
    GateError,
    Overtime,
    bit_names,
    default_input_names,
    default_output_names,
    input_rows,
    is_name,
    time_limit,
    truth_timeout,
)

EXHAUSTIVE_INPUTS = 20  # up to 2^20 rows a circuit is verified on its whole truth table
MAX_CIRCUIT_INPUTS = 32  # above 20 inputs, on a stated sample (`sample_rows`)
SAMPLE_SIZE = 1_000_000
WIRINGS = ("digital", "analog")
MAX_NESTING = 32  # circuits within circuits; real designs nest a few levels
MAX_INSTANCES = 100_000  # gates in a flattened circuit: sharing a circuit can double them per level


class CircuitError(ValueError):
    """A circuit that cannot be built; the message names the circuit and the part, on one line.

    `missing` names the gate or circuit a part asked for that nobody registered, when that is why.
    """

    missing: str | None = None


class Part:
    """One instance in a circuit: the gate (or circuit) it is, and the source of each of its inputs.

    Sources are given in the gate's input order (`Part("XOR", "a", "b")`), by input name
    (`Part("XOR", a="a", b="b")`), or both.
    """

    def __init__(self, gate: str, *sources: str, **named: str) -> None:
        self.gate = gate
        self.sources = sources
        self.named = named

    def __repr__(self) -> str:
        args = [repr(self.gate), *map(repr, self.sources), *(f"{k}={v!r}" for k, v in self.named.items())]
        return f"Part({', '.join(args)})"


@dataclass(frozen=True)
class Signal:
    """One bit inside a flattened circuit: a circuit input (`part` None) or an output of a part."""

    part: int | None
    index: int


Feed = tuple[str | None, int]  # a source read but not yet flattened: (part, or None for an input; bit)


@dataclass(frozen=True)
class Instance:
    """A gate instance of a flattened circuit, in an order where every source comes first."""

    path: str  # e.g. "lo.fa0": part fa0 of the part lo
    gate: Gate
    sources: tuple[Signal, ...]
    depth: int  # gates between it and the circuit inputs, itself included


class Circuit(Bits):
    """A named netlist of gate and circuit instances with the gate contract's inputs and outputs.

    `inputs` is a count or names (as for `Gate`); `outputs` maps each output name to its source (or
    is a list of sources, named `out` or `out0`...). `truth`, when given, is the function the wiring
    must compute (as for `Gate`, or vectorized over numpy columns). How the exported model passes
    bits between gates (`digital` or `analog` wiring) is chosen when it is built, not here.
    """

    family = None  # circuits are never in an opt-in family
    network: dict = {}

    def __init__(
        self,
        name: str,
        inputs: int | Sequence[str],
        parts: Mapping[str, Part],
        outputs: Mapping[str, str] | Sequence[str],
        truth: Callable[..., object] | None = None,
        description: str = "",
    ) -> None:
        self.name = name
        self.declared = (inputs, parts, outputs)
        self.truth = truth
        self.description = str(description)
        self.input_names: tuple[str, ...] = ()
        self.output_names: tuple[str, ...] = ()
        self.instances: list[Instance] = []
        self.output_signals: list[Signal] = []
        self.netlist: dict = {}  # the parts as written, resolved: see `resolve`

    @property
    def key(self) -> str:
        return str(self.name).lower()

    @property
    def depth(self) -> int:
        return max((instance.depth for instance in self.instances), default=0)

    def __repr__(self) -> str:
        return f"Circuit(name={self.name!r}, parts={len(self.declared[1])}, instances={len(self.instances)})"

    def part_summary(self) -> str:
        """What the circuit is made of, e.g. `4 x FULL_ADDER` or `2 x XOR, 1 x OR`."""
        counts: dict[str, int] = {}
        parts = self.netlist.get("parts") or [{"gate": part.gate} for part in self.declared[1].values()]
        for part in parts:  # resolved names are spelled as their gate spells them
            counts[part["gate"]] = counts.get(part["gate"], 0) + 1
        return ", ".join(f"{count} x {gate}" for gate, count in counts.items())

    def resolve(self, find: Callable[[str], Gate | Circuit | None]) -> None:
        """Check the netlist against the gates and circuits `find` knows, and flatten it to gates.

        Raises CircuitError naming the circuit and the part; a circuit inside a circuit is resolved
        first (once, however often it is used), and a circuit that contains itself, circuits nested
        more than MAX_NESTING deep or more than MAX_INSTANCES gates in all are refused. Nothing here
        recurses, so no netlist a plugin writes can exhaust Python's stack.
        """
        _resolve_nested(self, find)

    @property
    def exhaustive(self) -> bool:
        """Whether the whole truth table is computed, stored and checked (else: a sample of rows)."""
        return self.inputs <= EXHAUSTIVE_INPUTS

    def verification_rows(self) -> np.ndarray:
        """The rows a model of this circuit is verified on: all of them, or `sample_rows`."""
        return input_rows(self.inputs) if self.exhaustive else sample_rows(self.inputs)

    @functools.cached_property
    def table(self) -> np.ndarray:
        """The exact truth table, [2^inputs, outputs], from the gates' tables through the wiring.

        A declared `truth` that disagrees is a CircuitError naming the first differing row.
        """
        if not self.exhaustive:
            raise CircuitError(
                f"circuit {self.name!r}: {self.inputs} inputs are 2^{self.inputs} rows, too many to "
                f"tabulate (at most {EXHAUSTIVE_INPUTS} inputs); it is verified on a sample of rows"
            )
        return self.outputs_for(input_rows(self.inputs))

    def outputs_for(self, rows: np.ndarray) -> np.ndarray:
        """The circuit's exact outputs for `rows`, checked against the declared `truth` on those rows."""
        if not self.instances:
            raise CircuitError(f"circuit {self.name!r}: not resolved against the registered gates yet")
        table = self.evaluate(rows)[1]
        if self.truth is not None:
            expected = _declared_table(self, rows)
            differ = np.flatnonzero((expected != table).any(axis=1))
            if differ.size:
                row = int(differ[0])
                raise CircuitError(
                    f"circuit {self.name!r}: the wiring does not compute the declared truth; first at row "
                    f"{_bits(rows[row])} ({_named(self.input_names, rows[row])}): wiring gives "
                    f"{_named(self.output_names, table[row])}, "
                    f"truth says {_named(self.output_names, expected[row])}"
                )
        table.flags.writeable = False
        return table

    def evaluate(self, rows: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Every instance's output bits ([N, outputs] each) and the circuit's outputs for `rows`."""
        columns = np.asarray(rows, np.uint8)
        outputs: list[np.ndarray] = []
        for instance in self.instances:
            index = np.zeros(len(columns), np.int64)
            for signal in instance.sources:
                index = (index << 1) | _column(columns, outputs, signal)
            outputs.append(instance.gate.table[index])
        result = np.stack([_column(columns, outputs, signal) for signal in self.output_signals], axis=1)
        return outputs, result.astype(np.uint8)


def sample_rows(inputs: int, count: int = SAMPLE_SIZE, seed: int = 0) -> np.ndarray:
    """`count` different random rows plus every row with at most two bits set or at most two bits
    cleared (where carries and edge cases live), each once, sorted: the same sample every time."""
    rng = np.random.default_rng(seed)
    drawn = _distinct(rng.integers(0, 2**inputs, count, dtype=np.int64))
    while len(drawn) < count:  # draws repeat; draw until there are `count` different rows
        more = rng.integers(0, 2**inputs, count - len(drawn), dtype=np.int64)
        drawn = _distinct(np.concatenate([drawn, more]))
    pairs = itertools.chain(
        [()], itertools.combinations(range(inputs), 1), itertools.combinations(range(inputs), 2)
    )
    few = np.array([sum(1 << bit for bit in ones) for ones in pairs], np.int64)
    numbers = _distinct(np.concatenate([drawn, few, (2**inputs - 1) ^ few]))
    shifts = np.arange(inputs - 1, -1, -1, dtype=np.int64)
    return ((numbers[:, None] >> shifts) & 1).astype(np.uint8)


def _distinct(numbers: np.ndarray) -> np.ndarray:
    """Sorted, each once (numpy's hashing `unique` is several times slower on a million int64s)."""
    numbers = np.sort(numbers)
    return numbers[np.concatenate([[True], numbers[1:] != numbers[:-1]])]


def _column(columns: np.ndarray, outputs: list[np.ndarray], signal: Signal) -> np.ndarray:
    if signal.part is None:
        return columns[:, signal.index].astype(np.int64)
    return outputs[signal.part][:, signal.index].astype(np.int64)


def _resolve_nested(root: Circuit, find: Callable[[str], Gate | Circuit | None]) -> None:
    """Resolve `root` and every circuit inside it, innermost first, with a stack of paused `_resolve`
    steps instead of Python's: each step yields a circuit it contains and is sent back that circuit's
    CircuitError, or None once it is resolved."""
    resolved: set[int] = set()
    stack = [(root, _resolve(root, find, ()))]
    reply: CircuitError | None = None
    while stack:
        circuit, steps = stack[-1]
        try:
            inner = steps.send(reply)
        except CircuitError as error:
            stack.pop()
            if not stack:
                raise
            reply = error
            continue
        except StopIteration:
            stack.pop()
            resolved.add(id(circuit))
            reply = None
            continue
        reply = None
        if id(inner) in resolved:
            continue
        within = tuple(outer.name.lower() for outer, _ in stack)
        if len(stack) >= MAX_NESTING:
            chain = [*within, str(inner.name).lower()]
            shown = " -> ".join([*chain[:3], "...", *chain[-2:]])
            raise CircuitError(
                f"circuit {root.name!r}: circuits inside it nest more than {MAX_NESTING} deep ({shown}); "
                f"at most {MAX_NESTING} levels of circuits within circuits are supported"
            )
        stack.append((inner, _resolve(inner, find, within)))


def _resolve(
    circuit: Circuit, find: Callable[[str], Gate | Circuit | None], within: tuple[str, ...]
) -> Generator[Circuit, CircuitError | None, None]:
    """One circuit's checks and flattening, as steps for `_resolve_nested`: it yields each circuit it
    contains and expects it resolved (or its error sent back) before going on. `within` names the
    circuits this one is inside, outermost first."""
    name = circuit.name

    def fail(problem: str) -> CircuitError:
        return CircuitError(f"circuit {name!r}: {problem}")

    output_sources = _check_outline(circuit, within, fail)
    kinds, bindings = yield from _find_parts(circuit, find, fail)
    sources, order, outs = _wire(circuit, kinds, bindings, output_sources, fail)
    instances, part_outputs = _flatten(kinds, sources, order, fail)
    circuit.instances = instances
    circuit.output_signals = [_signal(part_outputs, feed) for feed in outs]
    circuit.netlist = _netlist(circuit, kinds, sources, order, outs)
    circuit.__dict__.pop("table", None)


def _check_outline(
    circuit: Circuit, within: tuple[str, ...], fail: Callable[[str], CircuitError]
) -> list[object]:
    """Check what needs no registry (the name, the bit names, the shape of parts and outputs) before
    any part is looked up; sets the bit names and returns the output sources as written."""
    name = circuit.name
    if not is_name(name):
        raise fail(f"name must be {NAME_RULE}")
    if name.lower() in within:
        raise fail(f"contains itself ({' -> '.join([*within, name.lower()])})")
    inputs, parts, outputs = circuit.declared
    circuit.input_names = _bit_names(name, "inputs", inputs, MAX_CIRCUIT_INPUTS, default_input_names)
    if not isinstance(parts, Mapping) or not parts:
        raise fail("parts must be a mapping of part names to Part(...), with at least one part")
    if isinstance(outputs, Mapping):
        output_names, output_sources = list(outputs), list(outputs.values())
    elif isinstance(outputs, Sequence) and not isinstance(outputs, str):
        output_sources = list(outputs)
        output_names = default_output_names(len(outputs))
    else:
        raise fail(f"outputs must map output names to sources, got {type(outputs).__name__}")
    circuit.output_names = _bit_names(name, "outputs", output_names, MAX_OUTPUTS, default_output_names)
    return output_sources


def _find_parts(
    circuit: Circuit, find: Callable[[str], Gate | Circuit | None], fail: Callable[[str], CircuitError]
) -> Generator[Circuit, CircuitError | None, tuple[dict[str, Gate | Circuit], dict[str, list[str]]]]:
    """Every part a known gate or circuit with each of its inputs driven exactly once: its kind and
    the source text of each input. A circuit part is yielded, to be resolved before it is used."""
    kinds: dict[str, Gate | Circuit] = {}
    bindings: dict[str, list[str]] = {}
    for part_name, part in circuit.declared[1].items():
        if not is_name(part_name):
            raise fail(f"part name {part_name!r} must be letters, digits and underscores")
        if part_name in circuit.input_names:
            raise fail(f"part {part_name!r} has the name of a circuit input; rename one of them")
        if not isinstance(part, Part):
            raise fail(f"part {part_name!r} must be a Part(...), got {type(part).__name__}")
        kind = find(str(part.gate))
        if kind is None:
            error = fail(f"part {part_name!r}: unknown gate or circuit {part.gate!r}")
            error.missing = str(part.gate)
            raise error
        if isinstance(kind, Circuit):
            inner = yield kind
            if inner is not None:
                error = fail(f"part {part_name!r}: {inner}")
                error.missing = inner.missing
                raise error
        kinds[part_name] = kind
        bindings[part_name] = _bind(fail, part_name, part, kind)
    return kinds, bindings


def _wire(
    circuit: Circuit,
    kinds: dict[str, Gate | Circuit],
    bindings: dict[str, list[str]],
    output_sources: list[object],
    fail: Callable[[str], CircuitError],
) -> tuple[dict[str, list[Feed]], list[str], list[Feed]]:
    """Each part's and output's source text read as a feed, and an order in which every part comes
    after what feeds it; a part nothing reads is refused, as it can only be a slip."""
    sources = {
        part_name: [
            _feed(circuit, kinds, fail, text, f"part {part_name!r} input {kinds[part_name].input_names[i]!r}")
            for i, text in enumerate(texts)
        ]
        for part_name, texts in bindings.items()
    }
    order = _order(
        fail, {part_name: [p for p, _ in feeds if p is not None] for part_name, feeds in sources.items()}
    )
    outs = [
        _feed(circuit, kinds, fail, text, f"output {out!r}")
        for out, text in zip(circuit.output_names, output_sources, strict=True)
    ]
    driving = {p for feeds in [*sources.values(), outs] for p, _ in feeds}
    idle = [part_name for part_name in circuit.declared[1] if part_name not in driving]
    if idle:
        raise fail(f"part {idle[0]!r} drives nothing: no output or other part reads it")
    return sources, order, outs


def _feed(
    circuit: Circuit,
    kinds: dict[str, Gate | Circuit],
    fail: Callable[[str], CircuitError],
    text: object,
    where: str,
) -> Feed:
    """A source as written (`a`, `x.out` or `x`) as a feed; `where` names the input or output it drives
    in the error, since a wrong source is found only here."""
    if not isinstance(text, str):
        raise fail(f"{where}: a source must be a name like 'a' or 'x.out', got {text!r}")
    part_name, _, bit = text.partition(".")
    if not bit and part_name in circuit.input_names:
        return None, circuit.input_names.index(part_name)
    if part_name not in kinds:
        raise fail(f"{where} comes from nowhere: {text!r} is neither a circuit input nor a part's output")
    names = kinds[part_name].output_names
    if not bit:
        if len(names) != 1:
            raise fail(
                f"{where}: {text!r} has {len(names)} outputs, a 1-bit input takes one of "
                + ", ".join(f"{part_name}.{n}" for n in names)
            )
        return part_name, 0
    if bit not in names:
        raise fail(
            f"{where} comes from nowhere: {kinds[part_name].name} has no output {bit!r} ({', '.join(names)})"
        )
    return part_name, names.index(bit)


def _flatten(
    kinds: dict[str, Gate | Circuit],
    sources: dict[str, list[Feed]],
    order: list[str],
    fail: Callable[[str], CircuitError],
) -> tuple[list[Instance], dict[str, list[Signal]]]:
    """The parts as gate instances only (a circuit part by its own instances, moved into this one),
    each after the parts that feed it, and each part's output signals; refused past MAX_INSTANCES,
    as sharing a circuit can double its gates per level."""
    instances: list[Instance] = []
    part_outputs: dict[str, list[Signal]] = {}

    def depth(signals: Sequence[Signal]) -> int:
        return 1 + max((0 if s.part is None else instances[s.part].depth for s in signals), default=0)

    for part_name in order:
        kind, feeds = kinds[part_name], [_signal(part_outputs, feed) for feed in sources[part_name]]
        if len(instances) + (1 if isinstance(kind, Gate) else len(kind.instances)) > MAX_INSTANCES:
            raise fail(
                f"has more than {MAX_INSTANCES} gates once the circuits inside it are flattened (at part "
                f"{part_name!r}); at most {MAX_INSTANCES} are supported"
            )
        if isinstance(kind, Gate):
            instances.append(Instance(part_name, kind, tuple(feeds), depth(feeds)))
            part_outputs[part_name] = [Signal(len(instances) - 1, i) for i in range(kind.outputs)]
            continue
        start = len(instances)
        for inner in kind.instances:
            moved = tuple(_moved(s, feeds, start) for s in inner.sources)
            instances.append(Instance(f"{part_name}.{inner.path}", inner.gate, moved, depth(moved)))
        part_outputs[part_name] = [_moved(s, feeds, start) for s in kind.output_signals]
    return instances, part_outputs


def _signal(part_outputs: dict[str, list[Signal]], feed: Feed) -> Signal:
    """The flattened signal a feed stands for, once the part it names is flattened."""
    part_name, index = feed
    return Signal(None, index) if part_name is None else part_outputs[part_name][index]


def _moved(signal: Signal, feeds: list[Signal], start: int) -> Signal:
    """An inner circuit's signal in the outer one: its inputs are what feeds the part, and its gates
    stand from `start` on."""
    return feeds[signal.index] if signal.part is None else Signal(signal.part + start, signal.index)


def _netlist(
    circuit: Circuit,
    kinds: dict[str, Gate | Circuit],
    sources: dict[str, list[Feed]],
    order: list[str],
    outs: list[Feed],
) -> dict:
    """The parts as written, in wiring order, each source spelled as its gate spells it: what the
    schematic, the model's metadata and the rebuild check (`recipe.netlist_digest`) read."""

    def text(feed: Feed) -> str:
        part_name, index = feed
        if part_name is None:
            return circuit.input_names[index]
        return f"{part_name}.{kinds[part_name].output_names[index]}"

    return {
        "parts": [
            {
                "part": part_name,
                "gate": kinds[part_name].name,
                "circuit": isinstance(kinds[part_name], Circuit),
                "inputs": {
                    n: text(f) for n, f in zip(kinds[part_name].input_names, sources[part_name], strict=True)
                },
                "outputs": list(kinds[part_name].output_names),
            }
            for part_name in order
        ],
        "outputs": {out: text(feed) for out, feed in zip(circuit.output_names, outs, strict=True)},
    }


def _bind(fail: Callable[[str], CircuitError], part_name: str, part: Part, kind: Gate | Circuit) -> list[str]:
    """The source of each of the part's inputs, in the gate's input order."""
    names = kind.input_names
    if len(part.sources) > len(names):
        raise fail(
            f"part {part_name!r}: width mismatch: {len(part.sources)} sources for {kind.name}, "
            f"which has {len(names)} inputs ({', '.join(names)})"
        )
    bound: dict[str, str] = dict(zip(names, part.sources, strict=False))
    for input_name, text in part.named.items():
        if input_name not in names:
            raise fail(f"part {part_name!r}: {kind.name} has no input {input_name!r} ({', '.join(names)})")
        if input_name in bound:
            raise fail(
                f"part {part_name!r}: input {input_name!r} is driven twice "
                f"({bound[input_name]!r} and {text!r})"
            )
        bound[input_name] = text
    missing = [input_name for input_name in names if input_name not in bound]
    if missing:
        raise fail(
            f"part {part_name!r}: input {', '.join(map(repr, missing))} of {kind.name} is not connected"
        )
    return [bound[input_name] for input_name in names]


def _order(fail: Callable[[str], CircuitError], feeds: dict[str, list[str]]) -> list[str]:
    """The parts in an order where every part follows those feeding it; a cycle is named.

    A depth-first search with a stack of its own, so a chain of thousands of parts declared in reverse
    cannot exhaust Python's; parts come out in the order the recursive search gave them."""
    order: list[str] = []
    state: dict[str, str] = {}
    for start in feeds:
        if start in state:
            continue
        state[start] = "visiting"
        trail = [(start, iter(feeds[start]))]
        while trail:
            part_name, fed_by = trail[-1][0], next(trail[-1][1], None)
            if fed_by is None:
                trail.pop()
                state[part_name] = "done"
                order.append(part_name)
            elif state.get(fed_by) == "visiting":
                names = [name for name, _ in trail]
                cycle = [*names[names.index(fed_by) :], fed_by]
                raise fail(f"the wiring has a cycle: {' -> '.join(cycle)}")
            elif fed_by not in state:
                state[fed_by] = "visiting"
                trail.append((fed_by, iter(feeds[fed_by])))
    return order


def _bit_names(name: str, field: str, value: object, limit: int, default: Callable) -> tuple[str, ...]:
    """`Gate`'s checks of bit names, reported as the circuit's."""
    try:
        return bit_names(f"circuit {name!r}", field, value, limit, default)
    except GateError as error:
        raise CircuitError(str(error)) from None


def _declared_table(circuit: Circuit, rows: np.ndarray) -> np.ndarray:
    """`truth` on every row: once over whole numpy columns when it can take them, else row by row."""
    columns = [rows[:, i].astype(np.int64) for i in range(circuit.inputs)]
    seconds = truth_timeout()
    with watchdog.watched(), watchdog.turn(f"circuit {circuit.name}", seconds) as turn:
        if turn.died:
            raise CircuitError(
                f"circuit {circuit.name!r}: truth function ended the process it ran in ({turn.died})"
            )
        if not turn.stuck and turn.overtime is None:
            try:
                with time_limit(seconds) as check:
                    try:
                        values = circuit.truth(*columns)
                        values = values if isinstance(values, tuple) else (values,)
                        table = np.stack([np.broadcast_to(np.asarray(v), len(rows)) for v in values], axis=1)
                    except Exception:
                        table = np.array([_row_truth(circuit, row, check) for row in rows])
            except Overtime:
                turn.overtime = 0
        if turn.stuck or turn.overtime is not None:
            raise CircuitError(
                f"circuit {circuit.name!r}: truth function took more than {seconds:g} s for {len(rows)} "
                f"rows (vectorize it over numpy columns, or set {ENV_TRUTH_TIMEOUT})"
            )
    table = table.astype(np.int64)
    if table.shape != (len(rows), circuit.outputs) or not np.isin(table, (0, 1)).all():
        wrong = 0
        if table.ndim == 2 and table.shape[1] == circuit.outputs:
            wrong = int(np.flatnonzero(~np.isin(table, (0, 1)).all(axis=1))[0])
        got = table[wrong].tolist() if table.ndim == 2 else table.shape
        raise CircuitError(
            f"circuit {circuit.name!r}: truth must give {circuit.outputs} bits (0 or 1) per row, "
            f"got {got} for row {_bits(rows[wrong])}"
        )
    return table.astype(np.uint8)


def _row_truth(circuit: Circuit, row: np.ndarray, check: Callable[[], None]) -> np.ndarray:
    check()
    try:
        value = np.atleast_1d(np.asarray(circuit.truth(*map(int, row)), dtype=np.int64))
    except Exception as error:  # the plugin's function: one line naming the circuit and the row
        raise CircuitError(
            f"circuit {circuit.name!r}: truth failed on row {_bits(row)}: {type(error).__name__}: {error}"
        ) from None
    if value.shape != (circuit.outputs,):
        raise CircuitError(
            f"circuit {circuit.name!r}: truth must give {circuit.outputs} bits (0 or 1) per row, "
            f"got {value.tolist()} for row {_bits(row)}"
        )
    return value


def _bits(row: np.ndarray) -> str:
    return "".join(str(int(bit)) for bit in row)


def _named(names: Sequence[str], bits: np.ndarray) -> str:
    return " ".join(f"{name}={int(bit)}" for name, bit in zip(names, bits, strict=True))
