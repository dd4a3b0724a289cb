"""`GET /api/v1/workloads`: jobs, sessions and batches in one list, as IBM's dashboard has it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ServiceInfo, start_service, stop_service
from tests.helpers.service import submit, wait_final

TWO_BITS = ('OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; '
            "c[0] = measure $0; c[1] = measure $1;")


@pytest.fixture(scope="module")
def own_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceInfo]:
    """A service of this module's own: the workloads counted are the ones made here."""
    info = start_service(tmp_path_factory.mktemp("workloads"), secrets.token_urlsafe(16))
    yield info
    stop_service(info)


@pytest.fixture(scope="module")
def made(own_service: ServiceInfo) -> dict[str, Any]:
    service, headers = own_service, own_service.headers()
    url = f"{service.url}/api/v1"
    jobs = [submit(service, headers, TWO_BITS, 20, tags=[f"sweep-{n}"]).json()["id"] for n in range(3)]
    batch = httpx.post(f"{url}/sessions", headers=headers, json={"mode": "batch", "backend": "ibm_brisbane"}).json()
    in_batch = [submit(service, headers, TWO_BITS, 20, session_id=batch["id"], tags=["in-batch"]).json()["id"]
                for _ in range(2)]
    session = httpx.post(f"{url}/sessions", headers=headers, json={"mode": "dedicated", "backend": "ibm_fez"}).json()
    for job_id in jobs + in_batch:
        wait_final(service, headers, job_id)
    assert httpx.patch(f"{url}/sessions/{batch['id']}", headers=headers,
                       json={"accepting_jobs": False}).status_code == 204
    return {"jobs": jobs, "batch": batch["id"], "in_batch": in_batch, "session": session["id"]}


def workloads(service: ServiceInfo, **query: Any) -> httpx.Response:
    return httpx.get(f"{service.url}/api/v1/workloads", headers=service.headers(), params=query)


def test_one_row_per_job_outside_sessions_and_per_session(own_service: ServiceInfo, made: dict[str, Any]) -> None:
    page = workloads(own_service, limit=50).json()
    rows = {row["id"]: row for row in page["workloads"]}
    assert set(rows) == {*made["jobs"], made["batch"], made["session"]}  # a batch stands for its jobs
    assert page["total_count"] == 5 and page["limit"] == 50 and "next" not in page
    job = rows[made["jobs"][0]]
    assert (job["mode"], job["status"], job["tags"], job["accepting_jobs"]) == ("job", "completed", ["sweep-0"], None)
    assert job["usage"]["status"] == "complete" and job["ended"]
    batch = rows[made["batch"]]
    assert (batch["mode"], batch["status"], batch["accepting_jobs"]) == ("batch", "completed", False)
    assert batch["tags"] == ["in-batch"] and batch["usage"]["qpu_charge_time_seconds"] > 0
    session = rows[made["session"]]
    assert (session["mode"], session["status"], session["backend"]) == ("session", "pending", "ibm_fez")
    assert list(rows) == sorted(rows, key=lambda i: rows[i]["created"])  # createdAt, oldest first


def test_filters(own_service: ServiceInfo, made: dict[str, Any]) -> None:
    def ids(**query: Any) -> set[str]:
        response = workloads(own_service, limit=50, **query)
        assert response.status_code == 200, response.text
        return {row["id"] for row in response.json()["workloads"]}

    assert ids(mode="job") == set(made["jobs"])
    assert ids(mode="session") == {made["session"]} == ids(backend="ibm_fez")
    assert ids(**{"status": ["pending", "canceled"]}) == {made["session"]}
    assert ids(**{"status[]": "pending"}) == {made["session"]}  # the bracketed name too
    assert ids(tags="sweep-1") == {made["jobs"][1]} == ids(search="eep-1")
    assert ids(search=made["batch"][:8]) == {made["batch"]}
    assert ids(tags="in-batch") == {made["batch"]}

    cancelled = httpx.delete(f"{own_service.url}/api/v1/sessions/{made['session']}/close",
                             headers=own_service.headers())
    assert cancelled.status_code == 204
    assert ids(status="canceled") == {made["session"]}


def test_cursor_pages_walk_forward_and_back(own_service: ServiceInfo, made: dict[str, Any]) -> None:
    for sort in ("createdAt", "-createdAt"):
        everything = [row["id"] for row in workloads(own_service, limit=50, sort=sort).json()["workloads"]]
        pages, query = [], {"limit": 2, "sort": sort}
        page = workloads(own_service, **query).json()
        while True:
            pages.append([row["id"] for row in page["workloads"]])
            if "next" not in page:
                break
            page = httpx.get(f"{own_service.url}{page['next']['href']}", headers=own_service.headers()).json()
        assert [len(p) for p in pages] == [2, 2, 1]
        assert sum(pages, []) == everything
        back = httpx.get(f"{own_service.url}{page['previous']['href']}", headers=own_service.headers()).json()
        assert [row["id"] for row in back["workloads"]] == pages[1]
        assert "previous" in back and "next" in back
    newest = workloads(own_service, limit=50, sort="-createdAt").json()["workloads"]
    oldest = workloads(own_service, limit=50).json()["workloads"]
    assert newest == oldest[::-1]


@pytest.mark.parametrize(("query", "phrase"), [
    ({"limit": 0}, "limit"), ({"limit": 51}, "limit"), ({"next": "not-a-cursor"}, "next is not a cursor"),
    ({"status": "lost"}, "status"), ({"mode": "queue"}, "mode"), ({"sort": "name"}, "sort"),
    ({"created_after": "yesterday"}, "created_after"),
])
def test_bad_queries_get_a_400_naming_the_parameter(own_service: ServiceInfo, query: dict[str, Any], phrase: str) -> None:
    response = workloads(own_service, **query)
    assert response.status_code == 400 and phrase in response.json()["errors"][0]["message"], response.text


def test_created_bounds(own_service: ServiceInfo, made: dict[str, Any]) -> None:
    rows = workloads(own_service, limit=50).json()["workloads"]
    middle = rows[2]["created"]
    after = workloads(own_service, limit=50, created_after=middle).json()["workloads"]
    before = workloads(own_service, limit=50, created_before=middle).json()["workloads"]
    assert [r["id"] for r in after] == [r["id"] for r in rows if r["created"] > middle]
    assert [r["id"] for r in before] == [r["id"] for r in rows if r["created"] < middle]
    assert before and after
