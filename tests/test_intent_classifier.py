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
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.intent_classifier import MODEL_FILE, LinearIntentClassifier
from clinic.sentence_embeddings import SentenceEmbeddingFeaturizer

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
def embedding(tmp_path_factory):
    """Loading the model takes seconds: once for all the tests here."""
    return SentenceEmbeddingFeaturizer.create(
        {**SentenceEmbeddingFeaturizer.get_default_config(), "alias": "sentence-embedding"},
        LocalModelStorage(tmp_path_factory.mktemp("embedding")), Resource("embedding"),
        context("embedding"))


def embedded(embedding, texts):
    """Each text's features, as the featurizer added them."""
    messages = embedding.process([Message(data={"text": text}) for text in texts])
    return [message.features for message in messages]


@pytest.fixture
def pipeline(tmp_path, embedding):
    """Tokenizer, word counts and sentence embedding: what the classifier reads."""
    storage = LocalModelStorage(tmp_path)
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    counts = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "alias": "word-counts"},
        storage, Resource("counts"), context("counts"))

    def featurized(messages, training=False):
        tokenizer.process(messages)
        if training:
            data = TrainingData(messages)
            counts.train(data)
            counts.process_training_data(data)
        else:
            counts.process(messages)
        embedding.process(messages)
        return messages

    return storage, featurized


def config(**overrides):
    return {**LinearIntentClassifier.get_default_config(),
            "featurizers": ["word-counts", "sentence-embedding"], **overrides}


def trained(storage, featurized):
    examples = [Message(data={"text": text, "intent": intent})
                for intent, texts in EXAMPLES.items() for text in texts]
    featurized(examples, training=True)
    classifier = LinearIntentClassifier.create(config(), storage, Resource("intents"),
                                               context("intents"))
    classifier.train(TrainingData(examples))
    return classifier


def classify(classifier, featurized, text):
    message = featurized([Message(data={"text": text})])[0]
    return classifier.process([message])[0]


def test_paraphrases_are_closer_than_other_questions(embedding):
    features = embedded(embedding, ["does the needle sting", "is it painful",
                                    "what is the price"])
    assert all([(f.origin, f.type, f.features.shape) for f in message] ==
               [("sentence-embedding", "sentence", (1, 384))] for message in features)
    sting, painful, price = (message[0].features[0] for message in features)
    assert np.allclose([np.linalg.norm(v) for v in (sting, painful, price)], 1.0, atol=1e-5)
    assert sting @ painful > sting @ price + 0.1


def test_messages_without_text_get_no_embedding(embedding):
    assert embedded(embedding, [""]) == [[]]


def test_new_wording_gets_the_right_intent_with_a_ranking(pipeline):
    storage, featurized = pipeline
    classifier = trained(storage, featurized)
    message = classify(classifier, featurized, "will the shots be sore")
    ranking = message.get("intent_ranking")
    assert message.get("intent") == ranking[0]
    assert ranking[0]["name"] == "ask_side_effects"
    assert len(ranking) == len(EXAMPLES)
    assert all(a["confidence"] >= b["confidence"] for a, b in zip(ranking, ranking[1:]))
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert classify(classifier, featurized, "whats it going to cost me")\
        .get("intent")["name"] == "ask_cost"


def test_a_stored_model_loads_and_answers_the_same(pipeline):
    storage, featurized = pipeline
    classifier = trained(storage, featurized)
    loaded = LinearIntentClassifier.load(config(), storage, Resource("intents"),
                                         context("intents"))
    for text in ("how many visits", "is it covered", "any risks"):
        assert classify(loaded, featurized, text).get("intent_ranking") == \
            classify(classifier, featurized, text).get("intent_ranking")


class NotAModel:
    """A type skops does not trust: loading must refuse it, not run it."""


def test_a_model_file_with_untrusted_types_is_refused(pipeline):
    storage, _ = pipeline
    with storage.write_to(Resource("intents")) as directory:
        skops.io.dump({"tf_idf": {}, "model": NotAModel()}, directory / MODEL_FILE)
    with pytest.raises(ValueError, match="not trusted.*NotAModel"):
        LinearIntentClassifier.load(config(), storage, Resource("intents"),
                                    context("intents"))


def test_a_featurizer_missing_from_the_pipeline_is_named(pipeline):
    storage, featurized = pipeline
    examples = featurized([Message(data={"text": "does it hurt", "intent": "ask_side_effects"}),
                           Message(data={"text": "what is the price", "intent": "ask_cost"})],
                          training=True)
    classifier = LinearIntentClassifier.create(
        config(featurizers=["word-counts", "char-counts"]), storage, Resource("intents"),
        context("intents"))
    with pytest.raises(ValueError, match="'char-counts'"):
        classifier.train(TrainingData(examples))


def test_a_classifier_without_featurizers_is_a_configuration_error(tmp_path):
    with pytest.raises(ValueError, match="featurizers"):
        LinearIntentClassifier.create(config(featurizers=[]), LocalModelStorage(tmp_path),
                                      Resource("intents"), context("intents"))


@pytest.mark.parametrize("text", ["", "   "])
def test_a_blank_message_gets_no_intent_for_the_fallback_to_take(pipeline, text):
    storage, featurized = pipeline
    message = classify(trained(storage, featurized), featurized, text)
    assert message.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == []
