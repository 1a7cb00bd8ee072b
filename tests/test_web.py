"""The browser gallery, driven in a real browser (Chromium through Playwright): `gatenet serve`'s page,
the static site of `gatenet site`, and the server's refusals.

One browser and one server serve the whole module; every page checks that it logged no error and sent
no request away from its own origin.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from web_tools import (
    GuardedPage,
    colour,
    events,
    gallery_folder,
    gallery_server,
    gray_code,
    post_json,
    request,
    run_coroutine,
    serve_process,
    static_server,
)

from gatenet import runtime
from gatenet.cli import cli
from gatenet.store import ModelFolder

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def folder(tmp_path_factory, add12_folder) -> Path:
    return gallery_folder(tmp_path_factory.mktemp("web") / "models", add12_folder[0])


@pytest.fixture(scope="module")
def models(folder) -> dict[str, runtime.GateModel]:
    return runtime.load_dir(folder)


@pytest.fixture(scope="module")
def guarded(browser, server):
    guarded = GuardedPage(browser, server)
    guarded.page.goto(f"{server}/")
    guarded.page.wait_for_selector(".outputs[data-row]")
    yield guarded
    guarded.close()


@pytest.fixture
def page(guarded):
    """The gallery page; after each test, it must have logged no error and stayed on its origin."""
    yield guarded.page
    errors, foreign = list(guarded.errors), list(guarded.foreign)
    guarded.errors.clear()
    guarded.foreign.clear()
    assert errors == []
    assert foreign == []


def open_model(page, key: str) -> None:
    page.click(f'a.model-link[data-key="{key}"]')
    page.wait_for_selector(f'article.model[data-key="{key}"] .outputs[data-row="0"]')


def shown_outputs(page, row: int) -> list[float]:
    page.wait_for_selector(f'.outputs[data-row="{row}"]')
    return page.eval_on_selector_all(".out", "items => items.map(item => Number(item.dataset.probability))")


def row_bits(row: int, inputs: int) -> list[int]:
    return [(row >> (inputs - 1 - i)) & 1 for i in range(inputs)]


def test_the_gallery_lists_every_model_of_the_folder(page, folder):
    keys = page.eval_on_selector_all("a.model-link", "links => links.map(link => link.dataset.key)")
    expected = [name.removesuffix(".onnx") for name in ModelFolder(folder).model_names()]
    assert sorted(keys) == expected
    assert "add12" in keys and len(keys) == 6
    header = page.inner_text("#folder")
    assert "6 verified models" in header and "gatenet serve" in header


def test_clicking_the_bits_gives_python_onnxruntime_s_outputs_for_every_row(page, models):
    for key, model in models.items():
        open_model(page, key)
        if model.table is None:  # ADD12: 2^25 rows; walk every input on and back off
            rows = [sum(1 << (model.inputs - 1 - i) for i in range(k)) for k in range(model.inputs + 1)]
            rows += [rows[-1] & ~(1 << k) for k in range(0, model.inputs, 6)]
        else:
            rows = gray_code(model.inputs)
        bits = [0] * model.inputs
        for row in rows:
            wanted = row_bits(row, model.inputs)
            for i in [i for i in range(model.inputs) if wanted[i] != bits[i]]:
                page.click(f'button.bit[data-input="{i}"]')
            bits = wanted
            shown = shown_outputs(page, row)
            expected = model.probabilities([wanted])[0]
            assert np.abs(np.asarray(shown) - expected).max() <= TOLERANCE, (key, row, shown, expected)
        pressed = page.eval_on_selector_all("button.bit", "bs => bs.map(b => b.getAttribute('aria-pressed'))")
        assert pressed == ["true" if bit else "false" for bit in bits]


def test_the_truth_table_sets_the_inputs_and_shows_the_model_s_probabilities(page, models):
    open_model(page, "full_adder")
    page.click('tr[data-row="5"] button.row-pick')
    expected = models["full_adder"].probabilities([[1, 0, 1]])[0]
    assert shown_outputs(page, 5) == pytest.approx(expected, abs=1e-6)
    cells = page.eval_on_selector_all('tr[data-row="6"] td.out-cell', "cells => cells.map(c => c.innerText)")
    truth = models["full_adder"].table[6]
    values = models["full_adder"].probabilities([[1, 1, 0]])[0]
    assert [int(cell.split()[0]) for cell in cells] == list(truth)
    assert [float(cell.split()[1]) for cell in cells] == pytest.approx(values, abs=5e-5)
    assert page.get_attribute('tr[data-row="5"]', "aria-current") == "true"


def test_a_sampled_circuit_has_no_truth_table_and_says_why(page):
    open_model(page, "add12")
    text = page.inner_text("article.model")
    assert "33,554,432 rows are too many to store" in text
    assert "a sample of" in text and page.query_selector("table.truth") is None


def surface_pixels(page, points: list[tuple[float, float]]) -> list[tuple[int, int, int]]:
    return page.eval_on_selector(
        "canvas.surface",
        """(canvas, points) => {
            const [left, top, size] = canvas.dataset.plot.split(',').map(Number);
            const image = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
            return points.map(([a, b]) => {
                const [x, y] = [Math.round(left + a * size), Math.round(top + (1 - b) * size)];
                const at = (y * canvas.width + x) * 4;
                return Array.from(image.data.slice(at, at + 3));
            });
        }""",
        points,
    )


@pytest.mark.parametrize(("key", "output"), [("xor", 0), ("half_adder", 1)])
def test_the_decision_surface_is_drawn_from_the_model(page, models, key, output):
    open_model(page, key)
    if output:
        page.check(f'input[name="surface-output"][value="{output}"]')
    page.wait_for_selector(f'canvas.surface[data-output="{output}"]')
    grid = np.linspace(0.06, 0.94, 12)
    points = [(float(a), float(b)) for a in grid for b in grid]
    expected = models[key].probabilities_between(np.array(points))[:, output]
    pixels = surface_pixels(page, points)
    checked = 0
    for point, p, pixel in zip(points, expected, pixels, strict=True):
        if abs(p - 0.5) < 0.1:  # the 0.5 boundary line is drawn here
            continue
        assert np.abs(np.subtract(pixel, colour(p))).max() <= 24, (point, p, pixel, colour(p))
        checked += 1
    assert checked > 80
    assert len({tuple(pixel) for pixel in pixels}) > 30  # a surface, not a flat fill


def test_the_learning_curve_and_the_circuit_panel(page, folder):
    history = ModelFolder(folder).read_history("xor.onnx")
    open_model(page, "xor")
    label = page.get_attribute("svg.curve", "aria-label")
    assert f"over {history['step'][-1]:,} steps" in label
    assert f"every row right from step {history['first_right_step']:,}" in label
    assert len(page.get_attribute("svg.curve polyline.loss", "points").split()) == len(history["step"])
    open_model(page, "mux4")
    assert "Built, not trained" in page.inner_text("article.model")
    assert page.query_selector("svg.curve") is None and page.query_selector("canvas.surface") is None


def test_the_page_cross_checks_with_the_server_and_offers_the_download(page, folder):
    open_model(page, "xor")
    page.click('button.bit[data-input="1"]')
    shown_outputs(page, 1)
    page.wait_for_selector(".check.same")
    link = page.query_selector("a.download")
    assert link.get_attribute("download") == "xor.onnx"
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == (folder / "xor.onnx").read_bytes()


def test_the_bits_work_from_the_keyboard_with_a_visible_focus(page):
    open_model(page, "xor")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('button.bit')"):
            break
    assert page.evaluate("document.activeElement.dataset.input") == "0"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Space")
    shown_outputs(page, 2)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    shown_outputs(page, 3)


def test_screenshots_of_the_gallery(page, tmp_path):
    for key in ("xor", "half_adder", "mux4", "add12"):
        open_model(page, key)
        if key in ("xor", "half_adder"):
            page.wait_for_selector("canvas.surface[data-output]")
        path = tmp_path / f"gallery-{key}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 20_000


def test_the_static_site_runs_from_a_plain_static_file_server(browser, folder, models, tmp_path):
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["site", "--dir", str(folder), "--out", str(site)])
    assert result.exit_code == 0, result.output
    assert (site / "vendor" / "onnxruntime-web" / "LICENSE").is_file()
    assert not json.loads((site / "gallery.json").read_text())["api"]
    with static_server(site) as url:
        guarded = GuardedPage(browser, url)
        try:
            page = guarded.page
            page.goto(f"{url}/#xor")
            page.wait_for_selector('article.model[data-key="xor"] .outputs[data-row="0"]')
            keys = page.eval_on_selector_all("a.model-link", "links => links.map(link => link.dataset.key)")
            assert sorted(keys) == sorted(models)
            page.click('button.bit[data-input="0"]')
            assert shown_outputs(page, 2) == pytest.approx(models["xor"].probabilities([[1, 0]])[0], abs=1e-6)
            page.wait_for_selector("canvas.surface[data-output]")
            assert page.query_selector(".check") is None  # no server to ask
            assert "a static site" in page.inner_text("#folder")
            assert guarded.errors == [] and guarded.foreign == []
        finally:
            guarded.close()
    again = CliRunner().invoke(cli, ["site", "--dir", str(folder), "--out", str(site)])
    assert again.exit_code == 0, again.output  # an earlier site is replaced
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    refused = CliRunner().invoke(cli, ["site", "--dir", str(folder), "--out", str(tmp_path / "other")])
    assert refused.exit_code == 1 and "is not a site gatenet wrote" in refused.output
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def site(folder: Path, out: str) -> object:
    return CliRunner().invoke(cli, ["site", "--dir", str(folder), "--out", out])


def test_gatenet_site_replaces_only_a_site_it_wrote(folder, tmp_path, monkeypatch):
    # A project folder that happens to hold a gallery.json: nothing of it may go.
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "gallery.json").write_text("{}")
    (project / "src" / "main.py").write_text("code")
    refused = site(folder, str(project))
    assert refused.exit_code == 1
    assert refused.output.count("\n") == 1 and str(project) in refused.output, refused.output
    assert "holds gallery.json, src;" in refused.output and "is not a site gatenet wrote" in refused.output
    assert (project / "src" / "main.py").read_text() == "code"
    assert (project / "gallery.json").read_text() == "{}"

    # `--out .`: an empty folder, then the site written there before, replaced whole.
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for _ in range(2):
        written = site(folder, ".")
        assert written.exit_code == 0, written.output
        monkeypatch.chdir(here)  # the folder was renamed away and replaced: enter the new one
    listed = json.loads((here / ".gatenet-site").read_text())["files"]
    assert "gallery.json" in listed and "models/xor.onnx" in listed and "js/app.js" in listed
    assert sorted(path.name for path in tmp_path.iterdir()) == ["here", "project"]  # nothing left beside

    # An earlier site with a file added, or a file edited, is refused; nothing changes.
    (here / "notes.txt").write_text("mine")
    refused = site(folder, str(here))
    assert refused.exit_code == 1
    assert f"{here}: holds notes.txt, which gatenet site did not write" in refused.output
    assert (here / "notes.txt").read_text() == "mine" and (here / "gallery.json").is_file()
    (here / "notes.txt").unlink()
    (here / "index.html").write_text("edited")
    refused = site(folder, str(here))
    assert refused.exit_code == 1
    assert f"{here}: holds index.html, changed since gatenet site wrote it" in refused.output
    assert (here / "index.html").read_text() == "edited"


def json_error(response: tuple[int, dict, bytes]) -> tuple[int, str]:
    status, headers, body = response
    assert headers["content-type"].startswith("application/json"), headers
    document = json.loads(body)
    assert document["error"]
    return status, document.get("field")


def test_requests_from_other_sites_are_refused(server):
    port = server.rsplit(":", 1)[1]
    assert request(server, "/gallery.json")[0] == 200
    assert request(server, "/gallery.json", headers={"Host": f"localhost:{port}"})[0] == 200
    assert request(server, "/gallery.json", headers={"Origin": server})[0] == 200
    for fetch in ("same-origin", "none"):  # the page's own requests, and a typed URL
        assert request(server, "/gallery.json", headers={"Sec-Fetch-Site": fetch})[0] == 200
    for headers, field in [
        ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site"),  # <img src=...> on any site: no Origin
        ({"Sec-Fetch-Site": "same-site"}, "Sec-Fetch-Site"),
        ([("Origin", server), ("Origin", "http://evil.example")], "Origin"),
        ([("Origin", "http://evil.example"), ("Origin", server)], "Origin"),
        ({"Host": f"localhost:{port}", "Origin": server}, "Origin"),  # another origin than the page's
        ({"Host": f"evil.example:{port}"}, "Host"),  # DNS rebinding
        ({"Host": "127.0.0.1:1"}, "Host"),
        ({"Host": "127.0.0.1"}, "Host"),
        ({"Origin": "http://evil.example"}, "Origin"),
        ({"Origin": f"http://evil.example:{port}"}, "Origin"),
        ({"Origin": "null"}, "Origin"),
        ({"Origin": f"https://127.0.0.1:{port}"}, "Origin"),
    ]:
        for path in (
            "/gallery.json",
            "/",
            "/models/xor.onnx",
            "/api/predict?model=XOR&bits=01",
            "/api/playground",
        ):
            assert json_error(request(server, path, headers=headers)) == (403, field), (headers, path)


def test_a_websocket_from_another_site_is_closed_before_the_app_sees_it():
    from gatenet.web.guard import Guard

    reached, sent = [], []

    async def app(scope, receive, send) -> None:
        reached.append(scope)

    async def send(message) -> None:
        sent.append(message)

    guard = Guard(app, "127.0.0.1", 8000)
    own = [(b"host", b"127.0.0.1:8000")]
    run_coroutine(
        guard({"type": "websocket", "headers": [*own, (b"origin", b"http://evil.example")]}, None, send)
    )
    assert reached == [] and sent[0]["type"] == "websocket.close" and sent[0]["code"] == 1008
    run_coroutine(
        guard({"type": "websocket", "headers": [*own, (b"origin", b"http://127.0.0.1:8000")]}, None, send)
    )
    assert len(reached) == 1 and len(sent) == 1


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/models/../manifest.json", "path"),
        ("/models/%2e%2e/manifest.json", "path"),
        ("/models/..%2fmanifest.json", "path"),
        ("/models/manifest.json", "path"),
        ("/models/.gatenet/lock", "path"),
        ("/models//etc/passwd", "path"),
        ("/models/%2fetc%2fpasswd", "path"),
        ("/models/xor/../../web/models/xor.onnx", "path"),
        ("/models/xor.onnx%00.txt", "path"),
        ("/../../etc/passwd", "path"),
        ("/%2e%2e/%2e%2e/etc/passwd", "path"),
        ("/js/..%2f..%2fapp.py", "path"),
        ("/vendor/%2e%2e/%2e%2e/%2e%2e/app.py", "path"),
        ("/js/app.js%00", "path"),
        ("/details/..%2fgallery.json", "path"),
        ("/details/..%2e.json", "model"),
    ],
)
def test_path_tricks_get_a_404(server, path, field):
    assert json_error(request(server, path)) == (404, field)


def test_a_symlink_out_of_the_folder_is_not_served(tmp_path):
    """A folder whose model leads outside it does not verify, so the gallery serves none of it."""
    from folder_tools import copy_models

    folder = copy_models(tmp_path / "models", ["XOR", "NOT"])
    outside = tmp_path / "outside.onnx"
    model = folder / "xor.onnx"
    outside.write_bytes(model.read_bytes())  # the same bytes, so only where it lives is wrong
    model.unlink()
    model.symlink_to(outside)
    with gallery_server(folder) as url:
        status, _, body = request(url, "/models/xor.onnx")
        assert status == 503 and b"leads outside" in body and b"through a symlink" in body
        assert request(url, "/models/not.onnx")[0] == 503


def test_bad_requests_get_a_json_error_naming_the_field(server, models):
    for path, expected in [
        ("/api/predict?model=XOR&bits=2", (400, "bits")),
        ("/api/predict?model=XOR&bits=011", (400, "bits")),
        ("/api/predict?model=XOR", (400, "bits")),
        ("/api/predict?bits=01", (400, "model")),
        ("/api/predict?model=NOPE&bits=01", (404, "model")),
        ("/api/predict?model=XOR&bits=01&extra=1", (400, "extra")),
        ("/gallery.json?format=2", (400, "format")),
        ("/details/nope.json", (404, "model")),
    ]:
        assert json_error(request(server, path)) == expected, path
    assert json_error(request(server, "/gallery.json", method="POST")) == (405, "method")
    status, headers, body = request(server, "/api/predict?model=xor&bits=10")
    assert status == 200 and headers["content-security-policy"].startswith("default-src 'self'")
    answer = json.loads(body)
    assert answer["probabilities"] == pytest.approx(models["xor"].probabilities([[1, 0]])[0], abs=1e-7)
    assert answer["outputs"] == "1"


def test_the_model_files_and_their_details_are_served(server, folder):
    assert request(server, "/models/xor.onnx")[2] == (folder / "xor.onnx").read_bytes()
    assert json_error(request(server, "/models/xor/history.json")) == (404, "path")  # only models
    details = json.loads(request(server, "/details/full_adder.json")[2])
    assert details["truth_table"] == ["01101001", "00010111"] and details["history"]["first_right_step"] >= 0
    assert json.loads(request(server, "/details/add12.json")[2]) == {"truth_table": None, "history": None}


def test_gatenet_serve_prints_its_url_serves_and_stops_on_ctrl_c(folder):
    process = serve_process(folder)
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url and "6 models" in line, line
        assert request(url.group(0).rstrip("/"), "/gallery.json")[0] == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "gatenet: stopped" in out and "Traceback" not in err
    assert re.search(r'127\.0\.0\.1:\d+ - "GET /gallery\.json HTTP/1\.1" 200', out), out  # a line per request
    assert "Uvicorn running" not in out + err  # gatenet prints its own URL line


def test_gatenet_serve_quiet_logs_no_requests(folder):
    process = serve_process(folder, "--quiet")
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
        assert request(url, "/gallery.json")[0] == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "GET /gallery.json" not in out + err and "gatenet: stopped" in out


def test_ctrl_c_during_a_watched_training_stops_it_and_exits_cleanly(folder):
    process = serve_process(folder)
    with ThreadPoolExecutor(1) as pool:
        try:
            url = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
            settings = {"gate": "XOR", "steps": 20000, "name": "PLAY_CTRL_C"}
            status, answer = post_json(url, "/api/train", settings)
            assert status == 202, answer
            stream = f"/{answer['events']}"
            watched = pool.submit(events, url, stream)  # a page watching, until its end event
            assert events(url, stream, until="progress")[-1][0] == "progress"  # TensorFlow is training
            started = time.monotonic()
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=20)
            took = time.monotonic() - started
            seen = watched.result(timeout=5)
        finally:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "ERROR" not in err and "CancelledError" not in err, err
    assert "gatenet: stopped" in out
    assert seen[-1] == ("end", {**seen[-1][1], "state": "stopped", "reason": "the server stopped"}), seen[-3:]
    assert took < 10, took  # not held until uvicorn's graceful timeout cancels the stream
    assert "play_ctrl_c.onnx" not in ModelFolder(folder).entries()


def test_gatenet_serve_warns_on_a_non_loopback_host_and_refuses_a_name(folder):
    process = serve_process(folder, "--host", "0.0.0.0")
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert url, line
        port = url.group(1)
        # Bound to 0.0.0.0, any IP address of the machine is a Host; but an Origin must be the Host's own.
        for host, origin, status in [
            (f"127.0.0.1:{port}", f"http://127.0.0.1:{port}", 200),
            (f"203.0.113.5:{port}", f"http://203.0.113.5:{port}", 200),
            (f"127.0.0.1:{port}", f"http://203.0.113.5:{port}", 403),
            (f"203.0.113.5:{port}", f"http://127.0.0.1:{port}", 403),
        ]:
            answer = request(
                url.group(0).rstrip("/"), "/gallery.json", headers={"Host": host, "Origin": origin}
            )
            assert answer[0] == status, (host, origin, answer)
            assert status == 200 or json.loads(answer[2])["field"] == "Origin"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        process.kill()
    assert "warning: serving on 0.0.0.0, so other machines can reach the gallery" in err
    refused = CliRunner().invoke(cli, ["serve", "--dir", str(folder), "--host", "example.com"])
    assert refused.exit_code == 1 and "--host must be an IP address" in refused.output


def test_gatenet_serve_without_the_extra_names_it(folder, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "gatenet.web.serve", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--dir", str(folder)])
    assert result.exit_code == 1
    missing = "the 'serve' extra (uvicorn is missing): pip install 'gatenet-logic[serve]'"
    assert result.output.strip() == f"Error: gatenet serve needs {missing}"
