"""Which sockets an emit of the patients' chat reaches: those of this Rasa
instance only (one instance, `make run`), or those of every instance of the
clinic (PATIENT_SOCKET_REDIS_URL set, the scaled deployment).

With several instances, a staff reply goes through the Rasa HTTP API of one
instance while the patient's socket may be held by another. python-socketio's
Redis manager publishes every emit on a Redis channel all instances listen to,
and each delivers it to the sockets it holds. It delivers an emit to this
instance's own sockets first, not back through Redis: with Redis down, patients
on the instance still get their replies (the lock store's "send it again" among
them); only other instances' sockets miss the message until Redis is back (the
chat history has it on reload). While Redis is down it tries again after a
wait doubling up to 60 s.

Redis's pub/sub ignores the database number of the URL: the channel is named
after the deployment's session secret, which all its instances share and
another clinic's deployment on the same Redis doesn't. What arrives on the
channel is read as JSON (python-socketio before 5.14 unpickled it: code from
whoever could publish ran in the Rasa servers); whoever can publish there can
still send any patient any message, so it must be the clinic's own,
password-protected Redis.
"""
import hashlib

import socketio

from clinic import settings

# Keeps the channel name apart from anything else derived from the secret.
PURPOSE = b"clinic patient socket.io channel v1:"
# A Redis host that doesn't answer must not hold a reply up for minutes.
CONNECT_TIMEOUT_SECONDS = 5


def channel_name(secret: str) -> str:
    return "clinic-chat-" + hashlib.sha256(PURPOSE + secret.encode()).hexdigest()[:16]


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
    sio.manager = socketio.AsyncRedisManager(
        url, channel=channel_name(settings.patient_session_secret()),
        redis_options={"socket_connect_timeout": CONNECT_TIMEOUT_SECONDS})
    sio.manager.set_server(sio)
