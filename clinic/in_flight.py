"""How many messages per key (an IP address) are being answered at once."""
from collections import Counter
from contextlib import contextmanager
from typing import Hashable, Iterator


class InFlight:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: Counter = Counter()

    def full(self, key: Hashable) -> bool:
        return self._counts[key] >= self.limit

    @contextmanager
    def answering(self, key: Hashable) -> Iterator[None]:
        """Counts one message for `key` while the block runs."""
        self._counts[key] += 1
        try:
            yield
        finally:
            self._counts[key] -= 1
            if not self._counts[key]:
                del self._counts[key]
