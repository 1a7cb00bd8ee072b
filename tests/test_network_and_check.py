import numpy as np
import pytest

from gatenet import NetworkError, NetworkSpec, check_table


def test_default_network_is_the_tutorials_with_a_faster_learning_rate():
    spec = NetworkSpec()
    assert spec.hidden == (16,) and spec.activation == ("relu",)
    assert (spec.output_activation, spec.loss, spec.optimizer) == ("sigmoid", "mse", "adam")
    assert spec.steps == 1000 and spec.learning_rate == 0.01 and spec.hidden_bias == 0.01


def test_with_changes_keeps_a_shared_activation_for_new_layers():
    spec = NetworkSpec(activation="tanh").with_changes(hidden=(8, 4), steps=None)
    assert spec.hidden == (8, 4) and spec.activation == ("tanh", "tanh") and spec.steps == 1000
    assert NetworkSpec().with_changes(hidden=()).activation == ()
    assert NetworkSpec().to_dict()["hidden"] == [16]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden": (16, 0)}, "hidden: each layer needs a whole number of units >= 1"),
        (
            {"hidden": (8, 8), "activation": ("relu",)},
            "activation: give one activation, or one per hidden layer (2)",
        ),
        ({"steps": 0}, "steps: must be a whole number >= 1, got 0"),
        ({"learning_rate": -1}, "learning_rate: must be a number > 0, got -1"),
    ],
)
def test_bad_settings_name_the_setting(kwargs, message):
    with pytest.raises(NetworkError, match=message.replace("(", r"\(").replace(")", r"\)")):
        NetworkSpec(**kwargs)


def test_margin_is_distance_past_one_half_on_the_truth_side():
    table = np.array([[0], [1], [1], [0]])
    good = check_table(table, np.array([[0.05], [0.95], [0.91], [0.0]]))
    assert good.verified and good.worst_margin == pytest.approx(0.41)
    bad = check_table(table, np.array([[0.05], [0.95], [0.89], [0.6]]))
    assert not bad.verified and bad.failing_rows == (2, 3)
    assert "row 10: expected 1, got 0.890" in bad.details and "row 11: expected 0, got 0.600" in bad.details
    assert check_table(table, np.array([[0.05], [0.95], [0.89], [0.6]]), margin=0.3).failing_rows == (3,)


def test_nan_never_verifies():
    check = check_table(np.array([[0], [1]]), np.array([[0.0], [np.nan]]))
    assert not check.verified and check.failing_rows == (1,)
