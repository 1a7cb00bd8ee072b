"""The Playground under a newcomer's hands (issue 24), in a real browser: the first Train of a freshly
started `gatenet serve` (TensorFlow not yet imported), Train pressed three times, Stop pressed right after
Train, the Name field edited, and a bad activation in the first of two layers.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from folder_tools import copy_models
from web_tools import CONSOLE_404, GuardedPage, events, post_json, request, serve_process, wait_until

from gatenet.cli import cli
from gatenet.store import ModelFolder

STATE = "document.querySelector('article.playground')?.dataset"
TRAIN = 'button[data-action="train"]'


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The folder the module's warm server (conftest's `server`) serves: the shipped XOR."""
    return copy_models(tmp_path_factory.mktemp("races") / "models", ["XOR"])


@contextmanager
def cold_server(folder: Path) -> Iterator[str]:
    """A freshly started `gatenet serve` process, so TensorFlow is not imported yet; yields its URL."""
    process = serve_process(folder)
    try:
        yield re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0 and "Traceback" not in err, err
    finally:
        process.kill()


@contextmanager
def clean_page(browser, url: str) -> Iterator[object]:
    """A guarded page of `url`; it must log no error (but the refusals a test asks for) and stay home."""
    guarded = GuardedPage(browser, url)
    try:
        yield guarded.page
    finally:
        guarded.close()
    assert [error for error in guarded.errors if CONSOLE_404 not in error] == []
    assert guarded.foreign == []


def open_playground(page, url: str, query: str) -> None:
    page.goto(f"{url}/#playground?{query}")
    page.wait_for_selector(f'article.playground[data-state="idle"] {TRAIN}:not([disabled])')


def posted(page) -> list[str]:
    """The page's POST /api/train requests, as they are made."""
    seen: list[str] = []
    page.on(
        "request", lambda r: seen.append(r.url) if r.method == "POST" and r.url.endswith("/api/train") else 0
    )
    return seen


def test_a_cold_server_shows_the_start_runs_one_training_and_sums_up_that_run(browser, tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR"])
    with cold_server(folder) as url, clean_page(browser, url) as page:
        trains = posted(page)
        open_playground(page, url, "gate=XOR&speed=25")  # opening it starts importing TensorFlow
        page.click(TRAIN, click_count=3)
        assert page.evaluate(f"{STATE}.state") == "sending"  # at once, while TensorFlow loads
        assert "loading TensorFlow" in page.inner_text(".status")
        assert page.is_disabled(TRAIN) and page.is_enabled('button[data-action="stop"]')
        wait_until(page, f"{STATE}.state === 'done'", timeout=120)
        summary = page.inner_text(".status")
        page.wait_for_selector(".outcome.good")
        assert "Written to playground/ as play_xor.onnx" in page.inner_text(".outcome")
        assert trains == [f"{url}/api/train"], trains
    final = ModelFolder(tmp_path / "playground").read_history("play_xor.onnx")["loss"][-1]
    shown = float(re.search(r"Finished all 1,000 steps · loss (\S+) ·", summary).group(1))
    assert shown == pytest.approx(final, rel=5e-3), summary  # this run's own final loss


def test_stop_right_after_train_on_a_cold_server_stops_it(browser, tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR"])
    with cold_server(folder) as url, clean_page(browser, url) as page:
        open_playground(page, url, "gate=XOR")
        page.click(TRAIN)
        page.click('button[data-action="stop"]', timeout=2000)  # while the server still loads TensorFlow
        wait_until(page, f"{STATE}.state === 'stopped'", timeout=120)
        assert "Nothing was written (stopped from the page)" in page.inner_text(".outcome")
        assert page.is_enabled(TRAIN)
        assert json.loads(request(url, "/api/playground")[2])["busy"] == {"running": 0, "waiting": 0}
    assert not (tmp_path / "playground" / "play_xor.onnx").exists()


def test_a_page_trains_one_network_at_a_time(server):
    settings = {"gate": "XOR", "steps": 20000, "speed": 1}
    with ThreadPoolExecutor(2) as pool:  # two at once, as from a double click
        both = list(
            pool.map(
                lambda n: post_json(
                    server, "/api/train", {**settings, "name": f"PLAY_P{n}", "page": "page-one"}
                ),
                (1, 2),
            )
        )
    assert sorted(status for status, _ in both) == [202, 409], both
    first, refused = sorted(both, key=lambda answer: answer[0])
    assert (
        refused == (409, {"error": refused[1]["error"], "field": "page"})
        and "under way" in refused[1]["error"]
    )
    later = post_json(server, "/api/train", {**settings, "name": "PLAY_P3", "page": "page-one"})
    assert later[0] == 409  # still under way
    other = post_json(server, "/api/train", {**settings, "name": "PLAY_P3", "page": "page-two"})
    assert other[0] == 202, other  # another page's training waits in the queue
    assert post_json(server, "/api/train", {**settings, "page": "x"})[1]["field"] == "page"
    for _, answer in (other, first):
        assert post_json(server, f"/api/train/{answer['session']}/stop", {})[0] == 200
        assert events(server, f"/{answer['events']}")[-1][1]["state"] == "stopped"
    again = post_json(server, "/api/train", {**settings, "name": "PLAY_P4", "page": "page-one"})
    assert again[0] == 202, again  # its training ended: the page may train again
    assert post_json(server, f"/api/train/{again[1]['session']}/stop", {})[0] == 200
    events(server, f"/{again[1]['events']}")


def test_the_file_hint_follows_the_name_as_it_is_typed(browser, server):
    with clean_page(browser, server) as page:
        open_playground(page, server, "gate=XOR")
        hint = 'input[name="name"] + .field-hint'
        assert "play_xor.onnx" in page.inner_text(hint)
        page.fill('input[name="name"]', "My_Gate")
        assert page.inner_text(hint) == "Written to playground/ as my_gate.onnx when it verifies"


def test_a_bad_activation_in_layer_1_marks_layer_1(browser, server):
    with clean_page(browser, server) as page:
        open_playground(page, server, "gate=XOR&hidden=4,4&activation=relux,relu")
        page.click(TRAIN)
        page.wait_for_selector('input[name="activation-0"][aria-invalid="true"]')
        assert page.get_attribute('input[name="activation-1"]', "aria-invalid") is None
        assert page.evaluate("document.activeElement.name") == "activation-0"
        assert "'relux'" in page.inner_text(".form-error")


def test_the_playground_writes_beside_the_served_folder_and_the_gallery_shows_both(server, folder):
    manifest = (folder / "manifest.json").read_bytes()
    settings = {"inputs": 2, "table": ["0110"], "name": "PLAY_OWN", "speed": 1000}
    status, answer = post_json(server, "/api/train", settings)
    assert status == 202, answer
    assert events(server, f"/{answer['events']}")[-1][1]["verified"] is True
    played = folder.resolve().parent / "playground"
    assert "play_own.onnx" in ModelFolder(played).entries()
    assert (folder / "manifest.json").read_bytes() == manifest and not (folder / "play_own.onnx").exists()
    models = {model["key"]: model for model in json.loads(request(server, "/gallery.json")[2])["models"]}
    assert "folder" not in models["xor"]
    assert models["play_own"] | {"folder": "playground"} == models["play_own"]
    assert models["play_own"]["model"] == "playground/models/play_own.onnx"
    file = request(server, "/playground/models/play_own.onnx")[2]
    assert file == (played / "play_own.onnx").read_bytes()
    assert json.loads(request(server, "/playground/details/play_own.json")[2])["truth_table"] == ["0110"]
    predicted = json.loads(request(server, "/api/predict?model=PLAY_OWN&bits=01")[2])
    assert predicted["outputs"] == "1"
    assert request(server, "/playground/models/xor.onnx")[0] == 404  # the served folder's stay there

    # Copied into the served folder, it hides the playground's, and that name is refused from now on.
    shutil.copy2(played / "play_own.onnx", folder / "play_own.onnx")
    shutil.copytree(played / "play_own", folder / "play_own")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["play_own.onnx"] = json.loads((played / "manifest.json").read_text())["models"][
        "play_own.onnx"
    ]
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    models = json.loads(request(server, "/gallery.json")[2])["models"]
    assert [(model["key"], model.get("folder")) for model in models] == [("play_own", None), ("xor", None)]
    assert post_json(server, "/api/train", {**settings, "replace": True}) == (
        409,
        {
            "error": f"PLAY_OWN is in the served folder {folder} (play_own.onnx); pick another name",
            "field": "name",
        },
    )


def test_playground_dir_of_the_served_folder_writes_into_it(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR"])
    process = serve_process(folder, "--playground-dir", str(folder))
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
        assert process.stdout.readline().strip() == f"gatenet: the Playground writes to {folder}"
        settings = {"inputs": 2, "table": ["0110"], "name": "PLAY_HERE", "speed": 1000}
        status, answer = post_json(url, "/api/train", settings)
        assert status == 202, answer
        assert events(url, f"/{answer['events']}", limit=120)[-1][1]["verified"] is True
        models = json.loads(request(url, "/gallery.json")[2])["models"]
        assert [model["key"] for model in models if "folder" not in model] == ["play_here", "xor"]
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        process.kill()
    assert "play_here.onnx" in ModelFolder(folder).entries()
    assert not (tmp_path / "playground").exists()


def test_gatenet_site_publishes_the_playground_s_models_only_when_asked(tmp_path):
    folder = copy_models(tmp_path / "models", ["XOR"])
    played = copy_models(tmp_path / "playground", ["NOT"])  # stands in for what the Playground wrote
    plain, with_played = tmp_path / "plain", tmp_path / "with"
    result = CliRunner().invoke(cli, ["site", "--dir", str(folder), "--out", str(plain)])
    assert result.exit_code == 0, result.output
    assert [model["key"] for model in json.loads((plain / "gallery.json").read_text())["models"]] == ["xor"]
    assert not (plain / "playground").exists()
    options = ["--dir", str(folder), "--out", str(with_played), "--playground-dir", str(played)]
    result = CliRunner().invoke(cli, ["site", *options])
    assert result.exit_code == 0, result.output
    assert f"1 models, and the Playground's models of {played};" in result.output
    models = json.loads((with_played / "gallery.json").read_text())["models"]
    assert [(model["key"], model.get("folder")) for model in models] == [("xor", None), ("not", "playground")]
    assert (with_played / models[1]["model"]).read_bytes() == (played / "not.onnx").read_bytes()
    assert json.loads((with_played / models[1]["details"]).read_text())["truth_table"] == ["10"]
