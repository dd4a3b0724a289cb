"""RuntimeClient: typed async calls to the IBM Quantum REST API over one httpx.AsyncClient.

Idempotent calls are retried with exponential backoff and jitter on connection errors, 5xx
and 429 (honouring Retry-After), a bounded number of times. A job submission is never
blindly retried: each carries a unique client tag, and after an ambiguous failure the
client asks the service whether a job with that tag exists before submitting again.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from tui import __version__
from tui.api.auth import Authenticator
from tui.api.errors import ApiError, InvalidInput, NotFound, SubmissionInDoubt, Unavailable
from tui.api.flavour import CLOUD_API, ApiFlavour
from tui.api.models import (
    SUBMISSION_TAG_PREFIX,
    Backend,
    Job,
    JobPage,
    Session,
    SessionMode,
    Usage,
    WorkloadPage,
)
from tui.api.retrying import RetryPolicy, send_with_retries
from tui.api.transpiler import TranspilerService


class RuntimeClient:
    def __init__(
        self,
        base_url: str,
        authenticator: Authenticator,
        instance: str,
        *,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        flavour: ApiFlavour = CLOUD_API,
    ) -> None:
        """`base_url` ends with the flavour's base path (`.../api/v1` or `.../runtime`)."""
        self.base_url = base_url.rstrip("/")
        self.instance = instance
        self.flavour = flavour
        self._auth = authenticator
        self._retry = retry or RetryPolicy()
        # The instance, the API version and the client's name are the runtime host's
        # business only: the sign-in service and the transpiler share this AsyncClient's
        # connections, but not these headers.
        self._runtime_headers = {"X-Qx-Client-Application": f"qrt/{__version__}", **flavour.headers(instance)}
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=5.0),
            headers={"Accept": "application/json"},
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def sign_out(self) -> None:
        """Forget this client's credential (and revoke it where the channel allows)."""
        await self._auth.sign_out(self._http)

    def transpiler_service(self, url: str, authenticator: Authenticator) -> TranspilerService:
        """A client of the transpiler service at `url`, over this client's connections."""
        return TranspilerService(url, authenticator, self._http, self._retry)

    # plumbing ------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, *, idempotent: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """Send with retries; raise an ApiError subclass on failure."""
        headers = {**self._runtime_headers, **kwargs.pop("headers", {})}
        return await send_with_retries(
            self._http, self._auth, self._retry, method, f"{self.base_url}{path}",
            idempotent=idempotent, headers=headers, **kwargs,
        )

    async def _get_json(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        return (await self._request("GET", path, params=query)).json()

    # service -------------------------------------------------------------------------

    async def backends(self) -> list[Backend]:
        body = await self._get_json("/backends")
        devices = body.get("devices", [])
        if self.flavour.lists_backend_names_only:
            return list(await asyncio.gather(*(self._backend_from_status(name) for name in devices)))
        return [Backend.from_api(device) for device in devices]

    async def _backend_from_status(self, name: str) -> Backend:
        """A backend of the older API, which lists names only: its status call adds the
        state and queue; qubits (0) and processor ("") stay unknown, not guessed."""
        status = await self._get_json(f"/backends/{name}/status")
        return Backend.from_status(name, status)

    async def backend_configuration(self, name: str) -> dict[str, Any]:
        return await self._get_json(f"/backends/{name}/configuration")

    async def backend_properties(self, name: str) -> dict[str, Any]:
        return await self._get_json(f"/backends/{name}/properties")

    # jobs ----------------------------------------------------------------------------

    async def submit_job(
        self,
        program_id: str,
        backend: str,
        params: dict[str, Any],
        *,
        session_id: str | None = None,
        tags: Sequence[str] = (),
    ) -> str:
        """Create a job and return its id, exactly once even when the network fails."""
        check_tags(tags)
        submission_tag = f"{SUBMISSION_TAG_PREFIX}{uuid.uuid4().hex}"
        body: dict[str, Any] = {
            "program_id": program_id,
            "backend": backend,
            "params": params,
            "tags": [*tags, submission_tag],
            **self.flavour.job_scope(self.instance),
        }
        if session_id:
            body["session_id"] = session_id
        attempts = self._retry.attempts
        for attempt in range(attempts):
            try:
                response = await self._request("POST", "/jobs", idempotent=False, json=body)
                return str(response.json()["id"])
            except Unavailable as failure:
                if not failure.request_sent:
                    raise  # connecting failed (after bounded retries): nothing was created
                existing = await self._look_for_submission(submission_tag)
                if existing is not None:
                    return existing
                if failure.status is None:
                    # The connection died mid-request: the service may still be creating it.
                    raise SubmissionInDoubt(
                        "The service did not answer the job submission.", submission_tag
                    ) from None
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(self._retry.delay(attempt))
        raise AssertionError("unreachable")

    async def _look_for_submission(self, submission_tag: str) -> str | None:
        try:
            return await self.find_submission(submission_tag)
        except ApiError:
            raise SubmissionInDoubt(
                "The job submission was not confirmed and the service cannot be asked about it now.",
                submission_tag,
            ) from None

    async def find_submission(self, submission_tag: str) -> str | None:
        """The id of the job submitted with this tag (see SubmissionInDoubt), if it exists."""
        page = await self.jobs(limit=1, tags=[submission_tag])
        return page.jobs[0].id if page.jobs else None

    async def submit_sampler_job(
        self,
        backend: str,
        pubs: Sequence[Any],
        *,
        shots: int | None = None,
        options: dict[str, Any] | None = None,
        session_id: str | None = None,
        tags: Sequence[str] = (),
    ) -> str:
        """Pubs are `[qasm, parameter_values?, shots?]`; results come back as plain JSON."""
        params = _primitive_params(pubs, options, shots=shots)
        return await self.submit_job("sampler", backend, params, session_id=session_id, tags=tags)

    async def submit_estimator_job(
        self,
        backend: str,
        pubs: Sequence[Any],
        *,
        precision: float | None = None,
        resilience_level: int | None = None,
        options: dict[str, Any] | None = None,
        session_id: str | None = None,
        tags: Sequence[str] = (),
    ) -> str:
        """Pubs are `[qasm, observables, parameter_values?, precision?]` (reference §2.2)."""
        params = _primitive_params(
            pubs, options, precision=precision, resilience_level=resilience_level
        )
        return await self.submit_job("estimator", backend, params, session_id=session_id, tags=tags)

    async def jobs(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        pending: bool | None = None,
        backend: str | None = None,
        program: str | None = None,
        session_id: str | None = None,
        tags: Sequence[str] = (),
    ) -> JobPage:
        params: dict[str, Any] = {
            "limit": limit,
            "offset": offset,
            "exclude_params": "true",
            "pending": None if pending is None else str(pending).lower(),
            "backend": backend,
            "program": program,
            "session_id": session_id,
        }
        query = [(k, v) for k, v in params.items() if v is not None]
        query += [("tags", tag) for tag in tags]
        body = (await self._request("GET", "/jobs", params=query)).json()
        return JobPage(
            jobs=tuple(Job.from_api(item) for item in body.get("jobs", [])),
            count=int(body.get("count", 0)),
        )

    async def workloads(
        self,
        *,
        limit: int = 50,
        newest_first: bool = True,
        next_cursor: str | None = None,
        previous_cursor: str | None = None,
        mode: str | None = None,
        statuses: Sequence[str] = (),
        backend: str | None = None,
        search: str | None = None,
    ) -> WorkloadPage:
        """A page of IBM's workloads list (jobs outside sessions, sessions, batches)."""
        params: dict[str, Any] = {
            "limit": limit, "sort": "-createdAt" if newest_first else "createdAt", "next": next_cursor,
            "previous": previous_cursor, "mode": mode, "backend": backend, "search": search,
        }
        query = [(k, v) for k, v in params.items() if v is not None] + [("status", s) for s in statuses]
        return WorkloadPage.from_api((await self._request("GET", "/workloads", params=query)).json())

    async def search_tags(self, text: str) -> list[str]:
        """The instance's job tags that contain `text` (IBM asks for at least 3 characters)."""
        body = (await self._request("GET", "/tags", params={"type": "job", "search": text})).json()
        return [str(tag) for tag in body.get("tags") or []]

    async def iter_jobs(self, page_size: int = 100, **filters: Any) -> AsyncIterator[Job]:
        offset = 0
        while True:
            page = await self.jobs(limit=page_size, offset=offset, **filters)
            for job in page.jobs:
                yield job
            offset += len(page.jobs)
            if not page.jobs or offset >= page.count:
                return

    async def job(self, job_id: str) -> Job:
        return Job.from_api(await self._get_json(f"/jobs/{job_id}", exclude_params="true"))

    async def job_document(self, job_id: str) -> dict[str, Any]:
        """The job as the service returns it, parameters included (for the detail view)."""
        return await self._get_json(f"/jobs/{job_id}")

    async def job_results(self, job_id: str) -> Any:
        """The result body: JSON for completed jobs, text for failed ones, None if not ready."""
        response = await self._request("GET", f"/jobs/{job_id}/results")
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except json.JSONDecodeError:
            return response.text

    async def job_logs(self, job_id: str) -> str:
        return (await self._request("GET", f"/jobs/{job_id}/logs")).text

    async def job_metrics(self, job_id: str) -> dict[str, Any]:
        return await self._get_json(f"/jobs/{job_id}/metrics")

    async def cancel_job(self, job_id: str) -> None:
        await self._request("POST", f"/jobs/{job_id}/cancel")

    async def delete_job(self, job_id: str) -> None:
        await self._request("DELETE", f"/jobs/{job_id}")

    async def set_job_tags(self, job_id: str, tags: Sequence[str]) -> None:
        """Replace the job's tags. qrt's own submission tag is kept, so the job stays findable."""
        check_tags(tags)
        kept = [tag for tag in (await self.job(job_id)).tags if tag.startswith(SUBMISSION_TAG_PREFIX)][:1]
        await self._request("PUT", f"/jobs/{job_id}/tags", json={"tags": [*tags, *kept]})

    # sessions ------------------------------------------------------------------------

    async def create_session(
        self, backend: str, mode: SessionMode = "dedicated", *, max_ttl: int | None = None
    ) -> Session:
        """Open a session (`dedicated`) or a batch (`batch`); `max_ttl` in seconds.

        Not retried after an ambiguous failure: a second session would be harmless to the
        jobs but would hold the backend; the caller can simply try again.
        """
        body = self.flavour.session_body(self.instance, backend, mode, max_ttl)
        response = await self._request("POST", "/sessions", idempotent=False, json=body)
        return Session.from_api(response.json())

    async def session(self, session_id: str) -> Session:
        return Session.from_api(await self._get_json(f"/sessions/{session_id}"))

    async def close_session(self, session_id: str) -> None:
        """Stop accepting jobs; queued and running ones still finish (the client's `close`).

        A session the service no longer knows is already closed, as the official client
        also treats it.
        """
        try:
            await self._request(
                "PATCH", f"/sessions/{session_id}", json={"accepting_jobs": False}
            )
        except NotFound:
            pass

    async def cancel_session(self, session_id: str) -> None:
        """Stop now: running jobs finish, queued ones never run (the client's `cancel`)."""
        await self._request("DELETE", f"/sessions/{session_id}/close")

    async def usage(self) -> Usage:
        return Usage.from_api(await self._get_json("/instances/usage"))


MAX_JOB_TAGS = 8  # IBM's limits on a job's tags
MAX_TAG_LENGTH = 86


def check_tags(tags: Sequence[str]) -> None:
    """IBM's tag limits, with qrt's own submission tag counted in (it makes a submission
    exactly-once, and takes one of the eight places)."""
    if len(tags) > MAX_JOB_TAGS - 1:
        raise InvalidInput(
            f"Tags: at most {MAX_JOB_TAGS - 1} (IBM allows {MAX_JOB_TAGS} per job, and qrt uses one to "
            "submit each job exactly once)."
        )
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH or not tag:
            raise InvalidInput(f"Tags: each one is 1 to {MAX_TAG_LENGTH} characters ('{tag[:20]}…' is not).")


def _primitive_params(
    pubs: Sequence[Any], options: dict[str, Any] | None, **top_level: Any
) -> dict[str, Any]:
    """A primitive's `params`, asking for plain JSON results (qrt parses them fastest)."""
    params: dict[str, Any] = {"pubs": list(pubs), "version": 2, "options": options or {}}
    params.update({key: value for key, value in top_level.items() if value is not None})
    return params
