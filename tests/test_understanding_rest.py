"""End to end over REST: condition answers, remembered conditions, follow-ups,
two topics at once and clarification, against the real servers."""
import uuid

import pytest

from tests.test_patient_rest import texts


@pytest.fixture
def patient() -> str:
    return f"patient-{uuid.uuid4().hex}"


def test_a_condition_the_page_lists_is_confirmed_in_its_words(rasa_server, patient):
    answer = texts(rasa_server.send(patient, "does prolotherapy treat osteoarthritis?"))

    assert "page mentions osteoarthritis" in answer
    assert "including osteoarthritis, tendonitis, ligament injuries" in answer
    assert ('Source: the clinic\'s Prolotherapy page, "Conditions It Treats" '
            '(version 1, reviewed 26 Nov 2026).') in answer
    assert "will help you" not in answer


def test_a_condition_the_page_does_not_list_is_said_so_with_the_clinic_contact(
        rasa_server, patient):
    answer = texts(rasa_server.send(patient, "can prolotherapy help with my migraines?"))

    assert "doesn't mention migraine" in answer
    assert "+1 555 0100" in answer


def test_a_condition_the_page_does_not_name_gets_what_the_page_covers(rasa_server, patient):
    answer = texts(rasa_server.send(
        patient, "would prolotherapy help my sciatica? the pain goes all down my leg"))

    assert "doesn't mention sciatica" in answer
    # What the page does say it treats, so that the patient can judge, and staff.
    assert "osteoarthritis, tendonitis, ligament injuries, and chronic low back pain" in answer
    assert "+1 555 0100" in answer


def test_punctuation_is_never_taken_for_a_condition(rasa_server, patient):
    answer = texts(rasa_server.send(
        patient, "my neck never settled after the crash (whiplash) / TMJ: is prolo used for that?"))

    assert not any(f"mention {mark}" in answer for mark in "()/:")


def test_two_topics_never_trained_together_get_both_answers(rasa_server, patient):
    answer = texts(rasa_server.send(
        patient, "what are the benefits of it? and what happens if it doesn't work for me"))

    assert "Minimally Invasive" in answer  # benefits
    assert "alternative treatment options may be considered" in answer  # what next


def test_without_a_condition_the_whole_conditions_section_is_quoted(rasa_server, patient):
    answer = texts(rasa_server.send(patient, "what conditions does prolotherapy treat?"))

    assert "musculoskeletal pain and injuries" in answer


def test_the_condition_is_remembered_for_later_questions(rasa_server, patient):
    rasa_server.send(patient, "can prolo help my knee?")

    answer = texts(rasa_server.send(patient, "and how long would that take?"))

    assert "doesn't say anything specific to knee" in answer
    assert "15 to 30 minutes" in answer


def test_tell_me_more_expands_on_the_last_answer(rasa_server, patient):
    rasa_server.send(patient, "how many sessions will I need?")

    answer = texts(rasa_server.send(patient, "tell me more"))

    assert "the number of sessions received" in answer


def test_two_questions_in_one_message_get_both_answers(rasa_server, patient):
    answer = texts(rasa_server.send(patient, "how long does it take and does it hurt?"))

    assert "15 to 30 minutes" in answer
    assert "minimal discomfort and downtime" in answer


# What the model makes of a given unclear text changes with every retraining, so
# these tests send the intent the FallbackClassifier gives low-confidence messages.
# (Which topics are offered for a real ranking: tests/test_actions.py.)
UNCLEAR = "/nlu_fallback"


def test_an_unclear_message_gets_topic_buttons_and_something_else(rasa_server, patient):
    [offer] = rasa_server.send(patient, UNCLEAR)

    assert offer["text"].startswith("Sorry, I'm not sure I understood")
    assert offer["buttons"][-1] == {"title": "Something else", "payload": "/out_of_scope"}


def test_something_else_asks_the_patient_to_rephrase(rasa_server, patient):
    rasa_server.send(patient, UNCLEAR)

    [rephrase] = rasa_server.send(patient, "/out_of_scope")

    assert rephrase["text"].startswith("Could you say it another way?")


def test_a_second_failure_in_a_row_offers_clinic_staff(rasa_server, patient):
    rasa_server.send(patient, UNCLEAR)

    [staff] = rasa_server.send(patient, UNCLEAR)

    assert "talk to a member of the clinic's staff" in staff["text"]
    assert [b["payload"] for b in staff["buttons"]] == ["/request_human", "/deny"]


def test_choosing_an_offered_topic_answers_it(rasa_server, patient):
    rasa_server.send(patient, UNCLEAR)

    answer = texts(rasa_server.send(patient, "/ask_duration"))

    assert "15 to 30 minutes" in answer
