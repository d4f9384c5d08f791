"""Calls to an endpoint (the action server) reuse open connections
(clinic/endpoint_connections.py), closed when idle, and a server that went
away and came back is reached again."""
import asyncio
from typing import List, Tuple

import pytest
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from clinic import endpoint_connections
from clinic.local_servers import free_port


@pytest.fixture(autouse=True)
def kept_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EndpointConfig, "session", endpoint_connections.session)


async def _server(port: int, peers: List[Tuple[str, int]]) -> web.AppRunner:
    """An HTTP server on `port` that notes each request's client address and port."""
    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": [await request.json()]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def test_successive_calls_share_one_connection_until_it_idles() -> None:
    async def scenario() -> None:
        port, peers = free_port(), []
        server = await _server(port, peers)
        endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
        try:
            for number in range(3):
                reply = await endpoint.request(json={"text": f"answer {number}"})
                assert reply["responses"] == [{"text": f"answer {number}"}]
            assert len(peers) == 3 and len(set(peers)) == 1
            await asyncio.sleep(endpoint_connections.IDLE_SECONDS + 1.5)
            await endpoint.request(json={"text": "later"})
            assert peers[-1] != peers[0], "an idle connection should have been closed"
        finally:
            await server.cleanup()
    asyncio.run(scenario())


def test_a_restarted_server_is_reached_on_a_new_connection() -> None:
    async def scenario() -> None:
        port, peers = free_port(), []
        endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook")
        server = await _server(port, peers)
        await endpoint.request(json={"text": "before"})
        await server.cleanup()
        server = await _server(port, peers)
        try:
            reply = await endpoint.request(json={"text": "after"})
            assert reply["responses"] == [{"text": "after"}]
        finally:
            await server.cleanup()
    asyncio.run(scenario())
