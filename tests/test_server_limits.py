"""The request guards on their own: the JSON shape scanner and the token bucket."""

from __future__ import annotations

import json

import pytest

from tui.server.limits import BodyRejected, JsonShapeGuard
from tui.server.ratelimit import TokenBucketLimiter

TRICKY = json.dumps(
    {"qasm": 'a "quoted" [[[{{{ \\ text ]]]', "nested": [[[[1, 2], {"k": "v,"}]]], "e": "\\\\"}
).encode()


def _feed(guard: JsonShapeGuard, chunks: list[bytes]) -> None:
    for chunk in chunks:
        guard.feed(chunk)


@pytest.mark.parametrize("cut", range(1, len(TRICKY)))
def test_strings_split_anywhere_between_chunks_are_still_strings(cut: int) -> None:
    guard = JsonShapeGuard(max_depth=5, max_values=40)
    _feed(guard, [TRICKY[:cut], TRICKY[cut:]])  # brackets inside strings would exceed depth 5


def test_nesting_is_refused_at_the_first_level_too_deep_even_split_byte_by_byte() -> None:
    guard = JsonShapeGuard(max_depth=3, max_values=1000)
    with pytest.raises(BodyRejected) as raised:
        _feed(guard, [bytes([byte]) for byte in b'{"a": [[[1]]]}'])
    assert raised.value.status_code == 400
    assert "deeper than 3" in raised.value.detail


def test_values_are_counted_and_capped() -> None:
    guard = JsonShapeGuard(max_depth=64, max_values=10)
    guard.feed(b"[1,2,3,4,5,6,7,8,9]")  # one array and nine numbers (eight commas)
    with pytest.raises(BodyRejected) as raised:
        JsonShapeGuard(max_depth=64, max_values=10).feed(b"[1,2,3,4,5,6,7,8,9,10,11]")
    assert raised.value.status_code == 413


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate_and_says_how_long_to_wait() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate=4, clock=clock)
    assert [limiter.take("a") for _ in range(4)] == [0.0] * 4
    assert limiter.take("a") == pytest.approx(0.25)
    assert limiter.take("b") == 0.0  # another client has its own bucket
    clock.now += 0.25
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    clock.now += 10
    assert [limiter.take("a") for _ in range(4)] == [0.0] * 4  # refilled, but never beyond the burst
    assert limiter.take("a") > 0


def test_token_bucket_rejects_a_rate_that_is_not_positive() -> None:
    with pytest.raises(ValueError):
        TokenBucketLimiter(rate=0)
