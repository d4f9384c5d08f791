"""The intent classifier: a logistic regression over words, letters and meaning.

`LinearIntentClassifier` reads the sentence features of the featurizers named in
its `featurizers` option: word and character n-gram counts (weighted as TF-IDF
with sublinear term frequency, so a word said twice does not count double, and
each featurizer's vector scaled to unit length) and the sentence embedding. A
multinomial logistic regression over them gives every intent a probability; the
ranking feeds the two-topic check and the fallback exactly as any Rasa
classifier's does.

Why not DIET for intents: on the held-out messages, which no model ever trains
on, this model made a third of DIET's mistakes (evaluation/heldout.py) and it
trains in seconds instead of minutes. DIET still finds the entities (config.yml).
Models are stored with skops, as Rasa stores its own scikit-learn classifier, so
loading a model never unpickles arbitrary code.
"""
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

MODEL_FILE = "linear_intent_classifier.skops"
# Beyond what skops trusts by default: TfidfTransformer keeps its weights in one.
SAFE_TYPES = {"scipy.sparse._csr.csr_matrix"}


class SentenceFeatures:
    """One row per message: the named featurizers' sentence features side by side."""

    def __init__(self, featurizers: List[Text]) -> None:
        self.featurizers = featurizers
        self.tf_idf: Dict[Text, TfidfTransformer] = {}

    def present(self, message: Message) -> bool:
        """Whether every named featurizer gave the message features (a blank or
        punctuation-only message has none)."""
        return set(self.featurizers) <= {
            f.origin for f in message.features
            if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE}

    def _per_featurizer(self, messages: List[Message]) -> Dict[Text, Any]:
        rows: Dict[Text, List[Any]] = {name: [] for name in self.featurizers}
        for message in messages:
            found = {f.origin: f for f in message.features
                     if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE}
            for name in self.featurizers:
                if name not in found:
                    raise ValueError(f"No sentence features from '{name}': list only "
                                     f"featurizers that run before this classifier.")
                rows[name].append(found[name].features)
        return {name: scipy.sparse.vstack(blocks, format="csr")
                if scipy.sparse.issparse(blocks[0]) else np.vstack(blocks)
                for name, blocks in rows.items()}

    def fit_transform(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        for name, matrix in self._per_featurizer(messages).items():
            if scipy.sparse.issparse(matrix):
                self.tf_idf[name] = TfidfTransformer(sublinear_tf=True).fit(matrix)
        return self.transform(messages)

    def transform(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        blocks = [self.tf_idf[name].transform(matrix) if name in self.tf_idf
                  else scipy.sparse.csr_matrix(matrix)
                  for name, matrix in self._per_featurizer(messages).items()]
        return scipy.sparse.hstack(blocks, format="csr")


def _keep_weights_column_major(model: LogisticRegression) -> None:
    """scikit-learn multiplies a message's sparse row by `coef_.T`, which SciPy
    copies into one block unless it already is one: with the weights stored
    column-major it is, and a message is classified in 0.04 ms instead of
    0.25 (the copy of every weight). The probabilities are the same."""
    model.coef_ = np.asfortranarray(model.coef_)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
                          is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Ranks the intents of a message by a logistic regression's probabilities."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Aliases of the featurizers whose sentence features to use, in order.
            "featurizers": [],
            # Inverse regularisation strength: higher fits the training data closer.
            "C": 100.0,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, features: Optional[SentenceFeatures] = None,
                 model: Optional[LogisticRegression] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._features = features or SentenceFeatures(config["featurizers"])
        self._model = model
        if model is not None:
            _keep_weights_column_major(model)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext,
               ) -> "LinearIntentClassifier":
        if not config["featurizers"]:
            raise ValueError("LinearIntentClassifier needs its 'featurizers' listed.")
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT, "").strip()]
        labels = [m.get(INTENT) for m in examples]
        # lbfgs is deterministic: the same data always gives the same model.
        self._model = LogisticRegression(C=self._config["C"], max_iter=5000)
        self._model.fit(self._features.fit_transform(examples), labels)
        _keep_weights_column_major(self._model)
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if self._model is None or not self._features.present(message):
                # Nothing to go on: the fallback asks the patient to rephrase.
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
                continue
            probabilities = self._model.predict_proba(self._features.transform([message]))[0]
            best = np.argsort(probabilities)[::-1][:LABEL_RANKING_LENGTH]
            ranking = [{"name": str(self._model.classes_[i]),
                        "confidence": float(probabilities[i])} for i in best]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        import skops.io

        with self._model_storage.write_to(self._resource) as directory:
            skops.io.dump({"tf_idf": self._features.tf_idf, "model": self._model},
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
        features = SentenceFeatures(config["featurizers"])
        features.tf_idf = stored["tf_idf"]
        return cls(config, model_storage, resource, features, stored["model"])
