"""The gallery server as an ASGI app: the page's static files, its JSON documents, the folder's files.

    /                      the single-page gallery (static/), with onnxruntime-web in static/vendor/
    /gallery.json          every model: names, bits, margins (catalog.Catalog.gallery)
    /details/<key>.json    one model's truth table and learning curve
    /models/<file>         a model file, as checked against the manifest and loaded: xor.onnx
    /api/predict           ?model=XOR&bits=01: the model run by Python onnxruntime, to check the page
    /api/playground, /api/train...   the playground: train a network and watch it learn (training.py)

`gatenet site` writes the first four as files, so the page runs the same from either; what needs the
server is under /api/, and the page asks for it only when gallery.json says `"api": true`.
"""

from __future__ import annotations

import mimetypes
import os
import threading
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from gatenet.store import MANIFEST
from gatenet.web import STATIC, training
from gatenet.web.catalog import Catalog
from gatenet.web.errors import Refusal, json_error, no_query
from gatenet.web.guard import Guard
from gatenet.web.playground import Playground

mimetypes.add_type("text/javascript", ".mjs")  # not known to every platform's table; modules need it
mimetypes.add_type("application/wasm", ".wasm")
NO_CACHE = {"cache-control": "no-cache"}  # the folder can change while the server runs


class LiveCatalog:
    """The folder's catalog as it is now: read again whenever its manifest was replaced.

    Every commit renames a new manifest into place, so the manifest's inode and time say when to re-read.
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
                self._catalog = Catalog.read(self.directory)
                self._stamp = stamp
            return self._catalog

    def _manifest_stamp(self) -> tuple | None:
        try:
            status = os.stat(self.directory / MANIFEST)
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_mtime_ns, status.st_size


def create_app(directory: Path, host: str, port: int, playground: Playground) -> ASGIApp:
    """The gallery of `directory`, answering only requests addressed to `host`:`port` (see `Guard`).

    `playground` runs its trainings; the server closes it when it stops (`serve.GalleryServer`).
    """
    live = LiveCatalog(Path(directory))

    def catalog() -> Catalog:
        try:
            return live.current()
        except ValueError as error:  # the folder does not verify: say why, as gatenet verify would
            raise Refusal(503, "folder", str(error)) from None

    def gallery(request: Request) -> Response:
        no_query(request)
        return JSONResponse(catalog().gallery(api=True), headers=NO_CACHE)

    def details(request: Request) -> Response:
        no_query(request)
        key = request.path_params["key"]
        document = catalog().details(key)
        if document is None:
            raise Refusal(404, "model", f"no model {key!r} in {directory}")
        return JSONResponse(document, headers=NO_CACHE)

    def model_file(request: Request) -> Response:
        no_query(request)
        path = request.path_params["path"]
        data = catalog().file(path)
        if data is None:
            raise Refusal(404, "path", f"{path!r} is not a file of the model folder")
        return Response(data, media_type="application/octet-stream", headers=NO_CACHE)

    def predict(request: Request) -> Response:
        known = {"model", "bits"}
        for field in request.query_params:
            if field not in known:
                raise Refusal(400, field, f"unknown query parameter {field!r}; expected model and bits")
        name, bits = (request.query_params.get(field, "") for field in ("model", "bits"))
        if not name:
            raise Refusal(400, "model", "missing query parameter 'model', e.g. model=XOR")
        model = catalog().models.get(name.lower())
        if model is None:
            raise Refusal(404, "model", f"no model {name!r} in {directory}")
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

    routes = [
        Route("/gallery.json", gallery),
        Route("/details/{key}.json", details),
        Route("/models/{path:path}", model_file),
        Route("/api/predict", predict),
        *training.routes(playground),
        Mount("/", StaticFiles(directory=STATIC, html=True)),
    ]
    handlers = {HTTPException: json_error}
    return Guard(Starlette(routes=routes, exception_handlers=handlers), host, port)
