"""Failed-authentication throttle: per client, a sliding window of recent failures.

In memory and per process: it protects one server from a guessing or flooding client without
a database round trip (a throttled client is answered before any connection is taken).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from idgap.errors import TooManyRequests

log = logging.getLogger("idgap.security")
MAX_CLIENTS = 10_000  # bounded memory even when every request comes from a new address


class FailureThrottle:
    def __init__(
        self,
        *,
        what: str,
        allowed: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.what, self.allowed, self.window_s, self._clock = what, allowed, window_s, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        stamps = self._failures.get(client)
        if stamps is None:
            return deque()
        while stamps and stamps[0] <= now - self.window_s:
            stamps.popleft()
        return stamps

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it is not throttled."""
        now = self._clock()
        with self._lock:
            stamps = self._recent(client, now)
            if len(stamps) < self.allowed:
                return None
            return max(1, math.ceil(stamps[-self.allowed] + self.window_s - now))

    def check(self, client: str, message: str) -> None:
        """Raise TooManyRequests (429 + Retry-After) when `client` is throttled."""
        wait = self.retry_after(client)
        if wait is not None:
            raise TooManyRequests(message, retry_after_s=wait)

    def failed(self, client: str, detail: str) -> None:
        """Count one failure of `client` and log it (never the secret itself)."""
        now = self._clock()
        with self._lock:
            stamps = self._failures.setdefault(client, deque())
            self._failures.move_to_end(client)
            stamps.append(now)
            while len(stamps) > self.allowed:  # only the newest `allowed` matter
                stamps.popleft()
            while len(self._failures) > MAX_CLIENTS:
                self._failures.popitem(last=False)
            count = len(self._recent(client, now))
        log.warning("%s failed from %s (%s); %d in %ds", self.what, client, detail, count,
                    int(self.window_s))  # fmt: skip


def client_of(request: object) -> str:
    """The peer address (a proxy in front must be trusted to pass one address per client)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"
