"""onnxruntime's batched check: one run for many models of one shape must give each model the verdict,
and the outputs, its own file gives alone, and must notice a model that is not what it should be."""

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from gatenet import onnx_batch, runtime
from gatenet.onnx_batch import Unchecked, check_models
from gatenet.pipeline import train_gates
from gatenet.plugins import collect_gates
from gatenet.store import ModelFolder


@pytest.fixture(scope="module")
def family(tmp_path_factory):
    """The 16 two-input functions, exported and verified, and two 3-input gates of a deeper network."""
    out = tmp_path_factory.mktemp("batch")
    gates = list(collect_gates().families()["boolean2"])
    assert all(result.verified for result in train_gates(gates, out))
    folder = ModelFolder(out)
    return [
        Unchecked(gate.name, folder.model_path(gate.key).read_bytes(), gate.table) for gate in gates
    ], gates


def alone(models):
    return [runtime.GateModel(model.name, model.model).probabilities(ROWS) for model in models]


ROWS = collect_gates().find("XOR").rows


def test_one_run_gives_every_model_its_own_verdict_and_outputs(family):
    models, _ = family
    checks, ran_alone = check_models(models, ROWS, 0.4)
    assert ran_alone == 1  # the first model is also run alone, as the spot check
    assert all(check.verified for check in checks)
    for check, own in zip(checks, alone(models), strict=True):
        np.testing.assert_allclose(check.probabilities, own, atol=1e-6)


def test_a_model_that_computes_the_wrong_table_fails_alone_in_the_batch(family):
    models, gates = family
    wrong = Unchecked(models[6].name, models[6].model, 1 - gates[6].table)  # XOR's file, XNOR's table
    checks, _ = check_models([*models[:6], wrong, *models[7:]], ROWS, 0.4)
    assert [check.verified for check in checks] == [index != 6 for index in range(16)]
    assert checks[6].details.startswith("row 00: expected 1, got 0.0")


def test_a_file_with_other_weights_is_checked_on_its_own_weights(family):
    models, gates = family
    proto = onnx.ModelProto.FromString(models[6].model)
    for initializer in proto.graph.initializer:  # negate the output layer: XOR's file now computes XNOR
        if list(initializer.dims) in ([16, 1], [1]):
            initializer.CopyFrom(
                numpy_helper.from_array(-numpy_helper.to_array(initializer), initializer.name)
            )
    flipped = Unchecked("flipped", proto.SerializeToString(), gates[6].table)
    checks, _ = check_models([*models[:6], flipped, *models[7:]], ROWS, 0.4)
    assert not checks[6].verified and sum(check.verified for check in checks) == 15


def test_a_model_of_another_graph_and_a_stack_that_disagrees_are_checked_alone(family, monkeypatch):
    models, _ = family
    proto = onnx.ModelProto.FromString(models[3].model)
    proto.graph.node[2].op_type = "Tanh"  # another activation: not the first model's graph
    other = Unchecked("other", proto.SerializeToString(), models[3].table)
    _, ran_alone = check_models([*models[:3], other, *models[4:]], ROWS, 0.4)
    assert ran_alone == 2

    monkeypatch.setattr(onnx_batch, "_run_stacked", lambda protos, rows: np.zeros((len(protos), 4, 1)))
    checks, ran_alone = check_models(models, ROWS, 0.4)
    assert ran_alone == 16 and all(check.verified for check in checks)
