"""Circuits above 2^20 rows: verified on a stated sample, with no truth table stored anywhere."""

from __future__ import annotations

import itertools
import json

import numpy as np
import onnx
import pytest
from folder_tools import gatenet
from gatenet_plugins.circuits import ripple_adder

import gatenet as api
from gatenet import contract, runtime
from gatenet.circuit import SAMPLE_SIZE, sample_rows


@pytest.fixture(scope="module")
def add12(add12_folder):
    return add12_folder


def test_the_sample_is_a_million_different_rows_and_every_row_near_all_zeros_or_all_ones():
    rows = sample_rows(25)
    numbers = (rows.astype(np.int64) << np.arange(24, -1, -1)).sum(axis=1)
    assert len(np.unique(numbers)) == len(rows) >= SAMPLE_SIZE + 2  # more than the random draws alone
    ones = rows.sum(axis=1)
    near = {tuple(row) for row in rows[(ones <= 2) | (ones >= 23)]}
    for count in (0, 1, 2):
        for bits in itertools.combinations(range(25), count):
            row = tuple(int(i in bits) for i in range(25))
            assert row in near and tuple(1 - bit for bit in row) in near
    assert (sample_rows(25) == rows).all()  # the same sample every time


def test_a_25_input_adder_is_verified_on_its_sample_and_stores_no_table(add12):
    folder, _, built = add12
    assert built.check.verified and built.verification == f"sampled {len(sample_rows(25))}"
    entry = json.loads((folder / "manifest.json").read_text())["models"]["add12.onnx"]
    assert "truth_table" not in entry and entry["circuit"]["verification"] == built.verification
    metadata = {p.key: p.value for p in onnx.load(folder / "add12.onnx").metadata_props}
    assert contract.KEY_TRUTH not in metadata and metadata[contract.KEY_VERIFICATION] == built.verification
    model = runtime.load_gate("ADD12", folder)
    for a, b, carry in [(4095, 4095, 1), (1234, 2345, 0), (0, 1, 1)]:
        bits = [int(bit) for bit in f"{a:012b}{b:012b}{carry}"]
        assert int("".join(map(str, model.predict([bits])[0])), 2) == a + b + carry
    with pytest.raises(runtime.ModelError, match="verified on a sample of 1000633 rows"):
        model.verify()
    tensor = onnx.TensorProto()
    tensor.ParseFromString((folder / "add12" / "test_data_set_0" / "input_0.pb").read_bytes())
    assert list(tensor.dims)[1] == 25 and 4000 <= tensor.dims[0] <= 4200


def test_verify_checks_it_on_its_sample_with_its_plugin_and_says_why_it_cannot_without(add12):
    folder, plugin, _ = add12
    result = gatenet("-p", str(plugin), "verify", "--dir", str(folder))
    assert result.returncode == 0 and "add12.onnx               verified" in result.stdout
    result = gatenet("verify", "--dir", str(folder))
    assert result.returncode == 1
    assert "add12.onnx               FAILED     built on a sample of 1000633 rows; check it" in result.stdout
    check = gatenet("-p", str(plugin), "train", "ADD12", "--check", "--out", str(folder))
    assert check.returncode == 0, check.stdout


def test_a_sampled_circuit_whose_wiring_disagrees_with_its_truth_names_a_sampled_row(add12):
    wrong = ripple_adder("ADD12", 12, "FULL_ADDER", 1)
    wrong.truth = lambda *bits: (0,) * 13
    (problem,) = api.build_circuits(wrong, directory=add12[0])
    assert problem.startswith("circuit 'ADD12' not built: the wiring does not compute")
    assert "first at row 0000000000000000000000001 (a11=0" in problem  # the first sampled row that differs


def test_export_c_of_a_whole_folder_skips_a_sampled_circuit_and_refuses_it_by_name(add12, tmp_path):
    folder = add12[0]
    whole = gatenet("export-c", "--dir", str(folder), "--out", str(tmp_path / "c"))
    assert whole.returncode == 0 and "skipped add12.onnx: 25 inputs, verified on a sample" in whole.stderr
    assert [path.name for path in (tmp_path / "c").iterdir()] == ["full_adder.h"]
    named = gatenet("export-c", "ADD12", "--dir", str(folder), "--out", str(tmp_path / "d"))
    assert (
        named.returncode == 1 and "add12.onnx: has no stored truth table for add12_verify()" in named.stderr
    )
