"""Every activation gatenet can export becomes C that computes what onnxruntime computes, or is refused.

The networks are the exporter's real tf2onnx graphs with random weights: this tests the translation of
each ONNX operator, which trained models would only cover for relu and sigmoid.
"""

from __future__ import annotations

import numpy as np
import pytest
from c_tools import run_tables

from gatenet import c_export, contract, runtime
from gatenet.gate import Gate
from gatenet.network import NetworkSpec

exporter = pytest.importorskip("gatenet.exporter", reason="the train extra is part of the test install")

# (hidden activations, output activation): two hidden layers each, so layers chain too
NETWORKS = [
    (("relu", "sigmoid"), "sigmoid"),
    (("tanh", "elu"), "softmax"),
    (("selu", "softplus"), "tanh"),
    (("softsign", "swish"), "linear"),
    (("leaky_relu", "relu6"), "log_softmax"),
    (("hard_sigmoid", "hard_silu"), "sigmoid"),
    (("exponential", "mish"), "sigmoid"),
    (("log_sigmoid", "linear"), "softplus"),
    (("hard_tanh", "squareplus"), "sigmoid"),
    (("tanh_shrink", "silu"), "hard_sigmoid"),
]


def random_model(tmp_path, name: str, network: NetworkSpec, seed: int) -> runtime.GateModel:
    gate = Gate(name, 3, [(row % 2, row // 4) for row in range(8)], 2)
    template = exporter._template(gate.inputs, gate.outputs, network)
    rng = np.random.default_rng(seed)
    shapes = [(3, 5), (5,), (5, 3), (3,), (3, 2), (2,)]
    weights = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    metadata = contract.model_metadata(gate, 0.4, seed, network.to_dict(), {})
    path = tmp_path / f"{name.lower()}.onnx"
    path.write_bytes(template.render(gate, weights, metadata))
    return runtime.load(path)


def test_each_supported_activation_computes_what_onnxruntime_computes(tmp_path):
    models = [
        random_model(
            tmp_path,
            f"NET{index}",
            NetworkSpec(hidden=(5, 3), activation=hidden, output_activation=out),
            index,
        )
        for index, (hidden, out) in enumerate(NETWORKS)
    ]
    for model in models:
        (tmp_path / f"{model.name.lower()}.h").write_text(c_export.header(model, verified_only=False))
    found = run_tables(tmp_path, models)
    for model, (hidden, out) in zip(models, NETWORKS, strict=True):
        np.testing.assert_allclose(
            found[model.name][1],
            model.probabilities(model.rows),
            rtol=1e-5,
            atol=1e-5,
            err_msg=f"{hidden} {out}",
        )


@pytest.mark.parametrize("activation", ["sparse_plus", "soft_shrink"])
def test_an_activation_without_a_c_translation_is_refused_by_name(tmp_path, activation):
    network = NetworkSpec(hidden=(5, 3), activation=activation)
    model = random_model(tmp_path, "ODD", network, 0)
    with pytest.raises(c_export.CExportError, match=rf"odd.onnx: uses the ONNX operator \w+.*{activation}"):
        c_export.header(model, verified_only=False)
