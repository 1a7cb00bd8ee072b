"""Who may talk to the gallery server: only its own page, at an address it was started on.

A page on another site can make a browser send requests to 127.0.0.1, and DNS rebinding can even make
them look same-origin. Both carry a `Host` or `Origin` that is not this server's, so every request
whose `Host` (and `Origin`, when sent) is not one of the server's own addresses is refused with 403,
and so is one whose `Origin` is not the very address in its `Host`. A plain GET from another site
(`<img src=...>`) sends no `Origin`, but a browser marks it `Sec-Fetch-Site: cross-site` (or
`same-site`), which is refused too. Every response also tells the browser to run nothing but the
server's own files and to stay unframed.
"""

from __future__ import annotations

import ipaddress
import json
import socket

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WILDCARD = ("0.0.0.0", "::")
POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
CHECKED = ("host", "origin", "sec-fetch-site")  # sent twice, which one would a check have read?
FOREIGN_FETCH = ("cross-site", "same-site")  # a browser's word that another site's page asked
HEADERS = [
    (b"content-security-policy", POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def check_host(host: str) -> str:
    """The address to bind, as an IP address; anything else is a ValueError naming `--host`."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        raise ValueError(f"--host must be an IP address such as 127.0.0.1 or 0.0.0.0, got {host!r}") from None


def is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback


def url_host(host: str) -> str:
    """An address as it is written in a URL or a Host header: IPv6 in brackets."""
    return f"[{host}]" if ":" in host else host


class Guard:
    """ASGI middleware: refuse foreign `Host`, `Origin` and `Sec-Fetch-Site` headers; add the browser
    security headers.

    Allowed hosts are the loopback names and the bound address, on the bound port. Bound to a wildcard
    (0.0.0.0), the server is also reached by this machine's name and by any of its IP addresses; an IP
    address in `Host` cannot be rebound by DNS, so any is accepted. An `Origin` must name the same
    address as `Host`: the server's own page sends its own origin, and another IP address of this
    machine is another site.
    """

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self.app = app
        self.port = port
        self.wildcard = host in WILDCARD
        names = {*LOOPBACK, host}
        if self.wildcard:
            names |= {socket.gethostname(), socket.getfqdn()}
        self.names = {url_host(name).lower() for name in names}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope["headers"])
        if refusal is not None and scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": refusal[1][:120]})
            return
        if refusal is not None:
            await _send_json(send, 403, {"error": refusal[1], "field": refusal[0]})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, raw: list[tuple[bytes, bytes]]) -> tuple[str, str] | None:
        """(header, reason) when the request is not from this server's own page, else None."""
        headers: dict[str, str] = {}
        for key, value in raw:
            name = key.decode("latin-1").lower()
            if name in CHECKED and name in headers:
                return _title(name), f"the request carries {_title(name)} twice; a browser sends it once"
            headers[name] = value.decode("latin-1")
        host, origin, fetch = (headers.get(name) for name in CHECKED)
        if host is None or not self._own(host):
            return "Host", f"Host {host!r} is not this server's address; open the URL gatenet serve printed"
        if origin is not None and origin.lower() != f"http://{host.lower()}":  # and so is this server's
            return "Origin", f"requests from {origin!r} are refused: only this server's own page may call it"
        if fetch is not None and fetch.lower() in FOREIGN_FETCH:
            return "Sec-Fetch-Site", f"a {fetch} request is refused: only this server's own page may call it"
        return None

    def _own(self, authority: str) -> bool:
        """Whether `name:port` (as a Host header or an Origin has it) is one of this server's addresses."""
        name, _, port = authority.lower().rpartition(":")
        if not name or "]" in port:  # no port given: only the default port 80 would match
            name, port = authority.lower(), "80"
        if port != str(self.port):
            return False
        if name in self.names:
            return True
        return self.wildcard and _is_ip(name.strip("[]"))


def _title(header: str) -> str:
    """A header's name as the refusals spell it: Host, Origin, Sec-Fetch-Site."""
    return "-".join(part.capitalize() for part in header.split("-"))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


async def _send_json(send: Send, status: int, document: dict) -> None:
    body = json.dumps(document).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
