"""Any gate definition at all either builds the exactly right table or is one GateError naming the gate.

Definitions are random: names valid or not, bit counts small, huge or negative, tables of junk, truth
functions that raise, exit, return junk or take the wrong number of bits. Each comes with the table it
should give (worked out here, independently of gatenet) or None when it breaks a rule.
"""

import re
import reprlib
from itertools import product

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gatenet import Gate, GateError

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
valid_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True)
any_names = st.one_of(
    valid_names, st.text(max_size=8), st.none(), st.integers(-9, 9), st.binary(max_size=3), st.just([])
)
bits = st.sampled_from([0, 1, True, False, np.int64(1), np.uint8(0), np.bool_(True)])
junk = st.one_of(
    st.integers(-2, 3),
    st.floats(),
    st.text(max_size=3),
    st.binary(max_size=2),
    st.none(),
    st.complex_numbers(max_magnitude=2),
    st.sampled_from([np.array(1), np.array([[0, 1]]), np.float64(1.0), object(), {0: 1}]),
)
values = st.one_of(bits, junk, st.lists(st.one_of(bits, junk), max_size=3), st.tuples(bits, bits))
NETWORKS = [
    (None, True),
    ({}, True),
    ({"steps": 10, "hidden": (4,)}, True),
    ({"steps": 0}, False),
    ({"layers": 3}, False),
    ({"steps": True}, False),
    ([("steps", 1), 2], False),
    ("hidden", False),
    (np.array([1, 2]), False),
]
RAISED = [ValueError("bad\nrow"), ZeroDivisionError(), KeyError("k"), SystemExit(3), GateError("inner")]


def mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """`valid` three times in four, so that one broken field does not hide every other rule."""
    return st.sampled_from([valid, valid, valid, invalid]).flatmap(lambda chosen: chosen)


def is_bit(value: object) -> bool:
    return isinstance(value, bool | int | np.integer | np.bool_) and value in (0, 1)


def as_row(value: object, outputs: int) -> tuple[int, ...] | None:
    """The output bits `value` stands for, or None when it is not `outputs` bits."""
    several = isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim > 0)
    row = tuple(value) if several else (value,)
    return tuple(map(int, row)) if len(row) == outputs and all(map(is_bit, row)) else None


def raising(error: BaseException):
    def truth(*bits: int) -> object:
        raise error

    return truth


@st.composite
def bit_names(draw: st.DrawFn, limit: int) -> tuple[object, int | None]:
    """A count or a list of names for the inputs or outputs, and how many bits that is if it is valid."""
    kind = draw(mostly(st.sampled_from(["count", "names"]), st.sampled_from(["bad count", "junk"])))
    if kind == "count":
        count = draw(st.integers(1, 3))
        return count, count
    if kind == "names":
        names = draw(st.lists(mostly(valid_names, any_names), max_size=4))
        valid = all(isinstance(n, str) and NAME.fullmatch(n) for n in names)
        valid = valid and 0 < len(names) == len({*names}) <= limit
        return names, len(names) if valid else None
    if kind == "bad count":
        return draw(st.one_of(st.integers(max_value=0), st.integers(limit + 1, 10**30))), None
    return draw(st.one_of(st.booleans(), st.floats(), st.text(max_size=3), st.none())), None


@st.composite
def definitions(draw: st.DrawFn) -> tuple[dict, list[tuple[int, ...]] | None]:
    """Keyword arguments for Gate, and the table they should give, or None if they break a rule."""
    name = draw(mostly(valid_names, any_names))
    inputs, n_in = draw(bit_names(16))
    outputs, n_out = draw(bit_names(256))
    network, network_ok = draw(mostly(st.sampled_from(NETWORKS[:3]), st.sampled_from(NETWORKS)))
    family = draw(mostly(st.one_of(st.none(), valid_names), any_names))
    rows = list(product((0, 1), repeat=n_in or 1))
    per_row = draw(
        mostly(
            st.lists(st.tuples(*[bits] * (n_out or 1)), min_size=len(rows), max_size=len(rows)),
            st.lists(values, min_size=len(rows), max_size=len(rows)),
        )
    )
    expected = [as_row(value, n_out or 1) for value in per_row]
    table_ok = None not in expected
    kind = draw(
        mostly(
            st.sampled_from(["function", "list", "array", "mapping"]),
            st.sampled_from(["wrong arity", "raises", "junk"]),
        )
    )
    if kind in ("function", "wrong arity"):
        arity = len(rows[0]) if kind == "function" else draw(st.sampled_from([0, len(rows[0]) + 1]))
        params = ", ".join(f"x{i}" for i in range(arity))
        lookup = {"table": dict(zip(rows, per_row, strict=True))}
        truth = eval(f"lambda {params}: table[tuple([{params}])]", lookup)
        table_ok = table_ok and kind == "function"
    elif kind == "raises":
        truth, table_ok = raising(draw(st.sampled_from(RAISED))), False
    elif kind == "list":
        extra = draw(st.sampled_from([0, 0, 1, -1]))
        truth = (per_row + per_row)[: len(rows) + extra]
        table_ok = table_ok and extra == 0
    elif kind == "array":
        truth = np.array(expected if table_ok else [[0] * (n_out or 1)] * (len(rows) + 1))
    elif kind == "mapping":
        truth = dict(zip(rows, per_row, strict=True))
        if draw(st.booleans()):
            truth[draw(st.sampled_from([(2,), "a", rows[0] + (0,), 1]))] = 0
            table_ok = False
    else:
        truth = draw(st.sampled_from(["0110", None, 5, b"\x00\x01\x01\x00", np.array(0), 1.5]))
        table_ok = False
    valid = isinstance(name, str) and NAME.fullmatch(name) and n_in and n_out and network_ok
    valid = valid and (family is None or (isinstance(family, str) and NAME.fullmatch(family)))
    definition = {"name": name, "inputs": inputs, "outputs": outputs, "truth": truth, "network": network}
    return {**definition, "family": family}, expected if valid and table_ok else None


@settings(max_examples=200, deadline=1000, database=None)  # no files in the checkout
@given(definitions())
def test_a_definition_builds_exactly_its_table_or_is_one_gate_error_naming_the_gate(case):
    definition, expected = case
    try:
        gate = Gate(**definition)
    except GateError as error:
        message = str(error)
        assert len(message.splitlines()) == 1
        assert message.startswith(f"gate {reprlib.repr(definition['name'])}: ")  # long junk is cut short
        assert expected is None, f"a valid definition was refused: {message}"
        return
    assert expected is not None, f"an invalid definition was accepted: {gate.table.tolist()}"
    assert gate.table.dtype == np.uint8 and gate.table.tolist() == [list(row) for row in expected]
    assert gate.table.shape == (2**gate.inputs, gate.outputs)
