"""The handoff and callback store, on SQLite and on PostgreSQL."""
from datetime import timedelta

import pytest

from clinic.database import Database, utc_now
from clinic.handoff_store import HandoffStore, RequestNotFound
from clinic.staff import Staff
from tests.services import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'clinic.db'}")
        yield HandoffStore(database)
        database.engine.dispose()
        return
    with fresh_postgres_database() as url:
        database = Database(url)
        yield HandoffStore(database)
        database.engine.dispose()


NURSE_JANE = Staff(1, "jane", "Nurse Jane", "staff")
SUMMARY = {"last_messages": ["can I talk to a nurse"], "topics": ["ask_duration"]}


def test_requests_are_queued_urgent_first_then_oldest_first(store):
    first = store.request_handoff("patient-a", "patient asked", False, SUMMARY)
    second = store.request_handoff("patient-b", "patient asked", False, SUMMARY)
    urgent = store.request_handoff("patient-c", "emergency reported", True, SUMMARY)

    assert (first.patients_ahead, second.patients_ahead, urgent.patients_ahead) == (0, 1, 0)
    assert [r["conversation_id"] for r in store.active_requests()] == [
        "patient-c", "patient-a", "patient-b"]
    assert store.active_requests()[1]["summary"] == SUMMARY


def test_asking_again_keeps_one_request_per_conversation(store):
    store.request_handoff("patient-a", "patient asked", False, SUMMARY)
    store.mark_urgent("patient-a", "emergency reported", {"last_messages": [], "topics": []})

    [request] = store.active_requests()
    assert request["urgent"] is True
    assert request["reason"] == "patient asked"


def test_claim_resolve_and_cancel(store):
    request = store.request_handoff("patient-a", "patient asked", False, SUMMARY).request
    store.request_handoff("patient-b", "patient asked", False, SUMMARY)

    claimed = store.claim(request["id"], NURSE_JANE)
    assert (claimed["status"], claimed["claimed_by_id"], claimed["claimed_by"]) == (
        "claimed", NURSE_JANE.id, "Nurse Jane")
    with pytest.raises(ValueError, match="not waiting"):
        store.claim(request["id"], Staff(2, "smith", "Dr Smith", "staff"))
    assert store.resolve(request["id"])["status"] == "resolved"
    assert store.cancel("patient-b")["status"] == "cancelled"
    assert store.active_requests() == []
    with pytest.raises(RequestNotFound):
        store.claim(999, NURSE_JANE)


def test_unclaimed_requests_are_found_once(store):
    request = store.request_handoff("patient-a", "patient asked", False, SUMMARY).request

    assert store.unclaimed_since(utc_now() - timedelta(minutes=10)) == []
    [late] = store.unclaimed_since(utc_now() + timedelta(seconds=1))
    store.mark_callback_offered(late["id"])
    assert late["id"] == request["id"]
    assert store.unclaimed_since(utc_now() + timedelta(seconds=1)) == []


def test_callbacks_need_consent_and_can_be_marked_done(store):
    with pytest.raises(ValueError, match="consent"):
        store.add_callback("patient-a", "Ann", "+15550100", "mornings", consent=False)
    callback = store.add_callback("patient-a", "Ann", "+15550100", "mornings", consent=True)

    assert [c["name"] for c in store.callbacks()] == ["Ann"]
    done = store.mark_callback_done(callback["id"], "Nurse Jane")
    assert (done["status"], done["done_by"]) == ("done", "Nurse Jane")
    assert store.callbacks() == []
