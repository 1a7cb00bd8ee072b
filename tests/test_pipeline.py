"""Real training, real tf2onnx export, real onnxruntime checks, on small budgets."""

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from gatenet import Gate, NetworkError, NetworkSpec
from gatenet.manifest import sha256
from gatenet.pipeline import train_gates
from gatenet.plugins import collect_gates

# Written out by hand so the check does not trust gatenet's own tables.
EXPECTED = {
    "xor": [0, 1, 1, 0],
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
}
ROWS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    out = tmp_path_factory.mktemp("exported")
    registry = collect_gates()
    results = train_gates([registry.find(name) for name in EXPECTED], out)
    return out, {result.gate.key: result for result in results}


def test_all_four_shipped_gates_train_export_and_verify(shipped):
    out, results = shipped
    assert sorted(path.name for path in out.glob("*.onnx")) == [
        "and.onnx",
        "nand.onnx",
        "or.onnx",
        "xor.onnx",
    ]
    for key, expected in EXPECTED.items():
        result = results[key]
        assert result.verified and result.path == out / f"{key}.onnx"
        session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
        probabilities = session.run(["probabilities"], {"bits": ROWS})[0]
        assert probabilities.shape == (4, 1) and probabilities.dtype == np.float32
        margins = np.where(np.array(expected) == 1, probabilities[:, 0] - 0.5, 0.5 - probabilities[:, 0])
        assert margins.min() >= 0.4, (key, probabilities)
        assert result.worst_margin == pytest.approx(margins.min(), abs=1e-6)


def test_models_follow_the_contract_for_other_apps(shipped):
    out, results = shipped
    model = onnx.load(out / "xor.onnx")
    onnx.checker.check_model(model)
    assert [(op.domain, op.version) for op in model.opset_import] == [("", 13)]
    (graph_input,) = model.graph.input
    (graph_output,) = model.graph.output
    assert graph_input.name == "bits" and graph_output.name == "probabilities"
    for value in (graph_input, graph_output):
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [d.dim_param or d.dim_value for d in graph_input.type.tensor_type.shape.dim] == ["N", 2]
    assert [d.dim_param or d.dim_value for d in graph_output.type.tensor_type.shape.dim] == ["N", 1]
    meta = {prop.key: prop.value for prop in model.metadata_props}
    assert meta["gatenet.gate"] == "XOR"
    assert json.loads(meta["gatenet.inputs"]) == ["a", "b"]
    assert json.loads(meta["gatenet.outputs"]) == ["out"]
    assert json.loads(meta["gatenet.truth_table"]) == ["0110"]
    assert float(meta["gatenet.margin"]) == 0.4
    assert int(meta["gatenet.seed"]) == results["xor"].seed
    assert json.loads(meta["gatenet.network"])["hidden"] == [16]
    session = ort.InferenceSession(str(out / "xor.onnx"), providers=["CPUExecutionProvider"])
    many = np.tile(ROWS, (250, 1))
    assert session.run(None, {"bits": many})[0].shape == (1000, 1)


def test_manifest_lists_every_model_with_its_hash(shipped):
    out, results = shipped
    models = json.loads((out / "manifest.json").read_text())["models"]
    assert sorted(models) == ["and.onnx", "nand.onnx", "or.onnx", "xor.onnx"]
    for name, entry in models.items():
        assert entry["sha256"] == sha256((out / name).read_bytes())
        assert entry["opset"] == 13 and entry["verified"] is True and entry["margin"] == 0.4
        assert entry["worst_margin"] >= 0.4
        assert entry["first_right_step"] == results[name[:-5]].first_right_step


def test_history_shows_when_every_row_became_right(shipped):
    _, results = shipped
    history = results["xor"].history
    assert history.step == list(range(1001)) and len(history.loss) == len(history.accuracy) == 1001
    first = history.first_right_step
    assert 0 < first < 1000
    assert history.accuracy[first - 1] < 1.0
    assert all(accuracy == 1.0 for accuracy in history.accuracy[first:])
    assert history.loss[-1] < history.loss[0]


def test_long_runs_sample_the_history_and_end_at_the_final_weights(tmp_path):
    parity = collect_gates().find("PARITY3")
    (result,) = train_gates([parity], tmp_path, {"steps": 2500}, restarts=1)
    history = result.history
    assert history.step[:3] == [2, 5, 8] and history.step[-2:] == [2499, 2500] and len(history.step) == 835
    assert history.step == sorted(set(history.step))
    assert history.accuracy[-1] == 1.0 and result.verified
    first = result.first_right_step
    assert all(a == 1.0 for s, a in zip(history.step, history.accuracy, strict=True) if s >= first)
    assert any(a < 1.0 for s, a in zip(history.step, history.accuracy, strict=True) if s < first - 2)


def test_a_full_adder_with_three_inputs_and_two_outputs_trains_and_verifies(tmp_path):
    adder = Gate(
        name="FULL_ADDER",
        inputs=["a", "b", "carry_in"],
        outputs=["sum", "carry_out"],
        truth=lambda a, b, c: ((a + b + c) % 2, int(a + b + c >= 2)),
    )
    (result,) = train_gates([adder], tmp_path)
    assert result.verified, result.problem
    session = ort.InferenceSession(str(tmp_path / "full_adder.onnx"), providers=["CPUExecutionProvider"])
    rows = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)], np.float32)
    probabilities = session.run(["probabilities"], {"bits": rows})[0]
    assert probabilities.shape == (8, 2)
    expected = [[(a + b + c) % 2, int(a + b + c >= 2)] for a, b, c in rows.astype(int)]
    assert ((probabilities > 0.5).astype(int) == np.array(expected)).all()
    assert np.abs(probabilities - np.array(expected)).max() <= 0.1


def test_a_gate_that_fails_leaves_the_model_exported_before_intact(shipped):
    out, _ = shipped
    before = (out / "xor.onnx").read_bytes()
    manifest_before = (out / "manifest.json").read_text()
    xor = collect_gates().find("xor")
    (result,) = train_gates([xor], out, {"steps": 2}, restarts=2, escalate=0)
    assert not result.verified and result.path is None
    assert result.problem.startswith("no seed of 0..1 verified; the best, seed ")
    assert ": row " in result.problem and "expected" in result.problem
    assert (out / "xor.onnx").read_bytes() == before
    assert (out / "manifest.json").read_text() == manifest_before
    assert not list(out.glob(".*.tmp"))


def test_training_is_reproducible_from_the_seed(tmp_path, shipped):
    out, _ = shipped
    xor = collect_gates().find("xor")
    train_gates([xor], tmp_path)
    assert (tmp_path / "xor.onnx").read_bytes() == (out / "xor.onnx").read_bytes()


def test_every_part_of_the_network_can_be_set(tmp_path):
    xor = collect_gates().find("xor")
    settings = {
        "hidden": (8, 8),
        "activation": ("tanh", "relu"),
        "loss": "binary_crossentropy",
        "optimizer": "rmsprop",
        "learning_rate": 0.02,
        "steps": 600,
    }
    network = NetworkSpec(**settings)
    (result,) = train_gates([xor], tmp_path, settings, seed=7)
    assert result.verified, result.problem
    meta = {p.key: p.value for p in onnx.load(tmp_path / "xor.onnx").metadata_props}
    assert json.loads(meta["gatenet.network"]) == network.to_dict()
    assert 7 <= int(meta["gatenet.seed"]) < 7 + 4
    ops = [node.op_type for node in onnx.load(tmp_path / "xor.onnx").graph.node]
    assert "Tanh" in ops and "Relu" in ops and ops.count("MatMul") == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"optimizer": "adamm"}, "optimizer: Keras has no optimizer called 'adamm'"),
        ({"activation": "relux"}, "activation: Keras has no activation called 'relux'"),
        ({"loss": "nope"}, "loss: Keras has no loss called 'nope'"),
    ],
)
def test_unknown_keras_names_are_refused_before_training(tmp_path, change, message):
    with pytest.raises(NetworkError, match=message):
        train_gates([collect_gates().find("xor")], tmp_path, change)
    assert not list(tmp_path.iterdir())


def test_a_model_onnxruntime_rejects_names_its_failing_rows(tmp_path, monkeypatch):
    from gatenet import onnx_batch

    strict = onnx_batch.check_table
    monkeypatch.setattr(onnx_batch, "check_table", lambda table, found, margin: strict(table, found, 0.4999))
    (result,) = train_gates([collect_gates().find("xor")], tmp_path, {"steps": 300}, restarts=1, escalate=0)
    assert not result.verified and result.path is None
    assert result.problem.startswith("seed 0: onnxruntime: row "), result.problem
    assert not list(tmp_path.glob("*.onnx"))


def test_a_gate_whose_hints_keras_does_not_know_fails_alone_and_the_others_train(tmp_path):
    """A hint only Keras can judge (a well-formed name it does not have) fails its own gate, named,
    instead of ending the run before any other gate trains."""
    odd = Gate(name="ODD_HINT", inputs=2, truth=lambda a, b: a | b, network={"activation": "relux"})
    also = Gate(name="ODD_OPTIMIZER", inputs=2, truth=lambda a, b: a & b)
    results = train_gates(
        [odd, collect_gates().find("and"), also],
        tmp_path,
        {"steps": 800},
        restarts=1,
        gate_settings={"odd_optimizer": {"optimizer": "adamm"}},
    )
    assert [(result.gate.name, result.verified) for result in results] == [
        ("ODD_HINT", False),
        ("AND", True),
        ("ODD_OPTIMIZER", False),
    ]
    assert results[0].problem == "network: activation: Keras has no activation called 'relux'"
    assert results[0].network.activation == ("relux",) and results[0].steps == 800  # the one it failed on
    assert results[2].problem == "network: optimizer: Keras has no optimizer called 'adamm'"
    assert sorted(path.name for path in tmp_path.glob("*.onnx")) == ["and.onnx"]
