"""Session tokens of the chat widget: proof that a browser was given its
conversation id by this server.

A conversation id (32 random hex digits) is also Rasa's sender id: staff see it
in the console, it names the socket.io room. To resume a conversation a browser
must also show the token the server issued with it, an HMAC of the id, which
nobody can compute without the server's secret. No token is stored.
"""
import hashlib
import hmac
import logging
import re
import secrets
import uuid
from typing import Optional

from clinic import settings

logger = logging.getLogger(__name__)

CONVERSATION_ID = re.compile(r"[0-9a-f]{32}")
# Keeps these signatures apart from anything else signed with RASA_API_TOKEN.
PURPOSE = b"clinic patient session token v1:"


class SessionTokens:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(PURPOSE + secret.encode()).digest()

    @classmethod
    def from_settings(cls) -> "SessionTokens":
        secret = settings.patient_session_secret()
        if not secret:
            logger.warning("Neither PATIENT_SESSION_SECRET nor RASA_API_TOKEN is set: chat "
                           "sessions can't be resumed after this server restarts.")
            secret = secrets.token_urlsafe(32)
        return cls(secret)

    def token(self, conversation_id: str) -> str:
        return hmac.new(self._key, conversation_id.encode(), hashlib.sha256).hexdigest()

    def new_conversation(self) -> str:
        return uuid.uuid4().hex

    def resumed(self, conversation_id: object, token: object) -> Optional[str]:
        """The conversation id, if the token is the one issued with it; else None."""
        if not (isinstance(conversation_id, str) and isinstance(token, str)
                and CONVERSATION_ID.fullmatch(conversation_id)):
            return None
        # As bytes: compare_digest refuses str with non-ASCII characters.
        sent = token.encode("utf-8", "replace")
        return conversation_id if hmac.compare_digest(
            self.token(conversation_id).encode(), sent) else None
