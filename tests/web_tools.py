"""Helpers for the browser gallery's tests: a model folder to show, servers in threads, a browser and a
guarded page, raw requests and event streams."""

from __future__ import annotations

import asyncio
import functools
import http.client
import http.server
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from folder_tools import GATENET, copy_models

CHROMIUM = Path("/usr/bin/chromium")
CONSOLE_404 = "Failed to load resource"  # Chromium's own line for a 4xx or 5xx, refusals a test asks for
GATES = ["XOR", "NOT", "HALF_ADDER", "FULL_ADDER", "MUX4"]  # 1, 2 and 3 inputs, 2 outputs, a circuit
# The page's colour scale (static/js/surface.js), to check the canvas against Python's probabilities.
STOPS = [
    (0, (33, 102, 172)),
    (0.25, (103, 169, 207)),
    (0.5, (247, 247, 247)),
    (0.75, (239, 138, 98)),
    (1, (178, 24, 43)),
]


def gallery_folder(target: Path, sampled: Path) -> Path:
    """A folder of GATES and of ADD12 (a sampled circuit, with no truth table) copied from `sampled`."""
    folder = copy_models(target, GATES)
    shutil.copy2(sampled / "add12.onnx", folder / "add12.onnx")
    shutil.copytree(sampled / "add12", folder / "add12")
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = json.loads((sampled / "manifest.json").read_text())["models"]["add12.onnx"]
    manifest["models"]["add12.onnx"] = entry
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium through Playwright; a missing one fails the tests, never skips them."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright: pip install -e '.[dev]'", pytrace=False)
    if not CHROMIUM.is_file():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: apt-get install chromium", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            browser.close()


def serve_process(folder: Path, *options: str) -> subprocess.Popen:
    """The real `gatenet serve` on a free port in its own process, as a user runs it; text pipes."""
    command = [str(GATENET), "serve", "--dir", str(folder), "--port", "0", *options]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def gallery_server(folder: Path) -> Iterator[str]:
    """`gatenet serve`'s server for `folder` on a free loopback port, in a thread; yields its URL."""
    from gatenet.web.serve import make_server

    server, sock = make_server(folder, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the gallery server did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    """Python's plain static file server (what `python -m http.server` runs) for `root`, in a thread."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def request(
    url: str,
    path: str,
    method: str = "GET",
    headers: dict | list[tuple[str, str]] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict, bytes]:
    """One raw HTTP request, the path sent exactly as given (no normalising): status, headers, body.
    `headers` as a list of pairs may name a header twice."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    try:
        connection.putrequest(method, path, skip_host=any(name == "Host" for name, _ in pairs))
        for name, value in [*([("Content-Length", str(len(body)))] if body else []), *pairs]:
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def post_json(url: str, path: str, document: object, headers: dict | None = None) -> tuple[int, dict]:
    """POST `document` as JSON: the status and the JSON answer."""
    status, _, body = request(
        url,
        path,
        "POST",
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(document).encode(),
    )
    return status, json.loads(body)


def events(url: str, path: str, until: str = "end", limit: float = 60) -> list[tuple[str, dict]]:
    """The server-sent events of `path`, read until an event named `until` (or `limit` seconds)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=limit)
    found: list[tuple[str, dict]] = []
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200, (response.status, response.read())
        name = None
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            line = response.readline().decode()
            if not line:
                break
            if line.startswith("event: "):
                name = line.removeprefix("event: ").strip()
            elif line.startswith("data: "):
                found.append((name, json.loads(line.removeprefix("data: "))))
                if name == until:
                    break
        return found
    finally:
        connection.close()


def wait_until(page, expression: str, timeout: float = 30) -> object:
    """Poll a JavaScript expression until it is truthy; its value. (The page's CSP forbids the string
    evaluation `page.wait_for_function` needs, while `page.evaluate` is not subject to it.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {expression}")
        time.sleep(0.03)


class GuardedPage:
    """A browser page that records console errors, page errors and every request that leaves `origin`
    (which is aborted), so a test can assert the page stayed clean and at home."""

    def __init__(self, browser, origin: str) -> None:
        self.origin = origin
        self.context = browser.new_context(viewport={"width": 1440, "height": 900})
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: self._console(message))
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or _origin(url) == self.origin:
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text}")

    def close(self) -> None:
        self.context.close()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def colour(p: float) -> tuple[int, int, int]:
    """The page's colour of probability p (rounded to its 256-step table, as the page does)."""
    p = round(min(1.0, max(0.0, p)) * 255) / 255
    for (a, low), (b, high) in zip(STOPS, STOPS[1:], strict=False):
        if p <= b:
            t = (p - a) / (b - a)
            return tuple(round(x + (y - x) * t) for x, y in zip(low, high, strict=True))
    return STOPS[-1][1]


def run_coroutine(coroutine: Coroutine) -> object:
    """Run a coroutine to its end, in a thread of its own: Playwright's sync API holds this thread's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def gray_code(bits: int) -> list[int]:
    """Every row of `bits` inputs, each one input flip from the last: one click per row."""
    return [row ^ (row >> 1) for row in range(2**bits)]
