"""Capacity studies: which functions of a family a setting can learn, in a sweep over settings."""

from __future__ import annotations

import csv
import json

import numpy as np
from folder_tools import gatenet

import gatenet as api
from gatenet.network import NetworkSpec
from gatenet.plugins import collect_gates
from gatenet.trainer import train_together

# Logistic regression needs large weights to clear the margin: a learning rate that gets there.
SETTINGS = ["--hidden", "none,2", "--learning-rate", "0.1", "--steps", "1000", "--seeds", "2"]


def test_a_family_sweep_counts_learned_functions_and_matches_the_api_and_each_gate_alone(tmp_path):
    result = gatenet("sweep", "--family", "boolean2", *SETTINGS, "--json", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert [(row["hidden"], row["gates"], row["seeds"]) for row in rows] == [([], 16, 2), ([2], 16, 2)]
    none = rows[0]
    # a single layer separates exactly the 14 linearly separable functions: not XOR (6), not XNOR (9)
    assert none["learned"] == 14 and none["not_learned"] == ["BOOLEAN2_06", "BOOLEAN2_09"]
    assert none["pairs_verified_share"] == sum(none["verified_seeds"].values()) / 32

    in_process = api.capacity(
        family="boolean2", seeds=2, hidden=[(), (2,)], learning_rate=[0.1], steps=[1000]
    )
    assert (
        json.loads(json.dumps(in_process)) == rows
    )  # the same numbers in a fresh process and through the API

    registry = collect_gates()
    for name in ("BOOLEAN2_06", "BOOLEAN2_08", "BOOLEAN2_14"):
        gate = registry.find(name)
        network = NetworkSpec(hidden=(2,), learning_rate=0.1, steps=1000)
        alone = train_together([gate], network, range(2))[0]
        verified = sum(
            bool((np.where(gate.table == 1, t.probabilities - 0.5, 0.5 - t.probabilities) >= 0.4).all())
            for t in alone
        )
        assert verified == rows[1]["verified_seeds"][name], name

    with open(tmp_path / "capacity_boolean2.csv") as table:
        cells = list(csv.DictReader(table))
    assert [(cell["hidden"], cell["learned"]) for cell in cells] == [
        ("none", "14"),
        ("2", str(rows[1]["learned"])),
    ]
    assert (tmp_path / "capacity_boolean2.png").stat().st_size > 0


def test_a_sweep_needs_something_to_sweep_and_a_sensible_hidden_setting(tmp_path):
    nothing = gatenet("sweep", "--out", str(tmp_path))
    assert nothing.returncode == 2 and "name a GATE, several GATEs, or a --family" in nothing.stderr
    bad = gatenet("sweep", "XOR", "--hidden", "none,two", "--out", str(tmp_path))
    assert bad.returncode == 2 and "--hidden" in bad.stderr


def test_a_sweep_of_several_named_gates_is_a_capacity_study_named_after_them(tmp_path):
    result = gatenet(
        "sweep",
        "XOR",
        "AND",
        "--hidden",
        "2",
        "--steps",
        "100",
        "--seeds",
        "1",
        "--json",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)["rows"]
    assert row["gates"] == 2 and set(row["verified_seeds"]) == {"XOR", "AND"}
    assert (tmp_path / "capacity_xor_and.csv").is_file()
    assert [gate.name for gate in api.gates(family="boolean2")[:2]] == ["BOOLEAN2_00", "BOOLEAN2_01"]
