"""`[tool.gatenet]` in pyproject.toml and NetworkSpec refuse bad settings with a message naming them."""

import math

import pytest

from gatenet import NetworkError, NetworkSpec
from gatenet.config import project_settings

HIDDEN = "expected a list of whole numbers like [16] or [16, 8] (or [] for none), got"


def settings_from(tmp_path, text, names=("XOR",), known=()):
    (tmp_path / "pyproject.toml").write_text(text)
    return project_settings(list(names), tmp_path / "pyproject.toml", known=known)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("hidden = 16", f"hidden: {HIDDEN} 16"),
        ('hidden = "16,8"', f"hidden: {HIDDEN} '16,8'"),
        ("hidden = {units = 16}", f"hidden: {HIDDEN} {{'units': 16}}"),
        ("hidden = [16, 8.5]", "hidden: each layer needs a whole number of units >= 1, got [16, 8.5]"),
        ("hidden = [true]", "hidden: each layer needs a whole number of units >= 1, got [True]"),
        ("activation = 3", "activation: expected a name like 'relu' or one per hidden layer"),
        ('activation = ["relu", 1]', "activation: expected a name like 'relu' or one per hidden layer"),
        ("output_activation = 1", "output_activation: expected a name such as 'sigmoid', got 1"),
        ('loss = ["mse"]', "loss: expected a name such as 'mse', got ['mse']"),
        ("optimizer = {name = 'adam'}", "optimizer: expected a name such as 'adam', got {'name': 'adam'}"),
        ('learning_rate = "0.01"', "learning_rate: must be a number > 0, got '0.01'"),
        ("learning_rate = true", "learning_rate: must be a number > 0, got True"),
        ("learning_rate = 0", "learning_rate: must be a number > 0, got 0"),
        ("learning_rate = inf", "learning_rate: must be a finite number, got inf"),
        ("learning_rate = nan", "learning_rate: must be a finite number, got nan"),
        ('steps = "900"', "steps: must be a whole number >= 1, got '900'"),
        ("steps = 900.0", "steps: must be a whole number >= 1, got 900.0"),
        ("steps = true", "steps: must be a whole number >= 1, got True"),
        ("hidden_bias = false", "hidden_bias: must be a number, got False"),
        ("hidden_bias = -inf", "hidden_bias: must be a finite number, got -inf"),
    ],
)
def test_each_setting_is_checked_by_type_naming_file_table_and_key(tmp_path, line, message):
    path = tmp_path / "pyproject.toml"
    with pytest.raises(NetworkError) as shared:
        settings_from(tmp_path, f"[tool.gatenet]\n{line}\n")
    assert str(shared.value).startswith(f"{path} [tool.gatenet] {message}")
    with pytest.raises(NetworkError, match=r"\[tool\.gatenet\.gates\.XOR\] " + line.split()[0]):
        settings_from(tmp_path, f"[tool.gatenet.gates.XOR]\n{line}\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tool = 3", "[tool]: expected a table, got 3"),
        ("[tool]\ngatenet = 3", "[tool.gatenet]: expected a table, got 3"),
        ("[tool.gatenet]\ngates = 3", "[tool.gatenet.gates]: expected a table, got 3"),
        ("[tool.gatenet.gates]\nXOR = 3", "[tool.gatenet.gates.XOR]: expected a table, got 3"),
        (
            "[tool.gatenet.gates.xor]\n[tool.gatenet.gates.XOR]",
            "[tool.gatenet.gates.XOR]: same gate as [tool.gatenet.gates.xor]",
        ),
    ],
)
def test_tables_must_be_tables_and_name_each_gate_once(tmp_path, text, message):
    with pytest.raises(NetworkError) as error:
        settings_from(tmp_path, text)
    assert str(error.value) == f"{tmp_path / 'pyproject.toml'} {message}"


def test_a_table_for_an_unknown_gate_names_the_known_ones(tmp_path):
    text = "[tool.gatenet.gates.XRO]\nsteps = 5\n"
    with pytest.raises(NetworkError) as error:
        settings_from(tmp_path, text, known=["XOR", "NAND", "AND"])
    assert str(error.value) == (
        f"{tmp_path / 'pyproject.toml'} [tool.gatenet.gates.XRO]: no gate 'XRO' (did you mean XOR?); "
        "known gates: AND, NAND, XOR"
    )
    assert settings_from(tmp_path, text) == {"xor": {}}  # nothing to check against without `known`


def test_hundreds_of_known_gates_are_cut_short(tmp_path):
    known = [f"GATE{n:03}" for n in range(300)]
    with pytest.raises(NetworkError) as error:
        settings_from(tmp_path, "[tool.gatenet.gates.nope]\n", known=known)
    assert str(error.value).endswith(
        "known gates: " + ", ".join(known[:30]) + ", ... and 270 more (gatenet list shows them all)"
    )


def test_good_settings_layer_shared_then_per_gate_in_any_case(tmp_path):
    text = (
        "[tool.gatenet]\nhidden = [8, 4]\nactivation = 'tanh'\nlearning_rate = 1\n\n"
        "[tool.gatenet.gates.Xor]\nsteps = 700\nhidden = []\nhidden_bias = -1\n"
    )
    assert settings_from(tmp_path, text, ["XOR", "AND"], known=["xor", "and"]) == {
        "xor": {"hidden": [], "activation": "tanh", "learning_rate": 1, "steps": 700, "hidden_bias": -1},
        "and": {"hidden": [8, 4], "activation": "tanh", "learning_rate": 1},
    }
    assert project_settings(["XOR"], tmp_path / "missing.toml", known=["AND"]) == {"xor": {}}


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("learning_rate", math.inf, "learning_rate: must be a finite number, got inf"),
        ("learning_rate", math.nan, "learning_rate: must be a finite number, got nan"),
        ("learning_rate", True, "learning_rate: must be a number > 0, got True"),
        ("hidden_bias", math.nan, "hidden_bias: must be a finite number, got nan"),
        ("hidden_bias", -math.inf, "hidden_bias: must be a finite number, got -inf"),
        ("hidden_bias", True, "hidden_bias: must be a number, got True"),
        ("steps", 10.0, "steps: must be a whole number >= 1, got 10.0"),
        ("hidden", 16, f"hidden: {HIDDEN} 16"),
        ("hidden", None, f"hidden: {HIDDEN} None"),
        ("activation", None, "activation: expected a name like 'relu'"),
        ("loss", None, "loss: expected a name such as 'mse', got None"),
    ],
)
def test_network_spec_refuses_non_finite_numbers_booleans_and_wrong_types(setting, value, message):
    with pytest.raises(NetworkError) as error:
        NetworkSpec(**{setting: value})
    assert str(error.value).startswith(message)


def test_a_pyproject_that_is_not_utf8_is_named_with_what_it_must_be(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_bytes("[tool.gatenet]\nsteps = 10  # café\n".encode("latin-1"))
    with pytest.raises(NetworkError) as error:
        project_settings(["XOR"], path)
    assert str(error.value) == f"{path}: not UTF-8 (byte 32: 0xe9); it must be UTF-8 TOML"
