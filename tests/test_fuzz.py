"""2,000 malformed requests (tests/fuzz_inputs.py) to the REST channel, the chat
widget's socket.io channel and every route of the staff web app, logged in and
not: none is answered with a 5xx, every server stays up, and conversations
stored before are intact after. The random seed is printed (FUZZ_SEED=<seed>
replays a run); the REST and socket.io requests go to the Rasa server with
small limits (tests/limited_server.py), so that a flood neither slows down nor
uses up the stack server's limits for the other tests."""
import json
import os
import random
import re
import time
import uuid
from typing import List, Optional, Tuple
from urllib.parse import quote, urlencode

import pytest
import requests

from clinic.local_servers import Stack, add_staff_account
from clinic.patient_socket import PatientSocket
from tests import fuzz_inputs as fuzz
from tests.limited_server import ADDRESS_HEADER, MAX_REQUEST_BYTES, SOCKET_MAX_BYTES
from tests.route_table import PARAMETER, endpoints
from webapp.app import app as web_app

SEED = int(os.environ.get("FUZZ_SEED") or 20261126)
REST_REQUESTS, SOCKET_REQUESTS, WEB_REQUESTS = 500, 600, 900  # 2,000
WEB_MAX_REQUEST_BYTES = 1_000_000  # the web app's default
FORM_FIELDS = ["text", "reply", "message", "username", "name", "display_name", "role",
               "password", "reason", "note", "intent", "label", "status", "q", "search",
               "page", "days", "from", "to", "conversation_id", "urgent"]


class Failures:
    """Requests answered with a 5xx, or not at all."""

    def __init__(self) -> None:
        self.found: List[str] = []
        self.sent = 0

    def check(self, what: str, send) -> Optional[requests.Response]:
        self.sent += 1
        try:
            answer = send()
        except requests.RequestException as error:
            self.found.append(f"{what}: no answer ({error.__class__.__name__})")
            return None
        if answer.status_code >= 500:
            self.found.append(f"{what}: {answer.status_code} {answer.text[:200]!r}")
        return answer


def quoted(text: str) -> str:
    """`text` for a URL, lone surrogates and all."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def short(data: bytes) -> str:
    return repr(data[:120]) + (f"... ({len(data)} bytes)" if len(data) > 120 else "")


def fuzz_rest(rng: random.Random, rasa_url: str, failures: Failures) -> None:
    url = f"{rasa_url}/webhooks/rest/webhook"
    for _ in range(REST_REQUESTS):
        fields = {"sender": fuzz.text(rng, 60) or "x", "message": fuzz.text(rng),
                  "metadata": fuzz.value(rng), "input_channel": fuzz.value(rng)}
        data, content_type = fuzz.body(rng, fields, MAX_REQUEST_BYTES)
        query = rng.choice(["", "?stream=true", f"?{quoted(fuzz.text(rng, 20))}=1"])
        failures.check(f"REST {short(data)} {content_type!r} {query}", lambda: requests.post(
            url + query, data=data, headers={"Content-Type": content_type}, timeout=120))


class RawSocket:
    """The chat widget's socket.io connection (engine.io 4, polling) spoken by
    hand, so that any packet can be sent; opened again when the server closes it."""

    def __init__(self, rasa_url: str, failures: Failures) -> None:
        self.url = f"{rasa_url}/socket.io/"
        self.http = requests.Session()
        # One address for the whole flood: past its limit, messages are refused
        # at once instead of each waiting for the assistant.
        self.http.headers[ADDRESS_HEADER] = "10.250.250.250"
        self.failures = failures
        self.sid = ""

    def open(self) -> None:
        answer = self.http.get(self.url, params={"EIO": "4", "transport": "polling"}, timeout=30)
        assert answer.status_code == 200, answer.text
        self.sid = json.loads(answer.text[1:])["sid"]
        self.http.post(self.url, params=self._params(), data=b"40", timeout=30)
        self.http.get(self.url, params=self._params(), timeout=30)  # the namespace's "40{...}"

    def _params(self):
        return {"EIO": "4", "transport": "polling", "sid": self.sid}

    def send(self, packet: bytes) -> None:
        if not self.sid:
            self.open()
        answer = self.failures.check(f"socket.io {short(packet)}", lambda: self.http.post(
            self.url, params=self._params(), data=packet, timeout=60))
        if answer is None or answer.status_code != 200:
            self.sid = ""  # refused packets close the session


def socket_packet(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.6:
        event = rng.choice(["user_uttered", "user_uttered", "session_request", fuzz.text(rng, 20)])
        payload = rng.choice([
            {"message": fuzz.text(rng), "session_id": fuzz.value(rng)},
            {"session_id": uuid.uuid4().hex, "token": fuzz.value(rng)},
            fuzz.value(rng),
        ])
        return b"42" + fuzz.encoded(rng, [event, payload])
    if kind < 0.75:
        return str(rng.randint(0, 9)).encode() + fuzz.encoded(rng, fuzz.value(rng))
    if kind < 0.97:
        return fuzz.garbage(rng)
    return b'42["user_uttered",{"message":"' + b"x" * SOCKET_MAX_BYTES + b'"}]'


def fuzz_socket(rng: random.Random, rasa_url: str, failures: Failures) -> None:
    socket = RawSocket(rasa_url, failures)
    for _ in range(SOCKET_REQUESTS):
        socket.send(socket_packet(rng))


def staff_session(stack: Stack) -> requests.Session:
    """An admin (the role that reaches every route), logged in, with the session's
    CSRF token on every request."""
    username, password = add_staff_account(stack.database_url, f"Fuzz {uuid.uuid4().hex[:8]}",
                                           "admin")
    session = requests.Session()
    form = session.get(f"{stack.web_url}/staff/login", timeout=60).text
    home = session.post(f"{stack.web_url}/staff/login", timeout=60, data={
        "username": username, "password": password, "csrf": csrf_field(form)})
    assert home.url.endswith("/staff/"), home.url
    session.headers["X-CSRF-Token"] = csrf_field(home.text)
    return session


def csrf_field(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def path_value(rng: random.Random, convertor: Optional[str]) -> str:
    if convertor == "int" and rng.random() < 0.7:
        return str(rng.choice([0, 1, 2, -1, 2 ** 63, 10 ** 40, rng.randint(0, 10 ** 6)]))
    return quoted(fuzz.text(rng, 80))


def web_request(rng: random.Random, staff: requests.Session) -> Tuple[str, str, bytes, str]:
    endpoint = rng.choice([e for e in endpoints(web_app) if "logout" not in e.path])
    path = PARAMETER.sub(lambda m: path_value(rng, m.group(2)), endpoint.path)
    query = urlencode({rng.choice(FORM_FIELDS): fuzz.text(rng, 40).encode("utf-8", "surrogatepass")
                       for _ in range(rng.randint(0, 3))})
    method = endpoint.method if rng.random() < 0.9 else rng.choice(["GET", "POST", "PUT", "DELETE"])
    if rng.random() < 0.35:  # a form with the right CSRF token: reaches the handlers
        fields = {name: fuzz.text(rng, 60).encode("utf-8", "surrogatepass")
                  for name in rng.sample(FORM_FIELDS, rng.randint(0, 5))}
        fields["csrf"] = staff.headers["X-CSRF-Token"]
        return method, f"{path}?{query}", urlencode(fields).encode(), \
            "application/x-www-form-urlencoded"
    data, content_type = fuzz.body(
        rng, {name: fuzz.text(rng, 60) for name in rng.sample(FORM_FIELDS, 3)},
        WEB_MAX_REQUEST_BYTES)
    return method, f"{path}?{query}", data, content_type


def fuzz_web_app(rng: random.Random, stack: Stack, failures: Failures) -> None:
    staff, visitor = staff_session(stack), requests.Session()
    for _ in range(WEB_REQUESTS):
        method, path, data, content_type = web_request(rng, staff)
        session = staff if rng.random() < 0.7 else visitor
        failures.check(f"web app {method} {path[:150]} {short(data)} {content_type!r}",
                       lambda: session.request(method, f"{stack.web_url}{path}", data=data,
                                               headers={"Content-Type": content_type},
                                               allow_redirects=False, timeout=60))


@pytest.fixture
def stored_before(rasa_server):
    """A REST conversation and a chat widget conversation, stored before the flood."""
    sender = f"fuzz-keeper-{uuid.uuid4().hex}"
    rasa_server.send(sender, "how long does a session take?")
    patient = PatientSocket(rasa_server.rasa_url)
    patient.say("does it hurt?")
    patient.next_message()
    patient.close()
    return {conversation: finished_turn(rasa_server, conversation)
            for conversation in (sender, patient.session_id)}, patient


def finished_turn(stack: Stack, conversation: str, timeout: float = 60) -> list:
    """The conversation's events once the assistant listens again (its answer
    reaches the socket before the turn is saved)."""
    deadline = time.monotonic() + timeout
    while True:
        events = stack.stored_events(conversation)
        if (events and events[-1].get("name") == "action_listen") or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


def test_malformed_requests_get_no_5xx_and_break_nothing(
        rasa_server, limited_rasa_server, stored_before, capsys):
    stored, patient = stored_before
    assert all(stored.values())  # both conversations have a finished turn to keep
    rng = random.Random(SEED)
    failures = Failures()
    with capsys.disabled():
        print(f"\nfuzz seed: {SEED} (FUZZ_SEED={SEED} replays this run)")
    started = time.monotonic()

    fuzz_rest(rng, limited_rasa_server, failures)
    fuzz_socket(rng, limited_rasa_server, failures)
    fuzz_web_app(rng, rasa_server, failures)

    with capsys.disabled():
        print(f"{failures.sent} requests in {time.monotonic() - started:.0f} s")
    assert failures.sent == 2000
    assert failures.found == [], f"seed {SEED}:\n" + "\n".join(failures.found[:30])
    # Every server is up and answers as before; what was stored is unchanged.
    assert all(process.poll() is None for process in rasa_server.processes.values())
    for url in (rasa_server.rasa_url, limited_rasa_server):
        assert requests.get(url, timeout=10).status_code == 200
    assert {conversation: rasa_server.stored_events(conversation)
            for conversation in stored} == stored
    resumed = PatientSocket(rasa_server.rasa_url, session_id=patient.session_id,
                            token=patient.token)
    resumed.close()
    assert [m["text"] for m in resumed.history if m["sender"] == "patient"] == ["does it hurt?"]
    answer = rasa_server.send(f"patient-{uuid.uuid4().hex}", "how long does a session take?")
    assert "15 to 30 minutes" in answer[0]["text"]


def test_what_the_fuzzing_found_is_not_found_instead_of_a_500(rasa_server):
    # Ids past a database integer's range, and names no file system can hold.
    for path in (f"/handoffs/{10 ** 20}/claim", f"/callbacks/{2 ** 63}/done"):
        assert rasa_server.staff("POST", path)[0] == 404
    for name in ("a%00b", "a" * 5000):
        assert requests.get(f"{rasa_server.web_url}/static/{name}", timeout=60).status_code == 404
