"""A gate is a name and a complete truth table: the one thing every other part agrees on.

No Keras here: plugins, the runtime and the tests build gates without TensorFlow.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import re
import reprlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np

from gatenet import watchdog
from gatenet.learners import NETWORK_SETTINGS, SETTINGS, check_learner_setting, only
from gatenet.network import NetworkSpec

MAX_INPUTS = 16
MAX_OUTPUTS = 256
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
NAME_RULE = "letters, digits and underscores, starting with a letter"
ENV_TRUTH_TIMEOUT = "GATENET_TRUTH_TIMEOUT"
DEFAULT_TRUTH_TIMEOUT = 5.0

Truth = Callable[..., object] | Sequence | Mapping | np.ndarray


class GateError(ValueError):
    """A gate definition that breaks a rule; the message names the gate and the rule, on one line."""

    def __init__(self, message: object = "") -> None:
        super().__init__(" ".join(str(message).splitlines()))


@dataclass
class _Hook:
    timeout: float
    failures: list[str]


_hook: ContextVar[_Hook | None] = ContextVar("gatenet_plugin_hook", default=None)


@contextmanager
def deferring_errors(timeout: float) -> Iterator[list[str]]:
    """While a plugin's hook runs, a `Gate(...)` that breaks a rule does not raise: raising would end
    the hook and lose its later gates. The GateError is noted in the yielded list instead (one line:
    the rule, then the file and line that made the gate) and kept as the gate's `problem`. Every
    truth function gets `timeout` seconds, read once by the caller rather than once per gate.
    """
    failures: list[str] = []
    token = _hook.set(_Hook(timeout, failures))
    try:
        yield failures
    finally:
        _hook.reset(token)


def truth_timeout() -> float:
    """Seconds a truth function may take for all its rows: `GATENET_TRUTH_TIMEOUT`, or 5.

    A value that is not a positive finite number is a ValueError that says so.
    """
    text = os.environ.get(ENV_TRUTH_TIMEOUT, "").strip()
    if not text:
        return DEFAULT_TRUTH_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"{ENV_TRUTH_TIMEOUT} must be a positive number of seconds, got {text!r}")
    return seconds


class Bits:
    """Named input and output bits: what a gate and the model exported from it have in common."""

    input_names: tuple[str, ...]
    output_names: tuple[str, ...]

    @property
    def inputs(self) -> int:
        return len(self.input_names)

    @property
    def outputs(self) -> int:
        return len(self.output_names)

    @property
    def rows(self) -> np.ndarray:
        """Every input row, shape [2^inputs, inputs], in binary counting order."""
        return input_rows(self.inputs)


class Gate(Bits):
    """A logic gate with `inputs` bits in and `outputs` bits out, defined by its whole truth table.

    `truth` is either a function of the input bits returning a bit (or a tuple of bits when there
    are several outputs), or an explicit table: a sequence with one entry per row in binary counting
    order (first input most significant), or a mapping from input tuples to outputs. A function gets
    `truth_timeout()` seconds for all its rows.

    `network` holds the plugin's training hints (any setting of `gatenet.learners`, e.g.
    `{"hidden": (32,)}`, or `{"kind": "logic"}` to learn the gate as a network of logic gates);
    a gate in a `family` is trained only when that family is asked for.

    A definition that breaks a rule raises GateError, except inside a plugin's hook (see
    `deferring_errors`), where the gate is kept with the error as its `problem`.
    """

    problem: GateError | None = None

    def __init__(
        self,
        name: str,
        inputs: int | Sequence[str],
        truth: Truth,
        outputs: int | Sequence[str] = 1,
        description: str = "",
        network: Mapping[str, object] | None = None,
        family: str | None = None,
    ) -> None:
        hook = _hook.get()
        try:
            self.name = _check_name(name)
            owner = f"gate {self.name!r}"
            self.input_names = bit_names(owner, "inputs", inputs, MAX_INPUTS, default_input_names)
            self.output_names = bit_names(owner, "outputs", outputs, MAX_OUTPUTS, default_output_names)
            self.description = str(description)
            self.network = _check_network(self.name, network)
            if family is not None and not is_name(family):
                raise GateError(
                    f"gate {self.name!r}: family must be a name like 'boolean3', got {_show(family)}"
                )
            self.family = family
            timeout = hook.timeout if hook else truth_timeout()
            self.table = _build_table(self, truth, timeout)
            self.table.flags.writeable = False
        except GateError as error:
            if hook is None:
                raise
            self.problem = error
            caller = sys._getframe(1)
            hook.failures.append(f"{error} ({caller.f_code.co_filename}:{caller.f_lineno})")

    @property
    def key(self) -> str:
        """The case-insensitive identity of the gate, also its file name stem."""
        return self.name.lower()

    def __repr__(self) -> str:
        return f"Gate(name={self.name!r}, inputs={self.inputs}, outputs={self.outputs})"


def table_gate(name: str, columns: Sequence[str]) -> Gate:
    """A gate from its truth table as text, for a gate without a plugin (`gatenet train --table`): one
    string of 0 and 1 per output, character i the output on row i, rows in binary counting order
    (first input most significant), as a manifest's `truth_table` and `BOOLEAN<n>_<k>`'s bit i are."""
    if not columns:
        raise GateError(f"gate {name!r}: give its truth table, e.g. 0110")
    rows = len(columns[0])
    inputs = rows.bit_length() - 1
    if rows < 2 or 2**inputs != rows or inputs > MAX_INPUTS:
        raise GateError(
            f"table {_show(columns[0])}: expected 2, 4, 8, ... characters, one per row of 1, 2, 3, ... "
            f"inputs (at most {MAX_INPUTS}), got {rows}"
        )
    for column in columns:
        if len(column) != rows or set(column) - {"0", "1"}:
            raise GateError(f"table {_show(column)}: expected {rows} characters, each 0 or 1")
    truth = [tuple(int(column[row]) for column in columns) for row in range(rows)]
    description = f"truth table {' '.join(columns)}"
    return Gate(name, inputs, truth, outputs=len(columns), description=description)


def input_rows(inputs: int) -> np.ndarray:
    """All 2^inputs rows of bits in binary counting order, first column most significant."""
    rows = np.arange(2**inputs)[:, None] >> np.arange(inputs - 1, -1, -1)[None, :]
    return (rows & 1).astype(np.uint8)


def _show(value: object) -> str:
    """A short repr, so a junk value cannot make a message long."""
    return reprlib.repr(value)


def _check_network(gate: str, network: Mapping[str, object] | None) -> dict[str, object]:
    """Training hints from the plugin, checked now so a bad hint names its gate."""
    try:
        hints = dict(network or {})
        if hints:  # most gates have none, and a family builds hundreds of gates on every command
            for name, value in hints.items():
                if name not in NETWORK_SETTINGS:
                    check_learner_setting(name, value)
            NetworkSpec().with_changes(**only(NETWORK_SETTINGS, hints))
    except (TypeError, ValueError) as error:  # NetworkError is a ValueError
        known = ", ".join(SETTINGS)
        raise GateError(
            f"gate {gate!r}: network hints {_show(network)} are not usable ({error}); settings are: {known}"
        ) from None
    return hints


def is_name(value: object) -> TypeGuard[str]:
    """Whether `value` is a name as gatenet spells them: one rule for gates, circuits, families, parts
    and bits, because each becomes a file name, a C identifier or an ONNX name."""
    return isinstance(value, str) and NAME_PATTERN.fullmatch(value) is not None


def _check_name(name: object) -> str:
    if not is_name(name):
        raise GateError(f"gate {_show(name)}: name must be {NAME_RULE}")
    return name


def default_input_names(count: int) -> tuple[str, ...]:
    return (
        tuple("abcdefghijklmnopqrstuvwxyz"[:count]) if count <= 26 else tuple(f"x{i}" for i in range(count))
    )


def default_output_names(count: int) -> tuple[str, ...]:
    return ("out",) if count == 1 else tuple(f"out{i}" for i in range(count))


def bit_names(
    owner: str, field: str, value: object, limit: int, default: Callable[[int], tuple[str, ...]]
) -> tuple[str, ...]:
    """The bit names of a gate or circuit (`owner` names it in errors, e.g. "gate 'XOR'"), with the size
    limit checked before any name is made: a count of 200 million must fail at once, not after
    building 200 million names."""
    if isinstance(value, bool) or not isinstance(value, (int, Sequence)) or isinstance(value, (str, bytes)):
        raise GateError(f"{owner}: {field} must be a count or a sequence of names, got {_show(value)}")
    if isinstance(value, int):
        if value < 1:
            raise GateError(f"{owner}: {field} must be at least 1, got {value}")
        if value > limit:
            raise GateError(f"{owner}: has {value} {field}, at most {limit} are supported")
        return default(value)
    names = tuple(itertools.islice(value, limit + 1))
    if len(names) > limit:
        raise GateError(f"{owner}: has more than {limit} {field}, at most {limit} are supported")
    if not names:
        raise GateError(f"{owner}: {field} must name at least one bit")
    for item in names:
        if not is_name(item):
            raise GateError(f"{owner}: {field} name {_show(item)} must be {NAME_RULE}")
    if len(set(names)) != len(names):
        raise GateError(f"{owner}: {field} names must be unique, got {_show(list(names))}")
    return names


@functools.cache
def _row_tuples(inputs: int) -> tuple[tuple[int, ...], ...]:
    """The input rows as tuples of ints, made once per size: a family builds hundreds of gates."""
    return tuple(tuple(int(bit) for bit in row) for row in input_rows(inputs))


def _build_table(gate: Gate, truth: Truth, timeout: float) -> np.ndarray:
    rows = _row_tuples(gate.inputs)
    if callable(truth):
        values = _call_rows(gate, truth, rows, timeout)
    elif isinstance(truth, Mapping):
        values = _from_mapping(gate, truth, rows)
    elif (isinstance(truth, Sequence) and not isinstance(truth, (str, bytes))) or _is_array(truth):
        values = list(itertools.islice(truth, len(rows) + 1))
        if len(values) != len(rows):
            count = len(values) if len(values) < len(rows) else f"more than {len(rows)}"
            raise GateError(
                f"gate {gate.name!r}: truth table has {count} rows, expected "
                f"{len(rows)} (2^{gate.inputs}, one per input combination)"
            )
    else:
        raise GateError(
            f"gate {gate.name!r}: truth must be a function of the input bits or a table, "
            f"got {type(truth).__name__}"
        )
    return np.array(
        [_output_bits(gate, value, row) for value, row in zip(values, rows, strict=True)], np.uint8
    )


def _call_rows(
    gate: Gate, truth: Callable[..., object], rows: Sequence[tuple[int, ...]], timeout: float
) -> list[object]:
    """The function on every row, within `timeout` seconds in all, so a function that never returns
    cannot hang `gatenet list` or `train`: SIGALRM stops it in Python code, and in a watched region
    (`collect_gates`) a shadow process that made the call first stops it in C code too."""
    values: list[object] = []
    with watchdog.turn(f"gate {gate.name}", timeout) as turn:
        if turn.stuck:
            raise GateError(
                f"gate {gate.name!r}: truth function was still running after {timeout:g} s, the limit, "
                f"in code Python cannot interrupt, and was stopped (set {ENV_TRUTH_TIMEOUT} to change it)"
            )
        if turn.died:
            raise GateError(f"gate {gate.name!r}: truth function ended the process it ran in ({turn.died})")
        if turn.overtime is None:
            try:
                with time_limit(timeout) as check:
                    for row in rows:
                        check()
                        values.append(_call(gate, truth, row))
            except Overtime:
                turn.overtime = len(values)
        if turn.overtime is not None:
            raise GateError(
                f"gate {gate.name!r}: truth function gave {turn.overtime} of {len(rows)} rows in "
                f"{timeout:g} s, the limit (set {ENV_TRUTH_TIMEOUT} to change it)"
            )
    return values


class Overtime(BaseException):
    """Raised into a truth function that runs past its time; not an Exception, so the function's own
    `except Exception` does not swallow it."""


@contextmanager
def time_limit(seconds: float) -> Iterator[Callable[[], None]]:
    """Yields a check to call between rows. On the main thread SIGALRM also stops a row that never
    returns; the previous handler and timer are put back afterwards. Signals reach only the main
    thread, so elsewhere only the check between rows applies."""
    start = time.monotonic()

    def check() -> None:
        if time.monotonic() - start > seconds:
            raise Overtime

    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield check
        return
    armed = True

    def on_alarm(signum: int, frame: object) -> None:
        if armed:
            raise Overtime

    previous = signal.signal(signal.SIGALRM, on_alarm)
    # setitimer overflows somewhere past 1e9 s; nobody waits three years for a truth table anyway
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, min(seconds, 1e8))
    try:
        yield check
    finally:
        armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        if outer_delay:
            left = outer_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), outer_interval)


def _call(gate: Gate, truth: Callable[..., object], row: tuple[int, ...]) -> object:
    try:
        return truth(*row)
    except (Exception, SystemExit) as error:  # a truth function that exits is just a broken one
        raise GateError(
            f"gate {gate.name!r}: truth function raised {type(error).__name__}: {error} on inputs {row}"
        ) from error


def _from_mapping(gate: Gate, truth: Mapping, rows: Sequence[tuple[int, ...]]) -> list[object]:
    table = dict(truth.items())  # (True, False) and (1, 0) are the same key, as they hash alike
    missing = [row for row in rows if row not in table]
    extra = [key for key in table if key not in set(rows)]
    if missing or extra:
        raise GateError(
            f"gate {gate.name!r}: truth mapping must have exactly one entry per input row "
            f"(tuples of {gate.inputs} bits); missing {_show(missing[:4])}, unexpected {_show(extra[:4])}"
        )
    return [table[row] for row in rows]


def _output_bits(gate: Gate, value: object, row: tuple[int, ...]) -> tuple[int, ...]:
    several = (isinstance(value, Sequence) and not isinstance(value, (str, bytes))) or _is_array(value)
    bits = tuple(itertools.islice(value, gate.outputs + 1)) if several else (value,)
    if isinstance(value, (str, bytes)) or len(bits) != gate.outputs:
        raise GateError(
            f"gate {gate.name!r}: row {row} gives {_show(value)}, expected {gate.outputs} output "
            f"bit{'s' if gate.outputs > 1 else ''}"
        )
    for bit in bits:
        if not _is_bit(bit):
            raise GateError(
                f"gate {gate.name!r}: row {row} gives {_show(value)}, outputs must be 0 or 1 (int or bool)"
            )
    return tuple(int(bit) for bit in bits)


def _is_array(value: object) -> bool:
    """A numpy array with rows to iterate; a 0-d array has none."""
    return isinstance(value, np.ndarray) and value.ndim > 0


def _is_bit(value: object) -> bool:
    return isinstance(value, (bool, int, np.integer, np.bool_)) and int(value) in (0, 1)
