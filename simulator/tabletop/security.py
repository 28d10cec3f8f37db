"""Tabletop layer: the web app's guard — request size, Host header, and the browser's protections.

Wrapped around the whole app (a plain ASGI middleware, before any route runs):

- **Request bodies** are read up to :data:`MAX_BODY_BYTES` (64 KiB: the largest thing anyone
  sends is a stakeholder update of at most 2,000 characters); a larger one is refused with
  413 before it is held in memory, whether or not it announces its length.
- **The Host header** must name the address the server is bound to (and its port): a
  loopback server answers only to ``localhost``, ``127.0.0.1`` and ``[::1]``; one bound to a
  named interface only to that name; one bound to every interface (``0.0.0.0``) to IP
  addresses and this machine's names. Anything else is 400: a web page elsewhere cannot
  reach the console through DNS rebinding.
- **Every response** says ``Content-Security-Policy`` (scripts, styles and requests from this
  server only; no frames, no plugins), ``X-Frame-Options: DENY``,
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (the console's address
  holds the token) and, except for the static assets, ``Cache-Control: no-store``.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["MAX_BODY_BYTES", "Guard", "host_check", "security_headers"]

MAX_BODY_BYTES = 64 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_EVERY_INTERFACE = frozenset({"0.0.0.0", "::", ""})


def _split_host(header: str) -> tuple[str, int | None] | None:
    """``name[:port]`` or ``[v6]:port`` as (lower-case name, port); None if malformed."""
    header = header.strip().lower()
    if header.startswith("["):
        name, _, rest = header[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None if not rest else "x"
    elif header.count(":") == 1:
        name, port_text = header.split(":")
    else:
        name, port_text = header, None
    if port_text is not None and not port_text.isdigit():
        return None
    return name.rstrip("."), None if port_text is None else int(port_text)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_check(bound_host: str, port: int) -> Callable[[str], bool]:
    """Which Host headers a server bound to ``bound_host``:``port`` answers."""
    bound = bound_host.strip("[]").lower()
    if bound in _EVERY_INTERFACE:
        names = {"localhost", socket.gethostname().lower(), socket.getfqdn().lower()}

        def known(name: str) -> bool:
            return _is_ip(name) or name in names
    else:
        allowed = {bound} | (_LOOPBACK_NAMES if bound in _LOOPBACK_NAMES
                             or bound.startswith("127.") else set())

        def known(name: str) -> bool:
            return name in allowed

    def check(header: str) -> bool:
        parsed = _split_host(header)
        if parsed is None:
            return False
        name, given_port = parsed
        return known(name) and (given_port or 80) == port

    return check


def security_headers(style_sources: str = "") -> list[tuple[bytes, bytes]]:
    """The headers every response carries (``style_sources``: extra CSP sources for styles)."""
    policy = ("default-src 'none'; script-src 'self'; style-src 'self' " + style_sources +
              "; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
              "frame-ancestors 'none'")
    return [(b"content-security-policy", policy.encode()), (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


class Guard:
    """The ASGI middleware that enforces the body cap and the Host check and adds the headers."""

    def __init__(self, app: App, allowed_host: Callable[[str], bool], headers: list[tuple[bytes, bytes]],
                 max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.allowed_host = allowed_host
        self.headers = headers
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope["headers"]}
        send = self._with_headers(send, scope["path"].startswith("/assets/"))
        host = headers.get(b"host", b"").decode("latin-1")
        if not self.allowed_host(host):
            await _refuse(send, 400, f"unexpected Host header {host!r}: open the exercise at the "
                                     f"address `mimsim tabletop` printed")
            return
        length = headers.get(b"content-length", b"0").decode("latin-1")
        if not length.isdigit() or int(length) > self.max_body:
            await _refuse(send, 413, f"a request body may hold at most {self.max_body:,} bytes")
            return
        body = await self._read_body(receive)
        if body is None:
            await _refuse(send, 413, f"a request body may hold at most {self.max_body:,} bytes")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the cap (it is not read further)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _with_headers(self, send: Send, asset: bool) -> Send:
        extra = self.headers + ([] if asset else [(b"cache-control", b"no-store")])

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        return sending


def _replay(body: bytes, receive: Receive) -> Receive:
    given = False

    async def receiving() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receiving


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
