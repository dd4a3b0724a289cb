"""The OpenAPI document of `qrt serve`, fuzzed with schemathesis: no request gets a 5xx.

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
from schemathesis.checks import not_a_server_error

from tests.conftest import ServiceInfo


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


schema = schemathesis.pytest.from_fixture("openapi_schema").exclude(path="/qrt/faults")


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(
    case: Any, service: ServiceInfo, authorized_headers: dict[str, str]
) -> None:
    case.call_and_validate(
        base_url=service.url, headers=authorized_headers, checks=[not_a_server_error], timeout=30
    )
