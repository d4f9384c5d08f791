"""The action server's attack paths (issue 23), replayed from outside against the
real action server and Rasa server (clinic/action_server.py): calls without the
token, a browser's cross-origin post, other addresses of this machine, a
crafted domain, conversation ids that leave their path, a deflate bomb and an
oversized body."""
import asyncio
import json
import os
import socket
import subprocess
import urllib.error
import urllib.request
import uuid
import zlib
from typing import Any, Dict, List, Optional, Tuple

import pytest
from sqlalchemy import create_engine, text

from clinic import settings
from clinic.database import Database
from clinic.handoff_store import HandoffStore
from clinic.local_servers import PROJECT_ROOT, VENV_BIN, Stack
from clinic.rasa_api import RasaApi, conversation_path
from clinic.staff import Staff
from tests.test_handoff_e2e import stored_bot_message
from tests.test_patient_rest import texts

ATTACKER_TEXT = "Please send your card number to attacker@example.com"
CRAFTED_DOMAIN = {"responses": {
    "utter_staff_request_cancelled": [{"text": ATTACKER_TEXT}],
    "utter_emergency": [{"text": ATTACKER_TEXT}],
}}


def action_call(action: str, sender: str, intent: str = "request_human",
                slots: Optional[Dict[str, Any]] = None, paused: bool = False,
                domain: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A call as an attacker makes it up: tracker and domain invented."""
    return {
        "next_action": action, "sender_id": sender, "version": "3.6.21",
        "domain": domain or {"responses": {}},
        "tracker": {
            "sender_id": sender, "slots": slots or {},
            "latest_message": {"intent": {"name": intent, "confidence": 1.0},
                               "entities": [], "text": "x"},
            "events": [{"event": "user", "text": "I lost everything, call me now",
                        "parse_data": {"intent": {"name": "report_emergency"}}}],
            "paused": paused, "followup_action": None, "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def post(url: str, body: bytes, headers: Dict[str, str],
         method: str = "POST") -> Tuple[int, Dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def webhook(stack: Stack, payload: Any, token: Optional[str] = None,
            headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return post(f"{stack.action_server_url}/webhook", body, sent)


def store(stack: Stack) -> HandoffStore:
    return HandoffStore(Database(stack.database_url))


def stored_for(stack: Stack, sender: str) -> List[dict]:
    """Every handoff and callback request of the conversation."""
    found = store(stack)
    return ([r for r in found.active_requests() if r["conversation_id"] == sender]
            + [c for c in found.callbacks() if c["conversation_id"] == sender])


CALLBACK_SLOTS = {"callback_name": '<img src=x onerror="alert(document.cookie)">',
                  "callback_contact": "not a phone", "callback_time": "now",
                  "callback_consent": True}
ATTACKS = {
    "callback with a script as its name": dict(action="action_save_callback_request",
                                               slots=CALLBACK_SLOTS),
    "urgent handoff with an invented summary": dict(action="action_flag_emergency_for_staff",
                                                    intent="report_emergency"),
    "handoff request": dict(action="action_hand_over_to_staff"),
}


def wrong_tokens(stack: Stack) -> Dict[str, Optional[str]]:
    return {"none": None, "wrong": stack.action_server_token[:-1] + "x", "empty": "",
            "longer": stack.action_server_token + "x"}


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("token", ["none", "wrong", "empty", "longer"])
def test_a_call_without_the_right_token_is_refused_and_stores_nothing(action_server, attack,
                                                                     token):
    sender = f"attacker-{uuid.uuid4().hex}"
    call = dict(ATTACKS[attack])
    status, headers, _ = webhook(action_server, action_call(call.pop("action"), sender, **call),
                                 wrong_tokens(action_server)[token])

    assert status == 401
    assert headers.get("WWW-Authenticate") == "Bearer"
    assert stored_for(action_server, sender) == []


def test_a_request_staff_claimed_cannot_be_cancelled_from_outside(action_server):
    sender = f"patient-{uuid.uuid4().hex}"
    handoffs = store(action_server)
    handoffs.request_handoff(sender, "patient asked for a person", urgent=False, summary={})
    [request] = [r for r in handoffs.active_requests() if r["conversation_id"] == sender]
    handoffs.claim(request["id"], Staff(1, "jane", "Nurse Jane", "staff"))

    for token in wrong_tokens(action_server).values():
        status, _, _ = webhook(action_server, action_call(
            "action_watch_paused_conversation", sender, "cancel_staff_request", paused=True),
            token)
        assert status == 401
    assert handoffs.get(request["id"])["status"] == "claimed"


def test_a_web_page_s_cross_origin_post_is_refused(action_server):
    """What any page open in a browser on the clinic's network can send: a
    "simple" request (text/plain, no custom header) with the attack in its body."""
    sender = f"attacker-{uuid.uuid4().hex}"
    body = json.dumps(action_call("action_save_callback_request", sender,
                                  slots=CALLBACK_SLOTS)).encode()
    status, headers, _ = post(f"{action_server.action_server_url}/webhook", body,
                              {"Content-Type": "text/plain", "Origin": "http://attacker.example"})

    assert status == 401
    assert "Access-Control-Allow-Origin" not in headers
    assert stored_for(action_server, sender) == []
    # Nor may a page ask to send the token header (the CORS preflight).
    _, headers, _ = post(f"{action_server.action_server_url}/webhook", b"", {
        "Origin": "http://attacker.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"}, method="OPTIONS")
    assert "Access-Control-Allow-Origin" not in headers


def this_machine_s_other_addresses() -> List[str]:
    """Another loopback address, and this machine's own network addresses."""
    found = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return ["127.0.0.2", *[a for a in found if not a.startswith(("127.", "fe80", "::1"))]]


def test_the_action_server_listens_on_the_loopback_only(action_server):
    port = int(action_server.action_server_url.rsplit(":", 1)[1])
    for address in this_machine_s_other_addresses():
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=5).close()
    socket.create_connection(("127.0.0.1", port), timeout=5).close()


@pytest.mark.parametrize("intent, own_text", [
    ("cancel_staff_request", "I've cancelled your request for staff"),
    ("report_emergency", "call 911 now"),
])
def test_a_crafted_domain_does_not_change_what_the_paused_patient_sees(rasa_server, intent,
                                                                      own_text):
    """Even a call with the token (as Rasa's) can't choose the texts the action
    server pushes into a paused chat: they are the server's own responses."""
    patient = f"patient-{uuid.uuid4().hex}"
    assert "will join this chat" in texts(rasa_server.send(patient, "can someone from the clinic call me"))

    status, _, _ = webhook(rasa_server, action_call(
        "action_watch_paused_conversation", patient, intent, paused=True, domain=CRAFTED_DOMAIN),
        rasa_server.action_server_token)

    assert status == 200
    stored_bot_message(rasa_server, patient, own_text, timeout=60)
    assert ATTACKER_TEXT not in json.dumps(rasa_server.stored_events(patient))


def senders_of(stack: Stack, marker: str) -> List[str]:
    engine = create_engine(stack.database_url, future=True)
    try:
        with engine.connect() as connection:
            return [sender for (sender,) in connection.execute(text(
                "SELECT sender_id FROM events WHERE data LIKE :marker"), {"marker": f"%{marker}%"})]
    finally:
        engine.dispose()


@pytest.mark.parametrize("conversation_id, rasa_receives", [
    ("../../status?x=", "..%2F..%2Fstatus%3Fx="),
    ("..", "%2E%2E"),
    ("a#b/../c", "a%23b%2F..%2Fc"),
    ("patient@example.org", "patient@example.org"),  # an id as the REST channel may take it
])
def test_a_conversation_id_stays_inside_its_conversation_s_path(rasa_server, conversation_id,
                                                                rasa_receives):
    """The Rasa API calls that carry the API token (staff replies, the paused
    watch) reach /conversations/<id>/ and nothing else, whatever the id holds."""
    marker = uuid.uuid4().hex
    api = RasaApi(rasa_server.rasa_url, rasa_server.api_token)

    asyncio.run(api.append_events(conversation_id, [{"event": "bot", "text": marker}]))

    assert senders_of(rasa_server, marker) == [rasa_receives]


def test_every_conversation_route_keeps_the_id_in_one_segment():
    for route in ("tracker/events", "trigger_intent"):
        assert conversation_path("../x?y#z", route) == f"/conversations/..%2Fx%3Fy%23z/{route}"
        assert conversation_path(".", route) == f"/conversations/%2E/{route}"


def peak_memory_kb(pid: int) -> int:
    status = open(f"/proc/{pid}/status").read()
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("VmHWM:")))


def deflate_bomb(inflated_mb: int) -> bytes:
    """A zlib stream a few hundred bytes per inflated megabyte."""
    compressor, chunk, parts = zlib.compressobj(9), b"0" * 1_000_000, []
    for _ in range(inflated_mb):
        parts.append(compressor.compress(chunk))
    return b"".join(parts) + compressor.flush()


@pytest.mark.parametrize("encoding", ["deflate", "gzip", "br"])
def test_a_compressed_body_is_refused_without_inflating_it(action_server, encoding):
    pid = action_server.processes["action server"].pid
    before = peak_memory_kb(pid)
    bomb = deflate_bomb(500)

    status, _, _ = webhook(action_server, bomb, action_server.action_server_token,
                           {"Content-Encoding": encoding})

    assert status == 415
    assert len(bomb) < settings.action_server_max_request_bytes()
    # rasa_sdk inflated deflate only: there, the 500 MB it would inflate to.
    assert peak_memory_kb(pid) - before < 50_000


def status_of_announced_body(stack: Stack, size: int, headers: Dict[str, str]) -> int:
    """The answer to a request that announces a body of `size` bytes, before any is sent."""
    port = int(stack.action_server_url.rsplit(":", 1)[1])
    lines = ["POST /webhook HTTP/1.1", f"Host: 127.0.0.1:{port}",
             "Content-Type: application/json", f"Content-Length: {size}",
             *[f"{name}: {value}" for name, value in headers.items()]]
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return int(connection.makefile("rb").readline().split()[1])


def test_an_oversized_body_is_refused(action_server):
    limit = settings.action_server_max_request_bytes()
    token = {"Authorization": f"Bearer {action_server.action_server_token}"}
    assert status_of_announced_body(action_server, limit + 1, token) == 413
    # Without the token Sanic's error goes through the token check first: 401.
    assert status_of_announced_body(action_server, limit + 1, {}) == 401


def test_the_action_server_refuses_to_start_without_a_token():
    env = {key: value for key, value in os.environ.items() if key != "ACTION_SERVER_TOKEN"}
    for token in (None, "too-short"):
        result = subprocess.run(
            [str(VENV_BIN / "python"), "-m", "clinic.action_server", "--port", "1"],
            cwd=PROJECT_ROOT, env=env if token is None else {**env, "ACTION_SERVER_TOKEN": token},
            capture_output=True, text=True, timeout=300)
        assert result.returncode == 2
        assert "ACTION_SERVER_TOKEN must be set" in result.stderr


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "endpoints.production.yml"])
def test_rasa_sends_the_token_and_won_t_start_without_it(endpoints, monkeypatch):
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.exceptions import RasaException
    for name, value in {"ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
                        "DATABASE_URL": "sqlite://", "REDIS_URL": "redis://127.0.0.1:6379/1",
                        "ACTION_SERVER_TOKEN": "a-token-of-at-least-thirty-two-characters"}.items():
        monkeypatch.setenv(name, value)
    action = AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / endpoints)).action
    assert action.headers == {"Authorization": "Bearer a-token-of-at-least-thirty-two-characters"}
    assert "token" not in action.params  # not in the URL, where logs would keep it

    monkeypatch.delenv("ACTION_SERVER_TOKEN")
    with pytest.raises(RasaException, match="ACTION_SERVER_TOKEN"):
        AvailableEndpoints.read_endpoints(str(PROJECT_ROOT / endpoints))


def test_every_launcher_starts_our_action_server():
    """Not `rasa run actions`, which listens on every address with no token."""
    for launcher in ("Procfile", "Makefile", "scripts/test-conversations"):
        source = (PROJECT_ROOT / launcher).read_text()
        assert "run actions" not in source
        assert "-m clinic.action_server" in source
