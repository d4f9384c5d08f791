"""Handoff and callback actions, offline, with a temporary clinic database."""
import asyncio
import shutil
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import clinic_database, handoff
from actions.callback import ActionSaveCallbackRequest, ValidateCallbackForm, normalised_contact
from actions.handoff import (
    ActionFlagEmergencyForStaff, ActionHandOverToStaff, ActionWatchPausedConversation,
)
from clinic.settings import PROJECT_ROOT
from clinic.staff import Staff
from clinic.local_servers import ALWAYS_CLOSED, ALWAYS_OPEN
from tests.rasa_events import answer, clarified, click, offer, patient

DOMAIN = Domain.load(PROJECT_ROOT / "domain").as_dict()


@pytest.fixture(autouse=True)
def clinic(tmp_path, monkeypatch):
    settings_file = tmp_path / "clinic.yml"
    shutil.copy(PROJECT_ROOT / "settings" / "clinic.yml", settings_file)
    monkeypatch.setenv("CLINIC_SETTINGS_FILE", str(settings_file))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    clinic_database.handoff_store.cache_clear()
    yield settings_file
    clinic_database.handoff_store.cache_clear()


def set_hours(settings_file, weekly) -> None:
    data = yaml.safe_load(settings_file.read_text())
    data["opening_hours"]["weekly"] = weekly
    settings_file.write_text(yaml.safe_dump(data))


def user(text: str, intent: str) -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def tracker(intent: str, events: Optional[List[dict]] = None, paused: bool = False,
            slots: Optional[Dict[str, Any]] = None) -> Tracker:
    return Tracker("patient-1", slots or {}, {"intent": {"name": intent}, "text": ""},
                   events or [], paused, None, {}, "action_listen")


def run(action, tracker_: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, DOMAIN))
    return dispatcher.messages, events


HISTORY = [user("how long does it take", "ask_duration"), user("how much is it", "ask_cost"),
           user("yes please, a person", "request_human")]


def test_during_opening_hours_the_patient_joins_the_queue_and_the_bot_pauses(clinic):
    set_hours(clinic, ALWAYS_OPEN)

    messages, events = run(ActionHandOverToStaff(), tracker("request_human", HISTORY))

    assert events == [SlotSet("staff_available", True), ConversationPaused()]
    [message] = messages
    assert message["response"] == "utter_staff_will_join"
    assert (message["patients_ahead"], message["wait_minutes"]) == (0, 5)
    [request] = clinic_database.handoff_store().active_requests()
    assert request["reason"] == "question about cost (not on the page)"
    assert request["summary"] == {
        "last_messages": ["how long does it take", "how much is it", "yes please, a person"],
        "topics": ["ask_duration", "ask_cost"],
    }


def hand_over(clinic, *events) -> List[str]:
    """The last messages staff read in the queue after these Rasa events."""
    set_hours(clinic, ALWAYS_OPEN)
    run(ActionHandOverToStaff(), tracker("request_human", [e.as_dict() for e in events]))
    [request] = clinic_database.handoff_store().active_requests()
    return request["summary"]["last_messages"]


def test_staff_read_a_clicked_button_s_title_and_a_clarified_message_once(clinic):
    chosen = click("/ask_duration")

    last_messages = hand_over(
        clinic, patient("how lnog is it", "nlu_fallback", 0.4),
        offer("utter_offer_likely_topics", "Did you mean one of these?",
              [("How long it takes", "/ask_duration"), ("Something else", "/out_of_scope")]),
        chosen, *clarified(chosen),  # Rasa's two-stage fallback stores the click again
        answer("About 15 to 30 minutes.", ["How Long Does It Take"]),
        offer("utter_default", "Would you like to talk to a member of the clinic's staff?",
              [("Yes, talk to staff", "/request_human"), ("No, thanks", "/deny")]),
        click("/request_human"))

    assert last_messages == ["how lnog is it", "How long it takes", "Yes, talk to staff"]


def test_staff_read_the_widget_s_talk_to_staff_button_as_the_patient_saw_it(clinic):
    last_messages = hand_over(
        clinic, patient("/deny", "deny", 1.0),  # typed: no button offered it
        patient("does it hurt", "ask_side_effects"), answer("A little.", ["Side Effects"]),
        click("/request_human"))

    assert last_messages == ["/deny", "does it hurt", "I'd like to talk to a person"]


def test_outside_opening_hours_a_callback_is_offered_instead(clinic, monkeypatch):
    set_hours(clinic, ALWAYS_CLOSED | {"monday": "09:00-17:00"})
    # Its own clock: a Sunday noon in New York (the clinic's time zone), whatever today is.
    monkeypatch.setattr(handoff, "utc_now", lambda: datetime(2026, 12, 6, 17, 0, tzinfo=timezone.utc))

    messages, events = run(ActionHandOverToStaff(), tracker("request_human", HISTORY))

    assert events == [SlotSet("staff_available", False)]
    assert [m["response"] for m in messages] == ["utter_clinic_closed_until", "utter_offer_callback"]
    assert messages[0]["next_opening"] == "tomorrow at 9:00 AM (New York time)"
    assert clinic_database.handoff_store().active_requests() == []


def test_an_emergency_while_waiting_gets_the_guidance_and_makes_the_request_urgent(
        clinic, monkeypatch):
    sent = []

    class RecordingRasaApi:
        async def append_events(self, conversation_id, events):
            sent.append((conversation_id, events))

    monkeypatch.setattr(handoff.RasaApi, "from_settings", RecordingRasaApi)
    set_hours(clinic, ALWAYS_OPEN)
    clinic_database.handoff_store().request_handoff("patient-1", "patient asked", False, {})

    async def watch():
        result = await ActionWatchPausedConversation().run(
            CollectingDispatcher(), tracker("report_emergency", HISTORY, paused=True), DOMAIN)
        await asyncio.gather(*handoff._pending_tasks)
        return result

    assert asyncio.run(watch()) == []
    [(conversation_id, [guidance, alerted])] = sent
    assert conversation_id == "patient-1"
    assert "call 911 now" in guidance["text"]
    assert guidance["metadata"] == {"from": "assistant", "utter_action": "utter_emergency",
                                    "emergency_number": "911"}
    assert alerted["metadata"]["utter_action"] == "utter_emergency_staff_alerted"
    assert clinic_database.handoff_store().active_requests()[0]["urgent"] is True


def watch_while_paused(intent: str, monkeypatch) -> List[tuple]:
    """What the watch passes into the patient's chat through Rasa's API."""
    sent = []

    class RecordingRasaApi:
        async def append_events(self, conversation_id, events):
            sent.append((conversation_id, events))

    monkeypatch.setattr(handoff.RasaApi, "from_settings", RecordingRasaApi)

    async def watch():
        await ActionWatchPausedConversation().run(
            CollectingDispatcher(), tracker(intent, HISTORY, paused=True), DOMAIN)
        await asyncio.gather(*handoff._pending_tasks)

    asyncio.run(watch())
    return sent


def test_asking_for_staff_again_while_waiting_keeps_one_request_and_tells_its_place(
        clinic, monkeypatch):
    store = clinic_database.handoff_store()
    store.request_handoff("someone-else", "patient asked", False, {})
    store.request_handoff("patient-1", "patient asked", False, {})

    [(conversation_id, [event])] = watch_while_paused("request_human", monkeypatch)

    assert conversation_id == "patient-1"
    assert "already in the queue" in event["text"]
    assert "Patients ahead of you: 1; the wait is about 10 minutes" in event["text"]
    assert event["metadata"]["handoff"] == "waiting"
    assert event["data"]["buttons"] == [
        {"title": "Never mind, back to the assistant", "payload": "/cancel_staff_request"}]
    assert [r["conversation_id"] for r in store.active_requests()] == ["someone-else", "patient-1"]


def test_asking_for_staff_once_staff_have_joined_is_left_to_them(clinic, monkeypatch):
    store = clinic_database.handoff_store()
    request = store.request_handoff("patient-1", "patient asked", False, {}).request
    store.claim(request["id"], Staff(1, "jane", "Nurse Jane", "staff"))

    assert watch_while_paused("request_human", monkeypatch) == []


def test_other_messages_while_waiting_get_no_reply(clinic):
    messages, events = run(ActionWatchPausedConversation(),
                           tracker("ask_duration", HISTORY, paused=True))

    assert (messages, events) == ([], [])


def test_the_watch_does_nothing_when_the_conversation_is_not_paused(clinic):
    messages, _ = run(ActionWatchPausedConversation(), tracker("report_emergency", HISTORY))

    assert messages == []


def test_an_emergency_is_flagged_urgent_for_staff(clinic):
    run(ActionFlagEmergencyForStaff(), tracker("report_emergency", HISTORY))

    [request] = clinic_database.handoff_store().active_requests()
    assert (request["urgent"], request["reason"]) == (True, "emergency reported")


@pytest.mark.parametrize("typed, stored", [
    ("+1 (555) 010-0123", "+15550100123"),
    ("07700 900123", "07700900123"),
    ("Ann.Smith@Example.org", "ann.smith@example.org"),
    ("call me", None),
    ("12345", None),
    ("ann@", None),
    ("+1 555 0100 ext 12 and 555 0101 99999", None),
])
def test_phone_numbers_and_emails_are_recognised(typed, stored):
    assert normalised_contact(typed) == stored


def validate(slot: str, value: str):
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateCallbackForm(), f"validate_{slot}")(
        value, dispatcher, tracker("out_of_scope"), DOMAIN)
    return result, [m["response"] for m in dispatcher.messages]


def test_an_invalid_contact_is_asked_again_with_a_clear_message():
    assert validate("callback_contact", "my number is secret") == (
        {"callback_contact": None}, ["utter_invalid_callback_contact"])
    assert validate("callback_contact", "555 0100 123") == ({"callback_contact": "5550100123"}, [])


def test_names_and_times_are_tidied_and_checked():
    assert validate("callback_name", "  Ann   Smith ") == ({"callback_name": "Ann Smith"}, [])
    assert validate("callback_name", "12345")[1] == ["utter_invalid_callback_name"]
    assert validate("callback_time", "x" * 201)[1] == ["utter_invalid_callback_time"]


FILLED = {"callback_name": "Ann Smith", "callback_contact": "+15550100",
          "callback_time": "weekday mornings"}


def test_a_consented_callback_is_stored_confirmed_and_cleared_from_the_slots():
    messages, events = run(ActionSaveCallbackRequest(),
                           tracker("affirm", slots={**FILLED, "callback_consent": True}))

    [callback] = clinic_database.handoff_store().callbacks()
    assert (callback["name"], callback["contact"], callback["best_time"]) == (
        "Ann Smith", "+15550100", "weekday mornings")
    assert messages[0]["response"] == "utter_callback_saved"
    assert messages[0]["contact"] == "+15550100"
    assert SlotSet("callback_contact", None) in events


def test_without_consent_nothing_is_stored():
    messages, _ = run(ActionSaveCallbackRequest(),
                      tracker("deny", slots={**FILLED, "callback_consent": False}))

    assert clinic_database.handoff_store().callbacks() == []
    assert messages[0]["response"] == "utter_callback_not_saved_without_consent"
