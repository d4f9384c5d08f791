"""Which sockets an emit of the patients' chat reaches: those of this Rasa
instance only (one instance, `make run`), or those of every instance of the
clinic (PATIENT_SOCKET_REDIS_URL set, the scaled deployment).

With several instances, a staff reply goes through the Rasa HTTP API of one
instance while the patient's socket may be held by another. python-socketio's
Redis manager publishes every emit on a Redis channel all instances listen to,
and each delivers it to the sockets it holds. Two changes to it:
- an emit reaches this instance's own sockets directly, not back through
  Redis: with Redis down, patients on the instance still get their replies
  (the lock store's "send it again" among them); only other instances' sockets
  miss the message until Redis is back (the chat history has it on reload);
- with Redis down at start, python-socketio 5.9 retries subscribing in a tight
  loop (thousands of tracebacks a second): here it waits, doubling up to 60 s.

Redis's pub/sub ignores the database number of the URL: the channel is named
after the deployment's session secret, which all its instances share and
another clinic's deployment on the same Redis doesn't. The manager unpickles
what arrives on the channel: whoever can publish to this Redis can run code in
the Rasa servers, so it must be the clinic's own, password-protected Redis.
"""
import asyncio
import hashlib
import logging
from typing import Any, Optional

import socketio
from redis.exceptions import RedisError

from clinic import settings

logger = logging.getLogger(__name__)

# Keeps the channel name apart from anything else derived from the secret.
PURPOSE = b"clinic patient socket.io channel v1:"
# A Redis host that doesn't answer must not hold a reply up for minutes.
CONNECT_TIMEOUT_SECONDS = 5
MAX_RETRY_SECONDS = 60


def channel_name(secret: str) -> str:
    return "clinic-chat-" + hashlib.sha256(PURPOSE + secret.encode()).hexdigest()[:16]


class InstancesRedisManager(socketio.AsyncRedisManager):
    async def emit(self, event: str, data: Any, namespace: Optional[str] = None,
                   room: Optional[str] = None, skip_sid: Any = None, callback: Any = None,
                   **kwargs: Any) -> None:
        if callback is None and not kwargs.get("ignore_queue"):
            await super().emit(event, data, namespace=namespace, room=room,
                               skip_sid=skip_sid, ignore_queue=True)
        await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                           callback=callback, **kwargs)

    async def _handle_emit(self, message: dict) -> None:
        # Its own emits are delivered here already (emit above).
        if message.get("host_id") == self.host_id and message.get("callback") is None:
            return
        await super()._handle_emit(message)

    async def _listen(self):
        await self._subscribe()
        async for message in super()._listen():
            yield message

    async def _subscribe(self) -> None:
        wait = 1
        while True:
            try:
                await self.pubsub.subscribe(self.channel)
                return
            except RedisError as error:
                logger.error("Redis can't be reached (%s): the chat's messages reach only the "
                             "patients on this Rasa instance; trying again in %d s", error, wait)
                await asyncio.sleep(wait)
                wait = min(2 * wait, MAX_RETRY_SECONDS)
                self._redis_connect()


def share_between_instances(sio: socketio.AsyncServer) -> None:
    """With PATIENT_SOCKET_REDIS_URL set, the server's emits reach the sockets of
    every Rasa instance. Rasa's channel builds the server itself, with the
    in-process manager: swapped here, before any socket connects (the manager
    starts listening at the first connection)."""
    url = settings.patient_socket_redis_url()
    if not url:
        return
    if sio.manager_initialized:
        raise RuntimeError("the socket.io server already has clients: too late for a manager")
    sio.manager = InstancesRedisManager(
        url, channel=channel_name(settings.patient_session_secret()),
        redis_options={"socket_connect_timeout": CONNECT_TIMEOUT_SECONDS})
    sio.manager.set_server(sio)
