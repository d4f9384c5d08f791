"""A Redis lock store for several Rasa instances (endpoints.production.yml).

Rasa's RedisLockStore reads a conversation's ticket lock, changes it in Python
and writes it back (get_or_create_lock + issue_ticket + save_lock, and the same
for releasing): two instances that take a ticket at the same moment both read
the same lock, both get the same ticket number, the last write wins, and both
process the conversation at once. A released lock can also be deleted under a
ticket just issued by another instance. Its tickets live 60 seconds, so a
conversation stuck behind a dead instance waits up to a minute.

Here every change of a lock is one Lua script, which Redis runs atomically:
ticket numbers come from INCR, the queue is a sorted set of ticket numbers, and
each ticket is a key with a short expiry that its holder (or a waiter, while it
waits) keeps renewing. A dead instance stops renewing, its ticket key expires
and the next ticket is served: recovery within TICKET_TTL_SECONDS plus one poll.
Issuing and renewing are a thread's job, not the event loop's: under load
Rasa's event loop runs one message's NLU after another and can get back to a
ticket (to start renewing it, or to renew it) only after it has expired
(tests/test_scaled_deployment.py saw a third of 2,000 messages refused that
way); a thread gets its turn every few milliseconds.
When Redis can't be reached, `lock` raises LockError: no message is handled
without the lock. One Redis server (or Sentinel), not Redis Cluster: the
scripts build ticket key names.

Rasa only uses a lock store through `lock()` (agent, processor, HTTP API), so
that is what this class implements; the base class's ticket-object methods stay
unimplemented.
"""
import asyncio
import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Dict, List, NamedTuple, Optional, Text, Tuple
from urllib.parse import urlsplit

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.retry
from redis.backoff import NoBackoff
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.shared.exceptions import ConnectionException
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_URL = "redis://127.0.0.1:6379/1"
KEY_PREFIX = "clinic:lock:"
# A ticket whose holder stops renewing it expires after this; renewed every third.
TICKET_TTL_SECONDS = 5.0
# Waiting for one's turn: how often to look whether it has come.
POLL_SECONDS = 0.05
# A conversation's counter and queue go away after this long without use.
IDLE_SECONDS = 3600
SOCKET_TIMEOUT_SECONDS = 5.0
# The event loop's Redis calls are timed on the loop, which under load is busy
# with other messages' NLU for seconds: that must not count as Redis being slow
# (a Redis that is down refuses or resets the connection at once).
EVENT_LOOP_SOCKET_TIMEOUT_SECONDS = 30.0

# KEYS: counter, queue. ARGV: ticket key prefix, ticket ttl ms, idle ms.
ISSUE = """
local number = redis.call('INCR', KEYS[1])
redis.call('SET', ARGV[1] .. number, '1', 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], number, number)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return number
"""

# KEYS: counter, queue. ARGV: ticket key prefix, ticket, ticket ttl ms, idle ms.
# 1: the ticket is served; 0: others are ahead; -1: the ticket has expired.
# Tickets ahead whose key has expired (a dead holder) leave the queue here.
TURN = """
if redis.call('EXISTS', ARGV[1] .. ARGV[2]) == 0
   or not redis.call('ZSCORE', KEYS[2], ARGV[2]) then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return -1
end
redis.call('PEXPIRE', ARGV[1] .. ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
while true do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if head == ARGV[2] then return 1 end
  if redis.call('EXISTS', ARGV[1] .. head) == 1 then return 0 end
  redis.call('ZREM', KEYS[2], head)
end
"""

# KEYS: counter, queue. ARGV: ticket key prefix, ticket, ticket ttl ms, idle ms.
# 1: renewed; 0: the ticket had expired already.
RENEW = """
if redis.call('PEXPIRE', ARGV[1] .. ARGV[2], ARGV[3]) == 0 then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
"""

# KEYS: queue. ARGV: ticket key prefix, ticket.
RELEASE = """
redis.call('DEL', ARGV[1] .. ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[2])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1]) end
return 1
"""


class LockKeys(NamedTuple):
    """A conversation's keys: ticket counter, queue, and the prefix of its tickets' keys."""
    counter: Text
    queue: Text
    ticket_prefix: Text


class AtomicRedisLockStore(LockStore):
    """Ticket locks in Redis whose every change is atomic, with short-lived tickets.

    endpoints.yml: `type: clinic.lock_store.AtomicRedisLockStore`, `url:` a Redis
    URL (redis://[:password@]host:port/db); optional `key_prefix`,
    `ticket_ttl_seconds`, `poll_seconds`.
    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        config = endpoint_config.kwargs if endpoint_config else {}
        self.url = (endpoint_config.url if endpoint_config else None) or DEFAULT_URL
        self.key_prefix = str(config.get("key_prefix") or KEY_PREFIX)
        self.ticket_ttl = float(config.get("ticket_ttl_seconds") or TICKET_TTL_SECONDS)
        self.poll = float(config.get("poll_seconds") or POLL_SECONDS)
        timeouts = {"socket_timeout": SOCKET_TIMEOUT_SECONDS,
                    "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS}
        # Refuse to start without Redis, rather than fail every message later.
        try:
            with redis.Redis.from_url(self.url, **timeouts) as client:
                client.ping()
        except redis.RedisError as error:
            raise ConnectionException(
                f"The lock store's Redis at {_safe(self.url)} can't be reached ({error}); "
                f"Rasa does not start without it.") from error
        # Once Redis is back, a pooled connection from before it went down fails on
        # first use: tried again at once on a new one, so service resumes without
        # a patient being refused. Redis still down fails on the retry too.
        self.redis = redis.asyncio.Redis.from_url(
            self.url, socket_timeout=EVENT_LOOP_SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=EVENT_LOOP_SOCKET_TIMEOUT_SECONDS,
            retry=redis.asyncio.retry.Retry(NoBackoff(), 1),
            retry_on_error=[redis.ConnectionError])
        self._turn = self.redis.register_script(TURN)
        self._release = self.redis.register_script(RELEASE)
        self._renewer = TicketRenewer(redis.Redis.from_url(
            self.url, **timeouts, retry=redis.retry.Retry(NoBackoff(), 1),
            retry_on_error=[redis.ConnectionError]),
                                      self.ticket_ttl)
        super().__init__()

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[int, None]:
        """Hold the conversation's lock while the block runs; yields the ticket number.

        `lock_lifetime` and `wait_time_in_seconds` are Rasa's signature: here
        tickets are renewed while alive (ticket_ttl_seconds) and turns are polled
        every poll_seconds.
        """
        keys = self._keys(conversation_id)
        ticket = await self._call(self._take_ticket, conversation_id, keys)
        try:
            await self._wait_for_turn(conversation_id, keys, ticket)
            yield ticket
        finally:
            self._renewer.remove(keys, ticket)
            await self._give_back(conversation_id, keys, ticket)

    async def _take_ticket(self, conversation_id: Text, keys: LockKeys) -> int:
        """A new ticket, issued and put up for renewal in a worker thread, so that
        it is renewed however late the event loop comes back to this coroutine."""
        issuing = asyncio.ensure_future(asyncio.to_thread(
            self._renewer.issue, conversation_id, keys, self._expiries()))
        try:
            return await asyncio.shield(issuing)
        except asyncio.CancelledError:
            # Issued all the same: give it back, or it would be renewed forever.
            issuing.add_done_callback(lambda done: self._give_back_unused(
                conversation_id, keys, done))
            raise

    def _give_back_unused(self, conversation_id: Text, keys: LockKeys,
                          issued: "asyncio.Future[int]") -> None:
        if issued.cancelled() or issued.exception() is not None:
            return
        self._renewer.remove(keys, issued.result())
        asyncio.ensure_future(self._give_back(conversation_id, keys, issued.result()))

    def _keys(self, conversation_id: Text) -> LockKeys:
        base = f"{self.key_prefix}{conversation_id}"
        return LockKeys(f"{base}:counter", f"{base}:queue", f"{base}:ticket:")

    def _expiries(self) -> list:
        """Milliseconds a ticket lives unrenewed, and a conversation's keys unused."""
        return [int(self.ticket_ttl * 1000), IDLE_SECONDS * 1000]

    def _take_turn(self, keys: LockKeys, ticket: int):
        """1: the ticket is served; 0: others are ahead; -1: it expired. Renews it."""
        return self._turn(keys=[keys.counter, keys.queue],
                          args=[keys.ticket_prefix, ticket, *self._expiries()])

    async def _wait_for_turn(self, conversation_id: Text, keys: LockKeys, ticket: int) -> None:
        while True:
            turn = await self._call(self._take_turn, keys, ticket)
            if turn == 1:
                return
            if turn == -1:
                raise LockError(f"The lock ticket for conversation '{conversation_id}' "
                                f"expired while waiting.")
            await asyncio.sleep(self.poll)

    async def _give_back(self, conversation_id: Text, keys: LockKeys, ticket: int) -> None:
        try:
            await self._release(keys=[keys.queue], args=[keys.ticket_prefix, ticket])
        except redis.RedisError as error:
            # Not fatal: the ticket expires by itself within ticket_ttl_seconds.
            logger.warning("Could not release the lock of conversation '%s': %s",
                           conversation_id, error)

    async def _call(self, command, *args, **kwargs) -> int:
        try:
            return await command(*args, **kwargs)
        except redis.RedisError as error:
            raise LockError(
                f"The lock store's Redis at {_safe(self.url)} can't be reached ({error}); "
                f"the message was not handled.") from error


class TicketRenewer:
    """Renews this process's tickets, held or waiting, every third of their
    lifetime from a daemon thread, so that they expire only when the process
    is gone. The thread starts with the first ticket."""

    def __init__(self, client: redis.Redis, ticket_ttl: float) -> None:
        self.client = client
        self.ticket_ttl = ticket_ttl
        self._issue = client.register_script(ISSUE)
        self._renew = client.register_script(RENEW)
        self._tickets: Dict[Tuple[LockKeys, int], Text] = {}
        self._guard = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    def issue(self, conversation_id: Text, keys: LockKeys, expiries: List[int]) -> int:
        """Issue a ticket (ISSUE) and renew it from now on; blocks on Redis."""
        ticket = int(self._issue(keys=[keys.counter, keys.queue],
                                 args=[keys.ticket_prefix, *expiries]))
        self._add(conversation_id, keys, ticket)
        return ticket

    def _add(self, conversation_id: Text, keys: LockKeys, ticket: int) -> None:
        with self._guard:
            self._tickets[keys, ticket] = conversation_id
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lock-renewer",
                                                daemon=True)
                self._thread.start()

    def remove(self, keys: LockKeys, ticket: int) -> None:
        with self._guard:
            self._tickets.pop((keys, ticket), None)

    def _run(self) -> None:
        while True:
            time.sleep(self.ticket_ttl / 3)
            with self._guard:
                tickets = list(self._tickets.items())
            if tickets:
                self._renew_all(tickets)

    def _renew_all(self, tickets: List[Tuple[Tuple[LockKeys, int], Text]]) -> None:
        ttl_ms, idle_ms = int(self.ticket_ttl * 1000), IDLE_SECONDS * 1000
        try:
            pipeline = self.client.pipeline(transaction=False)
            for (keys, ticket), _ in tickets:
                self._renew(keys=[keys.counter, keys.queue],
                            args=[keys.ticket_prefix, ticket, ttl_ms, idle_ms], client=pipeline)
            renewed = pipeline.execute()
        except redis.RedisError as error:
            logger.error("Could not renew %d conversation lock(s): %s", len(tickets), error)
            return
        for (held, conversation_id), alive in zip(tickets, renewed):
            with self._guard:
                given_back = held not in self._tickets
            if not alive and not given_back:
                logger.error("The lock ticket of conversation '%s' expired before it was "
                             "given back (renewals late by over %s s).",
                             conversation_id, self.ticket_ttl)


def _safe(url: Text) -> Text:
    """The Redis URL without its password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path}"
