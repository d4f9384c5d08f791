"""A sliding-window rate limit: at most N events per key in any window of W seconds.

Kept in the memory of one server process: with several Rasa servers, each
counts its own share (socket.io needs sticky sessions anyway, so one patient's
chat stays on one server).
"""
import time
from collections import deque
from typing import Callable, Deque, Dict, Hashable


class RateLimit:
    def __init__(self, limit: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._events: Dict[Hashable, Deque[float]] = {}
        self._last_sweep = clock()

    def allow(self, key: Hashable) -> bool:
        """Count an event for `key` and say yes, unless the key is at its limit."""
        now = self._clock()
        self._sweep(now)
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def retry_after(self, key: Hashable) -> float:
        """Seconds until `key` may have an event again (0: now); counts nothing."""
        now = self._clock()
        events = [at for at in self._events.get(key, ()) if at > now - self.window]
        if len(events) < self.limit:
            return 0
        return events[-self.limit] + self.window - now

    def take_back(self, key: Hashable) -> None:
        """Uncount the key's latest event: it turned out not to be one that counts."""
        events = self._events.get(key)
        if events:
            events.pop()

    def _sweep(self, now: float) -> None:
        # Forget keys quiet for a whole window, so memory doesn't grow with
        # every conversation and address ever seen.
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for key in [k for k, events in self._events.items()
                    if not events or events[-1] <= now - self.window]:
            del self._events[key]
