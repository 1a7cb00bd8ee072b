"""Learned logic-gate networks: the relaxed functions are the truth tables at 0/1, and what is learned
is an exact, minimized circuit, the same on every run."""

import numpy as np
import pytest

from gatenet.exact_minimum import minimum_gates
from gatenet.gate import Gate, input_rows
from gatenet.logic_learner import LogicTraining, learn_circuit, learn_circuits, relaxed_functions
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import TABLES, exact, gate_count

XOR = Gate("XOR", 2, lambda a, b: a ^ b)
MAJORITY3 = Gate("MAJORITY3", 3, lambda a, b, c: int(a + b + c >= 2))
FULL_ADDER = Gate(
    "FULL_ADDER", 3, lambda a, b, c: ((a + b + c) % 2, int(a + b + c >= 2)), outputs=["sum", "carry"]
)
SMALL = LogicSpec(steps=150, restarts=4)


def difflogic(a, b):
    """difflogic's 16 relaxed forms, written out as its paper lists them."""
    return [0 * a, a * b, a - a * b, a, b - a * b, b, a + b - 2 * a * b, a + b - a * b,
            1 - (a + b - a * b), 1 - (a + b - 2 * a * b), 1 - b, 1 - b + a * b, 1 - a,
            1 - a + a * b, 1 - a * b, 1 + 0 * a]  # fmt: skip


def test_relaxed_functions_are_the_truth_tables_at_0_and_1():
    a, b = input_rows(2).T.astype(np.float32)
    values = np.asarray(relaxed_functions(a, b))  # [4 rows, 16 functions]
    assert np.array_equal(values.T, TABLES.astype(np.float32))


def test_relaxed_functions_are_difflogics_forms_between():
    a, b = np.random.default_rng(0).random((2, 50)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(relaxed_functions(a, b)).T, difflogic(a, b), atol=1e-6)


def test_xor_majority_and_full_adder_learn_exact_circuits():
    # 16 restarts: every one of seeds 0-5 learned all three (the full adder in 5 to 7 gates)
    learned = learn_circuits([XOR, MAJORITY3, FULL_ADDER], LogicSpec(restarts=16), seed=0)
    for result in learned:
        assert result.verified, result.gate.name
        assert exact(result.netlist, result.gate.table) is None
        assert result.netlist.gates == gate_count(result.netlist) >= minimum_gates(result.gate.table)
        assert result.netlist.output_names == result.gate.output_names
        assert result.history.accuracy[-1] <= 1.0 and len(result.history.step) == 500 // 25 + 1
    assert [result.gates for result in learned[:2]] == [1, 4]  # the minimum for both


def test_the_same_seed_learns_the_same_circuit_and_history():
    first, second = (learn_circuit(MAJORITY3, SMALL, seed=3) for _ in range(2))
    assert first.netlist == second.netlist and first.step == second.step
    assert first.history == second.history


@pytest.mark.parametrize(
    "spec",
    [
        LogicSpec(steps=150, restarts=4, wiring="random", width=6, depth=1),
        LogicSpec(steps=150, restarts=4, parametrization="functions"),
        LogicSpec(steps=150, restarts=4, straight_through=True),
    ],
)
def test_other_settings_still_learn_xor(spec):
    result = learn_circuit(XOR, spec)
    assert result.verified and result.gates == 1


def test_a_budget_too_small_ends_unverified_with_a_history():
    result = learn_circuit(FULL_ADDER, LogicSpec(steps=1, restarts=1, pass_through=8.0, log_every=1))
    assert not result.verified and result.netlist is None and result.gates is None
    assert result.history.step == [0, 1] and result.history.accuracy[-1] < 1.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"wiring": "dense"}, "wiring: expected one of random, learned, got 'dense'"),
        ({"width": 0}, "width: expected a whole number >= 1, got 0"),
        ({"depth": -1}, "depth: expected a whole number >= 0, got -1"),
        ({"temperature": (1.0, 0.0)}, "temperature: expected (first, last), both > 0"),
    ],
)
def test_settings_that_cannot_work_are_refused(change, message):
    with pytest.raises(ValueError) as error:
        LogicSpec(**change)
    assert str(error.value).startswith(message)


def test_stepping_in_chunks_learns_what_learn_circuits_learns():
    # chunks that straddle the logged steps (every 25): the checks happen at the same steps anyway
    training = LogicTraining(MAJORITY3, SMALL, seed=3)
    snapshots = [training.advance(7)]
    while not training.done:
        snapshots.append(training.advance(13))
    stepped, learned = training.result(), learn_circuit(MAJORITY3, SMALL, seed=3)
    assert stepped.verified and stepped.netlist == learned.netlist and stepped.step == learned.step
    assert stepped.restart == learned.restart and stepped.history == learned.history
    assert [s.step for s in snapshots[:3]] == [7, 20, 33] and snapshots[-1].step == SMALL.steps
    last = snapshots[-1]
    assert last.best_gates == stepped.gates and len(last.losses) == SMALL.restarts
    assert len(last.functions) == len(last.probabilities) == len(last.wires) == sum(training.widths)
    assert all(0 <= f < 16 for f in last.functions) and all(1 / 16 <= p <= 1 for p in last.probabilities)
    # the restart shown is the best now: most rows right, then the lowest relaxed loss
    assert last.accuracy == max(last.accuracies) and last.loss == last.losses[last.restart]
