"""NPN classes: the known class counts, transforms that reach every member, and circuits carried over."""

import numpy as np
import pytest

from gatenet import npn
from gatenet.exact_minimum import minimal_netlist, minimum_gates
from gatenet.netlist import exact


@pytest.mark.parametrize("inputs", [1, 2, 3, 4])
def test_class_counts_are_the_known_ones(inputs):
    classified = npn.classify(np.arange(2**2**inputs), inputs)
    assert len(np.unique(classified.representative)) == npn.CLASSES[inputs]


@pytest.mark.parametrize("inputs", [3, 4])
def test_each_transform_takes_the_representative_to_its_function(inputs):
    numbers = np.arange(2**2**inputs)[:: 1 if inputs == 3 else 97]
    classified = npn.classify(numbers, inputs)
    tables = npn.numbers_to_tables(numbers, inputs)
    representatives = npn.numbers_to_tables(classified.representative, inputs)
    for table, representative, transform in zip(tables, representatives, classified.transform, strict=True):
        assert np.array_equal(transform.table(representative), table)
    assert (classified.representative <= numbers).all()  # the least member represents the class


def test_a_circuit_carries_over_to_every_member_with_the_same_gates():
    """Every 3-input function gets a circuit from its class's minimal one, exact and as small as its own
    minimum: what makes learning one member per class enough."""
    numbers = np.arange(256)
    classified = npn.classify(numbers, 3)
    names = ("a", "b", "c")
    circuits = {}
    for number, representative, transform in zip(
        numbers, classified.representative, classified.transform, strict=True
    ):
        rep = int(representative)
        if rep not in circuits:
            circuits[rep] = minimal_netlist(npn.numbers_to_tables([rep], 3).T, names, ("y",))
        table = npn.numbers_to_tables([number], 3).T
        carried = npn.transform_netlist(circuits[rep], transform)
        assert exact(carried, table) is None, f"function {number} from class {rep}"
        assert carried.gates == minimum_gates(table)


def test_transforms_need_a_known_number_of_inputs():
    with pytest.raises(ValueError, match="inputs: expected 1 to 5"):
        npn.classify(np.arange(4), 6)
