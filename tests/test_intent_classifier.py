"""The intent classifier and its sentence embeddings, as Rasa's graph runs them.

clinic/sentence_embeddings.py and clinic/intent_classifier.py: trained and
stored through Rasa's own model storage, on a few real messages.
"""
import numpy as np
import pytest
import skops.io
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.intent_classifier import MODEL_FILE, LinearIntentClassifier
from clinic.sentence_embeddings import SentenceEncoder

EXAMPLES = {
    "ask_side_effects": ["does it hurt", "is it painful", "any side effects",
                         "will i be sore afterwards", "is the injection risky"],
    "ask_cost": ["how much does it cost", "what is the price", "is it covered by insurance",
                 "how much do i pay", "what are the fees"],
    "ask_duration": ["how long does a session take", "how many sessions will i need",
                     "how often are the injections", "how many weeks is the course",
                     "how long is each visit"],
}


def context(node_name):
    return ExecutionContext(GraphSchema({}), node_name=node_name)


@pytest.fixture(scope="module")
def encoder():
    """Loading the model takes seconds: once for all the tests here."""
    return SentenceEncoder()


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    return LocalModelStorage(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def classifier(storage):
    examples = [Message(data={"text": text, "intent": intent})
                for intent, texts in EXAMPLES.items() for text in texts]
    classifier = LinearIntentClassifier.create(
        LinearIntentClassifier.get_default_config(), storage, Resource("intents"),
        context("intents"))
    classifier.train(TrainingData(examples))
    return classifier


def classify(classifier, text):
    return classifier.process([Message(data={"text": text})])[0]


def test_paraphrases_are_closer_than_other_questions(encoder):
    sting, painful, price = encoder.encode(["does the needle sting", "is it painful",
                                            "what is the price"])
    assert sting.shape == (384,)
    assert np.allclose([np.linalg.norm(v) for v in (sting, painful, price)], 1.0, atol=1e-5)
    assert sting @ painful > sting @ price + 0.1


def test_texts_of_many_batches_are_encoded_like_one_at_a_time(encoder):
    texts = [f"does session {n} hurt" for n in range(70)]  # more than a batch
    assert np.allclose(encoder.encode(texts)[68], encoder.encode([texts[68]])[0], atol=1e-5)


def test_new_wording_gets_the_right_intent_with_a_ranking(classifier):
    message = classify(classifier, "will the shots be sore")
    ranking = message.get("intent_ranking")
    assert message.get("intent") == ranking[0]
    assert ranking[0]["name"] == "ask_side_effects"
    assert len(ranking) == len(EXAMPLES)
    assert all(a["confidence"] >= b["confidence"] for a, b in zip(ranking, ranking[1:]))
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert classify(classifier, "whats it going to cost me").get("intent")["name"] == "ask_cost"
    assert classify(classifier, "will the shots be sore").get("entities", []) == []


def test_two_questions_on_two_page_topics_get_both(classifier):
    text = "how many sessions would i need? and does it hurt much"
    message = classify(classifier, text)
    assert message.get("intent")["name"] == "ask_duration"
    [also] = message.get("entities")
    assert (also["entity"], also["value"]) == ("also_asked", "ask_side_effects")
    assert text[also["start"]:also["end"]] == "does it hurt much"
    # The intent is only as sure as the less sure question.
    assert message.get("intent")["confidence"] <= also["confidence"] + 1e-9
    assert "ask_side_effects" not in [r["name"] for r in message.get("intent_ranking")]


def test_a_topic_that_is_not_answered_from_a_page_is_never_the_second(classifier):
    message = classify(classifier, "how long does a session take, and how much does it cost")
    assert message.get("entities", []) == []


def test_a_stored_model_loads_and_answers_the_same(classifier, storage):
    loaded = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), storage,
                                         Resource("intents"), context("intents"))
    for text in ("how many visits", "is it covered", "any risks",
                 "how long is it? and is it painful"):
        assert classify(loaded, text).get("intent_ranking") == \
            classify(classifier, text).get("intent_ranking")
        assert classify(loaded, text).get("entities") == classify(classifier, text).get("entities")


class NotAModel:
    """A type skops does not trust: loading must refuse it, not run it."""


def test_a_model_file_with_untrusted_types_is_refused(tmp_path):
    storage = LocalModelStorage(tmp_path)
    with storage.write_to(Resource("intents")) as directory:
        skops.io.dump({"words": None, "letters": None, "model": NotAModel(), "topics": []},
                      directory / MODEL_FILE)
    with pytest.raises(ValueError, match="not trusted.*NotAModel"):
        LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), storage,
                                    Resource("intents"), context("intents"))


@pytest.mark.parametrize("text", ["", "   ", "?!"])
def test_a_message_without_words_gets_no_intent_for_the_fallback_to_take(classifier, text):
    message = classify(classifier, text)
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []
