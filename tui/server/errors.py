"""Errors in IBM's shape: `{"errors": [{"code", "message", "more_info"}], "trace"}`.

Every failure the service reports, including FastAPI's own validation errors and anything
unexpected, leaves through these handlers, so that clients always get a parseable body.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("qrt.serve")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
    507: "insufficient_storage",
    408: "request_timeout",
}


class ApiProblem(Exception):
    """A request the service refuses, with the status and a message for the user."""

    def __init__(
        self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.headers = headers or {}


def error_body(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    return {
        "errors": [
            {
                "code": code or _CODES.get(status, "error"),
                "message": message,
                "more_info": "https://quantum.cloud.ibm.com/docs/api/qiskit-runtime-rest",
            }
        ],
        "trace": uuid.uuid4().hex,
    }


def error_response(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(status, message, code), status_code=status, headers=headers)


def _describe_validation_error(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg', 'invalid value')}" if where else str(error.get("msg"))


def validation_message(errors: Sequence[Any]) -> str:
    """pydantic's or FastAPI's validation errors as one line naming the fields."""
    details = "; ".join(_describe_validation_error(e) for e in errors[:5])
    return f"Invalid request: {details}"


ErrorBody = Callable[[int, str, str], dict[str, Any]]


def route_class_with_error_body(render: ErrorBody) -> type[APIRoute]:
    """Routes whose refusals use another service's error shape (the older APIs' own).

    `render(status, message, code)` builds the body; the app-wide handlers still cover
    everything outside these routes (unknown paths, oversized bodies, crashes).
    """

    class RouteWithOwnErrors(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                try:
                    return await handler(request)
                except ApiProblem as exc:
                    body = render(exc.status, exc.message, exc.code)
                    return JSONResponse(body, status_code=exc.status, headers=exc.headers)
                except RequestValidationError as exc:
                    return JSONResponse(
                        render(400, validation_message(exc.errors()), "bad_request"), status_code=400
                    )
                except StarletteHTTPException as exc:  # e.g. a body that is not JSON
                    body = render(exc.status_code, str(exc.detail), _CODES.get(exc.status_code, "error"))
                    return JSONResponse(body, status_code=exc.status_code)

            return handle

    return RouteWithOwnErrors


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.code, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers) if exc.headers else None)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, validation_message(exc.errors()))

    @app.exception_handler(sqlite3.OperationalError)
    async def _storage(_: Request, exc: sqlite3.OperationalError) -> JSONResponse:
        if "full" in str(exc):
            log.warning("a request failed: the disk holding the data dir is full")
            return error_response(507, "The service's disk is full; nothing was changed. Retry once space is freed.")
        log.warning("a request failed on the database: %s", exc)
        return error_response(503, "The service's database is busy or unavailable; retry shortly.",
                              headers={"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error while serving a request")
        return error_response(500, f"Internal error ({type(exc).__name__})")
