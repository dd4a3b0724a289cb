"""The HTTP protocol `qrt serve` runs under uvicorn: h11, plus a way to drop a connection.

ASGI cannot close a connection without answering, and uvicorn keeps the transport to
itself, yet the fault injector must be able to show a client a connection that dies
mid-request. This protocol puts a callable under `scope["extensions"][DROP_CONNECTION]`
that aborts the TCP connection at once: no status line, no body, not even uvicorn's own 500.
It also answers requests that are not valid HTTP in IBM's error shape.
"""

from __future__ import annotations

import json

import h11
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from tui.server.errors import error_body

DROP_CONNECTION = "qrt.drop_connection"


class DroppableH11Protocol(H11Protocol):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.app = self._offer_drop(self.app)

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
