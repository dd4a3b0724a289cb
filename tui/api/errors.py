"""Errors a user can act on. Messages say what happened and what to do next.

A message is built only from the server's error text and the request path, never from
headers, so a token cannot leak into a notification, a log or a traceback.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


class ApiError(Exception):
    """Base class: something the service refused or could not do."""

    hint = ""

    def __init__(self, message: str, status: int | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class Unauthorized(ApiError):
    hint = "Check the API key (or token) of this profile, or log in again."


class Forbidden(ApiError):
    hint = "Check that the instance (CRN) belongs to this account."


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class InvalidInput(ApiError):
    pass


class TranspileFailed(InvalidInput):
    """The transpiler service could not transpile a circuit; the message is its reason."""


class RateLimited(ApiError):
    hint = "Wait a moment; qrt retries on its own where it is safe."

    def __init__(self, message: str, status: int | None = 429, retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class Unavailable(ApiError):
    hint = "The service is down or unreachable; qrt keeps trying."

    def __init__(
        self, message: str, status: int | None = None, details: Any = None, *, request_sent: bool = True
    ) -> None:
        super().__init__(message, status, details)
        self.request_sent = request_sent  # False: the request surely never reached the service


class SubmissionInDoubt(Unavailable):
    """A job submission the service neither confirmed nor can be shown to have refused.

    qrt does not send it again (that could run it twice); `RuntimeClient.find_submission`
    with `submission_tag` tells, once the service answers, whether the job exists.
    """

    hint = "qrt did not resubmit it, so it cannot run twice; check the jobs list before retrying."

    def __init__(self, message: str, submission_tag: str) -> None:
        super().__init__(message)
        self.submission_tag = submission_tag


def server_message(response: httpx.Response) -> tuple[str, Any]:
    """The human part of an error body, in any of the shapes IBM's services use."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = response.text.strip()
        return (text[:300] or response.reason_phrase), None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return "; ".join(str(e.get("message", "")) for e in errors), errors
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("name") or error), error
        for key in ("errorMessage", "message", "detail"):
            if key in body:
                return str(body[key]), body
    return str(body)[:300], body


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_from_response(response: httpx.Response) -> ApiError:
    message, details = server_message(response)
    status = response.status_code
    where = f"{response.request.method} {response.request.url.path}"
    text = f"{message} ({status} on {where})"
    if status == 401:
        return Unauthorized(text, status, details)
    if status == 403:
        return Forbidden(text, status, details)
    if status == 404:
        return NotFound(text, status, details)
    if status == 409:
        return Conflict(text, status, details)
    if status == 429:
        return RateLimited(text, status, retry_after_seconds(response))
    if status in (400, 413, 415, 422):
        return InvalidInput(text, status, details)
    if status >= 500:
        return Unavailable(text, status, details)
    return ApiError(text, status, details)
