"""The failed-auth throttle: a sliding window per client, bounded memory."""

from __future__ import annotations

import pytest

from idgap.errors import TooManyRequests
from idgap.security import throttle as th


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_is_throttled_after_its_allowed_failures_until_the_window_passes():
    clock = Clock()
    t = th.FailureThrottle(what="login", allowed=3, window_s=60, clock=clock)
    for _ in range(3):
        assert t.retry_after("a") is None
        t.failed("a", "x")
    assert t.retry_after("a") == 60
    assert t.retry_after("b") is None  # per client
    clock.now += 30
    with pytest.raises(TooManyRequests) as exc:
        t.check("a", "wait")
    assert exc.value.status == 429 and exc.value.headers == {"Retry-After": "30"}
    clock.now += 30.5
    assert t.retry_after("a") is None  # the window slid past the failures


def test_memory_is_bounded_by_the_number_of_clients(monkeypatch):
    monkeypatch.setattr(th, "MAX_CLIENTS", 5)
    t = th.FailureThrottle(what="token", allowed=2, window_s=60, clock=Clock())
    for n in range(50):
        t.failed(f"10.0.0.{n}", "x")
    assert len(t._failures) == 5
