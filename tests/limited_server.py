"""A second Rasa server beside the test stack's, with small patient limits, for
the limit and fuzz tests: their floods neither wait for nor slow down the
limits of the stack's own server, which the other tests share."""
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from clinic.local_servers import Stack, another_rasa_server, free_port

MAX_CHARS = 300
PER_CONVERSATION = 3  # messages per minute
PER_ADDRESS = 5  # messages per minute
SOCKET_MAX_BYTES = 20_000
MAX_REQUEST_BYTES = 50_000
# The client's address as a reverse proxy reports it: lets each test be a
# patient at an address of its own (Sanic reads SANIC_* settings).
ADDRESS_HEADER = "X-Real-IP"

LIMITS = {
    "PATIENT_MAX_MESSAGE_CHARS": str(MAX_CHARS),
    "PATIENT_MESSAGES_PER_MINUTE": str(PER_CONVERSATION),
    "PATIENT_MESSAGES_PER_MINUTE_PER_IP": str(PER_ADDRESS),
    "PATIENT_SOCKET_MAX_BYTES": str(SOCKET_MAX_BYTES),
    "RASA_MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES),
    "SANIC_REAL_IP_HEADER": ADDRESS_HEADER.lower(),
}


@contextmanager
def limited_rasa_server(stack: Stack, model: Path, folder: Path) -> Iterator[str]:
    """Yields the URL of a Rasa server on the stack's action server and database
    with LIMITS; other servers started later don't inherit them."""
    with ExitStack() as server:
        with pytest.MonkeyPatch.context() as environment:
            for name, value in LIMITS.items():
                environment.setenv(name, value)
            url = server.enter_context(another_rasa_server(
                stack, model, free_port(), folder / "rasa-limited.log", stack.web_url))
        yield url
