"""The socket.io channel of the patients' chat widget (credentials.yml).

Rasa's own socket.io channel, with what a clinic's website needs on top:
- bot messages go out whole, as one `bot_uttered` {text, buttons, metadata}:
  Rasa's version splits texts on blank lines and drops the metadata, which
  carries an answer's source section and marks messages from clinic staff;
- after `session_confirm` the patient gets `chat_history`, the conversation so
  far, so a reload or another page of the site shows the same chat;
- only pages of the site origins in RASA_CORS_ORIGINS may connect (Rasa's
  channel turns socket.io's origin check off; Rasa's --cors only covers the
  HTTP side);
- a conversation is resumed only with the session token the server issued
  with its id (clinic/session_tokens.py); any other session_request starts a
  new conversation. A socket speaks only for the conversation it was given:
  the session_id a message carries is ignored, and so is its metadata;
- a message too long, too many per conversation or per IP address, or sent
  while too many from the address wait for an answer, gets a polite answer
  instead of being passed on (clinic/patient_limits.py), and a refused
  emergency the emergency guidance;
- an emergency sent while the patient's earlier message is still being
  answered gets the guidance at once, not in its turn;
- the socket.io packets and the server's HTTP requests are bounded in size,
  and binary packets are refused (clinic/engineio_fixes.py);
- with several Rasa instances, a message reaches the patient's socket on
  whichever instance holds it (clinic/socket_manager.py).
Rasa's JWT option for socket.io is not supported.
"""
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic

from clinic import emergency, engineio_fixes, settings, socket_manager
from clinic.in_flight import InFlight
from clinic.store_outage import answering_store_outages
from clinic.patient_limits import EMERGENCY, UNREADABLE, PatientLimits
from clinic.session_tokens import SessionTokens

logger = logging.getLogger(__name__)

# Keys of a bot message that are Rasa's own: BotUttered.message() mixes the
# event's metadata in with them (where an action's own metadata sits under
# "metadata", and a staff message's at the top).
MESSAGE_KEYS = {"text", "buttons", "quick_replies", "image", "attachment", "elements",
                "custom", "timestamp", "metadata", "model_id", "assistant_id", "utter_action"}
HISTORY_LENGTH = 200  # messages shown after a reload; older ones stay stored
STAFF = "clinic_staff"  # metadata "from" of messages staff send (clinic.rasa_api)
EMERGENCY_RESPONSE = emergency.RESPONSE


def widget_message(message: Dict[Text, Any]) -> Dict[Text, Any]:
    """A bot message as the widget reads it: text, buttons and metadata apart."""
    metadata = {key: value for key, value in message.items()
                if key not in MESSAGE_KEYS and value is not None}
    metadata.update(message.get("metadata") or {})
    # Which response it is: the widget shows the emergency guidance as an
    # alert (clinic/emergency.py).
    if message.get("utter_action"):
        metadata.setdefault("utter_action", message["utter_action"])
    out: Dict[Text, Any] = {"text": message.get("text") or "", "metadata": metadata}
    buttons = message.get("buttons") or message.get("quick_replies")
    if buttons:
        out["buttons"] = [{"title": b["title"], "payload": b["payload"]} for b in buttons]
    return out


def history(events: List[Any]) -> List[Dict[Text, Any]]:
    """The patient's and the bot's messages of a tracker, oldest first."""
    messages = []
    for event in events:
        if isinstance(event, UserUttered) and event.text:
            messages.append({"sender": "patient", "text": event.text,
                             "timestamp": event.timestamp})
        elif isinstance(event, BotUttered) and (event.text or event.data.get("buttons")):
            message = widget_message(event.message())
            sender = "staff" if message["metadata"].get("from") == STAFF else "assistant"
            messages.append({"sender": sender, "timestamp": event.timestamp, **message})
    return messages[-HISTORY_LENGTH:]


class PatientSocketIOOutput(SocketIOOutput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if message.get("text") or message.get("buttons") or message.get("quick_replies"):
            await self._send_message(recipient_id, widget_message(message))


class PatientSocketIOInput(SocketIOInput):
    """Rasa's socket.io input with the widget's history, origins, output,
    session tokens and limits."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        return PatientSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # A message a store refuses (database or Redis down): "send it again".
        on_new_message = answering_store_outages(on_new_message)
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        socket_manager.share_between_instances(sio)
        namespace = self.namespace
        allowed_origins = settings.patient_site_origins()
        tokens = SessionTokens.from_settings()
        limits = PatientLimits.from_settings()
        conversations = InFlight(1)  # messages of a conversation being answered
        sio.eio.max_http_buffer_size = settings.patient_socket_max_bytes()
        engineio_fixes.harden(sio.eio)
        limit_request_size(blueprint)

        # Checked here rather than by socket.io's cors_allowed_origins, which
        # would add CORS headers to those of Rasa's --cors: a browser refuses a
        # response with two.
        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin is not None and origin not in allowed_origins:
                logger.warning("Refused a chat connection from origin %s", origin)
                return False
            # engine.io's environ has no real REMOTE_ADDR; Sanic's request does
            # (remote_addr when SANIC_PROXIES_COUNT or a forwarded secret is set).
            request = environ["sanic.request"]
            await sio.save_session(sid, {"address": request.remote_addr or request.ip},
                                   namespace=namespace)
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any) -> None:
            asked = data if isinstance(data, dict) else {}
            resumed = tokens.resumed(asked.get("session_id"), asked.get("token"))
            conversation_id = resumed or tokens.new_conversation()
            # Rasa's own handler, replaced here, doesn't await these coroutines.
            async with sio.session(sid, namespace=namespace) as session:
                if session.get("conversation_id"):
                    await sio.leave_room(sid, session["conversation_id"], namespace=namespace)
                session["conversation_id"] = conversation_id
            await sio.enter_room(sid, conversation_id, namespace=namespace)
            await sio.emit("session_confirm", {"session_id": conversation_id,
                                               "token": tokens.token(conversation_id)},
                           room=sid, namespace=namespace)
            messages = await self._history(sid, conversation_id) if resumed else []
            await sio.emit("chat_history", {"messages": messages}, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def user_uttered(sid: Text, data: Any) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            conversation_id = session.get("conversation_id")
            message = data.get("message") if isinstance(data, dict) else None
            address = session["address"]
            guidance = self._guidance_text(sid)
            refusal = limits.refusal(message, conversation_id, address, guidance) \
                if conversation_id else UNREADABLE
            if refusal:
                # A refused emergency gets the guidance, as an emergency.
                await sio.emit(self.bot_message_evt,
                               emergency.guidance(refusal) if refusal == guidance
                               else {"text": refusal, "metadata": {}},
                               room=sid, namespace=namespace)
                return
            # Rasa answers a conversation's messages in turn: an emergency sent
            # while the patient's earlier message waits gets the guidance now
            # (and again from Rasa, in its turn).
            if conversations.full(conversation_id) and limits.red_flags.find(message):
                await sio.emit(self.bot_message_evt, emergency.guidance(guidance),
                               room=sid, namespace=namespace)
            with limits.in_flight.answering(address), conversations.answering(conversation_id):
                await on_new_message(UserMessage(message, self.get_output_channel(),
                                                 conversation_id, input_channel=self.name()))

        return blueprint

    def _agent(self, sid: Text) -> Any:
        # The socket's HTTP request leads to Rasa's app and its loaded agent.
        return self.sio.get_environ(sid, namespace=self.namespace)["sanic.request"].app.ctx.agent

    async def _history(self, sid: Text, conversation_id: Text) -> List[Dict[Text, Any]]:
        tracker = await self._agent(sid).tracker_store.retrieve(conversation_id)
        return history(tracker.events) if tracker else []

    def _guidance_text(self, sid: Text) -> Text:
        """The loaded model's emergency guidance (utter_emergency), its
        {emergency_number} not yet filled in (emergency.guidance does)."""
        agent = self._agent(sid)
        responses = agent.domain.responses.get(EMERGENCY_RESPONSE) \
            if agent and agent.domain else None
        return responses[0]["text"] if responses else EMERGENCY


def limit_request_size(blueprint: Blueprint) -> None:
    """Bound the body of every HTTP request to the Rasa server (REST channel and
    HTTP API too): Sanic's default is 100 MB."""
    @blueprint.listener("before_server_start")
    async def set_limit(app: Sanic, _loop: Any) -> None:
        app.config.REQUEST_MAX_SIZE = settings.rasa_max_request_bytes()
