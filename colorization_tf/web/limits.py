"""How many new sessions one client address may open: a sliding one-hour window.

Dropping the cookie (or a script without one) opens a new session each time; without a
limit one address could stuff a study. The default (``NEW_SESSIONS_PER_HOUR``) leaves room
for a lab whose machines share one address: 100 sessions of ~10 minutes each per hour is
more than a room of 15 machines can run. Addresses are kept in memory only (never in the
database: the consent text promises no IP address is stored); a restart forgets them.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

NEW_SESSIONS_PER_HOUR = 100
WINDOW_S = 3600.0
MAX_ADDRESSES = 100_000


class RateLimiter:
    """At most ``per_window`` events per key in any ``window_s`` seconds; thread-safe; at
    most ``max_keys`` keys are remembered (the longest idle ones are forgotten first)."""

    def __init__(self, per_window: int = NEW_SESSIONS_PER_HOUR, window_s: float = WINDOW_S,
                 clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_ADDRESSES) -> None:
        if per_window < 1:
            raise ValueError(f"--new_sessions_per_hour={per_window}: expected >= 1")
        self.per_window = int(per_window)
        self.window_s = float(window_s)
        self._clock = clock
        self._max_keys = int(max_keys)
        self._events: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict())
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Counts one event of ``key`` now and returns 0 when the limit allows it; else
        counts nothing and returns the seconds until it would be allowed."""
        with self._lock:
            events = self._recent(key)
            if len(events) >= self.per_window:
                return max(1.0, events[0] + self.window_s - self._clock())
            events.append(self._clock())
            self._events.move_to_end(key)
            while len(self._events) > self._max_keys:
                self._events.popitem(last=False)
            return 0.0

    def _recent(self, key: str) -> collections.deque[float]:
        events = self._events.setdefault(key, collections.deque())
        horizon = self._clock() - self.window_s
        while events and events[0] <= horizon:
            events.popleft()
        return events
