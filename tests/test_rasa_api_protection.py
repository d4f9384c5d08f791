"""Rasa's HTTP API, as the real server runs it: only with the API token, and only on
this machine's loopback interface (the patients' side reaches the channels through
the web server in front, never the API)."""
import socket
from typing import Optional
from urllib.parse import urlparse

import pytest

from clinic.local_servers import http


def outward_address() -> Optional[str]:
    """This machine's address on its network (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routing only
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.parametrize("method, path", [
    ("GET", "/status"), ("GET", "/conversations/patient-1/tracker"),
    ("POST", "/conversations/patient-1/tracker/events"), ("GET", "/domain"),
    ("POST", "/model/parse"), ("POST", "/webhooks/model_loader/load"),
])
def test_the_api_refuses_requests_without_the_token(rasa_server, method, path):
    status, _ = http(method, f"{rasa_server.rasa_url}{path}", {} if method == "POST" else None)

    assert status == 401


def test_the_api_answers_with_the_token(rasa_server):
    status, body = http("GET", f"{rasa_server.rasa_url}/status?token={rasa_server.api_token}")

    assert status == 200 and body["model_file"].endswith(".tar.gz")


def test_the_server_listens_on_the_loopback_interface_only(rasa_server):
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback to try")
    port = urlparse(rasa_server.rasa_url).port

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=5).close()
