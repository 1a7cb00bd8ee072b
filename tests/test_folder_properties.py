"""Property-based: whatever a manifest or an input array holds, gatenet answers with a verdict or one
clear line naming the thing, never a traceback and never a wrong "verified"."""

import json

import numpy as np
import pytest
from folder_tools import EXPORTED, copy_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gatenet.manifest import ManifestError, sha256
from gatenet.runtime import load_gate, verify_dir

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = ["gate", "sha256", "opset", "inputs", "outputs", "truth_table", "test_data", "history", "files"]
FIELDS += ["verified", "margin", "worst_margin", "seed", "steps", "first_right_step", "network"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return copy_models(tmp_path_factory.mktemp("props"), ["xor", "and"])


def check_verdicts(folder, text):
    """Write `text` as the manifest, verify, and judge the answer."""
    (folder / "manifest.json").write_text(text)
    try:
        results = verify_dir(folder)
    except ManifestError as error:
        assert "\n" not in str(error) and str(folder / "manifest.json") in str(error)
        return
    for result in results:
        if not result.ok:
            assert result.problem or result.check.details
            assert "\n" not in result.problem
            continue
        # "verified" only for a model whose manifest entry vouches for these exact bytes and this gate.
        entry = json.loads(text)["models"][result.path.name]
        assert entry["sha256"] == sha256(result.path.read_bytes())
        assert entry["gate"].lower() + ".onnx" == result.path.name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=JSON)
def test_any_json_as_a_manifest(folder, document):
    check_verdicts(folder, json.dumps(document))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=st.sampled_from(["xor.onnx", "and.onnx"]), field=st.sampled_from(FIELDS), value=JSON)
def test_a_real_manifest_with_one_field_replaced(folder, model, field, value):
    document = json.loads((EXPORTED / "manifest.json").read_text())
    document["models"] = {name: document["models"][name] for name in ("xor.onnx", "and.onnx")}
    document["models"][model][field] = value
    check_verdicts(folder, json.dumps(document))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_text_as_a_manifest(folder, text):
    check_verdicts(folder, text)


XOR = load_gate("XOR", EXPORTED)
DTYPES = hnp.boolean_dtypes() | hnp.integer_dtypes() | hnp.unsigned_integer_dtypes() | hnp.floating_dtypes()
ARRAYS = hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))


@settings(max_examples=300, deadline=None)
@given(rows=ARRAYS | st.lists(st.lists(JSON, max_size=3), max_size=3) | JSON)
def test_any_input_to_a_model(rows):
    try:
        predicted = XOR.predict(rows)
    except ValueError as error:
        assert str(error).startswith("gate 'XOR': expected rows of 2 bits (a, b)")
        assert "\n" not in str(error)
        return
    array = np.asarray(rows)
    assert array.ndim == 2 and array.shape[1] == 2 and len(array) > 0
    assert np.isin(array, (0, 1)).all()
    expected = (array[:, 0].astype(int) ^ array[:, 1].astype(int))[:, None]
    assert (predicted == expected).all()
