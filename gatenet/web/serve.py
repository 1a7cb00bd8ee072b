"""`gatenet serve`: the gallery app on uvicorn, on loopback unless told otherwise, until Ctrl-C."""

from __future__ import annotations

import asyncio
import copy
import socket
from collections.abc import Callable
from pathlib import Path

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from gatenet.web.app import LiveCatalog, create_app
from gatenet.web.catalog import PLAYGROUND
from gatenet.web.guard import check_host, is_loopback, url_host
from gatenet.web.playground import Playground

REQUEST_TIMEOUT = 10.0  # seconds a client has to send a whole request, from its first byte of waiting


class DeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each request, head and body.

    uvicorn bounds only the idle time between requests (`timeout_keep_alive`), and every byte received
    restarts even that; nothing bounds a request that is sent slowly or never finished, and ASGI
    middleware sees a request only once its head is complete. So a connection that has not delivered a
    whole request REQUEST_TIMEOUT seconds after it opened (or after its last response) is closed.
    Once the request is in, the deadline is off: a response may take as long as it needs (an event
    stream lasts a whole training).
    """

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):  # the request is in, or it is over
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():  # waiting for the next
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(REQUEST_TIMEOUT, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; binding it first gives the real port (for `--port 0`) before the app is made."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=64)
    except OSError as error:
        raise ValueError(f"cannot listen on {url_host(host)}:{port}: {error.strerror or error}") from None


class GalleryServer(uvicorn.Server):
    """uvicorn, stopping the playground's trainings first when it stops.

    Stopping, uvicorn waits for open responses to finish, and cancels them after its graceful timeout. A
    page watching a training holds one open, as its event stream ends only when the training does. So
    the trainings stop first: each stream sends its `end` and returns, and the connections close at once.
    """

    def __init__(self, config: uvicorn.Config, playground: Playground) -> None:
        super().__init__(config)
        self.playground = playground

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # No process may exit while TensorFlow runs in one of its threads; closing waits for the worker.
        await asyncio.to_thread(self.playground.close)
        await super().shutdown(sockets)


def default_playground(directory: Path) -> Path:
    """Where the playground writes unless told: `playground/` beside the served folder (for `exported/`
    in a clone, the repository's git-ignored `playground/`), so experiments never change the served,
    often committed, folder."""
    return Path(directory).resolve().parent / PLAYGROUND


def log_config(access_log: bool) -> dict:
    """uvicorn's own logging, with its start-up chatter off (gatenet prints its own URL line) and, with
    `access_log`, a line per request on stdout in uvicorn's format, as uvicorn's users know it:
    `INFO:     127.0.0.1:50312 - "GET /gallery.json HTTP/1.1" 200 OK`. Warnings and errors go to stderr."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["uvicorn.error"]["level"] = "WARNING"
    config["loggers"]["uvicorn.access"]["level"] = "INFO" if access_log else "WARNING"
    return config


def make_server(
    directory: Path,
    address: str,
    port: int,
    live: LiveCatalog | None = None,
    playground_dir: Path | None = None,
    access_log: bool = False,
) -> tuple[GalleryServer, socket.socket]:
    """A uvicorn server of the gallery and its bound socket, ready to `run(sockets=[socket])`; `live`
    is the folder's catalog if it was read already; the playground writes to `playground_dir`
    (`default_playground` when None; the served folder itself only when given it); `access_log` logs
    a line per request."""
    sock = bind(address, port)
    playground = Playground(Path(playground_dir or default_playground(directory)), Path(directory))
    config = uvicorn.Config(
        create_app(directory, address, sock.getsockname()[1], playground, live),
        http=DeadlineProtocol,
        log_config=log_config(access_log),
        log_level=None,
        access_log=access_log,
        timeout_graceful_shutdown=2,
    )
    return GalleryServer(config, playground), sock


def serve(
    directory: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
    playground_dir: Path | None = None,
    access_log: bool = True,
) -> None:
    """Serve `directory`'s gallery; print its URL, a line per request (unless not `access_log`), and
    warn when other machines can reach it.

    The folder is read once first, so a folder that does not verify fails here, not in the browser;
    the server answers from that reading until the manifest changes.
    """
    address = check_host(host)
    live = LiveCatalog(Path(directory))
    catalog = live.current()
    server, sock = make_server(directory, address, port, live, playground_dir, access_log)
    if not is_loopback(address):
        warn(
            f"warning: serving on {address}, so other machines can reach the gallery and every file of "
            f"{directory}; it has no login. Leave out --host to serve on 127.0.0.1 only."
        )
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)
    url = f"http://{url_host(shown)}:{sock.getsockname()[1]}/"
    echo(f"gatenet: {len(catalog.models)} models of {directory} at {url}  (Ctrl-C stops)")
    echo(f"gatenet: the Playground writes to {server.playground.directory}")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn stops gracefully on Ctrl-C, then passes the signal on
        pass
    finally:
        sock.close()
    echo("gatenet: stopped")
