"""Families made on demand (boolean4: all 65,536 functions of 4 inputs), trained in chunks, resumable."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from folder_tools import gatenet as run_gatenet

import gatenet
from gatenet.cli import cli
from gatenet.family import Family
from gatenet.pipeline import train_gates
from gatenet.plugins import collect_gates

# A network too small to learn every function from every seed, so some gates need their later seeds.
TINY = {"hidden": (2,), "steps": 150, "learning_rate": 0.05}


def truth(number: int, rows: int = 16) -> list[int]:
    return [(number >> row) & 1 for row in range(rows)]


def test_boolean4_holds_every_function_of_four_inputs_named_by_its_truth_table_number():
    boolean4 = collect_gates().families()["boolean4"]
    assert len(boolean4) == 65536
    assert boolean4[0].name == "BOOLEAN4_00000" and boolean4[65535].name == "BOOLEAN4_65535"
    rows = boolean4[0].rows
    spot_checks = {
        27030: rows.sum(axis=1) % 2,  # 0x6996: parity
        32768: rows.all(axis=1),  # only the last row: AND of all four
        65534: rows.any(axis=1),  # every row but the first: OR
        1: ~rows.any(axis=1),  # only the first row: NOR
        43690: rows[:, 3],  # 0xAAAA: the last input itself
        65280: rows[:, 0],  # 0xFF00: the first input itself
    }
    registry = collect_gates()
    for number, expected in spot_checks.items():
        gate = registry.find(f"boolean4_{number:05d}")
        assert gate.name == f"BOOLEAN4_{number:05d}" and gate.family == "boolean4"
        assert gate.table[:, 0].tolist() == np.asarray(expected, int).tolist() == truth(number)
    for name in ("BOOLEAN4_65536", "BOOLEAN4_123", "BOOLEAN4_0x123", "BOOLEAN3_00001"):
        assert registry.find(name) is None, name


def test_a_family_makes_only_the_members_asked_for(register_plugin):
    made = []

    class Huge:
        @gatenet.hookimpl
        def register_gates(self, register):
            register(Family("huge", 10**6, lambda number: made.append(number) or gate(number)))

    def gate(number: int) -> gatenet.Gate:
        return gatenet.Gate(f"HUGE_{number:06d}", 2, truth(number % 16, 4))

    register_plugin(Huge(), "huge-family")
    registry = collect_gates()
    assert len(registry.families()["huge"]) == 10**6 and made == []
    assert registry.find("huge_000017").table[:, 0].tolist() == truth(1, 4)
    selection = registry.select(["XOR"], ["huge"])
    assert len(selection) == 10**6 + 1 and made == [17]
    assert selection[0].name == "XOR" and selection[2].name == "HUGE_000001"


def test_a_family_member_named_wrongly_is_refused_by_name(register_plugin):
    class Misnamed:
        @gatenet.hookimpl
        def register_gates(self, register):
            register(Family("odd", 4, lambda number: gatenet.Gate(f"EVEN_{number}", 1, [0, 1])))

    register_plugin(Misnamed(), "misnamed-family")
    with pytest.raises(gatenet.GateError, match="family 'odd': member 2 must be a Gate named 'ODD_2'"):
        collect_gates().find("ODD_2")


def test_chunks_give_the_same_models_as_one_program(tmp_path):
    gates = [collect_gates().find(f"BOOLEAN4_{number:05d}") for number in range(0, 65536, 2521)]
    whole = train_gates(gates, tmp_path / "whole", TINY)
    chunked = train_gates(gates, tmp_path / "chunked", TINY, chunk=5)
    assert any(result.seed > 0 for result in whole), "the premise: some gates need a later seed"
    for one, other in zip(whole, chunked, strict=True):
        assert (one.gate.name, one.verified, one.seed) == (other.gate.name, other.verified, other.seed)
        assert one.worst_margin == other.worst_margin or not one.verified
        if one.verified:
            model = f"{one.gate.key}.onnx"
            assert (tmp_path / "whole" / model).read_bytes() == (tmp_path / "chunked" / model).read_bytes()


def test_the_first_seed_that_verifies_is_kept_and_later_seeds_train_only_when_needed(tmp_path):
    gates = list(collect_gates().families()["boolean3"])[::16]
    results = train_gates(gates, tmp_path, TINY, restarts=3, escalate=0)
    for result in results:
        earlier = [
            gatenet.train(result.gate, out=None, seed=s, restarts=1, escalate=0, **TINY) for s in range(3)
        ]
        verified = [one.verified for one in earlier]
        assert result.verified == any(verified)
        if result.verified:
            assert result.seed == verified.index(True)


def test_an_interrupted_family_run_resumes_with_only_what_is_missing(tmp_path):
    gates = list(collect_gates().families()["boolean2"])
    seen = []

    def interrupt_after_six(result) -> None:
        seen.append(result.gate.name)
        if len(seen) == 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_gates(gates, tmp_path, chunk=4, on_result=interrupt_after_six)
    committed = sorted(path.name for path in tmp_path.glob("*.onnx"))
    assert committed == [f"boolean2_{number:02d}.onnx" for number in range(8)], "two whole chunks"
    before = {name: (tmp_path / name).read_bytes() for name in committed}

    run = run_gatenet(
        "train", "--family", "boolean2", "--resume", "--chunk", "4", "--out", str(tmp_path), "--json"
    )
    assert run.returncode == 0, run.stderr
    statuses = {row["gate"]: row["status"] for row in json.loads(run.stdout)["results"]}
    assert statuses == {
        gate.name: "up to date" if number < 8 else "trained" for number, gate in enumerate(gates)
    }
    assert all((tmp_path / name).read_bytes() == data for name, data in before.items())
    assert len(list(tmp_path.glob("*.onnx"))) == 16

    changed = run_gatenet("train", "--family", "boolean2", "--steps", "900", "--out", str(tmp_path), "--json")
    assert {row["status"] for row in json.loads(changed.stdout)["results"]} == {"trained"}, "other settings"


def test_a_family_run_without_export_reports_and_writes_nothing(tmp_path):
    out = tmp_path / "never"
    run = run_gatenet("train", "--family", "boolean2", "--no-export", "--out", str(out), "--json")
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)["results"]
    assert len(results) == 16 and all(row["verified"] and row["file"] is None for row in results)
    assert not out.exists()


def test_list_and_plugins_show_a_family_by_its_size_without_listing_its_members():
    listing = CliRunner().invoke(cli, ["list"])
    assert listing.exit_code == 0, listing.output
    assert "family boolean4" in listing.output and "65536 gates" in listing.output
    assert "BOOLEAN4_00000" not in listing.output
    plugins = CliRunner().invoke(cli, ["plugins", "--json"])
    (row,) = [row for row in json.loads(plugins.output)["plugins"] if row["name"] == "families"]
    assert row["families"] == {"boolean1": 4, "boolean2": 16, "boolean3": 256, "boolean4": 65536}


def test_listing_a_family_names_its_plugin_for_every_member():
    listing = CliRunner().invoke(cli, ["list", "--family", "boolean2"])
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert len(lines) == 16 and all(" families " in line for line in lines)


def test_family_members_take_project_settings_and_are_parts_and_names_of_circuits(register_plugin, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.gatenet.gates.BOOLEAN2_06]\nhidden = [4]\n")
    check = run_gatenet("train", "BOOLEAN2_06", "--check", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert check.returncode == 1 and "BOOLEAN2_06: missing" in check.stdout, check.stdout + check.stderr

    class Circuits:
        @gatenet.hookimpl
        def register_circuits(self, register):
            register(gatenet.Circuit("NOT_XOR", 2, {"x": gatenet.Part("BOOLEAN2_06", "a", "b")}, ["x"]))
            register(gatenet.Circuit("BOOLEAN2_09", 2, {"x": gatenet.Part("XNOR", "a", "b")}, ["x"]))

    register_plugin(Circuits(), "member-circuits")
    registry = collect_gates()
    assert registry.find_circuit("NOT_XOR").table[:, 0].tolist() == [0, 1, 1, 0]
    assert registry.find_circuit("BOOLEAN2_09") is None
    assert any("a member of family 'boolean2'" in problem for problem in registry.problems), registry.problems


def test_only_ascii_digits_name_a_member():
    registry = collect_gates()
    assert registry.find("BOOLEAN1_3") is not None
    assert registry.find("BOOLEAN1_\u0663") is None and registry.find("BOOLEAN1_\u00b2") is None
