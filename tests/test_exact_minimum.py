"""The exhaustive search agrees with the known counts, and its circuits compute what they claim."""

import numpy as np
import pytest

from gatenet.exact_minimum import SearchError, cost_histogram, minimal_netlist, minimum_gates
from gatenet.gate import input_rows
from gatenet.netlist import exact, gate_count

ROWS3 = input_rows(3)
ONES3 = ROWS3.sum(axis=1)


def column(bits) -> np.ndarray:
    return np.asarray(bits, np.uint8)[:, None]


def test_distribution_over_all_three_input_functions():
    histogram = cost_histogram(3)
    assert histogram == {0: 8, 1: 30, 2: 114, 3: 80, 4: 24}
    assert sum(cost * count for cost, count in histogram.items()) == 594


def test_one_and_two_inputs():
    assert cost_histogram(1) == {0: 4}
    assert cost_histogram(2) == {0: 6, 1: 10}


@pytest.mark.parametrize(
    ("table", "gates"),
    [
        (column(ONES3 % 2), 2),  # XOR3
        (column(ONES3 >= 2), 4),  # MAJORITY3
        (column(input_rows(2).all(axis=1)), 1),  # AND2
        (column(input_rows(2).any(axis=1) == 0), 1),  # NOR2: complements are free
        (column([0] * 8), 0),
        (column([1] * 8), 0),
        (column(ROWS3[:, 1]), 0),
        (column(1 - ROWS3[:, 2]), 0),
        (np.stack([ONES3 % 2, ONES3 >= 2], axis=1), 5),  # FULL_ADDER
    ],
)
def test_known_minimums(table, gates):
    assert minimum_gates(table) == gates


def test_every_three_input_function_gets_a_minimal_exact_netlist():
    for function in range(256):
        table = column((function >> np.arange(8)) & 1)
        netlist = minimal_netlist(table, ("a", "b", "c"), ("out",))
        assert exact(netlist, table) is None, function
        assert netlist.gates == gate_count(netlist) == minimum_gates(table)


def test_full_adder_netlist():
    table = np.stack([ONES3 % 2, ONES3 >= 2], axis=1).astype(np.uint8)
    netlist = minimal_netlist(table, ("a", "b", "c"), ("sum", "carry"))
    assert netlist.gates == 5 and exact(netlist, table) is None


def test_outside_the_search():
    with pytest.raises(SearchError, match="inputs must be 1..3, got 4"):
        minimum_gates(column([0] * 16))
    with pytest.raises(SearchError, match="no circuit of at most 3 gates"):
        minimum_gates(column(ONES3 >= 2), limit=3)
