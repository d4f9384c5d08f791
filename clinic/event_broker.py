"""The optional RabbitMQ event broker: Rasa's own PikaEventBroker, on when
RABBITMQ_URL is set (docs/deployment.md, "Conversation events to RabbitMQ").

The endpoints files name this class instead of `type: pika` with `${RABBITMQ_URL}`
because Rasa refuses to start on an unset ${VAR}; this reads the environment
(clinic/settings.py) and gives Rasa no broker when the variable is empty.

Rasa logs the broker's host as it is given, so the user name and password are
taken out of the URL and passed separately: Rasa puts them back only into the
URL it connects with.
"""
from asyncio import AbstractEventLoop
from typing import NamedTuple, Optional
from urllib.parse import urlsplit, urlunsplit

from rasa.core.brokers.pika import PikaEventBroker
from rasa.utils.endpoints import EndpointConfig

from clinic import settings

AMQP_PORTS = {"amqp": 5672, "amqps": 5671}


class BrokerAddress(NamedTuple):
    url: str  # without user name and password
    username: str
    password: str
    port: int


def broker_address(url: str) -> BrokerAddress:
    """amqp://user:password@host[:port]/vhost split into the URL without the
    credentials, the credentials (still percent-encoded, as Rasa pastes them
    back into a URL) and the port. Without credentials, RabbitMQ's guest."""
    parts = urlsplit(url)
    credentials, _, host_port = parts.netloc.rpartition("@")
    username, _, password = credentials.partition(":")
    return BrokerAddress(url=urlunsplit(parts._replace(netloc=host_port)),
                         username=username or "guest", password=password or "guest",
                         port=parts.port or AMQP_PORTS[parts.scheme])


class OptionalPikaEventBroker(PikaEventBroker):
    """Rasa's PikaEventBroker publishing to RABBITMQ_QUEUE at RABBITMQ_URL, or
    none when RABBITMQ_URL is empty. Other settings of the endpoints file's
    `event_broker` section (e.g. connection_attempts) go to PikaEventBroker."""

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: Optional[EndpointConfig],
        event_loop: Optional[AbstractEventLoop] = None,
    ) -> Optional["OptionalPikaEventBroker"]:
        url = settings.rabbitmq_url()
        if not url:
            return None
        address = broker_address(url)
        options = broker_config.kwargs if broker_config else {}
        broker = cls(address.url, address.username, address.password, port=address.port,
                     queues=[settings.rabbitmq_queue()], event_loop=event_loop, **options)
        await broker.connect()
        return broker
