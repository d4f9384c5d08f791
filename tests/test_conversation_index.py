"""The conversation index, on SQLite and on PostgreSQL: conversations saved by
Rasa's own SQL tracker store, indexed, then listed and read back as the staff
console does."""
import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from rasa.shared.core.events import ActiveLoop, SlotSet
from sqlalchemy import insert

from clinic.conversation_index import RASA_EVENTS, ConversationIndex
from clinic.conversation_queries import PAGE_SIZE, ConversationFilters, ConversationQueries
from clinic.database import Database
from clinic.handoff_store import HandoffStore
from clinic.staff import Staff
from tests.rasa_events import (RasaEvents, answer, busywork, clarified, click, offer, patient,
                               response, staff_message)
from tests.sql_databases import database_url  # noqa: F401 (a fixture)

THRESHOLD = 0.6
SUMMARY = {"last_messages": [], "topics": []}
LIKELY_TOPICS = [("How long it takes", "/ask_duration"), ("Something else", "/out_of_scope")]


@pytest.fixture
def rasa(database_url):
    events = RasaEvents(database_url)
    yield events
    events.close()


class Clinic:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.index = ConversationIndex(database)
        self.queries = ConversationQueries(database)
        self.handoffs = HandoffStore(database)

    def listed(self, page: int = 1, **filters) -> list:
        self.index.index_new_events()
        return self.queries.page(ConversationFilters(**filters), page, THRESHOLD).conversations

    def flags(self, **filters) -> dict:
        return {c["sender_id"]: c["flags"] for c in self.listed(**filters)}

    def transcript(self, sender_id: str, after: int = 0):
        self.index.index_new_events()
        return self.queries.transcript(sender_id, THRESHOLD, after)


@pytest.fixture
def clinic(database_url, rasa):
    database = Database(database_url)
    yield Clinic(database)
    database.engine.dispose()


def test_each_message_is_indexed_as_the_transcript_shows_it(rasa, clinic):
    rasa.save("p1", patient("What does prolotherapy treat?", "ask_conditions", 0.93),
              *busywork(), answer("It treats osteoarthritis.", ["Conditions It Treats"]))
    rasa.save("p1", staff_message("Hello, this is Jane.", "Nurse Jane"))

    transcript = clinic.transcript("p1")

    assert [(m["sender"], m["text"], m["intent"], m["confidence"], m["source"],
             m["sections"], m["staff_name"]) for m in transcript.messages] == [
        ("patient", "What does prolotherapy treat?", "ask_conditions", 0.93, None, [], None),
        ("assistant", "It treats osteoarthritis.", None, None,
         "Source: the clinic's Prolotherapy page, \"Conditions It Treats\" "
         "(version 1, reviewed 26 Nov 2026).",
         ["Conditions It Treats"], None),
        ("staff", "Hello, this is Jane.", None, None, None, [], "Nurse Jane"),
    ]
    assert transcript.conversation["first_question"] == "What does prolotherapy treat?"
    assert transcript.conversation["message_count"] == 3
    assert clinic.transcript("nobody") is None


def test_flags_show_emergencies_fallbacks_low_confidence_and_handoffs(rasa, clinic):
    rasa.save("calm", patient("how long does it take", "ask_duration", 0.97))
    rasa.save("emergency", patient("I can't breathe", "report_emergency", 1.0))
    rasa.save("not-understood", patient("asdf qwerty", "nlu_fallback", 0.5),
              response("utter_offer_likely_topics", "Did you mean one of these?"))
    rasa.save("rephrase", patient("hmm", "out_of_scope", 0.9),
              response("utter_ask_rephrase", "Could you say it another way?"))
    rasa.save("unsure", patient("is it ok for me", "ask_candidacy", 0.45))
    rasa.save("waiting", patient("can I talk to a person", "request_human", 0.99))
    clinic.handoffs.request_handoff("waiting", "patient asked for a person", False, SUMMARY)

    assert clinic.flags() == {
        "calm": [], "emergency": ["emergency"], "not-understood": ["fallback"],
        "rephrase": ["fallback"], "unsure": ["low_confidence"], "waiting": ["handoff_waiting"],
    }
    for flag, senders in [("emergency", {"emergency"}), ("low_confidence", {"unsure"}),
                          ("fallback", {"not-understood", "rephrase"}),
                          ("handoff_waiting", {"waiting"}), ("urgent", set())]:
        assert set(clinic.flags(flag=flag)) == senders, flag

    # The handoff flags follow the request as it is now.
    request = clinic.handoffs.mark_urgent("waiting", "emergency reported", SUMMARY)
    assert clinic.flags()["waiting"] == ["urgent", "handoff_waiting"]
    clinic.handoffs.claim(request["id"], Staff(1, "jane", "Nurse Jane", "staff"))
    assert clinic.flags()["waiting"] == ["urgent"]
    clinic.handoffs.resolve(request["id"])
    assert clinic.flags()["waiting"] == []


def asks(slot: str, question: str) -> list:
    """The callback form asking for `slot` (domain/handoff.yml), as Rasa stores it."""
    return [SlotSet("requested_slot", slot), response(f"utter_ask_{slot}", question)]


def test_answers_to_a_form_s_questions_are_no_fallback_nor_low_confidence(rasa, clinic):
    rasa.save("callback", patient("I'd like to talk to a person", "request_human", 0.99),
              ActiveLoop("callback_form"), *asks("callback_name", "What name should we ask for?"))
    rasa.save("callback", patient("Ann Smith", "nlu_fallback", 0.31),
              *asks("callback_contact", "Which phone number?"))
    clinic.listed()  # a round of indexing between the question and its answer
    rasa.save("callback", patient("+1 555 0100 123", "ask_cost", 0.22),
              *asks("callback_time", "When is best?"))
    # An emergency while the form asks is no answer: it is read as the emergency it is.
    rasa.save("callback", patient("I can't breathe", "report_emergency", 0.99),
              *asks("callback_time", "When is best?"))
    rasa.save("callback", patient("tomorrow morning", "greet", 0.4),
              ActiveLoop(None), SlotSet("requested_slot", None),
              response("utter_callback_saved", "Thank you, Ann Smith."))
    # After the form: a message not understood is a fallback again.
    rasa.save("callback", patient("asdf qwerty", "nlu_fallback", 0.3))

    messages = [m for m in clinic.transcript("callback").messages if m["sender"] == "patient"]
    assert [(m["text"], m["form_slot"]) for m in messages] == [
        ("I'd like to talk to a person", None), ("Ann Smith", "callback_name"),
        ("+1 555 0100 123", "callback_contact"), ("I can't breathe", None),
        ("tomorrow morning", "callback_time"), ("asdf qwerty", None)]
    assert clinic.flags()["callback"] == ["emergency", "fallback"]  # not from the answers

    rasa.save("answers-only", patient("I'd like to talk to a person", "request_human", 0.99),
              ActiveLoop("callback_form"), *asks("callback_name", "What name?"))
    rasa.save("answers-only", patient("Ann Smith", "nlu_fallback", 0.31),
              ActiveLoop(None), SlotSet("requested_slot", None))
    assert clinic.flags()["answers-only"] == []
    assert "answers-only" not in clinic.flags(flag="low_confidence")
    assert "answers-only" not in clinic.flags(flag="fallback")


def test_a_message_the_two_stage_fallback_stored_again_is_shown_once(rasa, clinic):
    rasa.save("p1", patient("asdf", "nlu_fallback", 0.5),
              offer("utter_offer_likely_topics", "Did you mean one of these?", LIKELY_TOPICS))
    chosen = click("/ask_duration")
    rasa.save("p1", chosen, *clarified(chosen),
              answer("About 15 to 30 minutes.", ["How Long Does It Take"]))

    texts = [m["text"] for m in clinic.transcript("p1").messages]

    assert texts == ["asdf", "Did you mean one of these?", "How long it takes",
                     "About 15 to 30 minutes."]


def test_a_clicked_button_is_shown_by_its_title_and_found_by_it(rasa, clinic):
    rasa.save("p1", offer("utter_ask_which_topic", "Which would you like to know about?",
                          [("How long it takes", "/ask_duration")]))
    rasa.save("p1", click("/ask_duration"), answer("About 15 to 30 minutes.",
                                                   ["How Long Does It Take"]))
    rasa.save("p1", offer("utter_default", "Would you like to talk to a member of staff?",
                          [("Yes, talk to staff", "/request_human"), ("No, thanks", "/deny")]),
              click("/request_human"))
    rasa.save("p2", patient("/deny", "deny", 1.0),  # typed: no button sent it
              click("/request_human"))  # the widget's own "Talk to staff" button

    transcript = clinic.transcript("p1")
    [second] = clinic.listed(text="talk to a person")

    assert [(m["text"], m["button_payload"]) for m in transcript.messages
            if m["sender"] == "patient"] == [("How long it takes", "/ask_duration"),
                                             ("Yes, talk to staff", "/request_human")]
    assert (transcript.conversation["first_question"],
            transcript.conversation["first_question_payload"]) == (
        "How long it takes", "/ask_duration")
    assert [(m["text"], m["button_payload"]) for m in clinic.transcript("p2").messages] == [
        ("/deny", None), ("I'd like to talk to a person", "/request_human")]
    assert second["sender_id"] == "p2"
    assert [c["sender_id"] for c in clinic.listed(text="HOW LONG IT")] == ["p1"]


def test_a_button_offered_in_an_earlier_round_of_indexing_gives_its_title(rasa, clinic):
    rasa.save("p1", patient("asdf", "nlu_fallback", 0.5),
              offer("utter_offer_likely_topics", "Did you mean one of these?", LIKELY_TOPICS))
    clinic.index.index_new_events()
    rasa.save("p1", click("/out_of_scope"),
              response("utter_ask_rephrase", "Could you say it another way?"))
    clinic.index.index_new_events(batch_size=1)  # one event a batch

    texts = [m["text"] for m in clinic.transcript("p1").messages]

    assert texts == ["asdf", "Did you mean one of these?", "Something else",
                     "Could you say it another way?"]


def test_an_index_an_earlier_version_made_is_made_again(rasa, clinic):
    rasa.save("p1", offer("utter_ask_which_topic", "Which would you like to know about?",
                          [("How long it takes", "/ask_duration")]), click("/ask_duration"))
    clinic.index.index_new_events()
    with clinic.database.engine.begin() as connection:  # as before buttons were indexed
        connection.exec_driver_sql("ALTER TABLE conversation_messages DROP COLUMN buttons")

    texts = [m["text"] for m in Clinic(clinic.database).transcript("p1").messages]

    assert texts == ["Which would you like to know about?", "How long it takes"]


def test_new_messages_update_the_summary_and_indexing_again_changes_nothing(rasa, clinic):
    rasa.save("p1", patient("what does it treat", "ask_conditions", timestamp=1000.0),
              answer("Osteoarthritis.", ["Conditions It Treats"], timestamp=1001.0))
    rasa.save("p2", patient("does it hurt", "ask_side_effects", timestamp=2000.0))
    assert [c["sender_id"] for c in clinic.listed()] == ["p2", "p1"]

    rasa.save("p1", patient("how long does it take", "ask_duration", timestamp=3000.0))
    [first, second] = clinic.listed()

    assert (first["sender_id"], first["message_count"]) == ("p1", 3)
    assert first["first_question"] == "what does it treat"
    assert first["started_at"].startswith("1970-01-01T00:16:40")
    assert first["last_activity_at"].startswith("1970-01-01T00:50:00")
    assert clinic.index.index_new_events() == 0
    assert clinic.listed() == [first, second]


def test_two_indexers_at_once_while_rasa_writes_index_every_message_once(
        rasa, clinic, database_url):
    others = [Database(database_url) for _ in range(2)]
    indexers = [ConversationIndex(database) for database in others]
    writing = threading.Event()
    writing.set()
    failures = []

    def keep_indexing(indexer):
        try:
            while writing.is_set():
                indexer.index_new_events(batch_size=7)
        except Exception as error:  # reported below, with the test's failure
            failures.append(error)

    threads = [threading.Thread(target=keep_indexing, args=(i,)) for i in indexers]
    for thread in threads:
        thread.start()
    try:
        for turn in range(4):
            for number in range(15):
                rasa.save(f"p{number}", patient(f"question {turn}", "ask_duration"),
                          *busywork(), answer(f"answer {turn}", ["How Long Does It Take"]))
    finally:
        writing.clear()
        for thread in threads:
            thread.join()
        for database in others:
            database.engine.dispose()

    assert failures == []
    conversations = clinic.listed()
    assert len(conversations) == 15
    assert {c["message_count"] for c in conversations} == {8}
    assert [m["text"] for m in clinic.transcript("p3").messages] == [
        text for turn in range(4) for text in (f"question {turn}", f"answer {turn}")]


def _store_with_id(clinic: Clinic, event_id: int, sender_id: str, event) -> None:
    """Store an event under a chosen id: as a Rasa server whose transaction
    took an id first but committed last would."""
    with clinic.database.session() as session:
        session.execute(insert(RASA_EVENTS).values(
            id=event_id, sender_id=sender_id, type_name=event.type_name,
            timestamp=event.timestamp, data=json.dumps(event.as_dict())))


def test_a_message_committed_after_a_later_one_is_still_indexed(rasa, clinic):
    now = time.time()
    _store_with_id(clinic, 101, "a", patient("first", "greet", timestamp=now))
    _store_with_id(clinic, 103, "b", patient("third", "greet", timestamp=now))
    assert {c["sender_id"] for c in clinic.listed()} == {"a", "b"}

    _store_with_id(clinic, 102, "c", patient("second, committed last", "greet", timestamp=now))

    assert [m["text"] for m in clinic.transcript("c").messages] == ["second, committed last"]


def test_events_that_are_not_rasa_s_json_are_skipped(rasa, clinic):
    rasa.save("p1", patient("hello", "greet"))
    with clinic.database.session() as session:
        session.execute(insert(RASA_EVENTS), [
            {"sender_id": "odd", "type_name": "user", "timestamp": time.time(),
             "data": "{not json"},
            {"sender_id": "odd", "type_name": "bot", "timestamp": None, "data": '["a list"]'},
        ])
    rasa.save("p1", patient("still here", "greet"))

    assert list(clinic.flags()) == ["p1"]
    assert [m["text"] for m in clinic.transcript("p1").messages] == ["hello", "still here"]


def test_before_rasa_has_made_its_table_there_is_nothing_to_index(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    database = Database(url)
    index = ConversationIndex(database)
    assert index.index_new_events() == 0

    rasa = RasaEvents(url)  # Rasa starts, and a patient writes
    rasa.save("p1", patient("hello", "greet"))
    assert index.index_new_events() == 1
    rasa.close()
    database.engine.dispose()


def test_the_list_comes_newest_first_fifty_a_page(rasa, clinic):
    for number in range(PAGE_SIZE + 5):
        rasa.save(f"p{number:03}", patient(f"question {number}", "greet",
                                           timestamp=1_000_000.0 + number))

    first, second = clinic.listed(1), clinic.listed(2)

    assert len(first) == PAGE_SIZE and len(second) == 5
    assert first[0]["first_question"] == f"question {PAGE_SIZE + 4}"
    assert second[-1]["first_question"] == "question 0"
    assert clinic.queries.page(ConversationFilters(), 1, THRESHOLD).has_next
    assert not clinic.queries.page(ConversationFilters(), 2, THRESHOLD).has_next


def test_search_finds_what_patients_and_staff_wrote_ignoring_case(rasa, clinic):
    rasa.save("knee", patient("Can it help my KNEE?", "ask_conditions"),
              answer("It treats osteoarthritis.", ["Conditions It Treats"]))
    rasa.save("staff", patient("hello", "greet"), staff_message("Your knee: call us", "Jane"))
    rasa.save("percent", patient("is it 100% safe?", "ask_side_effects"))

    assert set(clinic.flags(text="knee")) == {"knee", "staff"}
    assert set(clinic.flags(text="osteoarthritis")) == set()  # the assistant's words
    assert set(clinic.flags(text="100%")) == {"percent"}
    assert set(clinic.flags(text="%")) == {"percent"}  # a % is a %, not a wildcard


def test_filters_by_intent_and_by_time(rasa, clinic):
    day = datetime(2026, 3, 10, tzinfo=timezone.utc)
    at = lambda hours: (day + timedelta(hours=hours)).timestamp()  # noqa: E731
    rasa.save("early", patient("what does it treat", "ask_conditions", timestamp=at(-30)),
              patient("and the cost?", "ask_cost", timestamp=at(-29)))
    rasa.save("spanning", patient("hi", "greet", timestamp=at(-2)),
              patient("how long", "ask_duration", timestamp=at(2)))
    rasa.save("late", patient("price?", "ask_cost", timestamp=at(30)))

    assert set(clinic.flags(intent="ask_cost")) == {"early", "late"}
    assert set(clinic.flags(active_from=day, active_before=day + timedelta(days=1))) == {
        "spanning"}
    assert set(clinic.flags(active_from=day)) == {"spanning", "late"}
    assert set(clinic.flags(active_before=day)) == {"early", "spanning"}
    assert set(clinic.flags(intent="ask_cost", active_from=day)) == {"late"}
    assert clinic.queries.intents() == ["ask_conditions", "ask_cost", "ask_duration", "greet"]


def test_a_nul_character_in_a_search_or_an_id_is_no_error(rasa, clinic):
    # PostgreSQL refuses text with NUL in a query; nothing stored can hold one.
    rasa.save("p1", patient("hello", "greet"))

    assert clinic.flags(text="hel\x00lo", intent="gre\x00et") == {"p1": []}
    assert clinic.transcript("p1\x00") is None
