"""The Playground trains a network of logic gates live (issue 21): the API refuses bad logic settings
naming the field, streams each node's leaning gate and how sure it is, and ends with the circuit
`gatenet train --kind logic` would learn, committed as a verified logic model; in Chromium a user picks
the logic kind, trains XOR, sees the nodes labelled with gate names while it trains and the circuit drawn
at the end."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from click.testing import CliRunner
from folder_tools import copy_models
from web_tools import GuardedPage, events, post_json, request, wait_until

from gatenet.cli import cli
from gatenet.logic_learner import learn_circuit
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import FUNCTION_NAMES, Netlist, exact
from gatenet.plugins import collect_gates
from gatenet.record import Kind
from gatenet.runtime import load_dir
from gatenet.store import ModelFolder

STATE = "document.querySelector('article.playground')?.dataset"
IDLE = "article.playground[data-state='idle']"
SMALL = {"logic_restarts": 4, "logic_steps": 150}  # XOR is exact in 1 gate well before step 150


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The served folder: XOR's shipped network model. The playground writes to `playground/` beside it."""
    return copy_models(tmp_path_factory.mktemp("logic") / "models", ["XOR"])


@pytest.fixture(scope="module")
def played(folder):
    return folder.resolve().parent / "playground"


@pytest.mark.parametrize(
    ("settings", "field", "start"),
    [
        ({"logic_width": 17}, "logic_width", "logic_width: at most 16, got 17"),
        ({"logic_width": 0}, "logic_width", "logic_width: expected a whole number >= 1, got 0"),
        ({"logic_depth": 9}, "logic_depth", "logic_depth: at most 8, got 9"),
        ({"logic_depth": "3"}, "logic_depth", "logic_depth: expected a whole number >= 0, got '3'"),
        ({"logic_wiring": "dense"}, "logic_wiring", "logic_wiring: expected one of random, learned"),
        ({"logic_restarts": 33}, "logic_restarts", "logic_restarts: at most 32, got 33"),
        ({"logic_restarts": True}, "logic_restarts", "logic_restarts: expected a whole number >= 1"),
        ({"logic_steps": 0}, "logic_steps", "logic_steps: expected a whole number >= 1, got 0"),
        ({"logic_steps": 5001}, "logic_steps", "logic_steps: at most 5,000, got 5,001"),
        ({"hidden": [4]}, "hidden", "hidden: not a setting of a logic training"),
        ({"kind": "fuzzy"}, "kind", "kind: expected one of network, logic, got 'fuzzy'"),
        ({"kind": "network", "logic_width": 4}, "logic_width", "logic_width: not a setting of a network"),
    ],
)
def test_bad_logic_settings_are_refused_in_one_line_naming_the_field(server, settings, field, start):
    status, answer = post_json(server, "/api/train", {"gate": "XOR", "kind": "logic", **settings})
    assert (status, answer["field"]) == (400, field), answer
    assert answer["error"].startswith(start) and "\n" not in answer["error"]
    assert json.loads(request(server, "/api/playground")[2])["busy"] == {"running": 0, "waiting": 0}


def test_the_offer_gives_each_gate_its_logic_network_and_the_gate_names(server):
    offer = json.loads(request(server, "/api/playground")[2])
    assert offer["kinds"] == ["network", "logic"] and offer["functions"] == list(FUNCTION_NAMES)
    assert offer["logic"] == LogicSpec().to_dict()  # gatenet's defaults
    assert offer["limits"]["logic_width"] == 16 and offer["limits"]["logic_steps"] == 5000
    assert {gate["name"]: gate["logic"] for gate in offer["gates"]}["XOR"] == LogicSpec(escalate=0).to_dict()


def test_a_logic_training_streams_gates_and_commits_the_circuit_gatenet_train_learns(server, played):
    settings = {"gate": "XOR", "kind": "logic", "name": "PLAY_LOGIC_API", "speed": 10, **SMALL}
    status, answer = post_json(server, "/api/train", settings)
    assert status == 202, answer
    seen = events(server, f"/{answer['events']}", limit=120)
    progress = [data for name, data in seen if name == "progress"]
    # 15 updates of 10 steps and the start; a slow reader may skip pictures, never curve points
    assert progress[0]["step"] == 0 and progress[-1]["step"] == 150 and progress[-1]["steps"] == 150
    assert [point[0] for frame in progress for point in frame["curve"]] == list(range(0, 151, 10))
    nodes = 3 * 4 + 1  # LogicSpec's 3 layers of 4, then the output's node
    for frame in progress:
        assert len(frame["functions"]) == len(frame["sure"]) == len(frame["wires"]) == nodes
        assert all(0 <= f < 16 for f in frame["functions"])
        assert all(1 / 16 <= p <= 1 for p in frame["sure"])
        assert all(0 <= a < 2 + k and 0 <= b < 2 + k for k, (a, b) in enumerate(frame["wires"]))
        assert len(frame["losses"]) == len(frame["accuracies"]) == 4
        assert frame["accuracy"] == max(frame["accuracies"]) == frame["accuracies"][frame["shown"]]
    assert progress[-1]["accuracy"] == 1.0 and progress[-1]["best_gates"] == 1

    name, end = seen[-1]
    assert name == "end" and end["state"] == "done" and end["verified"], end.get("problem")
    assert end["file"] == "play_logic_api.onnx" and end["gates"] == 1 and end["worst_margin"] == 0.5
    learned = learn_circuit(collect_gates().find("XOR"), LogicSpec(restarts=4, steps=150), seed=0)
    assert end["circuit"] == learned.netlist.to_dict() and end["first_right_step"] == learned.step
    assert [node["op"] for node in end["circuit"]["nodes"]] == ["XOR"]

    entry = ModelFolder(played).entries()["play_logic_api.onnx"]
    assert entry.kind is Kind.LOGIC and entry.gate == "PLAY_LOGIC_API"
    assert entry.logic == {"gates": 1, "depth": 1, "rung": 0}
    assert entry.training.network == LogicSpec(restarts=4, steps=150, escalate=0).to_dict()
    model = load_dir(played)["play_logic_api"]
    assert model.verify().verified
    netlist = Netlist.from_dict(end["circuit"])
    assert exact(netlist, model.table) is None
    result = CliRunner().invoke(cli, ["verify", "--dir", str(played)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def guarded(browser, server):
    """A fresh page; after the test, it must have logged no error and stayed on its origin."""
    guarded = GuardedPage(browser, server)
    yield guarded
    errors, foreign = list(guarded.errors), list(guarded.foreign)
    guarded.close()
    assert errors == [] and foreign == []


LABELS = """nodes => nodes.map(node => [
    node.dataset.gate, node.querySelector('.gate-name').textContent, Number(node.dataset.sure)])"""


def test_a_user_picks_logic_trains_xor_and_sees_gates_then_the_circuit(guarded, server, played, tmp_path):
    page = guarded.page
    page.goto(f"{server}/#playground?gate=XOR&name=PLAY_LOGIC_XOR&speed=2")
    page.wait_for_selector(
        'article.playground[data-state="idle"] button[data-action="train"]:not([disabled])'
    )
    page.select_option('select[name="kind"]', "logic")
    page.wait_for_selector('input[name="logic_width"]')
    assert page.query_selector('input[name="layers"]') is None  # the network's fields are gone
    page.fill('input[name="logic_restarts"]', "4")
    page.fill('input[name="logic_steps"]', "150")
    shared = page.evaluate("location.hash")
    assert "kind=logic" in shared and "logic_steps=150" in shared and "hidden" not in shared
    page.click('button[data-action="train"]')

    # While it trains: every node is labelled with the gate it leans to, and how sure it is.
    wait_until(page, f"Number({STATE}.step) >= 20 && {STATE}.state === 'running'", timeout=60)
    labels = page.eval_on_selector_all("svg.logic-network .logic-node", LABELS)
    assert len(labels) == 13
    assert all(gate in FUNCTION_NAMES and text == gate and 1 / 16 <= sure <= 1 for gate, text, sure in labels)
    assert page.inner_text(".logic-headline").startswith("Restart #")
    assert len(page.query_selector_all(".restart-list li")) == 4
    assert (
        page.query_selector("svg.logic-network .output-node:not(.unused)") is not None
    )  # read: it is the output
    assert len(page.query_selector_all(".restart-list li.shown")) == 1
    assert page.query_selector("svg.circuit") is None
    page.screenshot(path=str(tmp_path / "logic-training.png"), full_page=True)

    # At the end: the circuit, drawn from the verified netlist, and the model in the gallery.
    wait_until(page, f"{STATE}.state === 'done'", timeout=120)
    page.wait_for_selector("svg.circuit")
    assert page.get_attribute("svg.circuit", "data-gates") == "1"
    gates = page.eval_on_selector_all("svg.circuit .circuit-gate", "gates => gates.map(g => g.dataset.gate)")
    assert gates == ["XOR"]
    assert page.eval_on_selector_all("svg.circuit .wire", "wires => wires.length") == 3  # a and b in, out
    outcome = page.inner_text(".outcome")
    assert "PLAY_LOGIC_XOR verified, and in the gallery" in outcome
    assert "A circuit of 1 gate, exact on every row" in outcome
    assert page.get_attribute("svg.curve", "aria-label").startswith("Learning curve over 150 steps")
    page.wait_for_selector('a.model-link[data-key="play_logic_xor"]')
    page.screenshot(path=str(tmp_path / "logic-trained.png"), full_page=True)
    assert ModelFolder(played).entries()["play_logic_xor.onnx"].kind is Kind.LOGIC


def test_pause_step_reset_and_stop_work_on_a_logic_training_as_on_a_network(tmp_path):
    from gatenet.web import settings
    from gatenet.web.playground import Playground
    from gatenet.web.training import registry

    playground = Playground(tmp_path / "played")
    document = {"gate": "XOR", "kind": "logic", "name": "PLAY_LOGIC_STOP", "logic_steps": 5000, "speed": 3}
    session = playground.submit(settings.parse(document, registry()))
    watcher = session.watch(asyncio.new_event_loop())  # watched, so it is not stopped as abandoned
    try:
        deadline = time.monotonic() + 60
        while not (session.frame and session.frame["step"] >= 30):
            assert time.monotonic() < deadline, session.status()
            time.sleep(0.02)
        assert playground.control(session, "pause")["state"] == "paused"
        paused = session.frame["step"]
        assert paused % 3 == 0
        for count in (1, 2):  # a Step trains exactly `speed` steps, and answers once it has
            assert playground.control(session, "step")["state"] == "paused"
            assert session.frame["step"] == paused + 3 * count
        assert len(session.frame["functions"]) == 13 and session.frame["shown"] in range(16)
        assert playground.control(session, "reset")["state"] == "paused"
        assert (session.frame["step"], session.run) == (0, 2)
        assert playground.control(session, "stop")["state"] == "stopped"
        assert session.end == {
            **session.end,
            "state": "stopped",
            "step": 0,
            "reason": "stopped from the page",
        }
        assert not (tmp_path / "played" / "play_logic_stop.onnx").exists()
    finally:
        session.unwatch(watcher)
        playground.close()
