"""The HTTP protocol `qrt serve` runs under uvicorn: h11, plus a way to drop a connection.

ASGI cannot close a connection without answering, and uvicorn keeps the transport to
itself, yet the fault injector must be able to show a client a connection that dies
mid-request. This protocol puts a callable under `scope["extensions"][DROP_CONNECTION]`
that aborts the TCP connection at once: no status line, no body, not even uvicorn's own 500.
It also answers requests that are not valid HTTP in IBM's error shape, and sends each
response in one piece (see CoalescingTransport).

And it bounds what a connection may hold: at most `MAX_CONNECTIONS` open at once, well
before file descriptors run out (a new one then pushes out the connection that has waited
longest without sending a request, or gets a 503 if every one is busy), request headers within
`HEADER_SECONDS` of the connection or of the previous response (a slow loris, or a socket
that never speaks, is closed with a 408), and a declared body within `BODY_SECONDS`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from tui.server.errors import error_body

DROP_CONNECTION = "qrt.drop_connection"
MAX_CONNECTIONS = 512
# Tests shorten these (QRT_SERVE_HEADER_SECONDS, QRT_SERVE_BODY_SECONDS).
HEADER_SECONDS = float(os.environ.get("QRT_SERVE_HEADER_SECONDS", "10"))
BODY_SECONDS = float(os.environ.get("QRT_SERVE_BODY_SECONDS", "30"))


class CoalescingTransport:
    """A transport whose writes made in one turn of the event loop leave as one send.

    uvicorn's h11 protocol writes a response's status line and headers, then its body; on
    a TCP_NODELAY socket each write is a segment of its own and a wake-up of the client,
    which then reads and parses twice. Held until the loop's next turn, they go together:
    one system call and one segment per response, with no delay a client could measure.
    Everything but writing, closing and aborting is the real transport's.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _raw_error(status: int, reason: str, message: str) -> bytes:
    body = json.dumps(error_body(status, message)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class DroppableH11Protocol(H11Protocol):
    open_connections = 0  # in this process; uvicorn makes one protocol per connection
    # Connections waiting for a request's headers, the longest-waiting first.
    idle: OrderedDict[int, DroppableH11Protocol] = OrderedDict()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.app = self._offer_drop(self.app)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None
        self._counted = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if DroppableH11Protocol.open_connections >= MAX_CONNECTIONS:
            if not DroppableH11Protocol.idle:
                transport.write(_raw_error(503, "Service Unavailable", "Too many open connections; retry shortly."))
                transport.close()
                return
            _, longest_idle = DroppableH11Protocol.idle.popitem(last=False)
            longest_idle._too_slow("headers")
            longest_idle.connection_lost(None)  # counted out now; its transport closes soon
        DroppableH11Protocol.open_connections += 1
        self._counted = True
        coalescing: Any = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._counted:
            return
        DroppableH11Protocol.open_connections -= 1
        self._counted = False
        self._set_deadline(None)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._set_deadline(None)  # uvicorn's keep-alive timeout takes over until more data

    def _watch(self) -> None:
        """Arm the deadline for what the connection is waiting for from the client."""
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            waiting = "headers"
        elif cycle.more_body:
            waiting = "body"
        else:
            waiting = None  # the service is answering
        if waiting != self._waiting_for:
            seconds = HEADER_SECONDS if waiting == "headers" else BODY_SECONDS
            self._set_deadline(waiting, seconds)

    def _set_deadline(self, waiting: str | None, seconds: float = 0.0) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._waiting_for = waiting
        if waiting == "headers":
            DroppableH11Protocol.idle[id(self)] = self
        else:
            DroppableH11Protocol.idle.pop(id(self), None)
        if waiting is not None:
            self._deadline = self.loop.call_later(seconds, self._too_slow, waiting)

    def _too_slow(self, waiting: str) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
        message = f"The request {waiting} did not arrive in time; the connection is closed."
        self.transport.write(_raw_error(408, "Request Timeout", message))
        self.transport.close()

    def _offer_drop(self, app: ASGIApp) -> ASGIApp:
        async def app_with_drop(scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("extensions", {})[DROP_CONNECTION] = self.drop_connection
            await app(scope, receive, send)

        return app_with_drop

    def drop_connection(self) -> None:
        if self.cycle is not None:
            self.cycle.disconnected = True  # uvicorn then writes nothing more for this request
        self.transport.abort()

    def send_400_response(self, msg: str) -> None:
        self.transport.write(_raw_error(400, "Bad Request", f"{msg} Malformed HTTP request line or headers."))
        self.transport.close()
