"""Idempotent deliveries: a bounded, time-limited seen-set, so a redelivered request starts nothing.

Slack retries a delivery it did not see acknowledged in time (``X-Slack-Retry-Num``), a person double-clicks a
button, a proxy replays a request, and Alertmanager re-sends a notification it could not confirm. Each of them
is acknowledged (200) but processed once. A delivery is known by the ids Slack gives it (event id, trigger id,
action) when it has them, else by a hash of the signed body, and is remembered for ``TTL_S`` seconds: longer than
Slack's five-minute signature window, so no replay of a signed body gets past both checks. At most ``size`` keys
are kept, so a flood cannot grow memory.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

TTL_S = 600.0


class SeenSet:
    """The delivery keys seen in the last ``ttl`` seconds (at most ``size`` of them, the oldest dropped first)."""

    def __init__(self, size: int = 4096, ttl: float = TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._keys: OrderedDict[str, float] = OrderedDict()  # key -> when it expires, oldest first
        self._size, self._ttl, self._clock = size, ttl, clock
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        """True when ``key`` is new (it is remembered from now on); False for a delivery already seen."""
        with self._lock:
            now = self._clock()
            while self._keys and next(iter(self._keys.values())) <= now:
                self._keys.popitem(last=False)
            if key in self._keys:
                return False
            self._keys[key] = now + self._ttl
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)
            return True

    def discard(self, key: str) -> None:
        """Forget ``key``: its delivery was turned away before anything started, so a later one may start."""
        with self._lock:
            self._keys.pop(key, None)


def digest(data: bytes | str) -> str:
    """A short, stable hash of a body, as a dedupe key (the body itself may be large or hold secrets)."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:32]
