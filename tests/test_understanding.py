"""Scoring of the understanding evaluation (evaluation/understanding.py), the
quality gate on set D (evaluation/gate.py) and the Rasa baselines' fallback."""
import pytest
import yaml

from clinic.settings import PROJECT_ROOT
from evaluation import gate
from evaluation.baselines import LOGISTIC_REGRESSION_CONFIG
from evaluation.understanding import (Labelled, Prediction, confident_wrong_topic,
                                      condition_scores, figures, is_right,
                                      junk_conditions, load_set, prediction_from_parse)


def parse(intent, *entities, text="", confidence=0.9):
    return {"text": text, "intent": {"name": intent, "confidence": confidence},
            "entities": [dict(e) for e in entities]}


def also_asked(topic):
    return {"entity": "also_asked", "value": topic}


def condition(text, words):
    start = text.index(words)
    return {"entity": "condition", "start": start, "end": start + len(words), "value": words}


@pytest.mark.parametrize("label, prediction", [
    ("ask_duration+ask_side_effects", Prediction("ask_duration+ask_side_effects", 0.9)),
    ("ask_duration+ask_side_effects", Prediction("ask_side_effects+ask_duration", 0.9)),
    ("ask_duration+ask_side_effects", Prediction("ask_side_effects", 0.9, ("ask_duration",))),
    ("ask_duration", Prediction("ask_duration", 0.9)),
    ("nlu_fallback", Prediction("nlu_fallback", 0.4)),
    # A fallback asks what the patient means, whatever entities came with it.
    ("nlu_fallback", Prediction("nlu_fallback", 0.4, ("ask_results",))),
])
def test_right(label, prediction):
    assert is_right(label, prediction)


@pytest.mark.parametrize("label, prediction", [
    ("ask_duration+ask_side_effects", Prediction("ask_duration", 0.9)),
    ("ask_duration", Prediction("ask_duration+ask_side_effects", 0.9)),
    ("ask_duration", Prediction("ask_duration", 0.9, ("ask_results",))),
    ("nlu_fallback", Prediction("ask_results", 0.6)),
    ("ask_results", Prediction("nlu_fallback", 0.4)),
])
def test_wrong(label, prediction):
    assert not is_right(label, prediction)


def test_a_parse_of_either_design_gives_the_topics_and_conditions():
    text = "how long for my Tennis Elbow  and does it hurt"
    new = prediction_from_parse(parse("ask_duration", also_asked("ask_side_effects"),
                                      condition(text, "Tennis Elbow "), text=text))
    old = prediction_from_parse(parse("ask_duration+ask_side_effects", text=text))
    assert new == Prediction("ask_duration", 0.9, ("ask_side_effects",), ("tennis elbow",))
    assert is_right("ask_side_effects+ask_duration", new)
    assert is_right("ask_side_effects+ask_duration", old)


@pytest.mark.parametrize("label, prediction, counted", [
    ("greet", Prediction("ask_procedure", 0.8), True),
    ("ask_duration", Prediction("ask_duration+ask_side_effects", 0.8), True),
    ("ask_duration", Prediction("ask_duration", 0.8, ("ask_results",)), True),
    ("ask_duration+ask_results", Prediction("ask_duration", 0.8), False),  # half answered
    ("ask_duration", Prediction("nlu_fallback", 0.3), False),  # asked what they meant
    ("ask_duration", Prediction("ask_cost", 0.8), False),  # wrong, but not a page topic
])
def test_confident_wrong_topic(label, prediction, counted):
    assert confident_wrong_topic(label, prediction) is counted


def test_figures_share_confident_wrong_topics_over_all_messages_and_recall():
    pairs = [(Labelled("greet", "hi", ()), Prediction("ask_procedure", 0.8)),
             (Labelled("ask_results", "does it work", ()), Prediction("ask_results", 0.9)),
             (Labelled("report_emergency", "cant breathe", ()), Prediction("report_emergency", 1)),
             (Labelled("report_emergency", "chest hurts", ()), Prediction("nlu_fallback", 0.3))]
    result = figures(pairs)
    assert result["confident_wrong_topic"] == 0.25
    assert result["all_intents_accuracy"] == 0.5
    assert result["page_topic_accuracy"] == 1.0 and result["page_topic_messages"] == 1
    assert result["recall"] == {"report_emergency": 0.5, "request_human": None}


def test_conditions_are_matched_by_their_words():
    pairs = [(Labelled("ask_conditions", "", ("tennis elbow", "knee")),
              Prediction("ask_conditions", 0.9, (), ("knee", "elbow"))),
             (Labelled("ask_conditions", "", ("knee", "knee")),
              Prediction("ask_conditions", 0.9, (), ("knee",)))]
    scores = condition_scores(pairs)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 4)
    assert scores["f1"] == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))


def test_a_set_without_condition_annotations_has_no_condition_scores():
    pairs = [(Labelled("greet", "hi", ()), Prediction("greet", 0.9, (), ("hi",)))]
    assert condition_scores(pairs) == {"precision": None, "recall": None, "f1": None}


@pytest.mark.parametrize("words, junk", [
    ("/", True), ("(", True), ("...", True), ("it", True), ("my", True), ("the", True),
    ("back", False), ("knee", False), ("tmj", False)])
def test_punctuation_and_stop_word_conditions(words, junk):
    prediction = Prediction("ask_conditions", 0.9, (), (words,))
    assert junk_conditions([prediction]) == int(junk)


def test_junk_conditions_are_counted():
    assert junk_conditions([Prediction("ask_conditions", 0.9, (), ("acl", "(", ")")),
                            Prediction("greet", 0.9, (), ("it",))]) == 3


def test_a_set_is_read_with_its_conditions(tmp_path):
    path = tmp_path / "set.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: ask_duration+ask_results\n  examples: |\n'
                    "    - how long for my [Lower Back](condition) and does it work\n")
    assert load_set(path) == [Labelled("ask_duration+ask_results",
                                       "how long for my Lower Back and does it work",
                                       ("lower back",))]


PASSING = {"all_intents_accuracy": 1.0, "page_topic_accuracy": 1.0, "confident_wrong_topic": 0.0,
           "recall": {"report_emergency": 1.0, "request_human": 1.0},
           "conditions": {"precision": 1.0, "recall": 1.0, "f1": 1.0,
                          "punctuation_or_stop_words": 0}}


def test_the_gate_passes_good_figures():
    assert gate.failures(PASSING) == []


@pytest.mark.parametrize("change, failure", [
    ({"all_intents_accuracy": gate.MIN_ACCURACY - 0.01}, "all-intent accuracy"),
    ({"page_topic_accuracy": gate.MIN_PAGE_TOPIC_ACCURACY - 0.01}, "page-topic accuracy"),
    ({"confident_wrong_topic": gate.MAX_CONFIDENT_WRONG + 0.01}, "confident wrong topic"),
    ({"recall": {"report_emergency": 0.96, "request_human": 1.0}}, "report_emergency recall"),
    ({"recall": {"report_emergency": 1.0, "request_human": None}}, "request_human"),
    ({"conditions": {**PASSING["conditions"], "f1": gate.MIN_CONDITION_F1 - 0.01}},
     "condition F1"),
    ({"conditions": {**PASSING["conditions"], "punctuation_or_stop_words": 1}},
     "punctuation or stop words"),
])
def test_the_gate_fails(change, failure):
    problems = gate.failures({**PASSING, **change})
    assert len(problems) == 1 and failure in problems[0]


def fallback_thresholds(config_path):
    pipeline = yaml.safe_load(config_path.read_text())["pipeline"]
    return [{k: v for k, v in c.items() if k != "name"}
            for c in pipeline if c["name"] == "FallbackClassifier"]


def test_the_rasa_logistic_regression_baseline_falls_back_as_ours_does():
    assert fallback_thresholds(LOGISTIC_REGRESSION_CONFIG) == fallback_thresholds(
        PROJECT_ROOT / "config.yml")
