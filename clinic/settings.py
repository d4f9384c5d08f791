"""Settings read from environment variables, with the embedded defaults of `make run`.

The one place that reads the environment; `.env.example` documents every variable.
"""
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import yaml

from clinic.opening_hours import OpeningHours

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path_from_env(name: str, default: str) -> Path:
    path = Path(os.environ.get(name, default))
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class ClinicContact:
    """How patients reach the clinic's staff (placeholders in settings/clinic.yml)."""

    clinic_name: str
    phone: str
    email: str
    hours: str


def content_dir() -> Path:
    """Folder of the clinic's treatment documents, the source of every answer."""
    return _path_from_env("CLINIC_CONTENT_DIR", "content/treatments")


def nlu_dir() -> Path:
    """Folder of the NLU training data (the treatment names live there too)."""
    return _path_from_env("CLINIC_NLU_DIR", "data/nlu")


def topics_file() -> Path:
    """Which document sections answer which question topic."""
    return _path_from_env("CLINIC_TOPICS_FILE", "content/topics.yml")


def clinic_settings_file() -> Path:
    """The clinic's details, opening hours and handoff settings (settings/clinic.yml)."""
    return _path_from_env("CLINIC_SETTINGS_FILE", "settings/clinic.yml")


def _clinic_settings() -> dict:
    """Read on each use (a few hundred bytes): edits apply without a restart."""
    path = clinic_settings_file()
    with path.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


def clinic_contact() -> ClinicContact:
    data = _clinic_settings()
    contact = data["contact"]
    return ClinicContact(
        clinic_name=data["clinic_name"],
        phone=contact["phone"],
        email=contact["email"],
        hours=contact["hours"],
    )


# What may be dialled: digits, maybe grouped by spaces or dashes, maybe after a "+".
EMERGENCY_NUMBER = re.compile(r"\+?[0-9](?:[0-9 -]*[0-9])?")
EMERGENCY_NUMBER_DIGITS = (2, 15)


def emergency_number() -> Optional[str]:
    """The emergency number patients are told to call (`emergency_number` in
    settings/clinic.yml), e.g. "911"; None when unset: the chat then says "your
    local emergency number". A value that can't be dialled is a ValueError."""
    number = _clinic_settings().get("emergency_number")
    if number is None or (isinstance(number, str) and not number.strip()):
        return None
    path = clinic_settings_file()
    if not isinstance(number, str):
        # Unquoted, YAML reads 000 as 0 and 0112 as 74.
        raise ValueError(f"{path}: emergency_number must be in quotes, e.g. "
                         f'emergency_number: "911" (it is {number!r}, not a text)')
    number = number.strip()
    digits = sum(character.isdigit() for character in number)
    low, high = EMERGENCY_NUMBER_DIGITS
    if not EMERGENCY_NUMBER.fullmatch(number) or not low <= digits <= high:
        raise ValueError(
            f"{path}: emergency_number must be the number to dial: {low} to {high} digits, "
            f'maybe grouped by spaces or dashes, e.g. "911", "112" or "000" (it is {number!r})')
    return number


# Months after its "Last reviewed:" date before `make validate` warns that a
# treatment document is due for review, unless settings/clinic.yml says otherwise.
DEFAULT_REVIEW_EVERY_MONTHS = 12


def review_every_months() -> int:
    """`treatment_documents: review_every_months` in settings/clinic.yml (default 12)."""
    section = _clinic_settings().get("treatment_documents") or {}
    months = section.get("review_every_months", DEFAULT_REVIEW_EVERY_MONTHS)
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        path = _path_from_env("CLINIC_SETTINGS_FILE", "settings/clinic.yml")
        raise ValueError(
            f"{path}: treatment_documents: review_every_months must be a whole number of "
            f"months, 1 or more (it is {months!r}); e.g. 12"
        )
    return months


def red_flags_file() -> Path:
    """Patterns that make a message an emergency, whatever the classifier says."""
    return _path_from_env("CLINIC_RED_FLAGS_FILE", "content/red_flags.yml")


def person_requests_file() -> Path:
    """Patterns that make a message a request for a person, whatever the classifier says."""
    return _path_from_env("CLINIC_PERSON_REQUESTS_FILE", "content/person_requests.yml")


def domain_dir() -> Path:
    """The assistant's domain files: its intents, responses and actions."""
    return PROJECT_ROOT / "domain"


def conditions_file() -> Path:
    """The words the treatment pages use for the conditions patients name."""
    return _path_from_env("CLINIC_CONDITIONS_FILE", "content/conditions.yml")


def opening_hours() -> OpeningHours:
    return OpeningHours.from_settings(_clinic_settings()["opening_hours"])


@dataclass(frozen=True)
class HandoffSettings:
    claim_timeout_minutes: float
    minutes_per_waiting_patient: int


def handoff_settings() -> HandoffSettings:
    return HandoffSettings(**_clinic_settings()["handoff"])


def database_url() -> str:
    """The database of conversations (Rasa's tracker store), handoffs and callbacks."""
    return os.environ.get("DATABASE_URL", "sqlite:///var/conversations.db")


def rabbitmq_url() -> str:
    """The RabbitMQ that Rasa's event broker publishes every conversation event
    to (amqp://user:password@host:5672/vhost, or amqps://); empty: no event broker."""
    url = os.environ.get("RABBITMQ_URL", "").strip()
    if url and not url.startswith(("amqp://", "amqps://")):
        raise ValueError("RABBITMQ_URL must start with amqp:// or amqps:// (or be empty "
                         "for no event broker)")
    return url


def rabbitmq_queue() -> str:
    """The RabbitMQ queue the event broker fills (Rasa's own default name)."""
    return os.environ.get("RABBITMQ_QUEUE", "").strip() or "rasa_core_events"


def rasa_url() -> str:
    """Rasa's HTTP API, used to pass staff messages into a patient's chat."""
    return os.environ.get("RASA_URL", "http://127.0.0.1:5005")


def rasa_server_urls() -> List[str]:
    """Every Rasa server that runs the live model (space separated); a promoted or
    rolled-back model is loaded on each. Default: RASA_URL alone."""
    return os.environ.get("RASA_SERVER_URLS", "").split() or [rasa_url()]


def model_promotion_margin() -> float:
    """How far below the live model's held-out accuracy, or any intent's F1, a
    model may be and still be promoted (0 to 1)."""
    value = os.environ.get("MODEL_PROMOTION_MARGIN", "").strip()
    try:
        margin = float(value) if value else 0.02
    except ValueError:
        margin = -1
    if not 0 <= margin <= 1:
        raise ValueError(f"MODEL_PROMOTION_MARGIN must be a number from 0 to 1, not {value!r}")
    return margin


def models_dir() -> Path:
    """The only folder a Rasa server loads models from (clinic/model_signing.py)."""
    return _path_from_env("MODELS_DIR", "models")


def model_signing_key_file() -> Path:
    """The secret with which training signs each model's hash, and servers check
    it; made by the first training on this machine, readable by its owner only."""
    return _path_from_env("MODEL_SIGNING_KEY_FILE", "var/model-signing-key")


def rasa_api_token() -> str:
    """The token Rasa's HTTP API is started with (`rasa run --auth-token`)."""
    token = os.environ.get("RASA_API_TOKEN", "")
    if not token:
        raise RuntimeError("RASA_API_TOKEN is not set; `make run` creates one in var/")
    return token


# The action server (clinic/action_server.py).
def action_server_host() -> str:
    """The address the action server listens on: only Rasa calls it."""
    return os.environ.get("ACTION_SERVER_HOST", "").strip() or "127.0.0.1"


def action_server_port() -> int:
    return _positive_number_from_env("ACTION_SERVER_PORT", 5055, kind=int)


# secrets.token_urlsafe(32), as `make run` makes it, has 43.
MIN_ACTION_SERVER_TOKEN_CHARS = 32


def action_server_token() -> str:
    """The token Rasa sends the action server on every call (endpoints.yml)."""
    token = os.environ.get("ACTION_SERVER_TOKEN", "")
    if len(token) < MIN_ACTION_SERVER_TOKEN_CHARS:
        raise RuntimeError(
            f"ACTION_SERVER_TOKEN must be set, with at least {MIN_ACTION_SERVER_TOKEN_CHARS} "
            "characters; `make run` creates one in var/action-server-token")
    return token


def action_server_max_request_bytes() -> int:
    """The largest request body the action server accepts: Rasa's call with the
    conversation's current session and the domain."""
    return _positive_number_from_env("ACTION_SERVER_MAX_REQUEST_BYTES", 4_000_000, kind=int)


def web_public_url() -> str:
    """The web app's address as browsers reach it: the chat widget's script and
    styles are served from there (the embed snippet on the clinic's site)."""
    return os.environ.get("WEB_PUBLIC_URL", "http://localhost:8000").rstrip("/")


def widget_socket_url() -> str:
    """Rasa's socket.io channel as browsers reach it (not RASA_URL, which is
    the server-side address of Rasa's HTTP API)."""
    return os.environ.get("WIDGET_SOCKET_URL", "http://localhost:5005").rstrip("/")


def patient_site_origins() -> List[str]:
    """The website origins whose pages may open the chat widget's socket.io
    connection and call Rasa cross-origin (space separated); others are refused."""
    return os.environ.get("RASA_CORS_ORIGINS", "http://localhost:8000").split()


def _positive_number_from_env(name: str, default: float, kind=float):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ValueError(f"{name} must be a {'whole ' if kind is int else ''}number "
                         f"above 0, not {value!r}")
    return number


def staff_cookie_secure() -> bool:
    """Send the staff session cookie over HTTPS only. Only `make run` and the test
    servers, which serve plain http on localhost, turn it off."""
    value = os.environ.get("STAFF_COOKIE_SECURE", "true").strip().lower()
    if value not in ("true", "false"):
        raise ValueError(f"STAFF_COOKIE_SECURE must be true or false, not {value!r}")
    return value == "true"


def staff_idle_timeout_minutes() -> float:
    """A staff member is logged off after this long without a request."""
    return _positive_number_from_env("STAFF_IDLE_TIMEOUT_MINUTES", 15)


def staff_failed_logins_per_account() -> int:
    """Failed logins to one username from one address that make that address wait."""
    return _positive_number_from_env("STAFF_FAILED_LOGINS_PER_ACCOUNT", 5, kind=int)


def staff_failed_logins_per_address() -> int:
    """Failed logins to any usernames from one address that make that address wait."""
    return _positive_number_from_env("STAFF_FAILED_LOGINS_PER_ADDRESS", 20, kind=int)


def staff_login_throttle_minutes() -> float:
    """The window in which failed logins count (webapp/login_throttle.py)."""
    return _positive_number_from_env("STAFF_LOGIN_THROTTLE_MINUTES", 15)


def conversation_low_confidence() -> float:
    """The staff console flags a conversation "low confidence" when a patient's
    message was understood with an intent confidence below this (0 to 1)."""
    threshold = _positive_number_from_env("CONVERSATION_LOW_CONFIDENCE", 0.6)
    if threshold > 1:
        raise ValueError(f"CONVERSATION_LOW_CONFIDENCE must be at most 1, not {threshold}")
    return threshold


# The patient channels' protections (clinic/patient_limits.py, clinic/session_tokens.py).
def patient_session_secret() -> str:
    """The key that signs the chat widget's session tokens. Without it, one is
    derived from RASA_API_TOKEN (so every Rasa server of a clinic agrees);
    empty when neither is set."""
    return os.environ.get("PATIENT_SESSION_SECRET", "") or os.environ.get("RASA_API_TOKEN", "")


def patient_socket_redis_url() -> str:
    """The Redis through which several Rasa servers pass the chat's socket.io
    messages to each other's patients (clinic/socket_manager.py); empty for
    one Rasa server."""
    return os.environ.get("PATIENT_SOCKET_REDIS_URL", "").strip()


def patient_max_message_chars() -> int:
    """The longest message a patient may send, in characters."""
    return _positive_number_from_env("PATIENT_MAX_MESSAGE_CHARS", 2000, kind=int)


def patient_messages_per_minute() -> int:
    """How many messages one conversation may send per minute (chat widget)."""
    return _positive_number_from_env("PATIENT_MESSAGES_PER_MINUTE", 20, kind=int)


def patient_messages_per_minute_per_ip() -> int:
    """How many messages all chats from one IP address may send per minute."""
    return _positive_number_from_env("PATIENT_MESSAGES_PER_MINUTE_PER_IP", 60, kind=int)


def patient_socket_max_bytes() -> int:
    """The largest socket.io packet the chat widget's channel accepts."""
    return _positive_number_from_env("PATIENT_SOCKET_MAX_BYTES", 100_000, kind=int)


def rasa_max_request_bytes() -> int:
    """The largest HTTP request body the Rasa server accepts (Sanic's REQUEST_MAX_SIZE)."""
    return _positive_number_from_env("RASA_MAX_REQUEST_BYTES", 1_000_000, kind=int)


def rest_trusted_addresses() -> List[str]:
    """Addresses or networks (space separated) that may use Rasa's REST channel:
    the clinic's own software, not patients' browsers."""
    return os.environ.get("REST_TRUSTED_ADDRESSES", "127.0.0.1 ::1").split()


def web_max_request_bytes() -> int:
    """The largest request body the web app (staff console, clinic pages) accepts."""
    return _positive_number_from_env("WEB_MAX_REQUEST_BYTES", 1_000_000, kind=int)


def nlu_max_tokens() -> int:
    """How many tokens of a message the NLU pipeline reads (clinic/message_tokens.py);
    the rest is stored, and checked for red flags, but not read."""
    return _positive_number_from_env("NLU_MAX_TOKENS", 200, kind=int)


def patient_messages_in_flight_per_ip() -> int:
    """How many messages all chats from one IP address may have waiting for an
    answer at once; emergencies are always passed on."""
    return _positive_number_from_env("PATIENT_MESSAGES_IN_FLIGHT_PER_IP", 10, kind=int)
