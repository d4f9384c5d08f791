"""The socket.io channel of the patients' chat widget (credentials.yml).

Rasa's own socket.io channel, with what a clinic's website needs on top:
- bot messages go out whole, as one `bot_uttered` {text, buttons, metadata}:
  Rasa's version splits texts on blank lines and drops the metadata, which
  carries an answer's source section and marks messages from clinic staff;
- after `session_confirm` the patient gets `chat_history`, the conversation so
  far, so a reload or another page of the site shows the same chat;
- only pages of the site origins in RASA_CORS_ORIGINS may connect (Rasa's
  channel turns socket.io's origin check off; Rasa's --cors only covers the
  HTTP side), and a session id the server did not hand out (one that is not
  32 random hex digits) is replaced by a new one.
Rasa's JWT option for socket.io is not supported.
"""
import logging
import re
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint

from clinic import settings
from clinic.store_outage import answering_store_outages

logger = logging.getLogger(__name__)

# Keys of a bot message that are Rasa's own: BotUttered.message() mixes the
# event's metadata in with them (where an action's own metadata sits under
# "metadata", and a staff message's at the top).
MESSAGE_KEYS = {"text", "buttons", "quick_replies", "image", "attachment", "elements",
                "custom", "timestamp", "metadata", "model_id", "assistant_id", "utter_action"}
SESSION_ID = re.compile(r"[0-9a-f]{32}")
HISTORY_LENGTH = 200  # messages shown after a reload; older ones stay stored
STAFF = "clinic_staff"  # metadata "from" of messages staff send (clinic.rasa_api)


def widget_message(message: Dict[Text, Any]) -> Dict[Text, Any]:
    """A bot message as the widget reads it: text, buttons and metadata apart."""
    metadata = {key: value for key, value in message.items()
                if key not in MESSAGE_KEYS and value is not None}
    metadata.update(message.get("metadata") or {})
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
    """Rasa's socket.io input with the widget's history, origins and output."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        return PatientSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # A message a store refuses (database or Redis down): "send it again".
        on_new_message = answering_store_outages(on_new_message)
        # Every reply goes out through the output of the message's channel.
        def with_our_output(message: UserMessage) -> Awaitable[Any]:
            message.output_channel = self.get_output_channel()
            return on_new_message(message)

        blueprint = super().blueprint(with_our_output)
        sio = self.sio
        allowed_origins = settings.patient_site_origins()

        # Checked here rather than by socket.io's cors_allowed_origins, which
        # would add CORS headers to those of Rasa's --cors: a browser refuses a
        # response with two.
        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if origin is not None and origin not in allowed_origins:
                logger.warning("Refused a chat connection from origin %s", origin)
                return False
            return True

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            asked = (data or {}).get("session_id")
            session_id = asked if isinstance(asked, str) and SESSION_ID.fullmatch(asked) \
                else uuid.uuid4().hex
            sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            messages = await self._history(sid, session_id) if asked == session_id else []
            await sio.emit("chat_history", {"messages": messages}, room=sid,
                           namespace=self.namespace)

        return blueprint

    async def _history(self, sid: Text, session_id: Text) -> List[Dict[Text, Any]]:
        # The socket's HTTP request leads to Rasa's app and its loaded agent.
        request = self.sio.get_environ(sid, namespace=self.namespace)["sanic.request"]
        agent = request.app.ctx.agent
        tracker = await agent.tracker_store.retrieve(session_id)
        return history(tracker.events) if tracker else []
