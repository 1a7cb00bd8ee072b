"""Many networks in one program: each learns as it would alone, restarts rescue hard gates."""

import numpy as np
import onnxruntime as ort
import pytest
from click.testing import CliRunner

from gatenet import Gate
from gatenet.check import check_table
from gatenet.cli import cli
from gatenet.network import NetworkSpec
from gatenet.pipeline import train_gates
from gatenet.plugins import collect_gates
from gatenet.recipe import network_for
from gatenet.trainer import build_model, train, train_together


def test_a_gate_trained_in_a_batch_learns_exactly_as_alone():
    registry = collect_gates()
    gates = [registry.find(name) for name in ("XOR", "AND", "OR", "NAND", "NOR")]
    network = NetworkSpec(steps=300)
    together = train_together(gates, network, seeds=[5, 6, 7])
    alone = train(registry.find("OR"), network, seed=6)
    batched = together[2][1]
    assert (batched.gate.name, batched.seed) == ("OR", 6)
    for mine, reference in zip(batched.weights, alone.weights, strict=True):
        np.testing.assert_allclose(mine, reference, atol=1e-6)
    np.testing.assert_allclose(batched.probabilities, alone.probabilities, atol=1e-6)
    assert batched.history.first_right_step == alone.history.first_right_step


def test_each_gate_gets_its_own_plain_keras_model_with_the_layers_of_one_trained_alone():
    registry = collect_gates()
    adders = [
        registry.find("FULL_ADDER"),
        Gate(name="SUM3", inputs=3, outputs=2, truth=lambda a, b, c: (a, c)),
    ]
    network = NetworkSpec(hidden=(12, 6), steps=50)
    for trained in (trial for trials in train_together(adders, network, seeds=[0, 1]) for trial in trials):
        reference = build_model(trained.gate, network)
        model = trained.model
        assert [type(layer) for layer in model.layers] == [type(layer) for layer in reference.layers]
        assert [layer.name for layer in model.layers] == ["hidden_0", "hidden_1", "output"]
        assert [w.shape for w in model.get_weights()] == [w.shape for w in reference.get_weights()]
        rows = trained.gate.rows.astype(np.float32)
        np.testing.assert_allclose(np.asarray(model(rows)), trained.probabilities, atol=1e-6)


def test_restarts_rescue_a_gate_that_a_single_seed_fails(tmp_path):
    parity = Gate(name="TINY_PARITY3", inputs=3, truth=lambda *bits: sum(bits) % 2)
    settings = {"hidden": (4,), "steps": 1500, "learning_rate": 0.05}
    trials = train_together([parity], network_for(parity, settings), seeds=range(8))[0]
    verified = [check_table(parity.table, trial.probabilities).verified for trial in trials]
    assert not all(verified) and any(verified), "the premise: some seeds fail this tiny network, some pass"
    failing_seed = verified.index(False)
    (alone,) = train_gates([parity], tmp_path / "one", settings, seed=failing_seed, restarts=1, escalate=0)
    assert not alone.verified and not (tmp_path / "one" / "tiny_parity3.onnx").exists()
    (rescued,) = train_gates([parity], tmp_path / "eight", settings, seed=0, restarts=8)
    assert rescued.verified and rescued.seed == verified.index(True), "the first seed that verifies is kept"


def test_every_shipped_gate_verifies_adders_and_parities_included(tmp_path):
    gates = collect_gates().default_gates()
    assert {"HALF_ADDER", "FULL_ADDER", "PARITY8", "MAJORITY3", "NOT", "IMPLIES"} <= {g.name for g in gates}
    results = train_gates(gates, tmp_path)
    assert [result.gate.name for result in results if not result.verified] == []
    for result in results:
        session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
        probabilities = session.run(["probabilities"], {"bits": result.gate.rows.astype(np.float32)})[0]
        assert check_table(result.gate.table, probabilities).verified, result.gate.name
    assert results[[r.gate.name for r in results].index("PARITY8")].network.hidden == (64,)


def test_the_boolean3_family_trains_all_256_functions(tmp_path):
    result = CliRunner().invoke(cli, ["train", "--family", "boolean3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    models = sorted(tmp_path.glob("*.onnx"))
    assert len(models) == 256
    rows = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], np.float32)
    for number in range(256):
        session = ort.InferenceSession(
            str(tmp_path / f"boolean3_{number:03d}.onnx"), providers=["CPUExecutionProvider"]
        )
        probabilities = session.run(["probabilities"], {"bits": rows})[0][:, 0]
        truth = np.array([(number >> row) & 1 for row in range(8)])
        assert np.all(np.where(truth == 1, probabilities - 0.5, 0.5 - probabilities) >= 0.4), number


def test_families_are_opt_in_and_named_by_truth_table_number():
    registry = collect_gates()
    assert not any(gate.family for gate in registry.default_gates())
    families = registry.families()
    assert {name: len(gates) for name, gates in families.items()} == {
        "boolean1": 4,
        "boolean2": 16,
        "boolean3": 256,
        "boolean4": 65536,
    }
    assert registry.find("BOOLEAN2_06").table[:, 0].tolist() == registry.find("XOR").table[:, 0].tolist()
    assert registry.find("BOOLEAN2_08").table[:, 0].tolist() == [0, 0, 0, 1]
    result = CliRunner().invoke(cli, ["train", "--family", "boolean9"])
    assert (
        result.exit_code == 2
        and "unknown family 'boolean9'; families: boolean1, boolean2, boolean3, boolean4" in result.output
    )


@pytest.mark.parametrize("optimizer", ["adafactor", "muon"])
def test_optimizers_that_normalise_per_variable_train_one_network_per_program(optimizer):
    registry = collect_gates()
    network = NetworkSpec(optimizer=optimizer, steps=100)
    together = train_together([registry.find("AND"), registry.find("OR")], network, seeds=[0])
    alone = train(registry.find("OR"), network, seed=0)
    np.testing.assert_allclose(together[1][0].probabilities, alone.probabilities, atol=1e-6)


def test_a_stack_is_padded_only_for_optimizers_that_update_each_weight_on_its_own():
    from gatenet.trainer import StackRun

    gate = collect_gates().find("XOR")
    assert len(StackRun([(gate, 0)] * 3, NetworkSpec(steps=1)).pairs) == 4
    assert len(StackRun([(gate, 0)], NetworkSpec(optimizer="muon", steps=1)).pairs) == 1
