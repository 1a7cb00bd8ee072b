"""`gatenet serve`: the gallery app on uvicorn, on loopback unless told otherwise, until Ctrl-C."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from gatenet.web.app import create_app
from gatenet.web.catalog import Catalog
from gatenet.web.guard import check_host, is_loopback, url_host


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; binding it first gives the real port (for `--port 0`) before the app is made."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=64)
    except OSError as error:
        raise ValueError(f"cannot listen on {url_host(host)}:{port}: {error.strerror or error}") from None


def make_server(directory: Path, address: str, port: int) -> tuple[uvicorn.Server, socket.socket]:
    """A uvicorn server of the gallery and its bound socket, ready to `run(sockets=[socket])`."""
    sock = bind(address, port)
    config = uvicorn.Config(
        create_app(directory, address, sock.getsockname()[1]),
        log_level="warning",
        access_log=False,
        lifespan="on",  # its shutdown stops a training the playground runs
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config), sock


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
