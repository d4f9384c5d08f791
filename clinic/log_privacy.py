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
- an HTTP error's response body (Rasa logs the action server's answer to a
  failed action, which repeats the whole conversation) becomes [redacted];
- query strings of logged requests go (search words in the staff console's
  addresses, Rasa's API token);
- the password in a URL (amqp://user:password@host, postgresql://...) becomes
  [redacted].
Redacting when the record is made, not in one handler, covers the handlers
libraries add after ours (Sanic sets up its own when Rasa creates its app).
"""
import logging
import re
from typing import Any, Callable

# 7 to 15 digits with spaces, dots, dashes or brackets between; not a date.
PHONE = re.compile(r"(?<![\w.:/-])(?!\d{4}-\d\d-\d\d)\+?\(?\d(?:[\s().-]{0,2}\d){6,14}(?![\w-])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Fields that hold what patients and staff wrote (Rasa's own list of fields its
# structured logs anonymise, rasa/utils/log_utils.py, and its events' "text").
TEXT_FIELDS = ("text", "message", "user_text", "response_text", "user_message",
               "json_message", "parse_data_text", "slot_values", "tracker_latest_message",
               "latest_message", "user_uttered", "bot_uttered")
TEXT_VALUE = re.compile(
    r"""(?P<key>(?P<q>["'])(?:%s)(?P=q)\s*:\s*)(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    % "|".join(TEXT_FIELDS))
RESPONSE_BODY = re.compile(r"(?P<key>\bbody=|\"request_body\"\s*:\s*|'request_body'\s*:\s*).*")
QUERY = re.compile(r"\?[^\s\"']*")
URL_PASSWORD = re.compile(r"(?P<key>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/@:'\"]*:)[^\s/@'\"]+@")


def redact(text: str) -> str:
    text = RESPONSE_BODY.sub(r"\g<key>[redacted]", text)
    text = TEXT_VALUE.sub(r"\g<key>[redacted]", text)
    # Before EMAIL, which would take "password@host.name" but not "password@host".
    text = URL_PASSWORD.sub(r"\g<key>[redacted]@", text)
    text = EMAIL.sub("[email]", text)
    return PHONE.sub("[phone]", text)


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
                made.request = without_query(made.request)
        made.msg, made.args = redact(message), ()
        if made.exc_info and made.exc_info[0] is not None:
            made.exc_text = redact(logging.Formatter().formatException(made.exc_info))
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
    return logging.Filter()
