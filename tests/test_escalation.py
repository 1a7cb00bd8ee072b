"""The escalation ladder: a gate no seed of the network asked for learns climbs to more seeds, a deeper
network and more steps, and its model records the network that won, so it stays up to date."""

import json
import time

import pytest
from click.testing import CliRunner

from gatenet.cli import cli
from gatenet.contract import encode_table
from gatenet.network import NetworkError, NetworkSpec, ladder
from gatenet.recipe import EXPORT_VERSION, Recipe
from gatenet.store import ModelFolder

# Four-input functions every seed 0..3 of the default network fails (a row ends confidently wrong):
# 6016 is learned by one of the fresh seeds of rung 1; no seed 0..11 learns 28296, the deeper
# network of rung 2 does (measured on all 65,536 functions; benchmarks/README.md).
RUNG_1 = "BOOLEAN4_06016"
RUNG_2 = "BOOLEAN4_28296"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_the_ladder_tries_fresh_seeds_then_a_deeper_network_then_more_steps():
    network = NetworkSpec(hidden=(8,), activation="tanh")
    rungs = ladder(network, seed=5, restarts=2, escalate=3)
    assert [rung.seeds for rung in rungs] == [(5, 6), (7, 8, 9, 10), (5, 6), (7, 8, 9, 10)]
    assert rungs[0].network == rungs[1].network == network
    assert rungs[2].network.hidden == (8, 8) and rungs[2].network.activation == ("tanh", "tanh")
    assert rungs[3].network == rungs[2].network.with_changes(steps=2 * network.steps)
    assert ladder(NetworkSpec(hidden=()), 0, 4, 2)[2].network.hidden == (16,)
    assert len(ladder(network, 0, 4, 0)) == 1
    with pytest.raises(NetworkError, match="escalate: expected a whole number from 0 to 3, got 4"):
        ladder(network, 0, 4, 4)


def test_a_gate_no_seed_learns_climbs_the_ladder_and_its_model_records_the_network_that_won(tmp_path):
    out = tmp_path / "models"
    result = run("train", RUNG_1, RUNG_2, "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    rows = {row["gate"]: row for row in json.loads(result.output)["results"]}
    assert rows[RUNG_1]["rung"] == 1 and rows[RUNG_1]["seed"] >= 4
    assert rows[RUNG_1]["network"]["hidden"] == [16]
    assert rows[RUNG_2]["rung"] == 2 and rows[RUNG_2]["network"]["hidden"] == [16, 16]
    entry = ModelFolder(out).entries()[f"{RUNG_2.lower()}.onnx"]
    assert entry.training.network["hidden"] == [16, 16]
    assert entry.training.build == {
        "seed": 0,
        "restarts": 4,
        "escalate": 3,
        "export": EXPORT_VERSION,
        "rung": 2,
    }

    again = run("train", RUNG_1, RUNG_2, "--out", str(out), "--resume")
    assert again.exit_code == 0 and again.output.count("up to date") == 2, again.output
    lower = run("train", RUNG_2, "--out", str(out), "--resume", "--escalate", "1")
    assert lower.exit_code == 1
    assert "no seed of 0..11 verified on 2 rungs of the ladder" in lower.output
    assert "NO (r1)" in lower.output

    twin = tmp_path / "twin"
    assert run("train", RUNG_2, "--out", str(twin)).exit_code == 0
    name = f"{RUNG_2.lower()}.onnx"
    assert (twin / name).read_bytes() == (out / name).read_bytes()  # the same command, the same bytes


def test_the_table_marks_a_rung_and_no_escalate_stops_at_the_network_asked_for(tmp_path):
    climbed = run("train", RUNG_2, "--no-export")
    assert climbed.exit_code == 0 and f"{RUNG_2}   yes (r2)" in climbed.output, climbed.output
    stopped = run("train", RUNG_2, "--no-export", "--no-escalate")
    assert stopped.exit_code == 1
    assert "no seed of 0..3 verified; the best, seed " in stopped.output


def test_a_record_is_up_to_date_only_with_the_network_of_its_own_rung():
    from gatenet.plugins import collect_gates

    gate = collect_gates().find(RUNG_2)
    recipe = Recipe(gate, NetworkSpec(), 0, 4, 0.4)
    deeper = recipe.ladder()[2].network

    def record(network: NetworkSpec, rung: int):
        from gatenet.record import Kind, ModelRecord, Training

        build = {**recipe.build(), "rung": rung}
        training = Training(0, network.steps, 10, network.to_dict(), build)
        table = tuple(encode_table(gate.table))
        return ModelRecord(
            Kind.NETWORK, gate.name, gate.input_names, gate.output_names, table, 0.4, 0.45, 17, training
        )

    made = record(deeper, 2)
    assert recipe.differences(made) == []
    assert any("network changed" in d for d in recipe.differences(record(NetworkSpec(), 2)))
    assert any("network changed" in d for d in recipe.differences(record(deeper, 0)))
    assert any(
        "escalation ceiling changed (3 -> 1)" in d
        for d in Recipe(gate, NetworkSpec(), 0, 4, 0.4, 1).differences(made)
    )


def test_the_playground_says_gatenet_train_would_climb_the_ladder_where_it_stops(tmp_path):
    from gatenet.web import settings
    from gatenet.web.playground import Playground
    from gatenet.web.training import registry

    playground = Playground(tmp_path)
    try:
        document = {"inputs": 2, "table": ["0110"], "name": "PLAY_SHORT", "steps": 3, "speed": 3}
        session = playground.submit(settings.parse(document, registry()))
        deadline = time.monotonic() + 120
        while session.end is None:
            assert time.monotonic() < deadline, session.status()
            time.sleep(0.05)
    finally:
        playground.close()
    end = session.end
    assert end["state"] == "done" and end["verified"] is False, end
    assert end["problem"].startswith("no seed of 0 verified; the best, seed 0: row ")
    assert end["problem"].endswith(
        "gatenet train PLAY_SHORT would go on up its escalation ladder: more seeds, then a deeper network, "
        "then more steps"
    )
    assert not list(tmp_path.glob("*.onnx"))


def test_a_model_page_says_the_rung_that_learned_it(tmp_path):
    from gatenet.web.catalog import Catalog

    assert run("train", RUNG_1, "XOR", "--out", str(tmp_path)).exit_code == 0
    models = {model["name"]: model for model in Catalog.read(tmp_path).gallery(api=False)["models"]}
    assert models[RUNG_1]["training"]["rung"] == 1
    assert models["XOR"]["training"]["rung"] == 0


def test_show_says_the_rung_of_a_model_the_ladder_learned(tmp_path):
    assert run("train", RUNG_1, "--out", str(tmp_path)).exit_code == 0
    shown = run("show", RUNG_1, "--dir", str(tmp_path))
    assert shown.exit_code == 0, shown.output
    assert "restarts 4, escalate 3, margin 0.4" in shown.output
    assert ", rung 1 of the escalation ladder, hidden 16" in shown.output

    manifest = tmp_path / "manifest.json"  # a folder from someone else: its record's network is theirs
    document = json.loads(manifest.read_text())
    del document["models"][f"{RUNG_1.lower()}.onnx"]["network"]["hidden"]
    manifest.write_text(json.dumps(document))
    shown = run("show", RUNG_1, "--dir", str(tmp_path))
    assert shown.exit_code == 0, shown.output
    assert ", rung 1 of the escalation ladder\n" in shown.output
