"""The playground and the replays, in a real browser (Chromium through Playwright) against a real
`gatenet serve` server on a folder trained here (so its histories carry weight snapshots), with real,
small trainings: the page streams, draws, pauses, steps, resets and stops them; what they make is
verified and joins the gallery; a shared URL trains the same network; the server refuses what it must.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import types
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from web_tools import (
    CONSOLE_404,
    GuardedPage,
    events,
    gray_code,
    post_json,
    request,
    static_server,
    wait_until,
)

from gatenet import runtime
from gatenet.cli import cli
from gatenet.store import ModelFolder

STATE = "document.querySelector('article.playground')?.dataset"
FORWARD = """async ([network, weights, points]) => {
    const { Net } = await import('./js/forward.js');
    const net = new Net(network, weights);
    return Array.from(net.run(Float64Array.from(points.flat()), points.length).at(-1));
}"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """XOR and FULL_ADDER as `gatenet train` makes them: with weight snapshots in their histories."""
    folder = tmp_path_factory.mktemp("playground") / "models"
    result = CliRunner().invoke(cli, ["train", "XOR", "FULL_ADDER", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def played(folder):
    """Where the server's playground writes by default: `playground/` beside the served folder."""
    return folder.resolve().parent / "playground"


@pytest.fixture
def guarded(browser, server):
    """A fresh page; after the test, it must have logged no error and stayed on its origin."""
    guarded = GuardedPage(browser, server)
    yield guarded
    errors, foreign = list(guarded.errors), list(guarded.foreign)
    guarded.close()
    assert errors == []
    assert foreign == []


def open_playground(page, server: str, query: str) -> None:
    page.goto(f"{server}/#playground?{query}")
    page.wait_for_selector(
        'article.playground[data-state="idle"] button[data-action="train"]:not([disabled])'
    )


def state(page) -> dict:
    return page.evaluate(f"({{...{STATE}}})")


def wait_for_state(page, wanted: str, timeout: float = 60) -> dict:
    wait_until(page, f"{STATE}.state === {json.dumps(wanted)}", timeout)
    return state(page)


def test_training_xor_streams_live_and_ends_in_the_gallery_running_in_the_browser(
    guarded, server, folder, played, tmp_path
):
    page = guarded.page
    open_playground(page, server, "gate=XOR&speed=10")  # gatenet train's network for XOR: 1000 steps
    page.click('button[data-action="train"]')
    wait_until(page, f"Number({STATE}.step) >= 300")
    page.wait_for_selector('canvas.network[data-tiles="drawn"]')
    page.wait_for_selector("canvas.surface[data-output]")
    assert page.get_attribute("canvas.network", "data-lines") == str(2 * 16 + 16)
    page.screenshot(path=str(tmp_path / "training.png"), full_page=True)
    done = wait_for_state(page, "done")
    assert int(done["updates"]) >= 20 and int(done["step"]) == 1000
    assert float(done["rate"]) >= 10, done  # updates a second the page received while it trained
    outcome = page.inner_text(".outcome")
    assert "PLAY_XOR verified, and in the gallery" in outcome and "play_xor.onnx" in outcome
    assert page.get_attribute("svg.curve", "aria-label").startswith("Learning curve over 1,000 steps")
    page.wait_for_selector('a.model-link[data-key="play_xor"]')  # the gallery read the folder again
    page.screenshot(path=str(tmp_path / "trained.png"), full_page=True)

    # The same seed and network as `gatenet train XOR` (the folder's xor.onnx): the same network.
    models = runtime.load_dir(folder) | runtime.load_dir(played)
    rows = [[a, b] for a in (0, 1) for b in (0, 1)]
    assert np.array_equal(models["play_xor"].probabilities(rows), models["xor"].probabilities(rows))
    assert "play_xor.onnx" not in ModelFolder(folder).entries()  # the served folder stays as it was
    history = ModelFolder(played).read_history("play_xor.onnx")
    assert history["snapshots"] == ModelFolder(folder).read_history("xor.onnx")["snapshots"]

    page.click(".outcome a")
    page.wait_for_selector('article.model[data-key="play_xor"] .outputs[data-row="0"]')
    assert page.query_selector('a.model-link[data-key="play_xor"]') is not None
    for row, bits in enumerate(rows):
        if row:
            changed = [i for i in (0, 1) if bits[i] != rows[row - 1][i]]
            for i in changed:
                page.click(f'button.bit[data-input="{i}"]')
        page.wait_for_selector(f'.outputs[data-row="{row}"]')
        shown = page.eval_on_selector_all(
            ".out", "items => items.map(item => Number(item.dataset.probability))"
        )
        assert np.abs(np.asarray(shown) - models["play_xor"].probabilities([bits])[0]).max() <= 1e-6


def test_pause_step_reset_and_stop(guarded, server, played):
    page = guarded.page
    open_playground(page, server, "gate=XOR&name=PLAY_STOPPED&steps=20000&speed=5")
    page.focus('button[data-action="train"]')  # the keyboard drives it as well as the mouse
    page.keyboard.press("Enter")
    wait_until(page, f"Number({STATE}.step) >= 50")
    page.focus('button[data-action="pause"]')
    page.keyboard.press("Space")
    paused = wait_for_state(page, "paused")
    page.wait_for_selector('button[data-action="step"]:not([disabled])')
    for count in (1, 2):
        page.click('button[data-action="step"]')
        wait_until(page, f"Number({STATE}.step) === {int(paused['step']) + 5 * count}")
    page.click('button[data-action="reset"]')
    wait_until(page, f"{STATE}.run === '2' && {STATE}.step === '0' && {STATE}.state === 'paused'")
    page.click('button[data-action="pause"]')  # now labelled Resume
    wait_until(page, f"{STATE}.state === 'running' && Number({STATE}.step) >= 20")
    page.click('button[data-action="stop"]')
    stopped = wait_for_state(page, "stopped")
    assert "Nothing was written (stopped from the page)" in page.inner_text(".outcome")
    assert not (played / "play_stopped.onnx").exists()
    assert "play_stopped.onnx" not in ModelFolder(played).entries()
    assert int(stopped["step"]) < 20000
    busy = json.loads(request(server, "/api/playground")[2])["busy"]
    assert busy == {"running": 0, "waiting": 0}  # ready for the next training
    page.wait_for_selector('button[data-action="train"]:not([disabled])')


def test_clicking_playground_while_it_trains_goes_on_training(guarded, server):
    page = guarded.page
    open_playground(page, server, "gate=XOR&name=PLAY_KEPT&steps=20000&speed=5")
    page.click('button[data-action="train"]')
    wait_until(page, f"Number({STATE}.step) >= 50")
    page.evaluate("document.querySelector('article.playground').dataset.mark = 'kept'")
    page.click("a.playground-link")  # the view shown: selecting it again must not stop the training
    step = int(state(page)["step"])
    wait_until(page, f"Number({STATE}.step) >= {step + 100}", timeout=15)
    assert state(page)["mark"] == "kept" and state(page)["state"] == "running"
    assert json.loads(request(server, "/api/playground")[2])["busy"]["running"] == 1
    page.click('button[data-action="stop"]')
    wait_for_state(page, "stopped")


def shown_rows(page, inputs: int) -> list[list[float]]:
    """The model page's outputs for every row, clicking the bits in Gray code order; in row order."""
    shown, bits = {}, [0] * inputs
    for row in gray_code(inputs):
        wanted = [(row >> (inputs - 1 - i)) & 1 for i in range(inputs)]
        for i in [i for i in range(inputs) if wanted[i] != bits[i]]:
            page.click(f'button.bit[data-input="{i}"]')
        bits = wanted
        page.wait_for_selector(f'.outputs[data-row="{row}"]')
        shown[row] = page.eval_on_selector_all(
            ".out", "items => items.map(i => Number(i.dataset.probability))"
        )
    return [shown[row] for row in sorted(shown)]


def test_a_model_retrained_under_the_same_name_runs_its_new_file(guarded, server, played):
    status, answer = post_json(
        server, "/api/train", {"inputs": 2, "table": ["0110"], "name": "PLAY_T", "speed": 50}
    )
    assert status == 202, answer
    assert events(server, f"/{answer['events']}")[-1][1]["verified"] is True
    rows = [[a, b] for a in (0, 1) for b in (0, 1)]
    page = guarded.page
    page.goto(f"{server}/#play_t")
    page.wait_for_selector('article.model[data-key="play_t"] .outputs[data-row="0"]')
    first = runtime.load_dir(played)["play_t"].probabilities(rows)
    assert np.abs(np.asarray(shown_rows(page, 2)) - first).max() <= 1e-6

    # Retrain it from the same page (no reload: the page keeps what it loaded) on another table.
    page.evaluate("document.querySelector('a.model-link[data-key=play_t]').dataset.old = 'yes'")
    page.evaluate("location.hash = '#playground?inputs=2&table=0001&name=PLAY_T&speed=50'")
    page.wait_for_selector('article.playground button[data-action="train"]:not([disabled])')
    page.click('button[data-action="train"]')  # PLAY_T is in the folder: the server asks first
    page.wait_for_selector('button[data-action="replace"]')
    assert "PLAY_T is already in" in page.inner_text(".status")
    assert runtime.load_dir(played)["play_t"].probabilities(rows).tolist() == first.tolist()
    page.click('button[data-action="replace"]')
    wait_for_state(page, "done")
    page.wait_for_selector('a.model-link[data-key="play_t"]:not([data-old])')  # the gallery was read again
    page.click(".outcome a")
    page.wait_for_selector('article.model[data-key="play_t"] .outputs[data-row="0"]')
    entry = ModelFolder(played).entries()["play_t.onnx"]
    assert page.get_attribute("code.digest", "title") == entry.sha256
    second = runtime.load_dir(played)["play_t"].probabilities(rows)
    assert np.abs(second - first).max() > 0.5  # XOR, then AND: rows 01 and 10 differ
    assert np.abs(np.asarray(shown_rows(page, 2)) - second).max() <= 1e-6
    assert [error for error in guarded.errors if CONSOLE_404 not in error] == []
    guarded.errors.clear()  # Chromium's own line for the 409 the test asked for


def form_values(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "article.playground [name], .editor button",
        "controls => controls.map(c => [c.name || c.getAttribute('aria-label'), c.value ?? c.textContent])",
    )


def test_a_shared_url_sets_up_the_same_experiment_and_trains_the_same_network(
    browser, guarded, server, played
):
    page = guarded.page
    open_playground(page, server, "")
    page.select_option('select[name="gate"]', "")  # your own truth table
    page.select_option('select[name="inputs"]', "3")
    for row in (1, 2, 4, 7):  # 3-input parity
        page.click(f'.editor button[data-row="{row}"][data-output="0"]')
    page.fill('input[name="layers"]', "2")
    page.fill('input[name="units-0"]', "6")
    page.fill('input[name="activation-1"]', "tanh")
    page.fill('input[name="learning_rate"]', "0.05")
    page.fill('input[name="steps"]', "400")
    page.fill('input[name="seed"]', "7")
    page.fill('input[name="name"]', "PLAY_SHARED")
    page.fill('input[name="speed"]', "20")
    shared = page.evaluate("location.href")  # page.url follows replaceState a moment later
    for setting in ("table=01101001", "hidden=6,16", "activation=relu,tanh", "seed=7", "speed=20"):
        assert setting in shared, shared
    filled = form_values(page)
    page.click('button[data-action="train"]')
    wait_for_state(page, "done")
    first = (played / "play_shared.onnx").read_bytes()
    first_history = ModelFolder(played).read_history("play_shared.onnx")

    other = GuardedPage(browser, server)
    try:
        other.page.goto(shared)
        other.page.wait_for_selector('button[data-action="train"]:not([disabled])')
        assert other.page.evaluate("location.href") == shared
        assert form_values(other.page) == filled
        other.page.click('button[data-action="train"]')
        other.page.click('button[data-action="replace"]')  # the same name: replaced only when confirmed
        wait_for_state(other.page, "done")
        assert [error for error in other.errors if CONSOLE_404 not in error] == [] and other.foreign == []
    finally:
        other.close()
    assert (played / "play_shared.onnx").read_bytes() == first
    assert ModelFolder(played).read_history("play_shared.onnx") == first_history


def test_a_refusal_marks_the_field_in_the_form(guarded, server):
    page = guarded.page
    open_playground(page, server, "gate=NOPE")
    assert "names the gate NOPE, which this server does not offer" in page.inner_text(".status")
    open_playground(page, server, "gate=XOR&name=XOR")
    page.click('button[data-action="train"]')
    page.wait_for_selector('input[name="name"][aria-invalid="true"]')
    assert "XOR is a registered gate or circuit" in page.inner_text(".form-error")
    assert page.evaluate("document.activeElement.name") == "name"
    assert [error for error in guarded.errors if CONSOLE_404 not in error] == []
    guarded.errors.clear()  # Chromium's own line for the 409 the test asked for


def test_a_replay_moves_through_the_snapshots(guarded, server, folder):
    page = guarded.page
    snapshots = ModelFolder(folder).read_history("xor.onnx")["snapshots"]
    page.goto(f"{server}/#xor")
    page.click("a.replay-link")
    page.wait_for_selector('article.replay[data-snapshot="0"]')
    page.wait_for_selector('canvas.surface[data-output="0"]')
    slider = 'article.replay input[type="range"]'
    assert int(page.get_attribute(slider, "max")) == len(snapshots) - 1
    wait_until(page, "document.querySelector('.picture-network').dataset.step === '0'")
    start = page.eval_on_selector("canvas.surface", "c => c.toDataURL()")
    page.focus(slider)
    page.keyboard.press("End")
    wait_until(page, f"document.querySelector('article.replay').dataset.snapshot === '{len(snapshots) - 1}'")
    assert page.get_attribute("article.replay", "data-step") == str(snapshots[-1]["step"])
    wait_until(page, f"document.querySelector('.picture-network').dataset.step === '{snapshots[-1]['step']}'")
    assert page.eval_on_selector("canvas.surface", "c => c.toDataURL()") != start
    page.keyboard.press("Home")
    page.click("article.replay button.primary")  # Play
    wait_until(page, "Number(document.querySelector('article.replay').dataset.snapshot) >= 3")
    page.click("article.replay button.primary")  # Pause
    assert page.get_attribute("article.replay", "data-playing") == "false"


@pytest.mark.parametrize("key", ["xor", "full_adder"])
def test_the_javascript_forward_pass_of_the_last_snapshot_matches_onnxruntime(guarded, server, folder, key):
    page = guarded.page
    page.goto(f"{server}/#{key}")
    page.wait_for_selector(f'article.model[data-key="{key}"] .outputs[data-row="0"]')
    entry = ModelFolder(folder).entries()[f"{key}.onnx"]
    weights = ModelFolder(folder).read_history(f"{key}.onnx")["snapshots"][-1]["weights"]
    model = runtime.load_dir(folder)[key]
    rng = np.random.default_rng(0)
    points = np.vstack([model.rows, rng.uniform(0, 1, (40, model.inputs))]).astype(np.float32)
    shown = page.evaluate(FORWARD, [entry.training.network, weights, points.tolist()])
    expected = model.probabilities_between(points)
    assert np.abs(np.asarray(shown).reshape(expected.shape) - expected).max() <= 1e-4


def test_every_javascript_activation_is_keras_s(guarded, server):
    import keras

    page = guarded.page
    page.goto(f"{server}/#xor")
    page.wait_for_selector(".outputs[data-row]")
    x = np.linspace(-7, 7, 141)
    shown = page.evaluate(
        """async (x) => {
            const { ACTIVATIONS, KNOWN, Net } = await import('./js/forward.js');
            const each = Object.fromEntries(Object.entries(ACTIVATIONS).map(([name, f]) => [name, x.map(f)]));
            const identity = [[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]];
            const rows = Float64Array.from(x.slice(0, 3 * 40));
            const layer = (name) => Array.from(
                new Net({ hidden: [], activation: [], output_activation: name }, identity).run(rows, 40)[0]);
            return { each, known: KNOWN, softmax: layer('softmax'), log_softmax: layer('log_softmax') };
        }""",
        x.tolist(),
    )
    wanted = {
        "relu",
        "tanh",
        "sigmoid",
        "linear",
        "elu",
        "selu",
        "softplus",
        "softsign",
        "leaky_relu",
        "swish",
        "silu",
        "gelu",
        "relu6",
        "hard_sigmoid",
        "exponential",
        "softmax",
    }
    assert wanted <= set(shown["known"])
    for name, values in shown["each"].items():
        expected = np.asarray(keras.activations.get(name)(x.astype(np.float32)))
        assert np.allclose(values, expected, rtol=1e-5, atol=1e-6), name
    rows = x[: 3 * 40].reshape(40, 3).astype(np.float32)
    for name in ("softmax", "log_softmax"):
        expected = np.asarray(keras.activations.get(name)(rows))
        assert np.allclose(np.reshape(shown[name], (40, 3)), expected, rtol=1e-5, atol=1e-6), name


def test_an_activation_without_a_javascript_version_draws_no_picture(guarded, server):
    page = guarded.page
    page.goto(f"{server}/#xor")
    page.wait_for_selector(".outputs[data-row]")
    drawn = page.evaluate(
        """async () => {
            const { Picture } = await import('./js/picture.js');
            const network = { hidden: [2], activation: ['sparsemax'], output_activation: 'sigmoid' };
            const picture = new Picture({ inputs: ['a', 'b'], outputs: ['out'], network, columns: ['0110'] });
            const holder = document.createElement('div');
            holder.append(...picture.element);
            document.body.append(holder);
            picture.show([[[1, -1], [-1, 1]], [0, 0], [[1], [1]], [0]], null, 5);
            await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
            const result = { notice: holder.querySelector('.notice').textContent,
                tiles: holder.querySelector('canvas.network').dataset.tiles,
                lines: holder.querySelector('canvas.network').dataset.lines };
            holder.remove();
            return result;
        }"""
    )
    assert "uses sparsemax, which this page has no JavaScript version of" in drawn["notice"]
    assert drawn["tiles"] == "blank" and drawn["lines"] == "6"  # the weights are still facts worth drawing


def test_the_training_endpoints_and_the_stream_answer_only_their_own_page(server):
    foreign = {"Origin": "http://evil.example"}
    status, answer = post_json(server, "/api/train", {"gate": "XOR"}, foreign)
    assert (status, answer["field"]) == (403, "Origin")
    assert json.loads(request(server, "/api/playground", headers=foreign)[2])["field"] == "Origin"
    status, answer = post_json(
        server, "/api/train", {"gate": "XOR", "steps": 300, "speed": 10, "name": "PLAY_API"}
    )
    assert status == 202 and answer["events"] == f"api/train/{answer['session']}/events"
    stream = f"/{answer['events']}"
    port = server.rsplit(":", 1)[1]
    for headers, field in [(foreign, "Origin"), ({"Host": f"evil.example:{port}"}, "Host")]:
        status, _, body = request(server, stream, headers=headers)
        assert (status, json.loads(body)["field"]) == (403, field)
        status, _, body = request(server, f"/api/train/{answer['session']}/pause", "POST", headers)
        assert (status, json.loads(body)["field"]) == (403, field)
    seen = events(server, stream)
    progress = [data for name, data in seen if name == "progress"]
    assert len(progress) >= 20 and progress[-1]["step"] == 300
    assert {"step", "loss", "accuracy", "probabilities", "weights", "curve"} <= progress[-1].keys()
    assert seen[-1] == ("end", {**seen[-1][1], "state": "done", "verified": True, "key": "play_api"})


@pytest.mark.parametrize(
    ("settings", "status", "field"),
    [
        ({"inputs": 5, "table": ["0" * 32]}, 400, "inputs"),
        ({"gate": "PARITY5"}, 400, "gate"),
        ({"gate": "NOPE"}, 400, "gate"),
        ({"inputs": 2, "table": ["011"]}, 400, "table"),
        ({"inputs": 2, "table": ["0120"]}, 400, "table"),
        ({"inputs": 2, "table": ["0110"] * 5}, 400, "table"),
        ({"gate": "XOR", "steps": 10**7}, 400, "steps"),
        ({"gate": "XOR", "steps": 0}, 400, "steps"),
        ({"gate": "XOR", "hidden": [10**4]}, 400, "hidden"),
        ({"gate": "XOR", "hidden": [4] * 5}, 400, "hidden"),
        ({"gate": "XOR", "activation": "relux"}, 400, "activation"),
        ({"gate": "XOR", "hidden": [4, 4], "activation": ["relu"] * 3}, 400, "activation"),
        ({"gate": "XOR", "output_activation": "relux"}, 400, "output_activation"),
        ({"gate": "XOR", "loss": "nope"}, 400, "loss"),
        ({"gate": "XOR", "optimizer": "nope"}, 400, "optimizer"),
        ({"gate": "XOR", "loss": "Loss"}, 400, "loss"),  # Keras knows its abstract base; it cannot train
        ({"gate": "XOR", "optimizer": "Optimizer"}, 400, "optimizer"),
        ({"gate": "XOR", "hidden": [3], "activation": "glu"}, 400, "activation"),  # glu halves an even width
        ({"gate": "XOR", "name": "PLAY_R", "replace": "yes"}, 400, "replace"),
        ({"gate": "XOR", "name": "A", "name ": "B"}, 400, "name "),
        ({"gate": "XOR", "learning_rate": 0}, 400, "learning_rate"),
        ({"gate": "XOR", "learning_rate": 1000}, 400, "learning_rate"),
        ({"gate": "XOR", "seed": -1}, 400, "seed"),
        ({"gate": "XOR", "speed": 0}, 400, "speed"),
        ({"gate": "XOR", "name": "1abc"}, 400, "name"),
        ({"gate": "XOR", "colour": "red"}, 400, "colour"),
        ({"gate": "XOR", "inputs": 2, "table": ["0110"]}, 400, "table"),
        ([], 400, "body"),
        ({"gate": "XOR", "name": "XOR"}, 409, "name"),
        ({"gate": "XOR", "name": "full_adder"}, 409, "name"),
        ({"gate": "XOR", "name": "Add4"}, 409, "name"),  # a circuit
    ],
)
def test_bad_settings_get_a_json_error_naming_the_field(server, settings, status, field):
    answer = post_json(server, "/api/train", settings)
    assert (answer[0], answer[1]["field"]) == (status, field), answer


def test_an_abstract_loss_is_refused_in_one_line_before_anything_trains(server):
    status, answer = post_json(server, "/api/train", {"gate": "XOR", "loss": "Loss", "name": "PLAY_LOSS"})
    assert (status, answer["field"]) == (400, "loss")
    assert answer["error"] == (
        "loss: Keras's 'Loss' cannot be used for training (NotImplementedError, with no message)"
    )
    assert json.loads(request(server, "/api/playground")[2])["busy"] == {"running": 0, "waiting": 0}


def test_a_key_given_twice_in_the_body_is_refused_naming_it(server):
    body = b'{"gate": "XOR", "name": "PLAY_ONE", "name": "XOR"}'
    status, _, answer = request(server, "/api/train", "POST", {"Content-Type": "application/json"}, body)
    assert (status, json.loads(answer)) == (
        400,
        {"error": "'name' is given twice in the body; give it once", "field": "name"},
    )


def test_the_playground_never_replaces_a_model_it_did_not_make_unless_told(server, played):
    import gatenet

    # A model trained from a plugin this server never loaded: it knows only the folder's manifest.
    mine = gatenet.Gate("MYC", ["a", "b"], [(0,), (1,), (1,), (0,)])
    assert gatenet.train(mine, out=played, steps=300).verified
    before = (played / "myc.onnx").read_bytes()
    settings = {"inputs": 2, "table": ["0001"], "name": "MYC", "speed": 250}
    status, answer = post_json(server, "/api/train", settings)
    assert status == 409, answer
    assert answer == {
        "error": f"MYC is already in {played} (myc.onnx, listed in its manifest); pick another name, or ask "
        "to replace it",
        "field": "name",
        "replaceable": True,
    }
    assert (played / "myc.onnx").read_bytes() == before
    (played / "stray.onnx").write_bytes(b"not ours either")  # unlisted, but a file all the same
    try:
        status, answer = post_json(server, "/api/train", {**settings, "name": "STRAY"})
        assert (status, answer["field"]) == (409, "name") and "(a file stray.onnx)" in answer["error"]
    finally:
        (played / "stray.onnx").unlink()
    status, answer = post_json(server, "/api/train", {**settings, "replace": True})  # the user confirmed
    assert status == 202, answer
    assert events(server, f"/{answer['events']}")[-1][1]["verified"] is True
    assert (played / "myc.onnx").read_bytes() != before
    assert ModelFolder(played).entries()["myc.onnx"].truth_table == ("0001",)


def test_bad_bodies_and_controls_name_what_is_wrong(server):
    as_text = request(server, "/api/train", "POST", {"Content-Type": "text/plain"}, b'{"gate": "XOR"}')
    assert (as_text[0], json.loads(as_text[2])["field"]) == (415, "content-type")
    broken = request(server, "/api/train", "POST", {"Content-Type": "application/json"}, b"{gate")
    assert (broken[0], json.loads(broken[2])["field"]) == (400, "body")
    huge = request(server, "/api/train", "POST", {"Content-Type": "application/json"}, b" " * 20_000)
    assert (huge[0], json.loads(huge[2])["field"]) == (413, "body")
    missing = request(server, "/api/train/nope/events")
    assert (missing[0], json.loads(missing[2])["field"]) == (404, "session")
    deep = b"[" * 5000 + b"]" * 5000  # under the size cap, past Python's recursion limit
    nested = b'{"gate": "XOR", "hidden": ' + b"[" * 20 + b"4" + b"]" * 20 + b"}"
    for body in (deep, nested):
        answer = request(server, "/api/train", "POST", {"Content-Type": "application/json"}, body)
        assert answer[1]["content-type"] == "application/json", answer
        assert (answer[0], json.loads(answer[2])["field"]) == (400, "body"), answer


def test_one_training_at_a_time_with_a_short_queue(server):
    settings = {"gate": "XOR", "steps": 20000, "speed": 1}
    answers = [post_json(server, "/api/train", {**settings, "name": f"PLAY_Q{n}"}) for n in range(4)]
    assert [status for status, _ in answers] == [202, 202, 202, 429]
    assert answers[3][1]["field"] == "queue"
    assert [answer["position"] for _, answer in answers[1:3]] == [1, 2]
    running, first, second = (answer["session"] for _, answer in answers[:3])
    assert post_json(server, f"/api/train/{running}/warp", {})[1]["field"] == "action"
    deadline = time.monotonic() + 60  # the first training compiles its program before it runs
    while (step := post_json(server, f"/api/train/{running}/step", {}))[1]["error"].endswith("starting now"):
        assert time.monotonic() < deadline, step
        time.sleep(0.05)
    assert step == (
        409,
        {"error": "step works while the training is paused; pause it first", "field": "action"},
    )
    assert post_json(server, f"/api/train/{running}/speed", {"speed": 0})[1]["field"] == "speed"
    for body, field in [([], "body"), ("x", "body"), ({"speed": 5, "colour": "red"}, "colour")]:
        status, answer = post_json(server, f"/api/train/{running}/speed", body)
        assert (status, answer["field"]) == (400, field), answer
    for session in (second, first, running):
        assert post_json(server, f"/api/train/{session}/stop", {})[0] == 200
        end = events(server, f"/api/train/{session}/events")[-1]
        assert end[0] == "end" and end[1]["state"] == "stopped", end
    assert json.loads(request(server, "/api/playground")[2])["busy"] == {"running": 0, "waiting": 0}
    assert post_json(server, f"/api/train/{running}/resume", {})[0] == 409  # it has ended


class FakeTraining:
    """Stands in for `gatenet.trainer.LiveTraining`: instant steps. A test sets what happens at the last
    step (`at_last`) and as the export begins (`at_export`)."""

    at_last = staticmethod(lambda: None)
    at_export = staticmethod(lambda: None)

    def __init__(self, gate: object, network: object, seed: int) -> None:
        self.step, self.steps = 0, network.steps

    @property
    def done(self) -> bool:
        return self.step >= self.steps

    def advance(self, steps: int) -> dict:
        self.step = min(self.steps, self.step + steps)
        if self.done:
            self.at_last()
        return {"step": self.step, "loss": 0.1, "accuracy": 1.0, "probabilities": [], "weights": []}

    def result(self) -> None:
        return None


@pytest.fixture
def fake_playground(tmp_path, monkeypatch):
    """A Playground over an empty folder whose trainings are FakeTraining and whose export only records
    that it ran (`exported`), each in a few milliseconds; yields it, its export log and a request."""
    from gatenet.web import settings
    from gatenet.web.playground import Playground
    from gatenet.web.training import registry

    exported = []

    def export_trained(trained: None, out_dir: Path, writer: object) -> types.SimpleNamespace:
        FakeTraining.at_export()
        exported.append(out_dir)
        path = out_dir / "play_late.onnx"
        return types.SimpleNamespace(
            verified=True, worst_margin=0.4, first_right_step=1, problem=None, path=path
        )

    monkeypatch.setattr("gatenet.pipeline.export_trained", export_trained)
    playground = Playground(tmp_path)
    monkeypatch.setattr(playground, "trainer", lambda: types.SimpleNamespace(LiveTraining=FakeTraining))
    document = {"inputs": 2, "table": ["0110"], "name": "PLAY_LATE", "steps": 10, "speed": 10}
    yield playground, exported, settings.parse(document, registry())
    playground.close()


def ended(session, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while session.end is None:
        assert time.monotonic() < deadline, session.status()
        time.sleep(0.01)
    return session.end


def test_a_stop_that_comes_after_the_last_step_still_writes_nothing(fake_playground, monkeypatch):
    playground, exported, settings = fake_playground
    submitted, sessions = threading.Event(), []

    def stop_now() -> None:  # the page's Stop arrives just as the last update is computed
        submitted.wait(10)
        threading.Thread(target=playground.control, args=(sessions[0], "stop"), daemon=True).start()
        wait_for(lambda: sessions[0].stopped_because)

    monkeypatch.setattr(FakeTraining, "at_last", staticmethod(stop_now))
    sessions.append(playground.submit(settings))
    submitted.set()
    end = ended(sessions[0])
    assert end == {**end, "state": "stopped", "reason": "stopped from the page", "step": 10}
    assert exported == []


def test_stop_and_reset_while_exporting_get_409_on_action(fake_playground, monkeypatch):
    from gatenet.web.errors import Refusal

    playground, exported, settings = fake_playground
    exporting, release = threading.Event(), threading.Event()

    def slow_export() -> None:
        exporting.set()
        release.wait(10)

    monkeypatch.setattr(FakeTraining, "at_export", staticmethod(slow_export))
    session = playground.submit(settings)
    assert exporting.wait(10)
    assert session.status()["state"] == "exporting"
    for action in ("stop", "reset"):
        with pytest.raises(Refusal) as refused:
            playground.control(session, action)
        assert (refused.value.status_code, refused.value.field) == (409, "action")
        assert "exporting" in refused.value.detail
    release.set()
    assert ended(session)["state"] == "done" and len(exported) == 1


def test_a_training_nobody_watches_is_stopped(server, monkeypatch):
    import gatenet.web.playground as playground

    monkeypatch.setattr(playground, "GRACE", 0.3)
    status, answer = post_json(server, "/api/train", {"gate": "XOR", "steps": 20000, "name": "PLAY_ALONE"})
    assert status == 202
    for _ in range(300):  # read its stream only once it ended: a reader is a watcher
        if json.loads(request(server, "/api/playground")[2])["busy"] == {"running": 0, "waiting": 0}:
            break
        time.sleep(0.1)
    end = events(server, f"/{answer['events']}")[-1]
    assert end == ("end", {**end[1], "state": "stopped", "reason": "nobody watched it"})


def test_without_the_train_extra_the_playground_says_so(guarded, server, monkeypatch):
    import gatenet.web.playground as playground
    import gatenet.web.training as training

    for module in (playground, training):
        monkeypatch.setattr(module, "missing_extra", lambda: "tensorflow")
    offer = json.loads(request(server, "/api/playground")[2])
    assert offer["available"] is False and "pip install 'gatenet-logic[train]'" in offer["problem"]
    assert post_json(server, "/api/train", {"gate": "XOR"})[1]["field"] == "train"
    page = guarded.page
    page.goto(f"{server}/#playground")
    page.wait_for_selector('article.playground button[data-action="train"][disabled]')
    assert "This server cannot train: training needs the 'train' extra" in page.inner_text(
        "article.playground"
    )


def test_a_static_site_replays_and_has_no_playground(browser, folder, tmp_path):
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["site", "--dir", str(folder), "--out", str(site)])
    assert result.exit_code == 0, result.output
    assert json.loads((site / "details" / "xor.json").read_text())["history"]["snapshots"]
    with static_server(site) as url:
        guarded = GuardedPage(browser, url)
        try:
            page = guarded.page
            page.goto(f"{url}/#replay/full_adder")
            page.wait_for_selector('article.replay[data-snapshot="0"]')
            page.wait_for_selector("table.rows-live")
            assert page.query_selector(".playground-link") is None
            page.focus('article.replay input[type="range"]')
            page.keyboard.press("End")
            wait_until(page, "document.querySelector('article.replay').dataset.snapshot !== '0'")
            wait_until(
                page, "!document.querySelector('.rows-live td.out-cell.wrong')"
            )  # it learned the table
            page.goto(f"{url}/#playground")
            page.wait_for_selector("text=The playground needs gatenet serve")
            assert guarded.errors == [] and guarded.foreign == []
        finally:
            guarded.close()


def test_reset_then_resume_stays_running(fake_playground, monkeypatch):
    playground, exported, settings = fake_playground
    session = playground.submit(dataclasses.replace(settings, network=long_network(settings)))
    wait_for(lambda: session.status()["state"] == "running")
    assert playground.control(session, "reset")["state"] == "paused"
    assert playground.control(session, "resume")["state"] == "running"
    time.sleep(0.5)  # the bug: the worker applied the reset's pause after the resume, for good
    assert session.status()["state"] == "running" and session.run == 2
    assert playground.control(session, "stop")["state"] == "stopped"
    assert exported == []


def long_network(settings):
    """The request's network, but 10**6 steps: at 25 paced updates a second it runs until stopped."""
    return dataclasses.replace(settings.network, steps=10**6)


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_concurrent_controls_leave_one_consistent_state_and_a_free_server(fake_playground):
    from gatenet.web.errors import Refusal

    playground, exported, settings = fake_playground
    session = playground.submit(dataclasses.replace(settings, network=long_network(settings)))
    wait_for(lambda: session.status()["state"] == "running")
    answers: list[tuple[str, str]] = []
    refusals: list[str] = []
    lock = threading.Lock()

    def fire(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(40):
            action = str(rng.choice(["reset", "resume", "pause", "step", "resume", "pause"]))
            try:
                state = playground.control(session, action)["state"]
            except Refusal as refusal:
                assert refusal.status_code == 409 and refusal.field == "action", refusal.detail
                with lock:
                    refusals.append(refusal.detail)
                continue
            with lock:
                answers.append((action, state))

    threads = [threading.Thread(target=fire, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert answers and {state for _, state in answers} <= {"running", "paused"}
    assert all(detail == "step works while the training is paused; pause it first" for detail in refusals)
    # Once the controls stop coming, the state is the one the last control asked for, and stays so.
    final = playground.control(session, "pause")
    assert final["state"] == "paused"
    step = session.frame["step"]
    time.sleep(0.3)
    assert session.status()["state"] == "paused" and session.frame["step"] == step
    assert playground.control(session, "step")["state"] == "paused"
    assert session.frame["step"] == step + settings.speed
    assert playground.control(session, "resume")["state"] == "running"
    wait_for(lambda: session.frame["step"] > step + settings.speed)
    assert playground.control(session, "stop")["state"] == "stopped"
    with pytest.raises(Refusal) as refused:
        playground.control(session, "resume")
    assert (refused.value.status_code, refused.value.detail) == (
        409,
        "resume comes too late: this training has ended (stopped)",
    )
    assert playground.busy() == {"running": 0, "waiting": 0}
    fresh = playground.submit(settings)  # the server is free: a fresh training runs to its end
    assert ended(fresh)["state"] == "done" and len(exported) == 1


def test_controls_before_the_first_update_get_409_naming_the_state(fake_playground):
    from gatenet.web.errors import Refusal

    playground, exported, settings = fake_playground
    running = playground.submit(dataclasses.replace(settings, network=long_network(settings)))
    queued = playground.submit(settings)
    wait_for(lambda: running.status()["state"] == "running")
    for action in ("pause", "resume", "step", "reset"):
        with pytest.raises(Refusal) as refused:
            playground.control(queued, action)
        assert refused.value.detail == f"{action} works once the training runs; it is queued now"
    assert playground.control(queued, "stop")["state"] == "stopped"
    assert playground.control(running, "stop")["state"] == "stopped"
    assert exported == []


def test_an_exception_without_a_message_still_says_what_failed(fake_playground, monkeypatch):
    playground, exported, settings = fake_playground

    def broken() -> None:
        raise NotImplementedError

    monkeypatch.setattr(FakeTraining, "at_last", staticmethod(broken))
    end = ended(playground.submit(settings))
    assert end["problem"] == "the training failed: NotImplementedError, with no message"
    assert exported == []
