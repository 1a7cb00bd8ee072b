import numpy as np
import pytest

from gatenet import Gate, GateError


def test_table_rows_count_in_binary_with_the_first_input_most_significant():
    gate = Gate(name="FIRST", inputs=3, truth=lambda a, b, c: a)
    assert gate.rows.tolist() == [
        [0, 0, 0],
        [0, 0, 1],
        [0, 1, 0],
        [0, 1, 1],
        [1, 0, 0],
        [1, 0, 1],
        [1, 1, 0],
        [1, 1, 1],
    ]
    assert gate.table[:, 0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_function_table_sequence_and_mapping_give_the_same_gate():
    by_function = Gate(name="XOR", inputs=2, truth=lambda a, b: a ^ b)
    by_sequence = Gate(name="XOR", inputs=2, truth=[0, 1, 1, 0])
    by_mapping = Gate(name="XOR", inputs=2, truth={(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0})
    assert by_function.table.tolist() == by_sequence.table.tolist() == by_mapping.table.tolist()
    assert by_function.table.tolist() == [[0], [1], [1], [0]]


def test_several_named_outputs_and_inputs():
    adder = Gate(
        name="half_adder", inputs=["x", "y"], outputs=["sum", "carry"], truth=lambda x, y: (x ^ y, x & y)
    )
    assert adder.input_names == ("x", "y") and adder.output_names == ("sum", "carry")
    assert adder.table.tolist() == [[0, 0], [1, 0], [1, 0], [0, 1]]
    assert adder.key == "half_adder"


def test_ten_inputs_build_all_1024_rows():
    parity = Gate(name="PARITY10", inputs=10, truth=lambda *bits: sum(bits) % 2)
    assert parity.table.shape == (1024, 1)
    assert parity.input_names == tuple("abcdefghij")
    assert parity.table[:, 0].tolist() == [bin(row).count("1") % 2 for row in range(1024)]


def test_booleans_and_numpy_integers_count_as_bits():
    gate = Gate(name="ANDB", inputs=2, truth=lambda a, b: bool(a and b) if a else np.int64(0))
    assert gate.table[:, 0].tolist() == [0, 0, 0, 1]


def test_table_is_read_only():
    gate = Gate(name="XOR", inputs=2, truth=[0, 1, 1, 0])
    with pytest.raises(ValueError):
        gate.table[0, 0] = 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "x-or"}, "gate 'x-or': name must be letters, digits and underscores"),
        ({"name": "2XOR"}, "starting with a letter"),
        ({"name": ""}, "name must be"),
        ({"inputs": 0}, "gate 'G': inputs must be at least 1, got 0"),
        ({"inputs": 17, "truth": lambda *bits: 0}, "gate 'G': has 17 inputs, at most 16"),
        ({"inputs": "ab"}, "inputs must be a count or a sequence of names"),
        ({"inputs": ["a", "a"]}, "inputs names must be unique"),
        ({"inputs": ["a", "b c"]}, "inputs name 'b c' must be letters"),
        ({"outputs": 0}, "outputs must be at least 1"),
        ({"truth": [0, 1, 1]}, "gate 'G': truth table has 3 rows, expected 4 (2^2"),
        ({"truth": [0, 1, 1, 2]}, "gate 'G': row (1, 1) gives 2, outputs must be 0 or 1"),
        ({"truth": [0, 1, 1, 0.5]}, "row (1, 1) gives 0.5, outputs must be 0 or 1"),
        ({"truth": lambda a, b: (a, b)}, "row (0, 0) gives (0, 0), expected 1 output bit"),
        ({"truth": lambda a, b: a / (a - b) if b else 0}, "truth function raised ZeroDivisionError"),
        ({"truth": lambda a: a}, "truth function raised TypeError"),
        ({"truth": {(0, 0): 0, (0, 1): 1}}, "missing [(1, 0), (1, 1)]"),
        ({"truth": "0110"}, "truth must be a function of the input bits or a table"),
        ({"outputs": 2, "truth": lambda a, b: a}, "expected 2 output bits"),
    ],
)
def test_broken_definitions_are_refused_naming_the_gate_and_the_rule(kwargs, message):
    definition = {"name": "G", "inputs": 2, "truth": lambda a, b: a ^ b, **kwargs}
    with pytest.raises(GateError) as error:
        Gate(**definition)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("network", "message"),
    [
        ({"activation": ""}, "activation: expected a name like 'relu'"),
        ({"activation": ["relu", " "]}, "activation: expected a name like 'relu'"),
        ({"output_activation": ""}, "output_activation: expected a name such as 'sigmoid', got ''"),
        ({"loss": 3}, "loss: expected a name such as 'mse', got 3"),
        ({"optimizer": "adam()"}, "optimizer: expected a name such as 'adam', got 'adam()'"),
        ({"steps": 10**20}, "steps: at most 2147483647, got 100000000000000000000"),
        ({"hidden": (10**9,)}, "hidden: at most 64 layers of at most 65536 units, got (1000000000,)"),
        ({"hidden": (1,) * 65}, "hidden: at most 64 layers of at most 65536 units"),
        ({"learning_rate": "fast"}, "learning_rate: must be a number > 0, got 'fast'"),
    ],
)
def test_a_network_hint_keras_could_never_use_is_refused_when_the_gate_is_made(network, message):
    """Names that are not names, wrong types and numbers out of range fail here, naming the gate,
    instead of stopping `gatenet train` later with an error that names neither gate nor plugin."""
    with pytest.raises(GateError) as error:
        Gate(name="HINTED", inputs=2, truth=lambda a, b: a & b, network=network)
    assert str(error.value).startswith("gate 'HINTED': network hints ")
    assert message in str(error.value)
