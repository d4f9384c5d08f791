"""Contract test: the running action server answers Rasa's /webhook request format,
sent as Rasa sends it (with the action server's token, Stack.post_webhook)."""
from rasa.shared.core.domain import Domain

from clinic.settings import PROJECT_ROOT


def webhook_request(action: str, intent: str, slots=None):
    return {
        "next_action": action,
        "sender_id": "contract-test",
        "version": "3.6.21",
        "domain": Domain.load(PROJECT_ROOT / "domain").as_dict(),
        "tracker": {
            "sender_id": "contract-test",
            "slots": slots or {"disclaimer_shown": False},
            "latest_message": {"intent": {"name": intent, "confidence": 0.97},
                               "entities": [], "text": "how long does it take"},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def test_answer_action_returns_the_quoted_section_over_http(action_server):
    reply = action_server.post_webhook(webhook_request("action_answer_from_document", "ask_duration"))

    assert reply["events"] == [
        {"event": "slot", "timestamp": None, "name": "last_topic", "value": "ask_duration"}
    ]
    [response] = reply["responses"]
    assert "15 to 30 minutes" in response["text"]
    assert response["metadata"]["sections"] == ["How Long Does It Take", "Procedure Description"]


def test_greeting_action_sets_the_notice_slot_over_http(action_server):
    reply = action_server.post_webhook(webhook_request("action_greet_patient", "greet"))

    assert [r["response"] for r in reply["responses"]] == ["utter_greet_with_disclaimer"]
    assert reply["events"] == [
        {"event": "slot", "timestamp": None, "name": "disclaimer_shown", "value": True}
    ]
