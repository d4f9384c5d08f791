"""Throttling staff logins, and checking their passwords a few at a time.

Failed logins count, in a sliding window (STAFF_LOGIN_THROTTLE_MINUTES), per
client address and per (username, address) pair: past
STAFF_FAILED_LOGINS_PER_ACCOUNT for one username from one address, or
STAFF_FAILED_LOGINS_PER_ADDRESS for any usernames from one address, that
address (for IPv6, its /64) is answered 429 with Retry-After before any lookup
or password check.
The answer depends only on what was sent, never on whether the account exists.
A login in progress counts as failed until it succeeds, so a burst of parallel
guesses is refused like a series of them.

There is no throttle (or lock) per account alone: anyone could trigger it from
elsewhere and keep the real staff member out, as the old lock-out did. Each
address gets only a few guesses per window, at an argon2id hash per guess, on
passwords of 12 characters or more.

A password check (argon2id) takes tens of MiB for a moment: checks run in
worker threads, at most one per CPU core at a time, so many logins at once wait
their turn without taking the event loop or memory, rather than all hashing at
once.

Kept in the web app process's memory (clinic/rate_limits.py): it runs as one
process, and a restart forgetting the counts costs an attacker's address a
window's worth of guesses at most.
"""
import asyncio
import ipaddress
import math
import os
from dataclasses import dataclass
from typing import Callable, Dict, Hashable, Optional, TypeVar

from starlette.concurrency import run_in_threadpool

from clinic import settings
from clinic.rate_limits import RateLimit

T = TypeVar("T")


@dataclass(frozen=True)
class Throttled:
    retry_after: int  # seconds
    reason: str  # for the audit log
    first: bool  # the first refusal since the limit was reached (the others aren't logged)


def _client(address: str) -> str:
    """An IPv6 client's /64 (a subscriber picks any address in theirs); an IPv4 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else address


def _pair(username: str, client: str) -> tuple:
    # As accounts are looked up (not case-sensitive); cut short, as no username is longer.
    return username.strip().lower()[:100], client


class LoginThrottle:
    def __init__(self, clock: Callable[[], float]) -> None:
        window = settings.staff_login_throttle_minutes() * 60
        self._per_pair = RateLimit(settings.staff_failed_logins_per_account(), window, clock)
        self._per_address = RateLimit(settings.staff_failed_logins_per_address(), window, clock)
        self._clock = clock
        self._refused_until: Dict[Hashable, float] = {}
        self._checks = asyncio.Semaphore(len(os.sched_getaffinity(0)))

    def admit(self, username: str, address: str) -> Optional[Throttled]:
        """Count a login attempt as failed (until `succeeded`) and let it be
        checked, or say how long the address must wait."""
        address = _client(address)
        pair = _pair(username, address)
        for limit, key, reason in [
                (self._per_address, address, "too many failed logins from this address"),
                (self._per_pair, pair, "too many failed logins to this username from this "
                                       "address")]:
            wait = limit.retry_after(key)
            if wait:
                return Throttled(math.ceil(wait), reason, self._first_refusal(key, wait))
        self._per_address.allow(address)
        self._per_pair.allow(pair)
        return None

    def succeeded(self, username: str, address: str) -> None:
        address = _client(address)
        self._per_address.take_back(address)
        self._per_pair.take_back(_pair(username, address))

    async def check(self, function: Callable[..., T], *args) -> T:
        """Run `function` (a password check) in a worker thread, when a core is free."""
        async with self._checks:
            return await run_in_threadpool(function, *args)

    def _first_refusal(self, key: Hashable, wait: float) -> bool:
        now = self._clock()
        first = self._refused_until.get(key, 0) <= now
        for ended in [k for k, until in self._refused_until.items() if until <= now]:
            del self._refused_until[ended]
        self._refused_until[key] = now + wait
        return first
