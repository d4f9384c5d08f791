"""Rasa's REST channel (`/webhooks/rest/webhook`, credentials.yml), for the
clinic's own software only.

Rasa's REST channel takes the conversation id (`sender`) from the request and
believes it: whoever can reach it can write into, and read the replies of, any
conversation whose id they know. Patients' browsers use the chat widget
(socket.io, with server-issued session tokens) instead; REST answers only the
addresses in REST_TRUSTED_ADDRESSES (by default this machine: tests, `curl`,
integrations running beside the server) and refuses everyone else with 403.

A browser on a trusted address may be made to post to it by any web page
(a "simple" cross-site request: text/plain, no CORS preflight). So it answers
only JSON posts (415 otherwise, which a page can send cross-site only after a
preflight Rasa's CORS refuses) and, when a browser says which page sent the
request (Origin), only the clinic's own sites (RASA_CORS_ORIGINS; 403 otherwise).

It also checks what Rasa's channel doesn't: the body is a JSON object with a
text `sender` and `message` (else 400 with the reason; a NUL or a lone
surrogate in them, which the database refuses, would stop Rasa), and a message over
PATIENT_MAX_MESSAGE_CHARS gets a polite answer instead of being passed on.

Each reply carries the metadata the chat widget gets (clinic/patient_channel.py's
widget_message): which response it is (the emergency guidance is marked so,
with the emergency number, clinic/emergency.py), its source, who sent it.
"""
import ipaddress
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Union

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.headers import parse_content_header
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic import settings
from clinic.patient_channel import widget_message
from clinic.patient_limits import is_text, too_long
from clinic.store_outage import answering_store_outages

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 255  # the tracker store's sender_id column
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def _bad_request(reason: Text) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


def problem(body: Any) -> Optional[Text]:
    """What is wrong with a REST request's body; None when nothing is."""
    if not isinstance(body, dict):
        return "The body must be a JSON object with 'sender' and 'message'."
    sender = body.get("sender")
    if not is_text(sender) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return f"'sender' must be a text of 1 to {MAX_SENDER_CHARS} characters."
    if not is_text(body.get("message")):
        return "'message' must be a text."
    if not isinstance(body.get("metadata", {}), (dict, type(None))):
        return "'metadata' must be a JSON object."
    if not isinstance(body.get("input_channel", ""), (str, type(None))):
        return "'input_channel' must be a text."
    return None


class TrustedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        # A message a store refuses (database or Redis down): "send it again".
        on_new_message = answering_store_outages(with_metadata(on_new_message))
        blueprint = super().blueprint(on_new_message)
        trusted = [ipaddress.ip_network(address, strict=False)
                   for address in settings.rest_trusted_addresses()]
        max_chars = settings.patient_max_message_chars()
        site_origins = settings.patient_site_origins()

        @blueprint.middleware("request")
        async def check(request: Request) -> Optional[HTTPResponse]:
            if not is_trusted(request.ip, trusted):
                logger.warning("Refused a REST channel request from %s", request.ip)
                return response.json({"error": "This address may not use the REST channel; "
                                               "patients chat through the website."}, status=403)
            origin = request.headers.get("origin")
            if origin is not None and origin not in site_origins:
                return response.json({"error": "Requests from other websites are refused."},
                                     status=403)
            if request.method != "POST":
                return None
            if parse_content_header(request.content_type)[0] != "application/json":
                return response.json({"error": "The body must be JSON, sent as "
                                               "Content-Type: application/json."}, status=415)
            try:
                body = request.json
            except InvalidUsage:
                return _bad_request("The body is not valid JSON.")
            reason = problem(body)
            if reason:
                return _bad_request(reason)
            if len(body["message"]) > max_chars:
                return response.json([{"recipient_id": body["sender"],
                                       "text": too_long(max_chars)}])
            return None

        return blueprint


def with_metadata(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    """Rasa's REST replies have text and buttons only: add each reply's metadata
    (to every part, where Rasa splits a text at blank lines)."""
    async def handle(message: UserMessage) -> Any:
        collector = message.output_channel
        if type(collector) is CollectingOutputChannel:  # not the streaming one
            send = collector.send_response

            async def send_response(recipient_id: Text, reply: Dict[Text, Any]) -> None:
                metadata = widget_message(dict(reply))["metadata"]
                before = len(collector.messages)
                await send(recipient_id, reply)
                if metadata:
                    for part in collector.messages[before:]:
                        part["metadata"] = metadata

            collector.send_response = send_response  # type: ignore[assignment]
        return await on_new_message(message)

    return handle


def is_trusted(address: Text, networks: List[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # e.g. no address, over a unix socket
        return False
    return any(ip in network for network in networks)
