"""The playground's HTTP API: what it offers, starting a training, its event stream, its controls.

    GET  /api/playground            limits, the shipped gates to start from, whether training is possible
    POST /api/train                 JSON settings (see `settings.parse`) -> 202 {"session", "events", ...}
                                    with "page": the page's own id, one training per page at a time
    GET  /api/train/<id>/events     server-sent events: status, progress (RATE a second), end
    POST /api/train/<id>/<action>   pause, resume, step, reset, stop; speed with {"speed": steps per update}

Like every URL of the server these answer only the server's own page (`guard.Guard`): the stream too,
as it is a plain GET. A refusal is JSON naming the field, as everywhere else.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gatenet import extras
from gatenet.gate import Gate
from gatenet.logic_spec import LogicSpec
from gatenet.netlist import FUNCTION_NAMES
from gatenet.network import NetworkSpec
from gatenet.plugins import collect_gates
from gatenet.recipe import network_for
from gatenet.registry import Registry
from gatenet.web import settings
from gatenet.web.errors import Refusal, no_query
from gatenet.web.playground import ACTIONS, RATE, WAITING, Playground, Session, missing_extra

MAX_BODY = 16_384  # bytes of JSON settings; a full request is well under 1 kB
MAX_DEPTH = 8  # nesting of a JSON body: settings need 2, and a refusal that shows a value must not recurse
PAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # a page's id: playground.js sends 24 hex digits
KEEPALIVE = 15.0  # seconds between comments on an idle stream, so nothing in between times it out


@functools.cache
def registry() -> Registry:
    """The registered gates, collected once: plugins are loaded when the server starts them."""
    return collect_gates()


def _playground(request: Request) -> Playground:
    return request.app.state.playground


async def offer(request: Request) -> Response:
    """What the Playground page may offer: gates, limits, and whether training is available here."""
    no_query(request)
    gates = await run_in_threadpool(registry)
    missing = missing_extra()
    if missing is None:
        _playground(request).warm()
    return JSONResponse(
        {
            "available": missing is None,
            "folder": _playground(request).directory.name,  # where its models go, for the page to say
            "problem": None if missing is None else extras.hint("train", missing),
            "limits": settings.LIMITS,
            "rate": RATE,
            "waiting": WAITING,
            "speed": settings.DEFAULT_SPEED,
            "network": NetworkSpec().to_dict(),
            "kinds": list(settings.KINDS),
            "logic": LogicSpec().to_dict(),
            "functions": list(FUNCTION_NAMES),  # the 16 gates a logic node chooses among, by number
            "busy": _playground(request).busy(),
            "gates": [_offered(gate) for gate in settings.playable(gates)],
        }
    )


async def start(request: Request) -> Response:
    """Queue a training of the settings the page posts; 202 with where to follow it."""
    playground = _playground(request)
    document = await _json_body(request)
    page = _page(document)
    with playground.claim(page):  # held from here: the first training may wait seconds for TensorFlow
        parsed = settings.parse(document, await run_in_threadpool(registry))
        trainer = await run_in_threadpool(playground.trainer)
        await run_in_threadpool(settings.check_names, parsed, trainer)
        session = await run_in_threadpool(playground.submit, parsed, page)
    body = {"session": session.id, "events": f"api/train/{session.id}/events", **session.status()}
    return JSONResponse(body, status_code=202)


async def events(request: Request) -> Response:
    """A training's progress as a stream of server-sent events."""
    no_query(request)
    session = _playground(request).session(request.path_params["session"])
    headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(_stream(session), media_type="text/event-stream", headers=headers)


async def control(request: Request) -> Response:
    """Pause, resume, stop, reset or change the speed of a training."""
    no_query(request)
    playground = _playground(request)
    session = playground.session(request.path_params["session"])
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise Refusal(404, "action", f"no action {action[:40]!r}; actions are: {', '.join(ACTIONS)}")
    speed = None
    if action == "speed":
        document = await _json_body(request)
        if not isinstance(document, dict):
            raise Refusal(400, "body", 'expected a JSON object such as {"speed": 10}')
        unknown = next((field[:40] for field in document if field != "speed"), None)
        if unknown is not None:
            raise Refusal(400, unknown, f"unknown setting {unknown!r}; this action takes only speed")
        speed = settings.whole(document, "speed", None, 1, settings.LIMITS["speed"])
    return JSONResponse(await run_in_threadpool(playground.control, session, action, speed))


ROUTES = [
    Route("/api/playground", offer),
    Route("/api/train", start, methods=["POST"]),
    Route("/api/train/{session}/events", events),
    Route("/api/train/{session}/{action}", control, methods=["POST"]),
]


async def _stream(session: Session) -> AsyncIterator[str]:
    """The session's events as they happen, until it ends or the reader goes away."""
    watcher = session.watch(asyncio.get_running_loop())
    try:
        while True:
            watcher.event.clear()
            events, ended = session.messages(watcher)
            for event in events:
                yield event
            if ended:
                return
            try:
                await asyncio.wait_for(watcher.event.wait(), KEEPALIVE)
            except TimeoutError:
                yield ": waiting\n\n"
    finally:
        session.unwatch(watcher)


async def _json_body(request: Request) -> object:
    """The request's JSON body: application/json, at most MAX_BODY bytes."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Refusal(415, "content-type", "send the settings as JSON, with Content-Type: application/json")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refusal(413, "body", f"the body is over {MAX_BODY:,} bytes; settings take well under 1 kB")
    too_deep = f"the body's JSON is nested more than {MAX_DEPTH} levels deep; settings need 2"
    try:
        document = json.loads(body, object_pairs_hook=_unique)
    except ValueError as error:
        raise Refusal(400, "body", f"not valid JSON: {error}") from None
    except RecursionError:  # a few kB of [[[[...]]]] is deeper than Python's parser recurses
        raise Refusal(400, "body", too_deep) from None
    if _depth(document) > MAX_DEPTH:
        raise Refusal(400, "body", too_deep)
    return document


def _page(document: object) -> str | None:
    """The id the page sends with its settings (taken out of them), or None from an API client."""
    if not isinstance(document, dict) or "page" not in document:
        return None
    page = document.pop("page")
    if not isinstance(page, str) or not PAGE_ID.fullmatch(page):
        shown = str(page)[:40]
        raise Refusal(400, "page", f"page: expected the page's id, 8 to 64 letters and digits, got {shown!r}")
    return page


def _unique(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose keys are each given once: which of two values was meant is not for us to guess."""
    document: dict = {}
    for key, value in pairs:
        if key in document:
            raise Refusal(400, key[:40], f"{key[:40]!r} is given twice in the body; give it once")
        document[key] = value
    return document


def _depth(document: object) -> int:
    """How deeply lists and objects nest in `document`, found without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in (value.values() if isinstance(value, dict) else value))
    return deepest


def _offered(gate: Gate) -> dict:
    """A shipped gate as the playground's form starts from it: its table, and the network and the logic
    network `gatenet train` gives it."""
    return {
        "name": gate.name,
        "description": gate.description,
        "inputs": list(gate.input_names),
        "outputs": list(gate.output_names),
        "table": ["".join(str(bit) for bit in gate.table[:, output]) for output in range(gate.outputs)],
        "network": network_for(gate).to_dict(),
        "logic": settings.logic_for(gate).to_dict(),
    }
