"""The emergency guidance, offline: the emergency number in settings/clinic.yml
and its validation (clinic/settings.py, `make validate`), the one mechanism
that fills it in and marks the guidance for the chat widget (clinic/emergency.py,
clinic/response_generator.py, clinic/patient_channel.py), what the patient is told the
clinic will do (actions/handoff.py), and urgent requests never offered a
callback (clinic/handoff_store.py, webapp/claim_timeouts.py).
tests/test_emergency_e2e.py and tests/test_emergency_browser.py run the same
against the real servers."""
import asyncio
import logging
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import clinic_database, handoff
from actions.handoff import ActionFlagEmergencyForStaff
from clinic import content_check, emergency, settings
from clinic.database import Database, utc_now
from clinic.handoff_store import HandoffStore
from clinic.local_servers import ALWAYS_CLOSED, ALWAYS_OPEN
from clinic.patient_channel import history, widget_message
from clinic.response_generator import ClinicResponses
from clinic.staff import Staff
from webapp.claim_timeouts import offer_callbacks_for_unclaimed

GENERIC = "your local emergency number"
DOMAIN = Domain.load(settings.PROJECT_ROOT / "domain")


class SettingsFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def edit(self, change) -> None:
        data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        change(data)
        self.path.write_text(yaml.safe_dump(data), encoding="utf-8")


@pytest.fixture
def clinic_settings(tmp_path, monkeypatch) -> SettingsFile:
    """A copy of settings/clinic.yml that the code under test reads."""
    path = tmp_path / "clinic.yml"
    shutil.copy(settings.PROJECT_ROOT / "settings" / "clinic.yml", path)
    monkeypatch.setenv("CLINIC_SETTINGS_FILE", str(path))
    return SettingsFile(path)


def set_number(clinic_settings, value) -> None:
    def change(data):
        if value is ...:
            data.pop("emergency_number", None)
        else:
            data["emergency_number"] = value
    clinic_settings.edit(change)


# settings/clinic.yml: emergency_number -------------------------------------------

def test_the_clinic_s_settings_name_an_emergency_number():
    assert settings.emergency_number() == "911"


@pytest.mark.parametrize("value, number", [
    ("911", "911"), ("112", "112"), ("000", "000"), (" 999 ", "999"), ("+44 999", "+44 999"),
    ("1-1-2", "1-1-2"),
])
def test_a_number_to_dial_is_read(clinic_settings, value, number):
    set_number(clinic_settings, value)
    assert settings.emergency_number() == number


@pytest.mark.parametrize("value", [..., None, "", "   "])
def test_no_emergency_number_is_none(clinic_settings, value):
    set_number(clinic_settings, value)
    assert settings.emergency_number() is None


@pytest.mark.parametrize("value, why", [
    ("call 911", "the number to dial"),
    ("9", "the number to dial"),
    ("911!", "the number to dial"),
    ("javascript:alert(1)", "the number to dial"),
    ("1234567890123456", "the number to dial"),
    ("+", "the number to dial"),
    (911, "must be in quotes"),
    (0, "must be in quotes"),  # emergency_number: 000, unquoted
    (True, "must be in quotes"),
    (["911"], "must be in quotes"),
])
def test_a_number_that_can_t_be_dialled_is_a_clear_error(clinic_settings, value, why):
    set_number(clinic_settings, value)
    with pytest.raises(ValueError) as error:
        settings.emergency_number()
    message = str(error.value)
    assert str(clinic_settings.path) in message and why in message
    assert 'e.g. "911"' in message or "e.g. emergency_number: \"911\"" in message


def test_unquoted_000_is_refused_as_yaml_reads_it(clinic_settings):
    clinic_settings.path.write_text(clinic_settings.path.read_text(encoding="utf-8").replace(
        'emergency_number: "911"', "emergency_number: 000"), encoding="utf-8")
    with pytest.raises(ValueError, match="must be in quotes"):
        settings.emergency_number()


def content_check_output(monkeypatch, capsys) -> tuple:
    monkeypatch.chdir(settings.PROJECT_ROOT)
    code = content_check.main()
    return code, capsys.readouterr().out


def test_make_validate_warns_when_the_emergency_number_is_missing(clinic_settings, monkeypatch,
                                                                  capsys):
    set_number(clinic_settings, ...)
    code, out = content_check_output(monkeypatch, capsys)

    assert code == 0
    assert ("WARN  " in out and "no emergency_number" in out
            and 'e.g. emergency_number: "911"' in out)


def test_make_validate_stops_on_a_bad_emergency_number(clinic_settings, monkeypatch, capsys):
    set_number(clinic_settings, "call 911")
    code, out = content_check_output(monkeypatch, capsys)

    assert code == 1
    assert "ERROR " in out and "emergency_number must be the number to dial" in out


def test_make_validate_is_quiet_about_a_good_emergency_number(clinic_settings, monkeypatch,
                                                              capsys):
    code, out = content_check_output(monkeypatch, capsys)
    assert "emergency_number" not in out


# One mechanism: the text and the metadata ------------------------------------------

def test_the_guidance_names_the_number_and_is_marked(clinic_settings):
    guidance = emergency.guidance("Please call {emergency_number} now.")
    assert guidance == {"text": "Please call 911 now.",
                        "metadata": {"utter_action": "utter_emergency", "emergency_number": "911"}}


def test_without_a_number_the_guidance_says_your_local_emergency_number(clinic_settings):
    set_number(clinic_settings, ...)
    assert emergency.guidance("Please call {emergency_number} now.") == {
        "text": f"Please call {GENERIC} now.", "metadata": {"utter_action": "utter_emergency"}}


def test_a_bad_number_never_stops_the_guidance(clinic_settings, caplog):
    set_number(clinic_settings, "call us")
    with caplog.at_level(logging.ERROR):
        guidance = emergency.guidance("Please call {emergency_number} now.")
    assert guidance["text"] == f"Please call {GENERIC} now."
    assert "emergency_number must be the number to dial" in caplog.text


def generated(utter_action: str, **kwargs) -> dict:
    tracker = DialogueStateTracker.from_events("patient-1", [])
    return asyncio.run(ClinicResponses(domain=DOMAIN).generate(
        utter_action, tracker, "socketio", **kwargs))


def test_rasa_s_responses_fill_in_the_number_and_mark_the_guidance(clinic_settings):
    message = generated("utter_emergency")
    assert message["text"].startswith("This may be an emergency. Please call 911 now,")
    assert "call 911 or a crisis line now" in message["text"]
    assert message["emergency_number"] == "911"

    set_number(clinic_settings, ...)  # read on each use
    message = generated("utter_emergency")
    assert message["text"].startswith(f"This may be an emergency. Please call {GENERIC} now,")
    assert "{" not in message["text"] and "emergency_number" not in message


def test_other_responses_are_rasa_s_own(clinic_settings):
    message = generated("utter_clinic_closed_until", next_opening="tomorrow at 9:00 AM")
    assert message["text"] == "The clinic is closed right now; staff are back tomorrow at 9:00 AM."
    assert "emergency_number" not in message


def test_the_widget_gets_which_response_a_message_is():
    # As Rasa's BotUttered.message() gives it to the channel: utter_action at the top.
    message = widget_message({"text": "This may be an emergency.", "utter_action": "utter_emergency",
                              "emergency_number": "911", "timestamp": 1.0})
    assert message["metadata"] == {"utter_action": "utter_emergency", "emergency_number": "911"}
    [stored] = history([BotUttered("This may be an emergency.", metadata={
        "utter_action": "utter_emergency", "emergency_number": "911"})])
    assert stored["metadata"] == message["metadata"]


# What the patient is told the clinic will do ----------------------------------------

SUNDAY_NOON = datetime(2026, 12, 6, 17, 0, tzinfo=timezone.utc)  # in New York


@pytest.fixture
def clinic_database_(clinic_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    clinic_database.handoff_store.cache_clear()
    yield clinic_database.handoff_store()
    clinic_database.handoff_store.cache_clear()


def flag(conversation_id: str = "patient-1") -> list:
    dispatcher = CollectingDispatcher()
    tracker = Tracker(conversation_id, {}, {"intent": {"name": "report_emergency"}, "text": ""},
                      [], False, None, {}, "action_listen")
    assert asyncio.run(ActionFlagEmergencyForStaff().run(dispatcher, tracker, {})) == []
    return dispatcher.messages


def test_outside_opening_hours_the_patient_is_told_nobody_reads_the_chat_until_staff_are_back(
        clinic_database_, clinic_settings, monkeypatch):
    clinic_settings.edit(lambda s: s["opening_hours"].update(
        weekly=ALWAYS_CLOSED | {"monday": "09:00-17:00"}))
    monkeypatch.setattr(handoff, "utc_now", lambda: SUNDAY_NOON)

    [told] = flag()

    assert told["response"] == "utter_emergency_clinic_closed_until"
    assert told["next_opening"] == "tomorrow at 9:00 AM (New York time)"
    [request] = clinic_database_.active_requests()
    assert (request["urgent"], request["status"]) == (True, "waiting")
    # Once: a second emergency message doesn't repeat it.
    assert flag() == []


def test_with_no_opening_ahead_the_patient_is_told_staff_see_it_when_back(
        clinic_database_, clinic_settings):
    clinic_settings.edit(lambda s: s["opening_hours"].update(weekly=ALWAYS_CLOSED))
    assert [m["response"] for m in flag()] == ["utter_emergency_clinic_closed"]


def test_during_opening_hours_the_patient_is_told_staff_are_alerted(clinic_database_,
                                                                    clinic_settings):
    clinic_settings.edit(lambda s: s["opening_hours"].update(weekly=ALWAYS_OPEN))
    assert [m["response"] for m in flag()] == ["utter_emergency_staff_alerted"]
    assert flag() == []


def test_a_patient_whose_nurse_is_in_the_chat_is_not_told_staff_are_alerted(clinic_database_,
                                                                            clinic_settings):
    clinic_settings.edit(lambda s: s["opening_hours"].update(weekly=ALWAYS_OPEN))
    request = clinic_database_.request_handoff("patient-1", "patient asked", False, {}).request
    clinic_database_.claim(request["id"], Staff(1, "jane", "Nurse Jane", "staff"))
    assert flag() == []
    assert clinic_database_.active_requests()[0]["urgent"] is True


def test_the_follow_ups_are_in_the_domain_and_plain():
    for name in ("utter_emergency_staff_alerted", "utter_emergency_clinic_closed",
                 "utter_emergency_clinic_closed_until"):
        [variant] = DOMAIN.responses[name]
        assert "don't wait" in variant["text"]
    assert "nobody is reading this chat" in DOMAIN.responses["utter_emergency_clinic_closed"][0]["text"]


# Urgent requests are never offered a callback -----------------------------------------

class RecordingRasa:
    def __init__(self):
        self.calls = []

    async def resume(self, conversation_id, *args):
        self.calls.append(("resume", conversation_id))

    async def trigger_intent(self, conversation_id, intent):
        self.calls.append((intent, conversation_id))


def test_the_claim_timeout_leaves_urgent_requests_in_the_queue(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'clinic.db'}")
    store = HandoffStore(database)
    try:
        store.request_handoff("waiting", "patient asked", False, {})
        store.mark_urgent("emergency", "emergency reported", {})
        store.request_handoff("became-urgent", "patient asked", False, {})
        store.mark_urgent("became-urgent", "emergency reported", {})
        rasa = RecordingRasa()

        offered = asyncio.run(offer_callbacks_for_unclaimed(store, rasa, timedelta(0)))

        assert offered == 1
        assert rasa.calls == [("resume", "waiting"), ("EXTERNAL_offer_callback", "waiting")]
        assert [(r["conversation_id"], r["urgent"], r["status"]) for r in store.active_requests()] \
            == [("emergency", True, "waiting"), ("became-urgent", True, "waiting")]
        assert store.unclaimed_since(utc_now() + timedelta(days=1)) == []
    finally:
        database.engine.dispose()


def test_a_request_made_urgent_after_it_was_listed_is_not_offered_a_callback(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'clinic.db'}")
    store = HandoffStore(database)
    try:
        request = store.request_handoff("patient-1", "patient asked", False, {}).request
        [listed] = store.unclaimed_since(utc_now() + timedelta(seconds=1))
        store.mark_urgent("patient-1", "emergency reported", {})

        assert store.mark_callback_offered(listed["id"]) is False
        assert store.active_request("patient-1")["id"] == request["id"]
        assert store.active_request("patient-1")["status"] == "waiting"
    finally:
        database.engine.dispose()
