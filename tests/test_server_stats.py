"""`qrt serve --count-requests`: the service counts the requests it serves (for bench/)."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx

from tests.conftest import ServiceInfo, start_service, stop_service


def _stats(service: ServiceInfo, headers: dict[str, str]) -> dict[str, object]:
    response = httpx.get(f"{service.url}/qrt/stats", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_counts_each_request_by_path_but_not_its_own_reads(tmp_path: Path) -> None:
    counting = start_service(tmp_path, secrets.token_urlsafe(16), "--count-requests")
    try:
        headers = counting.headers()  # one POST /identity/token
        before = _stats(counting, headers)
        for _ in range(3):
            httpx.get(f"{counting.url}/api/v1/jobs", headers=headers).raise_for_status()
        httpx.get(f"{counting.url}/api/v1/jobs/nosuchjob", headers=headers)
        after = _stats(counting, headers)
    finally:
        stop_service(counting)
    assert before == {"requests": 1, "by_path": {"POST /identity/token": 1}}
    assert after["requests"] == 5
    assert after["by_path"] == {
        "POST /identity/token": 1, "GET /api/v1/jobs": 3, "GET /api/v1/jobs/nosuchjob": 1,
    }


def test_stats_need_a_token(tmp_path: Path) -> None:
    counting = start_service(tmp_path, secrets.token_urlsafe(16), "--count-requests")
    try:
        response = httpx.get(f"{counting.url}/qrt/stats")
    finally:
        stop_service(counting)
    assert response.status_code == 401
    assert "bearer token" in response.json()["errors"][0]["message"]


def test_stats_do_not_exist_unless_asked_for(service: ServiceInfo) -> None:
    response = httpx.get(f"{service.url}/qrt/stats", headers=service.headers())
    assert response.status_code == 404
