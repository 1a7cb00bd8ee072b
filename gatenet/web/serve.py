"""`gatenet serve`: the gallery app on uvicorn, on loopback unless told otherwise, until Ctrl-C."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from gatenet.web.app import create_app
from gatenet.web.catalog import Catalog
from gatenet.web.guard import check_host, is_loopback, url_host
from gatenet.web.playground import Playground


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


def make_server(directory: Path, address: str, port: int) -> tuple[GalleryServer, socket.socket]:
    """A uvicorn server of the gallery and its bound socket, ready to `run(sockets=[socket])`."""
    sock = bind(address, port)
    playground = Playground(Path(directory))
    config = uvicorn.Config(
        create_app(directory, address, sock.getsockname()[1], playground),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    return GalleryServer(config, playground), sock


def serve(
    directory: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
) -> None:
    """Serve `directory`'s gallery; print its URL, and warn when other machines can reach it.

    The folder is read once first, so a folder that does not verify fails here, not in the browser.
    """
    address = check_host(host)
    catalog = Catalog.read(directory)
    server, sock = make_server(directory, address, port)
    if not is_loopback(address):
        warn(
            f"warning: serving on {address}, so other machines can reach the gallery and every file of "
            f"{directory}; it has no login. Leave out --host to serve on 127.0.0.1 only."
        )
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)
    url = f"http://{url_host(shown)}:{sock.getsockname()[1]}/"
    echo(f"gatenet: {len(catalog.models)} models of {directory} at {url}  (Ctrl-C stops)")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn stops gracefully on Ctrl-C, then passes the signal on
        pass
    finally:
        sock.close()
    echo("gatenet: stopped")
