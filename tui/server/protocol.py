"""The HTTP protocol `qrt serve` runs under uvicorn: h11, plus a way to drop a connection.

ASGI cannot close a connection without answering, and uvicorn keeps the transport to
itself, yet the fault injector must be able to show a client a connection that dies
mid-request. This protocol puts a callable under `scope["extensions"][DROP_CONNECTION]`
that aborts the TCP connection at once: no status line, no body, not even uvicorn's own 500.
It also answers requests that are not valid HTTP in IBM's error shape, and sends each
response in one piece (see CoalescingTransport).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from tui.server.errors import error_body

DROP_CONNECTION = "qrt.drop_connection"


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


class DroppableH11Protocol(H11Protocol):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.app = self._offer_drop(self.app)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing: Any = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)

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
        body = json.dumps(error_body(400, f"{msg} Malformed HTTP request line or headers.")).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()
