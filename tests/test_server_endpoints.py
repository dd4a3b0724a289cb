"""Job tags and instance usage on `qrt serve` (reference §1.5, §1.9)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import httpx

from tests.conftest import ServiceInfo
from tests.helpers.service import error_message, wait_final


def _submit(service: ServiceInfo, headers: dict[str, str], qasm: str, tags: list[str]) -> str:
    body = {"program_id": "sampler", "backend": "ibm_brisbane", "tags": tags,
            "params": {"pubs": [[qasm, None, 50]], "version": 2}}
    created = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def test_put_tags_replaces_them_and_tag_search_finds_them(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    word = secrets.token_hex(4)
    job_id = _submit(service, headers, bell_isa_qasm, [f"old-{word}"])
    replaced = httpx.put(f"{service.url}/api/v1/jobs/{job_id}/tags", headers=headers,
                         json={"tags": [f"new-{word}", f"other-{word}"]})
    assert replaced.status_code == 204
    assert httpx.get(f"{service.url}/api/v1/jobs/{job_id}", headers=headers).json()["tags"] == [
        f"new-{word}", f"other-{word}"]
    by_tag = httpx.get(f"{service.url}/api/v1/jobs", headers=headers, params={"tags": f"new-{word}"}).json()
    assert [job["id"] for job in by_tag["jobs"]] == [job_id]
    assert httpx.get(f"{service.url}/api/v1/jobs", headers=headers,
                     params={"tags": f"old-{word}"}).json()["count"] == 0
    found = httpx.get(f"{service.url}/api/v1/tags", headers=headers, params={"type": "job", "search": word})
    assert found.status_code == 200
    assert found.json() == {"tags": [f"new-{word}", f"other-{word}"]}
    wait_final(service, headers, job_id)


def test_bad_tag_requests_get_4xx(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    missing = httpx.put(f"{service.url}/api/v1/jobs/nosuchjob/tags", headers=headers, json={"tags": ["a"]})
    assert missing.status_code == 404 and "nosuchjob" in error_message(missing)
    short = httpx.get(f"{service.url}/api/v1/tags", headers=headers, params={"type": "job", "search": "ab"})
    assert short.status_code == 400 and "search" in error_message(short)
    wrong_type = httpx.get(f"{service.url}/api/v1/tags", headers=headers, params={"type": "program", "search": "abc"})
    assert wrong_type.status_code == 400
    job_id = _submit(service, headers, bell_isa_qasm, [])
    too_many = httpx.put(f"{service.url}/api/v1/jobs/{job_id}/tags", headers=headers,
                         json={"tags": [str(n) for n in range(9)]})
    assert too_many.status_code == 400 and "tags" in error_message(too_many)
    wait_final(service, headers, job_id)


def _seconds(start: str, end: str) -> float:
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def test_usage_is_the_quantum_time_of_completed_jobs(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()

    def usage() -> dict[str, Any]:
        response = httpx.get(f"{service.url}/api/v1/instances/usage", headers=headers)
        assert response.status_code == 200
        return response.json()

    before = usage()
    job_id = _submit(service, headers, bell_isa_qasm, [])
    assert wait_final(service, headers, job_id)["state"]["status"] == "Completed"
    metrics = httpx.get(f"{service.url}/api/v1/jobs/{job_id}/metrics", headers=headers).json()
    stamps = metrics["timestamps"]
    charged = metrics["usage"]["qpu_charge_time_seconds"]
    assert metrics["usage"]["status"] == "complete"
    assert charged == round(metrics["circuits_execution_time_ns"] / 1e9, 3)  # the simulation's time, as IBM's QPU time
    assert 0 < charged <= _seconds(stamps["running"], stamps["finished"])
    after = usage()
    assert after["usage_consumed_seconds"] - before["usage_consumed_seconds"] >= charged - 0.002
    assert after["instance_id"] == service.instance
    period = after["usage_period"]
    assert period["start_time"] <= stamps["finished"] <= period["end_time"]


def test_instance_limit_is_reported_and_enforced(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    url = f"{service.url}/api/v1"
    wait_final(service, headers, _submit(service, headers, bell_isa_qasm, []))  # some usage to count
    consumed = httpx.get(f"{url}/instances/usage", headers=headers).json()["usage_consumed_seconds"]
    assert consumed > 0
    try:
        under = httpx.put(f"{url}/instances/configuration", headers=headers, json={"instance_limit": consumed / 2})
        assert under.status_code == 409 and "under this month's usage" in error_message(under)
        limit = consumed + 0.001
        assert httpx.put(f"{url}/instances/configuration", headers=headers,
                         json={"instance_limit": limit}).status_code == 204
        assert httpx.get(f"{url}/instances/configuration", headers=headers).json() == {"instance_limit": limit}
        assert httpx.get(f"{url}/instance", headers=headers).json()["instance_limit_seconds"] == limit
        usage = httpx.get(f"{url}/instances/usage", headers=headers).json()
        assert usage["usage_limit_seconds"] == limit and usage["usage_limit_reached"] is False
        wait_final(service, headers, _submit(service, headers, bell_isa_qasm, []))  # uses the rest
        assert httpx.get(f"{url}/instances/usage", headers=headers).json()["usage_limit_reached"] is True
        body = {"program_id": "sampler", "backend": "ibm_brisbane",
                "params": {"pubs": [[bell_isa_qasm, None, 10]], "version": 2}}
        refused = httpx.post(f"{url}/jobs", headers=headers, json=body, timeout=60)
        assert refused.status_code == 409 and "used its limit" in error_message(refused)
    finally:
        httpx.put(f"{url}/instances/configuration", headers=headers, json={"instance_limit": None})
    assert "usage_limit_seconds" not in httpx.get(f"{url}/instances/usage", headers=headers).json()
    bad = httpx.put(f"{url}/instances/configuration", headers=headers, json={"instance_limit": -1})
    assert bad.status_code == 400


def test_properties_updated_before(service: ServiceInfo) -> None:
    url = f"{service.url}/api/v1/backends/ibm_fez/properties"
    assert httpx.get(url, headers=service.headers(), params={"updated_before": "2020-01-01T00:00:00Z"}).json() == {}
    assert httpx.get(url, headers=service.headers(), params={"updated_before": "2030-01-01"}).json()["qubits"]
    bad = httpx.get(url, headers=service.headers(), params={"updated_before": "yesterday"})
    assert bad.status_code == 400 and "updated_before" in error_message(bad)
