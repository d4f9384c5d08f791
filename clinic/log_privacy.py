"""Logs without patients' data: no phone numbers, email addresses or message
texts, whatever library writes the line.

settings/logging.yml (Rasa's and the action server's --logging-config-file,
uvicorn's --log-config) names `install` as a filter factory: it makes every
log record, from the moment it is created, carry a redacted message, and
exception text and request line:
- phone numbers and email addresses anywhere become [phone] and [email];
- the values of message-text fields in JSON or Python dict text ("text",
  "message", "user_text", ... : what Rasa's structured logs and tracker dumps
  carry) become [redacted];
- Rasa's warning about a message starting with "/" that names no intent
  ("Failed to parse arguments in line '<the message>'...") keeps only its start;
- an HTTP error's response body (Rasa logs the action server's answer to a
  failed action, which repeats the whole conversation) becomes [redacted];
- query strings of logged requests go (search words in the staff console's
  addresses, Rasa's API token);
- the password in a URL (amqp://user:password@host, postgresql://...) becomes
  [redacted];
- line breaks and other control characters in the message, and in an
  exception's text, are escaped (\\n, \\x1b): text from outside (a username, a
  conversation id) can't write a line of its own that looks like the server's.
  A traceback keeps its own lines.
Redacting when the record is made, not in one handler, covers the handlers
libraries add after ours (Sanic sets up its own when Rasa creates its app).
Python's warnings, which Rasa raises with a patient's text in them (a message
starting with "/" that names no intent), go through logging too: written to
standard error they were neither redacted nor escaped.
"""
import logging
import logging.config
import re
import traceback
from types import TracebackType
from typing import Any, Callable, Optional, Tuple, Type

import yaml

from clinic.settings import PROJECT_ROOT

# The servers' logging (--logging-config-file, --log-config), which names `install`.
CONFIG_FILE = PROJECT_ROOT / "settings" / "logging.yml"

# 7 to 15 digits with spaces, dots, dashes or brackets between; not a date.
PHONE = re.compile(r"(?<![\w.:/-])(?!\d{4}-\d\d-\d\d)\+?\(?\d(?:[\s().-]{0,2}\d){6,14}(?![\w-])")
# Every repeat is bounded (an address's parts by their RFC lengths): with `+`, a
# long run of word characters and no "@" made the search quadratic, and a long
# Origin header held the Rasa server's event loop (docs/security.md).
EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
# Fields that hold what patients and staff wrote (Rasa's own list of fields its
# structured logs anonymise, rasa/utils/log_utils.py, and its events' "text").
TEXT_FIELDS = ("text", "message", "user_text", "response_text", "user_message",
               "json_message", "parse_data_text", "slot_values", "tracker_latest_message",
               "latest_message", "user_uttered", "bot_uttered")
# A value the cut left open is redacted to the end.
TEXT_VALUE = re.compile(
    r"""(?P<key>(?P<q>["'])(?:%s)(?P=q)\s*:\s*)(?:"(?:[^"\\]|\\.)*(?:"|\Z)|'(?:[^'\\]|\\.)*(?:'|\Z))"""
    % "|".join(TEXT_FIELDS))
UNPARSED_INTENT = re.compile(r"(?P<key>Failed to parse arguments in line ).*", re.DOTALL)
RESPONSE_BODY = re.compile(r"(?P<key>\bbody=|\"request_body\"\s*:\s*|'request_body'\s*:\s*).*")
QUERY = re.compile(r"\?[^\s\"']*")
URL_PASSWORD = re.compile(
    r"(?P<key>\b[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^\s/@:'\"]{0,256}:)[^\s/@'\"]{1,256}@")
# The API token in a URL Rasa or Sanic logs (an error's "uri"), whatever the logger.
TOKEN = re.compile(r"(?P<key>[?&]token=)[^&\s'\"]+")
# A logged value an outsider chose (a header, a path) is cut to this length.
MAX_MESSAGE_CHARS = 2000
# Redaction reads this far past the cut, so that an email address or phone
# number crossing it is still recognised (an address is at most 320 characters).
REDACTION_MARGIN = 400


def cut(text: str, length: int = 0) -> str:
    """`text` cut to MAX_MESSAGE_CHARS; `length`: what it was before redaction."""
    length = max(length, len(text))
    if length <= MAX_MESSAGE_CHARS:
        return text
    return f"{text[:MAX_MESSAGE_CHARS]}[… {length - MAX_MESSAGE_CHARS:,} characters cut]"


def redacted_and_cut(text: str) -> str:
    """`text` redacted, then cut. Redaction reads only the start: on a long
    text, patterns that find no end would take quadratic time."""
    return cut(redact(text[:MAX_MESSAGE_CHARS + REDACTION_MARGIN]), len(text))


def redact(text: str) -> str:
    text = TOKEN.sub(r"\g<key>[redacted]", text)
    text = UNPARSED_INTENT.sub(r"\g<key>[redacted]", text)
    text = RESPONSE_BODY.sub(r"\g<key>[redacted]", text)
    text = TEXT_VALUE.sub(r"\g<key>[redacted]", text)
    # Before EMAIL, which would take "password@host.name" but not "password@host".
    text = URL_PASSWORD.sub(r"\g<key>[redacted]@", text)
    text = EMAIL.sub("[email]", text)
    return PHONE.sub("[phone]", text)


# C0 and C1 controls but the tab, and the Unicode line and paragraph separators.
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
ESCAPES = {"\n": "\\n", "\r": "\\r"}


def escape_controls(text: str) -> str:
    return CONTROL.sub(lambda m: ESCAPES.get(m[0]) or
                       (f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}"),
                       text)


ExcInfo = Tuple[Type[BaseException], BaseException, Optional[TracebackType]]


def exception_text(exc_info: ExcInfo) -> str:
    """The traceback as logging prints it, each exception's own text escaped.
    The texts are TracebackException's `_str` (and a SyntaxError's `msg`),
    Python 3.10's traceback.py (tests/test_logs_clean.py checks they exist)."""
    formatted = traceback.TracebackException(*exc_info, compact=True)
    pending, seen = [formatted], set()
    while pending:
        exception = pending.pop()
        if id(exception) in seen:
            continue
        seen.add(id(exception))
        exception._str = escape_controls(redacted_and_cut(exception._str))
        if getattr(exception, "msg", None):
            exception.msg = escape_controls(exception.msg)
        pending += [e for e in (exception.__cause__, exception.__context__) if e is not None]
    return "".join(formatted.format()).rstrip("\n")


def without_query(text: str) -> str:
    return QUERY.sub("", text)


def _redacted_record(make_record: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        made = make_record(*args, **kwargs)
        try:
            message = made.getMessage()
        except Exception:  # a broken format string: keep only what it was
            message = str(made.msg)
        if made.name.endswith(".access"):  # uvicorn's and Sanic's request lines
            message = without_query(message)
            if isinstance(getattr(made, "request", None), str):
                made.request = cut(without_query(made.request))
        made.msg, made.args = escape_controls(redacted_and_cut(message)), ()
        if made.exc_info and made.exc_info[0] is not None:
            made.exc_text = redact(exception_text(made.exc_info))
            made.exc_info = None  # formatters print exc_text as it is
        return made
    record.redacts_patient_data = True
    return record


def install(**_: Any) -> logging.Filter:
    """Make every log record redacted from now on (once per process); the
    filter returned lets everything through (dictConfig needs a filter)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacts_patient_data", False):
        logging.setLogRecordFactory(_redacted_record(factory))
    logging.captureWarnings(True)
    return logging.Filter()


def configure_process() -> None:
    """Logging as the Rasa server's, in a process it starts for itself: structlog
    too, which otherwise prints straight to standard output."""
    from rasa.utils.log_utils import configure_structlog

    with CONFIG_FILE.open(encoding="utf-8") as file:
        logging.config.dictConfig(yaml.safe_load(file))
    configure_structlog()
