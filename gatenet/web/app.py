"""The gallery server as an ASGI app: the page's static files, its JSON documents, the folder's files.

    /                      the single-page gallery (static/), with onnxruntime-web in static/vendor/
    /gallery.json          every model: names, bits, margins (catalog.Catalog.gallery)
    /details/<key>.json    one model's truth table and learning curve
    /models/<file>         a model file, as checked against the manifest and loaded: xor.onnx
    /api/predict           ?model=XOR&bits=01: the model run by Python onnxruntime, to check the page
    /api/playground, /api/train...   the playground: train a network and watch it learn (training.py)
    /playground/details/<key>.json, /playground/models/<file>   the same for the playground's own folder

The playground writes to a folder of its own (`serve.default_playground`), not the one served: its
models join `gallery.json` after the folder's, marked `"folder": "playground"`, with their URLs under
/playground/. A model of the same name in the served folder hides it.

`gatenet site` writes the first four as files, so the page runs the same from either; what needs the
server is under /api/, and the page asks for it only when gallery.json says `"api": true`.
"""

from __future__ import annotations

import json
import mimetypes
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from gatenet.runtime import GateModel
from gatenet.store import MANIFEST
from gatenet.web import STATIC, training
from gatenet.web.catalog import PLAYGROUND, Catalog, with_playground
from gatenet.web.errors import Refusal, json_error, no_query, query
from gatenet.web.guard import Guard
from gatenet.web.playground import Playground

mimetypes.add_type("text/javascript", ".mjs")  # not known to every platform's table; modules need it
mimetypes.add_type("application/wasm", ".wasm")
T = TypeVar("T")
NO_CACHE = {"cache-control": "no-cache"}  # the folder can change while the server runs


class LiveCatalog:
    """The folder's catalog as it is now: read again whenever its manifest was replaced.

    Every commit renames a new manifest into place, so the manifest's inode and time say when to re-read;
    only the model files whose SHA-256 changed are read again (`Catalog.read`).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._catalog: Catalog | None = None

    def current(self) -> Catalog:
        with self._lock:
            stamp = self._manifest_stamp()
            if self._catalog is None or stamp != self._stamp:
                known = self._catalog.models if self._catalog is not None else None
                self._catalog = None  # let the old snapshot's entries go before the new ones are read
                self._catalog = Catalog.read(self.directory, known)
                self._stamp = stamp
            return self._catalog

    def _manifest_stamp(self) -> tuple | None:
        try:
            status = os.stat(self.directory / MANIFEST)
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_mtime_ns, status.st_size


def create_app(
    directory: Path, host: str, port: int, playground: Playground, live: LiveCatalog | None = None
) -> ASGIApp:
    """The gallery of `directory`, answering only requests addressed to `host`:`port` (see `Guard`).

    `playground` runs its trainings; the server closes it when it stops (`serve.GalleryServer`).
    `live` is the folder's catalog when the caller has read it already (`serve.serve` has). The
    endpoints find it in `app.state.live`, and the playground in `app.state.playground`, so each app
    serves its own folder.
    """
    routes = [
        Route("/gallery.json", gallery),
        Route("/details/{key}.json", details),
        Route("/models/{path:path}", model_file),
        Route("/api/predict", predict),
        Route(f"/{PLAYGROUND}/details/{{key}}.json", details),
        Route(f"/{PLAYGROUND}/models/{{path:path}}", model_file),
        *training.ROUTES,
        Mount("/", StaticFiles(directory=STATIC, html=True)),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: json_error})
    app.state.live = live or LiveCatalog(Path(directory))
    app.state.playground = playground
    same = playground.directory.resolve() == Path(directory).resolve()  # --playground-dir of the folder
    app.state.played = None if same else LiveCatalog(playground.directory)
    app.state.merged = None  # the last gallery.json of both folders, and the snapshots it was made of
    return Guard(app, host, port)


# The endpoints are plain functions, not coroutines, so Starlette runs them in its thread pool: reading
# the folder and running a model must not hold up the event loop, which carries the trainings' streams.


def gallery(request: Request) -> Response:
    """gallery.json, with `"api": true`: the page may use what only the server has."""
    no_query(request)
    index = _from_folder(request, lambda catalog: catalog.gallery_bytes(api=True))
    played = _played(request.app.state)
    if played is not None:
        index = _merged(request.app.state, index, played)
    return Response(index, media_type="application/json", headers=NO_CACHE)


def details(request: Request) -> Response:
    """One model's truth table and learning curve."""
    no_query(request)
    key = request.path_params["key"]
    missing = f"no model {key!r} in {_directory(request)}"
    document = _found(request, lambda catalog: catalog.details(key), "model", missing)
    return JSONResponse(document, headers=NO_CACHE)


def model_file(request: Request) -> Response:
    """A file of the folder, only as checked against the manifest."""
    no_query(request)
    path = request.path_params["path"]
    missing = f"{path!r} is not a file of the model folder"
    data = _found(request, lambda catalog: catalog.file(path), "path", missing)
    return Response(data, media_type="application/octet-stream", headers=NO_CACHE)


def predict(request: Request) -> Response:
    """A model's outputs for some bits, run by Python's onnxruntime: what the page checks itself against."""
    fields = query(request, ("model", "bits"))
    name, bits = (fields.get(field, "") for field in ("model", "bits"))
    if not name:
        raise Refusal(400, "model", "missing query parameter 'model', e.g. model=XOR")
    missing = f"no model {name[:40]!r} in {_directory(request)}"
    model = _model(request, name.lower())
    if model is None:
        raise Refusal(404, "model", missing)
    if len(bits) != model.inputs or set(bits) - {"0", "1"}:
        names = " ".join(model.input_names)
        raise Refusal(
            400, "bits", f"bits must be {model.inputs} characters of 0 and 1 ({names}), got {bits!r}"
        )
    probabilities = model.probabilities([[int(bit) for bit in bits]])[0]
    outputs = "".join("1" if p > 0.5 else "0" for p in probabilities)
    document = {
        "model": model.name,
        "bits": bits,
        "probabilities": probabilities.tolist(),
        "outputs": outputs,
    }
    return JSONResponse(document)


def _from_folder(request: Request, read: Callable[[Catalog], T]) -> T | None:
    """What `read` finds in the folder the URL is of (the served one, or under /playground/ the
    playground's) as it is now; a folder, or a file of it, that fails its checks is a 503 saying why, as
    gatenet verify would. None for the playground's folder before it has a model."""
    if not request.url.path.startswith(f"/{PLAYGROUND}/"):
        return _checked(lambda: read(request.app.state.live.current()))
    played = _played(request.app.state)
    return None if played is None else _checked(lambda: read(played))


def _model(request: Request, key: str) -> GateModel | None:
    """The model `key` names in the served folder, else in the playground's."""
    found = _from_folder(request, lambda catalog: catalog.model(key))
    played = None if found is not None else _played(request.app.state)
    return found if played is None else _checked(lambda: played.model(key))


def _checked(read: Callable[[], T]) -> T:
    try:
        return read()
    except ValueError as error:
        raise Refusal(503, "folder", str(error)) from None


def _played(state: State) -> Catalog | None:
    """The playground folder's catalog, when it is not the served folder and has a manifest."""
    live: LiveCatalog | None = state.played
    if live is None or not (live.directory / MANIFEST).is_file():
        return None
    return _checked(live.current)


def _merged(state: State, served: bytes, played: Catalog) -> bytes:
    """gallery.json of the served folder (`served`) with the playground's models after its own, made
    once per pair of snapshots."""
    cached = state.merged
    if cached is not None and cached[0] is served and cached[1] is played:
        return cached[2]
    merged = json.dumps(with_playground(json.loads(served), played), separators=(",", ":")).encode()
    state.merged = (served, played, merged)
    return merged


def _found(request: Request, read: Callable[[Catalog], T | None], field: str, missing: str) -> T:
    """What `read` finds in the app's folder (`_from_folder`); nothing found is a 404 on `field`
    saying `missing`, so every endpoint refuses what the folder lacks alike."""
    found = _from_folder(request, read)
    if found is None:
        raise Refusal(404, field, missing)
    return found


def _directory(request: Request) -> Path:
    """The folder the URL is of, as its refusals name it."""
    if request.url.path.startswith(f"/{PLAYGROUND}/"):
        return request.app.state.playground.directory
    return request.app.state.live.directory
