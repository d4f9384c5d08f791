"""The intent classifier: a logistic regression over words, letters and meaning,
reading the whole message and each of its questions.

`LinearIntentClassifier` turns a text into word and letter n-gram TF-IDF (sublinear
term frequency, each block scaled to unit length, so that misspellings still
match) and the sentence embedding (clinic/sentence_embeddings.py), side by side,
and a multinomial logistic regression gives every intent a probability. Its
ranking feeds the fallback as any Rasa classifier's does.

Two topics in one message ("how many sessions, and what is recovery like?") are
found from the message's parts (clinic/message_parts.py): when two parts each ask
a different page topic with at least `part_confidence`, the message gets the
first as its intent and the second as an `also_asked` entity, which the answer
action answers too. Any two topics of any page work this way; nothing is trained
on pairs.

Why not DIET: on the held-out messages this model made a third of DIET's
mistakes and trains in seconds. The classifier featurizes texts itself because it
reads the parts too, which Rasa's featurizers (one set of features per message)
cannot give it. Models are stored with skops, as Rasa stores its own
scikit-learn classifier, so loading a model never unpickles arbitrary code.
"""
import re
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic import settings
from clinic.answers import answered_from_pages, load_topics
from clinic.message_parts import ALSO_ASKED, Part, parts
from clinic.sentence_embeddings import SentenceEncoder

MODEL_FILE = "linear_intent_classifier.skops"
# Beyond what skops trusts by default: the TF-IDF weights are kept in one.
SAFE_TYPES = {"scipy.sparse._csr.csr_matrix"}
WORDS = re.compile(r"\w")


class MessageFeatures:
    """One row per text: word TF-IDF, letter TF-IDF and the sentence embedding."""

    def __init__(self, sentence_model: bool = True, words: Optional[TfidfVectorizer] = None,
                 letters: Optional[TfidfVectorizer] = None) -> None:
        self.words = words or TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")
        self.letters = letters or TfidfVectorizer(sublinear_tf=True, analyzer="char_wb",
                                                  ngram_range=(1, 4))
        self._encoder = SentenceEncoder() if sentence_model else None

    def fit_transform(self, texts: List[Text]) -> scipy.sparse.csr_matrix:
        self.words.fit(texts)
        self.letters.fit(texts)
        return self.transform(texts)

    def transform(self, texts: List[Text]) -> scipy.sparse.csr_matrix:
        blocks = [self.words.transform(texts), self.letters.transform(texts)]
        if self._encoder is not None:
            blocks.append(scipy.sparse.csr_matrix(self._encoder.encode(texts)))
        return scipy.sparse.hstack(blocks, format="csr")


def _keep_weights_column_major(model: LogisticRegression) -> None:
    """scikit-learn multiplies a message's sparse row by `coef_.T`, which SciPy
    copies into one block unless it already is one: with the weights stored
    column-major it is, and a message is classified without copying every
    weight. The probabilities are the same."""
    model.coef_ = np.asfortranarray(model.coef_)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
                          is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Ranks the intents of a message; finds a second page topic asked in it."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Inverse regularisation strength: higher fits the training data closer.
            "C": 100.0,
            # How sure the classifier must be of each of two parts' topics to
            # answer both (below it, the message gets its one likeliest intent).
            "part_confidence": 0.8,
            # Whether to read the sentence embedding beside the TF-IDF (off only
            # to measure what it earns: evaluation/ablation.py).
            "sentence_model": True,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, features: Optional[MessageFeatures] = None,
                 model: Optional[LogisticRegression] = None,
                 topics: Optional[List[Text]] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._features = features or MessageFeatures(config["sentence_model"])
        self._model = model
        self._topics = set(topics or ())
        if model is not None:
            _keep_weights_column_major(model)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext,
               ) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if WORDS.search(m.get(TEXT, ""))]
        # lbfgs is deterministic: the same data always gives the same model.
        self._model = LogisticRegression(C=self._config["C"], max_iter=5000)
        self._model.fit(self._features.fit_transform([m.get(TEXT) for m in examples]),
                        [m.get(INTENT) for m in examples])
        _keep_weights_column_major(self._model)
        # The topics answered from the pages: the ones a message may ask two of.
        self._topics = set(answered_from_pages(load_topics(settings.topics_file())))
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if self._model is None or not WORDS.search(text):
                # Nothing to go on: the fallback asks the patient to rephrase.
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
                continue
            questions = parts(text)
            if len(questions) < 2:
                questions = []
            probabilities = self._model.predict_proba(
                self._features.transform([text, *(q.text for q in questions)]))
            ranking = self._ranking(probabilities[0])
            asked = self._topics_asked(questions, probabilities[1:])
            if len(asked) >= 2:
                ranking = self._two_topics(message, ranking, asked[:2])
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[:LABEL_RANKING_LENGTH], add_to_output=True)
        return messages

    def _ranking(self, probabilities: np.ndarray) -> List[Dict[Text, Any]]:
        return [{"name": str(self._model.classes_[i]), "confidence": float(probabilities[i])}
                for i in np.argsort(probabilities)[::-1]]

    def _topics_asked(self, questions: List[Part], probabilities: np.ndarray,
                      ) -> List[Dict[Text, Any]]:
        """The distinct page topics the parts ask with confidence, in the order asked."""
        asked: List[Dict[Text, Any]] = []
        for question, row in zip(questions, probabilities):
            best = int(np.argmax(row))
            topic = str(self._model.classes_[best])
            if topic in self._topics and row[best] >= self._config["part_confidence"] \
                    and topic not in (a["name"] for a in asked):
                asked.append({"name": topic, "confidence": float(row[best]), "part": question})
        return asked

    @staticmethod
    def _two_topics(message: Message, ranking: List[Dict[Text, Any]],
                    asked: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
        """The first topic as the intent, as sure as the less sure part; the second
        as an `also_asked` entity on the part that asks it."""
        first, second = asked
        part = second["part"]
        message.set(ENTITIES, [*message.get(ENTITIES, []), {
            "entity": ALSO_ASKED, "value": second["name"], "start": part.start,
            "end": part.end, "confidence": second["confidence"],
            "extractor": LinearIntentClassifier.__name__}], add_to_output=True)
        confidence = min(first["confidence"], second["confidence"])
        return [{"name": first["name"], "confidence": confidence},
                *(r for r in ranking if r["name"] not in (first["name"], second["name"]))]

    def persist(self) -> None:
        import skops.io

        with self._model_storage.write_to(self._resource) as directory:
            skops.io.dump({"words": self._features.words, "letters": self._features.letters,
                           "model": self._model, "topics": sorted(self._topics)},
                          directory / MODEL_FILE)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage,
             resource: Resource, execution_context: ExecutionContext, **kwargs: Any,
             ) -> "LinearIntentClassifier":
        import skops.io

        with model_storage.read_from(resource) as directory:
            path = directory / MODEL_FILE
            unknown = set(skops.io.get_untrusted_types(file=path))
            if unknown - SAFE_TYPES:
                raise ValueError(f"{path} holds types that are not trusted: "
                                 f"{sorted(unknown - SAFE_TYPES)}")
            stored = skops.io.load(path, trusted=sorted(unknown))
        features = MessageFeatures(config["sentence_model"], stored["words"], stored["letters"])
        return cls(config, model_storage, resource, features, stored["model"], stored["topics"])
