"""Job listings on `qrt serve`: counts that follow every change, params only when asked for.

The service keeps a listing's count until the database changes, and a listing that
excludes params does not read them: these tests change the jobs through the API and
through another connection to the same database file, and read the listing after each.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.conftest import ServiceInfo
from tui.server.store import JobRecord, Store, new_id, utc_now

PARAMS = {"pubs": [["OPENQASM 3.0;\nbit[1] c;\nc[0] = measure $0;\n", None, 16]], "version": 2}


def _listing(service: ServiceInfo, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = httpx.get(f"{service.url}/api/v1/jobs", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _store_job(service: ServiceInfo, tag: str) -> str:
    """A finished job written by another process's connection, as `bench/` seeds them."""
    store = Store(service.data_dir / "qrt-serve.sqlite3")
    try:
        job = JobRecord(id=new_id(), instance=service.instance, backend="ibm_brisbane",
                        program="sampler", status="Completed", created=utc_now(),
                        params=PARAMS, tags=[tag])
        store.create_job(job)
    finally:
        store.close()
    return job.id


def test_the_count_follows_writes_from_the_api_and_from_other_connections(service: ServiceInfo) -> None:
    headers = service.headers()
    tag = f"count-{secrets.token_hex(4)}"
    assert _listing(service, headers, tags=tag)["count"] == 0
    assert _listing(service, headers, tags=tag)["count"] == 0  # asked twice: answered from memory
    first = _store_job(service, tag)
    assert _listing(service, headers, tags=tag)["count"] == 1
    second = _store_job(service, tag)
    assert _listing(service, headers, tags=tag)["count"] == 2
    deleted = httpx.delete(f"{service.url}/api/v1/jobs/{first}", headers=headers)
    assert deleted.status_code == 204
    listed = _listing(service, headers, tags=tag)
    assert listed["count"] == 1 and [job["id"] for job in listed["jobs"]] == [second]
    total = _listing(service, headers, limit="1")["count"]
    retagged = httpx.put(f"{service.url}/api/v1/jobs/{second}/tags", headers=headers,
                         json={"tags": [f"{tag}-moved"]})
    assert retagged.status_code == 204
    assert _listing(service, headers, tags=tag)["count"] == 0
    assert _listing(service, headers, limit="1")["count"] == total


def test_a_listing_carries_params_only_when_they_are_not_excluded(service: ServiceInfo) -> None:
    headers = service.headers()
    tag = f"params-{secrets.token_hex(4)}"
    job_id = _store_job(service, tag)
    with_params = _listing(service, headers, tags=tag, exclude_params="false")["jobs"]
    without = _listing(service, headers, tags=tag, exclude_params="true")["jobs"]
    default = _listing(service, headers, tags=tag)["jobs"]
    assert [job["id"] for job in with_params] == [job["id"] for job in without] == [job_id]
    assert with_params[0]["params"] == PARAMS
    assert "params" not in without[0] and "params" not in default[0]
    assert {key: value for key, value in with_params[0].items() if key != "params"} == without[0]
    one = httpx.get(f"{service.url}/api/v1/jobs/{job_id}", headers=headers).json()
    assert one["params"] == PARAMS and one["tags"] == [tag]
