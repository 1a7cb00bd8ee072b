"""The gallery server's bounds, without a browser: duplicate parameters, slow or unfinished requests,
sessions made on demand and a bounded cache, a cheap re-read when the manifest changes, and `gatenet
site` refusing an output folder at once."""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from folder_tools import copy_models
from web_tools import gallery_server, request

from gatenet.cli import cli
from gatenet.store import MANIFEST
from gatenet.web import catalog as catalog_module
from gatenet.web.catalog import Catalog, onnx_metadata

HALF_SENT = 40  # loopback connections that send half a request and then nothing


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return copy_models(tmp_path_factory.mktemp("limits") / "models", ["XOR", "NOT", "HALF_ADDER"])


def test_a_query_parameter_given_twice_is_refused_naming_it(server):
    for path, field in [
        ("/api/predict?model=XOR&bits=01&bits=10", "bits"),
        ("/api/predict?model=NOT&model=XOR&bits=01", "model"),
        ("/gallery.json?a=1&a=2", "a"),
    ]:
        status, _, body = request(server, path)
        assert status == 400, path
        assert json.loads(body)["field"] == field, body
    status, _, body = request(server, "/api/predict?model=XOR&bits=01&bits=10")
    assert json.loads(body)["error"] == "query parameter 'bits' is given twice; give it once"
    assert request(server, "/api/predict?model=XOR&bits=10")[0] == 200


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closed `sock` (EOF or reset) within `seconds`, whatever it sent before."""
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if sock.recv(4096) == b"":
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        pass
    return False


def test_half_sent_requests_are_closed_after_the_deadline_and_the_server_keeps_answering(folder, monkeypatch):
    from gatenet.web import serve

    monkeypatch.setattr(serve, "REQUEST_TIMEOUT", 1.0)
    with gallery_server(folder) as url:
        port = int(url.rsplit(":", 1)[1])
        held = []
        try:
            for number in range(HALF_SENT):
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                head = f"GET /gallery.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                if number % 2:  # a body promised and never sent
                    head = (
                        f"POST /api/train HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        "Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{"
                    )
                sock.sendall(head.encode())
                held.append(sock)
            assert request(url, "/gallery.json")[0] == 200  # still answering while they hang
            trickle = socket.create_connection(("127.0.0.1", port), timeout=5)
            held.append(trickle)
            started = time.monotonic()
            try:  # a byte every 0.1 s, for up to 3 s: each byte must not restart the deadline
                for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: yes\r\n":
                    trickle.sendall(bytes([byte]))
                    time.sleep(0.1)
                    assert time.monotonic() - started < 3, "the trickling connection was never closed"
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert all(closed_within(sock, 3.0) for sock in held)
            assert time.monotonic() - started < 4
            assert request(url, "/gallery.json")[0] == 200
        finally:
            for sock in held:
                sock.close()


def test_an_idle_keep_alive_connection_gets_its_next_request_answered(folder, monkeypatch):
    import http.client

    from gatenet.web import serve

    monkeypatch.setattr(serve, "REQUEST_TIMEOUT", 1.0)
    with gallery_server(folder) as url:
        connection = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=5)
        try:
            for _ in range(3):  # each request well within its own deadline: served on one connection
                connection.request("GET", "/gallery.json")
                assert connection.getresponse().read() and connection.sock is not None
                time.sleep(0.5)
        finally:
            connection.close()


def test_sessions_are_made_on_demand_and_at_most_sessions_are_kept(folder, monkeypatch):
    monkeypatch.setattr(catalog_module, "SESSIONS", 2)
    catalog = Catalog.read(folder)
    assert catalog.loaded() == 0  # the index needs no session
    assert [m["description"] for m in catalog.gallery(api=False)["models"]][0]
    for key in ("xor", "not", "half_adder", "xor"):
        assert catalog.model(key).name.lower() == key
    assert catalog.loaded() == 2
    assert catalog.model("nope") is None


def test_the_metadata_reader_agrees_with_onnxruntime(folder):
    from gatenet import runtime

    for key, model in runtime.load_dir(folder).items():
        assert onnx_metadata((folder / f"{key}.onnx").read_bytes()) == model.metadata
    with pytest.raises(ValueError):
        onnx_metadata(b"\x0a\xff")  # a length past the end


def test_a_manifest_change_reads_again_only_the_files_that_changed(tmp_path, monkeypatch):
    folder = copy_models(tmp_path / "models", ["XOR", "NOT"])
    first = Catalog.read(folder)
    read = []
    original = catalog_module._file_facts
    monkeypatch.setattr(
        catalog_module, "_file_facts", lambda f, key, entry: read.append(key) or original(f, key, entry)
    )
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["models"]["not.onnx"]["worst_margin"] = 0.4321  # an entry changed, not its model file
    (folder / MANIFEST).write_text(json.dumps(manifest))
    again = Catalog.read(folder, first.models)
    assert read == [] and again.entries["not"].worst_margin == 0.4321
    shutil.copy2(folder / "xor.onnx", tmp_path / "xor.onnx")
    model = bytearray((folder / "xor.onnx").read_bytes())
    model[-1] ^= 1
    (folder / "xor.onnx").write_bytes(model)
    with pytest.raises(ValueError, match=r"xor\.onnx: SHA-256 differs from manifest\.json"):
        Catalog.read(folder, first.models | {"xor": first.models["not"]})  # a stale digest is read again


def site(folder: Path, out: str) -> object:
    return CliRunner().invoke(cli, ["site", "--dir", str(folder), "--out", out])


def test_gatenet_site_refuses_a_big_foreign_folder_from_its_top_alone(folder, tmp_path, monkeypatch):
    big = tmp_path / "big"
    for number in range(200):
        (big / f"d{number:03d}").mkdir(parents=True)
        (big / f"d{number:03d}" / "file.txt").write_text("mine")
    walked = []
    real_walk = os.walk

    def walk(root, *args, **kwargs):
        walked.append(root)
        return real_walk(root, *args, **kwargs)

    monkeypatch.setattr(os, "walk", walk)
    refused = site(folder, str(big))
    assert refused.exit_code == 1
    shown = refused.output.partition(" and holds ")[2].partition(" and more;")[0].split(", ")
    assert refused.output == (
        f"Error: {big}: is not a site gatenet wrote (it has no valid .gatenet-site at its top) and holds "
        f"{', '.join(shown)} and more; nothing was changed: give --out a new or empty folder\n"
    )
    assert len(shown) == 3 and all((big / name / "file.txt").read_text() == "mine" for name in shown)
    assert walked == []  # nothing below its top was listed
    assert not any(path.name.startswith(".big") for path in tmp_path.iterdir())


def test_gatenet_site_refuses_an_empty_out(folder):
    from gatenet.store import FolderError
    from gatenet.web.site import write_site

    with pytest.raises(FolderError, match=r"^--out: an empty path; give the folder to write the site to"):
        write_site(folder, "")


def test_a_training_into_a_folder_with_an_interrupted_commit_is_one_503_line(tmp_path):
    """The Playground asks the folder whether the model is taken; a folder that cannot say (a commit
    a killed writer left) is a JSON 503 naming the folder, not a bare 500 with a traceback."""
    from web_tools import post_json

    folder = copy_models(tmp_path / "models", ["XOR"])
    played = tmp_path / "playground"  # the folder the Playground writes to, beside the served one
    (played / ".gatenet" / "staging").mkdir(parents=True)
    (played / ".gatenet" / "journal.json").write_text('{"staged": "1-1", "entries": {}, "removed": []}')
    with gallery_server(folder) as url:
        status, answer = post_json(url, "/api/train", {"inputs": 2, "table": ["0110"], "name": "MINE"})
    assert status == 503 and answer["field"] == "folder"
    assert "a commit was interrupted" in answer["error"]
