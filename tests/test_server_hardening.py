"""`qrt serve` stays up and answers 4xx with an error body to hostile and broken requests."""

from __future__ import annotations

import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import jwt
import pytest

from tests.conftest import API_KEY_GRANT, ServiceInfo, start_service, stop_service
from tests.helpers.service import error_message

LIMIT = 16 * 1024 * 1024


def test_chunked_body_over_the_cap_gets_413_before_the_body_ends(service: ServiceInfo) -> None:
    """17 MiB in chunks and no final chunk: only a server that counts while receiving answers."""
    parts = urlsplit(service.url)
    head = (
        "POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n"
        + "".join(f"{name}: {value}\r\n" for name, value in service.headers().items())
        + "\r\n"
    ).encode()
    piece = b" " * (1024 * 1024)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as connection:
        connection.sendall(head)
        for _ in range(17):
            connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        reply = _read_response(connection)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert f"over {LIMIT} bytes".encode() in reply


def test_deeply_nested_json_gets_400_naming_the_limit(service: ServiceInfo) -> None:
    headers = {**service.headers(), "Content-Type": "application/json"}
    body = b"[" * 100_000 + b"]" * 100_000
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, content=body)
    assert response.status_code == 400
    assert "nested deeper than 64 levels" in error_message(response)
    # brackets inside strings are text, not nesting
    text = '"' + "[" * 1000 + '\\"' + "{" * 1000 + '"'
    body_text = f'{{"program_id": "sampler", "backend": "ibm_nowhere", "params": {{"pubs": [[{text}]]}}}}'
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, content=body_text.encode())
    assert response.status_code == 404, response.text  # parsed fine; the backend is unknown


def test_json_with_too_many_values_gets_413(service: ServiceInfo) -> None:
    headers = {**service.headers(), "Content-Type": "application/json"}
    body = b'{"program_id": "sampler", "backend": "ibm_brisbane", "params": {"x": [' + b"0," * 1_000_001 + b"0]}}"
    response = httpx.post(f"{service.url}/api/v1/jobs", headers=headers, content=body, timeout=30)
    assert response.status_code == 413
    assert "more than 1000000 values" in error_message(response)


def test_dropped_connection_is_seen_by_the_client_and_the_server_keeps_serving(
    service: ServiceInfo,
) -> None:
    headers = service.headers()
    service.set_faults("/api/v1/backends:drop=0x1")
    try:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            httpx.get(f"{service.url}/api/v1/backends", headers=headers)
        response = httpx.get(f"{service.url}/api/v1/backends", headers=headers)
        assert response.status_code == 200
    finally:
        service.set_faults("")


def test_lost_response_still_creates_the_job(service: ServiceInfo, bell_isa_qasm: str) -> None:
    headers = service.headers()
    tag = f"lost-{secrets.token_hex(4)}"
    body = {"program_id": "sampler", "backend": "ibm_brisbane", "tags": [tag],
            "params": {"pubs": [[bell_isa_qasm, None, 10]], "version": 2}}
    service.set_faults("/api/v1/jobs:lost=0x1")
    try:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            httpx.post(f"{service.url}/api/v1/jobs", headers=headers, json=body, timeout=60)
    finally:
        service.set_faults("")
    listed = httpx.get(f"{service.url}/api/v1/jobs", headers=headers, params={"tags": tag}).json()
    assert listed["count"] == 1


def _read_response(connection: socket.socket) -> bytes:
    """One response with a Content-Length, read whole."""
    received = b""
    while b"\r\n\r\n" not in received or len(received.partition(b"\r\n\r\n")[2]) < int(
        re.search(rb"content-length: (\d+)", received.partition(b"\r\n\r\n")[0], re.I)[1]  # type: ignore[index]
    ):
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def _raw_http(url: str, request: bytes) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(request)
        return _read_response(connection)


def test_malformed_http_gets_a_400_in_the_error_shape(service: ServiceInfo) -> None:
    reply = _raw_http(service.url, b"GET /api/v1/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n")
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b'"errors"' in body and b"Malformed HTTP" in body
    reply = _raw_http(service.url, b"POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 12x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400")


def _token(service: ServiceInfo, secret: bytes, **claims: int) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "local-user", "iat": now, "exp": now + 60, **claims}, secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("case", "phrase"),
    [
        ("expired", "expired"),
        ("forged", "not valid"),
        ("unsigned", "not valid"),
        ("basic", "Missing bearer token"),
        ("no-crn", "Service-CRN header is required"),
        ("bad-version", "IBM-API-Version"),
    ],
)
def test_bad_credentials_and_headers_get_4xx(service: ServiceInfo, case: str, phrase: str) -> None:
    from tui.server.context import DEFAULT_LEGACY_INSTANCE
    from tui.server.iam import TokenIssuer

    issuer = TokenIssuer(service.api_key, (service.data_dir / "jwt-secret").read_bytes(),
                         bound_to=f"{service.instance}\0{DEFAULT_LEGACY_INSTANCE}")
    secret = issuer._secret  # what the service signs with: bound to its key and instances
    headers = service.headers()
    if case == "expired":
        headers["Authorization"] = "Bearer " + _token(service, secret, iat=1, exp=2)
    elif case == "forged":
        headers["Authorization"] = "Bearer " + _token(service, b"not-the-secret" * 3)
    elif case == "unsigned":
        unsigned = jwt.encode({"sub": "x", "iat": 1, "exp": 2**31}, key=None, algorithm="none")
        headers["Authorization"] = f"Bearer {unsigned}"
    elif case == "basic":
        headers["Authorization"] = "Basic dXNlcjpwYXNz"
    elif case == "no-crn":
        del headers["Service-CRN"]
    else:
        headers["IBM-API-Version"] = "tomorrow"
    response = httpx.get(f"{service.url}/api/v1/jobs", headers=headers)
    assert 400 <= response.status_code < 500
    assert phrase in error_message(response)


@pytest.mark.parametrize(
    ("method", "path", "params", "phrase"),
    [
        ("GET", "/api/v1/jobs", {"limit": "many"}, "limit"),
        ("GET", "/api/v1/jobs", {"offset": "-1"}, "offset"),
        ("GET", "/api/v1/jobs", {"sort": "sideways"}, "sort"),
        ("GET", "/api/v1/jobs", {"created_after": "last tuesday"}, "created_after"),
        ("GET", "/api/v1/jobs/nosuchjob", {}, "nosuchjob"),
        ("GET", "/api/v1/jobs/nosuchjob/results", {}, "nosuchjob"),
        ("GET", "/api/v1/jobs/nosuchjob/metrics", {}, "nosuchjob"),
        ("GET", "/api/v1/jobs/nosuchjob/logs", {}, "nosuchjob"),
        ("POST", "/api/v1/jobs/nosuchjob/cancel", {}, "nosuchjob"),
        ("DELETE", "/api/v1/jobs/nosuchjob", {}, "nosuchjob"),
        ("GET", "/api/v1/sessions/nosuchsession", {}, "nosuchsession"),
        ("DELETE", "/api/v1/sessions/nosuchsession/close", {}, "nosuchsession"),
        ("GET", "/api/v1/backends/ibm_nowhere/configuration", {}, "ibm_nowhere"),
        ("GET", "/api/v1/nothing/here", {}, "Not Found"),
        ("PUT", "/api/v1/versions", {}, "Method Not Allowed"),
    ],
)
def test_bad_queries_and_unknown_ids_get_4xx(
    service: ServiceInfo, method: str, path: str, params: dict[str, str], phrase: str
) -> None:
    response = httpx.request(method, f"{service.url}{path}", headers=service.headers(), params=params)
    assert 400 <= response.status_code < 500, response.text
    assert phrase in error_message(response)


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/api/v1/jobs", b"[]"),
        ("/api/v1/jobs", b'{"program_id": 5, "backend": [], "params": "x"}'),
        ("/api/v1/jobs", b'{"program_id": "sampler", "backend": "ibm_brisbane", "params": {"pubs": [[1, 2, 3]]}}'),
        ("/api/v1/jobs", b'{"program_id": "sampler", "backend": "ibm_brisbane", "params": {"pubs": [], "options": "x"}}'),
        ("/api/v1/jobs", b'{"program_id": "sampler", "backend": "ibm_brisbane", "params": {"version": []}}'),
        ("/api/v1/jobs", b"\xff\xfe\x00"),
        ("/api/v1/sessions", b'{"mode": "forever"}'),
        ("/api/v1/sessions", b'{"mode": "batch", "max_ttl": -5}'),
        ("/api/v1/sessions", b'{"mode": "batch", "backend": "ibm_nowhere"}'),
        ("/identity/token", b"\xff\xfe&&=="),
    ],
)
def test_bad_bodies_get_4xx_with_an_error_body(service: ServiceInfo, path: str, content: bytes) -> None:
    headers = {**service.headers(), "Content-Type": "application/json"}
    response = httpx.post(f"{service.url}{path}", headers=headers, content=content, timeout=30)
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert "errors" in body or "errorMessage" in body


@pytest.fixture(scope="module")
def rate_limited_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceInfo]:
    info = start_service(
        Path(tmp_path_factory.mktemp("rate")), secrets.token_urlsafe(16),
        "--rate-limit", "5", "--workers", "1",
    )
    yield info
    stop_service(info)


def test_rate_limit_answers_429_with_retry_after_per_client(rate_limited_service: ServiceInfo) -> None:
    service = rate_limited_service
    headers = service.headers()
    with httpx.Client(base_url=service.url, headers=headers) as client:
        assert client.get("/api/v1/jobs?limit=1").status_code == 200  # the token is verified now
        started = time.monotonic()
        responses = [client.get("/api/v1/jobs?limit=1") for _ in range(15)]
        refilled = 5 * (time.monotonic() - started)
        statuses = [response.status_code for response in responses]
        assert statuses[:4] == [200] * 4, statuses  # a burst of N is fine
        assert statuses.count(200) <= 5 + refilled + 1, (statuses, refilled)
        limited = next(response for response in responses if response.status_code == 429)
        assert "Rate limit of 5 requests per second" in error_message(limited)
        retry_after = int(limited.headers["Retry-After"])
        assert retry_after >= 1
        # Readiness is never limited.
        assert {client.get("/api/v1/versions").status_code for _ in range(20)} == {200}
        time.sleep(retry_after)
        assert client.get("/api/v1/jobs?limit=1").status_code == 200


def test_junk_credentials_do_not_get_buckets_of_their_own(rate_limited_service: ServiceInfo) -> None:
    """A fresh random token per request once bypassed --rate-limit (200/200 served)."""
    service = rate_limited_service
    time.sleep(1.5)  # the address's bucket refills from the other tests
    started = time.monotonic()
    statuses = [
        httpx.get(f"{service.url}/api/v1/jobs", headers={
            "Authorization": f"Bearer junk{secrets.token_hex(8)}", "x-access-token": secrets.token_hex(8),
        }).status_code
        for _ in range(40)
    ]
    elapsed = time.monotonic() - started
    # All 40 share the address's one bucket (5 a second, 5 at once): however slow the
    # machine, no more got through than that bucket allows in the time they took.
    assert statuses.count(401) <= 5 + 5 * elapsed + 1, (statuses, elapsed)
    assert statuses.count(429) >= 1 and set(statuses) <= {401, 429}


def test_failed_authentication_is_throttled_but_never_locks_out_the_real_key(tmp_path: Path) -> None:
    """Without --rate-limit, 1,000 wrong keys were all answered at full speed, while a flood
    of them through the address bucket locked the real user out."""
    info = start_service(tmp_path, secrets.token_urlsafe(16), "--workers", "1")
    try:
        url = f"{info.url}/identity/token"
        with httpx.Client() as client:
            wrong = [client.post(url, data={"grant_type": API_KEY_GRANT, "apikey": "wrong-key-guess"}).status_code
                     for _ in range(50)]
            assert wrong[:5] == [400] * 5 and wrong.count(429) >= 40, wrong
            limited = client.post(url, data={"grant_type": API_KEY_GRANT, "apikey": "wrong-key-guess"})
            assert int(limited.headers["Retry-After"]) >= 1 and "failed authentications" in error_message(limited)
            # Meanwhile the real key, from the same address, is served at once.
            assert client.post(url, data={"grant_type": API_KEY_GRANT, "apikey": info.api_key}).status_code == 200
            junk = [client.get(f"{info.url}/api/v1/jobs", headers={
                "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.forgedsignature", "Service-CRN": info.instance,
            }).status_code for _ in range(20)]
            assert junk[:5] == [401] * 5 and junk.count(429) >= 14, junk
            assert client.get(f"{info.url}/api/v1/jobs", headers=info.headers()).status_code == 200
            assert client.get(f"{info.url}/api/v1/versions").status_code == 200
    finally:
        stop_service(info)
