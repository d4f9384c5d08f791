"""End to end: a patient talks to the real Rasa server and action server over REST,
and the conversation is stored in the SQLite tracker store."""
import json
import uuid

import pytest
import requests

from clinic.local_servers import http


def new_patient() -> str:
    return f"patient-{uuid.uuid4().hex}"


def texts(replies):
    return "\n".join(reply.get("text", "") for reply in replies)


@pytest.mark.parametrize(
    "question, key_fact, section",
    [
        ("What conditions can prolotherapy treat?", "osteoarthritis", "Conditions It Treats"),
        ("what happens during the procedure", "dextrose (sugar) solution", "Procedure Description"),
        ("how does prolotherapy actually work?", "natural healing process", "How Does It Help"),
        ("what are the benefits of prolotherapy", "Pain Relief", "Procedure Benefits"),
        ("How long does a session take?", "15 to 30 minutes", "How Long Does It Take"),
        ("what results can i expect", "improved function", "What Are the Expected Results"),
        ("What happens if it doesn't help me?", "Further Evaluation", "Doesn\u2019t Help"),
        ("is prolotherapy right for me?", "consult with a healthcare provider",
         "Is This Treatment Right for Me"),
    ],
)
def test_each_section_is_answered_with_its_source(rasa_server, question, key_fact, section):
    replies = rasa_server.send(new_patient(), question)

    answer = texts(replies)
    assert key_fact in answer
    assert "Source: the clinic's Prolotherapy page" in answer
    assert section in answer


def test_cost_is_not_covered_and_staff_are_offered(rasa_server):
    [not_covered, offer] = rasa_server.send(new_patient(), "how much does prolotherapy cost?")

    assert "treatment pages don't cover prices, insurance or payment" in not_covered["text"]
    assert offer["text"] == "Would you like to talk to a member of the clinic's staff?"
    assert [b["payload"] for b in offer["buttons"]] == ["/request_human", "/deny"]


def test_emergency_is_sent_to_emergency_services_even_mid_conversation(rasa_server):
    patient = new_patient()
    rasa_server.send(patient, "how long does it take")

    answer = texts(rasa_server.send(patient, "i have crushing chest pain and cant breathe"))

    assert "call 911 now" in answer


def test_the_notice_is_shown_on_the_first_greeting_only(rasa_server):
    patient = new_patient()

    first = texts(rasa_server.send(patient, "hello"))
    second = texts(rasa_server.send(patient, "hi again"))

    assert "can't give medical advice" in first
    assert "medical advice" not in second


BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t  ",
    "emoji": "\U0001F600\U0001F44D\U0001F9B5",
    "as long as allowed": ("my knee hurts " * 143)[:2000],  # PATIENT_MAX_MESSAGE_CHARS
    "html and script": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "another language": "Wie lange dauert die Behandlung und tut sie weh?",
}


@pytest.mark.parametrize("message", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gets_a_polite_reply_and_is_stored(rasa_server, message):
    patient = new_patient()

    replies = rasa_server.send(patient, message)

    assert replies, "the patient got no reply at all"
    assert all(reply.get("text") for reply in replies)
    assert "<script>" not in texts(replies)
    stored = [e for e in rasa_server.stored_events(patient) if e["event"] == "user"]
    assert [e["text"] for e in stored] == [message.strip()]


def test_a_message_over_the_length_limit_gets_a_polite_answer_and_is_not_stored(rasa_server):
    patient = new_patient()

    [answer] = rasa_server.send(patient, "my knee hurts " * 1430)  # 20,020 characters

    assert answer["text"].startswith("Sorry, your message is too long for me: "
                                     "please keep it under 2,000 characters.")
    assert "emergency number" in answer["text"]
    assert rasa_server.stored_events(patient) == []


@pytest.mark.parametrize("payload, reason", [
    (["hello"], "must be a JSON object"),
    ({"message": "hello"}, "'sender' must be a text"),
    ({"sender": "", "message": "hello"}, "'sender' must be a text"),
    ({"sender": "x" * 256, "message": "hello"}, "'sender' must be a text"),
    ({"sender": "p", "message": {"text": "hello"}}, "'message' must be a text"),
    ({"sender": "p", "message": "hello", "metadata": "{}"}, "'metadata' must be a JSON object"),
    # A database refuses these, and Rasa's SQL tracker store then stopped the server.
    ({"sender": "p\ud800", "message": "hello"}, "'sender' must be a text"),
    ({"sender": "p\x00", "message": "hello"}, "'sender' must be a text"),
    ({"sender": "p", "message": "hello \udfff"}, "'message' must be a text"),
])
def test_a_malformed_request_is_told_what_is_wrong(rasa_server, payload, reason):
    status, answer = http("POST", f"{rasa_server.rasa_url}/webhooks/rest/webhook", payload)

    assert status == 400
    assert reason in answer["error"]


def post_rest(rasa_url, body: bytes, headers):
    answer = requests.post(f"{rasa_url}/webhooks/rest/webhook", data=body, headers=headers,
                           timeout=120)
    return answer.status_code, answer.json()


@pytest.mark.parametrize("headers, status, reason", [
    # What a page on any website can make a browser on this machine send, without asking.
    ({"Content-Type": "text/plain"}, 415, "Content-Type: application/json"),
    ({"Content-Type": "text/plain", "Origin": "http://attacker.example"}, 403, "other websites"),
    ({}, 415, "Content-Type: application/json"),
    ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"),
    # A page may send JSON after a preflight, which CORS refuses; refused all the same.
    ({"Content-Type": "application/json", "Origin": "http://attacker.example"}, 403,
     "other websites"),
    ({"Content-Type": "application/json", "Origin": "null"}, 403, "other websites"),
])
def test_a_cross_site_post_is_refused_and_not_stored(rasa_server, headers, status, reason):
    """A web page's forged post through a browser on a trusted address (CSRF)."""
    patient = new_patient()
    body = json.dumps({"sender": patient, "message": "I need to cancel my appointment"})

    answered, answer = post_rest(rasa_server.rasa_url, body.encode(), headers)

    assert (answered, reason in answer["error"]) == (status, True), answer
    assert rasa_server.stored_events(patient) == []


def test_json_from_the_clinic_s_own_site_is_answered(rasa_server):
    patient = new_patient()
    site = rasa_server.env["RASA_CORS_ORIGINS"]
    body = json.dumps({"sender": patient, "message": "hello"}).encode()

    status, replies = post_rest(rasa_server.rasa_url, body, {
        "Content-Type": "application/json; charset=utf-8", "Origin": site})

    assert status == 200 and replies
    assert rasa_server.stored_events(patient)
