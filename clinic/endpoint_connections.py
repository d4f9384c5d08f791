"""Rasa opens a new connection for every request to an endpoint, above all the
action server on every custom action: EndpointConfig.request makes a new
aiohttp ClientSession, with a connection pool of its own, and closes both after
the reply. That is a TCP handshake a call (through nginx in the scaled
deployment): 7% of the Rasa server's CPU at 10 concurrent conversations (py-spy).

`install()` gives each endpoint one pool (aiohttp's TCPConnector, shared by the
endpoint's sessions and not closed with them), so calls reuse open connections.
An idle connection is closed after IDLE_SECONDS, before the server would close
it (the action server, Sanic, after 5 s; nginx after 75 s): no request is sent on
a connection the server is closing at that moment."""
import asyncio

import aiohttp
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig

IDLE_SECONDS = 2.0
POOL_ATTRIBUTE = "_clinic_connection_pool"


def _pool(endpoint: EndpointConfig) -> aiohttp.TCPConnector:
    """The endpoint's pool on the running event loop (a pool belongs to one loop)."""
    loop = asyncio.get_running_loop()
    kept = getattr(endpoint, POOL_ATTRIBUTE, None)
    if kept is None or kept[0] is not loop:
        kept = (loop, aiohttp.TCPConnector(keepalive_timeout=IDLE_SECONDS))
        setattr(endpoint, POOL_ATTRIBUTE, kept)
    return kept[1]


def session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's session for the endpoint (its headers, basic auth and timeout),
    on the endpoint's pool. Rasa's own `session()` can't be kept instead: the pool
    it makes keeps idle connections 15 s, past the action server's 5 s."""
    auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            if self.basic_auth else None)
    return aiohttp.ClientSession(
        headers=self.headers, auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=_pool(self), connector_owner=False)


def install() -> None:
    EndpointConfig.session = session
