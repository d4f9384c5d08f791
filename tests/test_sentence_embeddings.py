"""The sentence model as ONNX Runtime runs it (clinic/sentence_embeddings.py)
gives the numbers the original TensorFlow model gives, so converting it at
install changes nothing the classifier was trained on."""
from pathlib import Path

import numpy as np
import pytest

from clinic.sentence_embeddings import INPUT_NAMES, SentenceEncoder, SentenceEncoderMissing
from clinic.sentence_encoder_export import tensorflow_encoder
from evaluation.patient_questions import QUESTIONS

MESSAGES = [*QUESTIONS, "does it sting", "is it painful",
            "I have chest pain and can't breathe",
            "Dr. Smith said my L4-L5 disc is bulging!! 🙁 What now?",
            "knee " * 400]  # longer than the model reads: cut at 256 tokens


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder()


def test_onnx_gives_tensorflows_embeddings(encoder: SentenceEncoder) -> None:
    import tensorflow as tf

    original = tensorflow_encoder()
    tokens = encoder._tokenizer(MESSAGES, padding=True, truncation=True, max_length=256,
                                return_tensors="np")
    expected = original(*(tf.constant(tokens[name], tf.int32) for name in INPUT_NAMES)).numpy()
    np.testing.assert_allclose(encoder.encode(MESSAGES), expected, atol=1e-5)


def test_a_message_alone_or_in_a_batch_gets_the_same_embedding(encoder: SentenceEncoder) -> None:
    batch = encoder.encode(MESSAGES)
    for message, embedding in zip(MESSAGES, batch):
        np.testing.assert_allclose(encoder.encode([message])[0], embedding, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)


def test_same_meaning_in_other_words_is_closer_than_another_topic(
        encoder: SentenceEncoder) -> None:
    sting, painful, duration = encoder.encode(
        ["does it sting", "is it painful", "how long does a session take"])
    assert sting @ painful > sting @ duration


def test_a_missing_model_file_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(SentenceEncoderMissing, match="make install"):
        SentenceEncoder(tmp_path / "none.onnx")
