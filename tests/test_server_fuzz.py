"""The OpenAPI document of `qrt serve`, fuzzed with schemathesis: no request gets a 5xx,
and every answer has a status, a content type and a body shape its route declares.

Every operation is called with a real bearer token, so the generated bodies, queries and
path values reach the handlers instead of stopping at authentication. The fault-control
route is left out: fuzzing it would inject faults into the other tests' server; an
instance limit the fuzzer sets is removed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ServiceInfo
from tests.helpers.service import submit, wait_final


@pytest.fixture(scope="module")
def openapi_schema(service: ServiceInfo) -> Any:
    return schemathesis.openapi.from_url(f"{service.url}/openapi.json")


@pytest.fixture(scope="module")
def authorized_headers(service: ServiceInfo) -> Iterator[dict[str, str]]:
    headers = service.headers()
    yield headers
    # the fuzzer may have set an instance limit; later tests need to submit jobs
    reset = httpx.put(f"{service.url}/api/v1/instances/configuration", headers=headers,
                      json={"instance_limit": None})
    assert reset.status_code == 204


SHAPE_CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
]

schema = schemathesis.pytest.from_fixture("openapi_schema").exclude(path="/qrt/faults")


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(
    case: Any, service: ServiceInfo, authorized_headers: dict[str, str]
) -> None:
    case.call_and_validate(
        base_url=service.url, headers=authorized_headers, checks=SHAPE_CHECKS, timeout=30
    )


def test_answers_about_real_objects_have_their_declared_shapes(
    openapi_schema: Any, service: ServiceInfo, bell_isa_qasm: str
) -> None:
    """The fuzzer mostly meets refusals (made-up ids); these are the answers about a real
    finished job, a real session and real backends, checked against the same document."""
    headers = service.headers()
    session = httpx.post(f"{service.url}/api/v1/sessions", headers=headers,
                         json={"mode": "batch", "backend": "ibm_brisbane"}).json()
    job = submit(service, headers, bell_isa_qasm, 64, session_id=session["id"], tags=["shapes"]).json()
    wait_final(service, headers, job["id"])
    login = httpx.post(f"{service.url}/api/users/loginWithToken", json={"apiToken": service.api_key}).json()
    legacy = {"x-access-token": login["id"]}
    legacy_job = httpx.post(f"{service.url}/runtime/jobs", headers=legacy, json={
        "program_id": "sampler", "backend": "ibm_brisbane",
        "params": {"pubs": [[bell_isa_qasm, None, 64]], "version": 2},
    }).json()
    calls: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
        ("GET", "/api/v1/backends", {"fields": "wait_time_seconds"}, headers),
        ("GET", "/api/v1/backends/ibm_brisbane/configuration", {}, headers),
        ("GET", "/api/v1/backends/ibm_brisbane/properties", {}, headers),
        ("GET", "/api/v1/backends/ibm_brisbane/status", {}, headers),
        ("GET", f"/api/v1/jobs/{job['id']}", {}, headers),
        ("GET", "/api/v1/jobs", {"tags": "shapes"}, headers),
        ("GET", f"/api/v1/jobs/{job['id']}/results", {}, headers),
        ("GET", f"/api/v1/jobs/{job['id']}/metrics", {}, headers),
        ("GET", f"/api/v1/jobs/{job['id']}/logs", {}, headers),
        ("GET", "/api/v1/tags", {"search": "sha"}, headers),
        ("GET", f"/api/v1/sessions/{session['id']}", {}, headers),
        ("GET", "/api/v1/instances/usage", {}, headers),
        ("GET", "/api/v1/instance", {}, headers),
        ("GET", "/api/v1/workloads", {"limit": 50, "sort": "-createdAt"}, headers),
        ("GET", "/runtime/backends", {}, legacy),
        ("GET", "/runtime/jobs", {}, legacy),
        ("GET", f"/runtime/jobs/{legacy_job['id']}", {}, legacy),
        ("GET", "/api/users/me", {}, legacy),
        ("GET", "/Network", {}, legacy),
    ]
    for method, path, query, call_headers in calls:
        response = httpx.request(method, f"{service.url}{path}", params=query, headers=call_headers)
        assert response.status_code == 200, (path, response.text)
        operation = openapi_schema.find_operation_by_path(method, path)
        assert operation is not None, path
        operation.validate_response(response)
