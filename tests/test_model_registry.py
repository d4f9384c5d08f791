"""The model registry without training: metadata, finding versions, the
promotion margin, the comparison with the live model, the live-model history
and what the commands print."""
import getpass
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from clinic import model_build, model_commands, settings
from clinic.database import Database
from clinic.live_model import LiveModels, NoEarlierModel
from clinic.model_comparison import changed_predictions, f1_changes, promotion_problems
from clinic.model_metadata import GitState, HeldoutFigures, ModelMetadata
from clinic.model_registry import ModelRegistry, UnknownModel
from clinic.settings import PROJECT_ROOT
from evaluation.nlu_report import IntentScores, NluReport

AT = datetime(2026, 11, 26, 15, 32, tzinfo=timezone.utc)


def figures(accuracy: float, **intent_f1: float) -> HeldoutFigures:
    return HeldoutFigures("2026-11-26T15:40:00+00:00", "heldout-1", accuracy,
                          sum(intent_f1.values()) / len(intent_f1), intent_f1)


def report(*errors) -> NluReport:
    """A report whose misclassified messages are (intent, predicted, text)."""
    return NluReport(0.9, 0.9, {}, [
        {"intent": intent, "text": text, "intent_prediction": {"name": predicted,
                                                               "confidence": 0.6}}
        for intent, predicted, text in errors])


def fake_version(models_dir: Path, name: str, heldout: HeldoutFigures = None) -> Path:
    """A model file (not a real model) with its metadata."""
    models_dir.mkdir(exist_ok=True)
    path = models_dir / f"{name}.tar.gz"
    path.write_bytes(b"")
    metadata = ModelMetadata.new(path, AT, 12.0, name.rsplit("-", 1)[1], {"data": "d"},
                                 GitState("abc123def456", True))
    (metadata.with_heldout(heldout) if heldout else metadata).write(path)
    return path


@pytest.fixture
def live_models(tmp_path) -> LiveModels:
    return LiveModels(Database(f"sqlite:///{tmp_path / 'clinic.db'}"))


# The promotion margin

def test_a_model_as_good_as_the_live_one_may_be_promoted():
    live = figures(0.95, greet=1.0, ask_cost=0.9)

    assert promotion_problems(live, figures(0.95, greet=1.0, ask_cost=0.9), 0.02) == []
    assert promotion_problems(live, figures(0.97, greet=1.0, ask_cost=0.95), 0.02) == []


def test_a_drop_within_the_margin_is_allowed_and_beyond_it_refused():
    live = figures(0.95, greet=1.0, ask_cost=0.9)

    assert promotion_problems(live, figures(0.93, greet=1.0, ask_cost=0.88), 0.02) == []
    assert promotion_problems(live, figures(0.92, greet=1.0, ask_cost=0.9), 0.02) == [
        "held-out accuracy 0.920 is below the live model's 0.950 by more than 0.02"]
    assert promotion_problems(live, figures(0.95, greet=1.0, ask_cost=0.85), 0.02) == [
        "ask_cost F1 0.850 is below the live model's 0.900 by more than 0.02"]
    assert promotion_problems(live, figures(0.95, greet=1.0, ask_cost=0.85), 0.1) == []


def test_an_intent_the_new_model_has_no_figure_for_counts_as_zero():
    problems = promotion_problems(figures(0.95, greet=1.0, ask_cost=0.9),
                                  figures(0.95, greet=1.0), 0.02)

    assert problems == ["ask_cost F1 0.000 is below the live model's 0.900 by more than 0.02"]


def test_the_margin_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("MODEL_PROMOTION_MARGIN", raising=False)
    assert settings.model_promotion_margin() == 0.02
    monkeypatch.setenv("MODEL_PROMOTION_MARGIN", "0.05")
    assert settings.model_promotion_margin() == 0.05
    for wrong in ("a lot", "-0.1", "2"):
        monkeypatch.setenv("MODEL_PROMOTION_MARGIN", wrong)
        with pytest.raises(ValueError, match="MODEL_PROMOTION_MARGIN must be a number from 0 to 1"):
            settings.model_promotion_margin()


def test_every_configured_rasa_server_is_switched(monkeypatch):
    monkeypatch.delenv("RASA_SERVER_URLS", raising=False)
    monkeypatch.setenv("RASA_URL", "http://10.0.0.1:5005")
    assert settings.rasa_server_urls() == ["http://10.0.0.1:5005"]
    monkeypatch.setenv("RASA_SERVER_URLS", "http://10.0.0.1:5005 http://10.0.0.2:5005")
    assert settings.rasa_server_urls() == ["http://10.0.0.1:5005", "http://10.0.0.2:5005"]


# The comparison with the live model

def test_f1_changes_list_the_intents_that_got_better_or_worse():
    changes = f1_changes(figures(0.9, greet=1.0, ask_cost=0.8, thank=0.7),
                         figures(0.9, greet=1.0, ask_cost=0.9, thank=0.5))

    assert changes == pytest.approx({"ask_cost": 0.1, "thank": -0.2})


def test_changed_predictions_are_found_from_the_misclassified_messages():
    live = report(("ask_cost", "ask_duration", "how much is it"),
                  ("thank", "greet", "ta"),
                  ("deny", "affirm", "nah"))
    new = report(("thank", "greet", "ta"),
                 ("greet", "thank", "hiya"),
                 ("deny", "goodbye", "nah"))

    changed = {(c.text, c.live, c.new) for c in changed_predictions(live, new)}

    assert changed == {("how much is it", "ask_duration", "ask_cost"),  # now right
                       ("hiya", "greet", "thank"),  # now wrong
                       ("nah", "affirm", "goodbye")}  # still wrong, differently


# Which model is live, and its history

def test_rollbacks_go_back_through_the_live_models_in_turn(live_models):
    for version, by in (("v1", "alice"), ("v2", "bob"), ("v3", "bob")):
        live_models.promoted(version, by, f"reason {version}")

    assert live_models.live() == "v3"
    assert live_models.rolled_back("carol", "v3 mixes up cost and duration") == "v2"
    assert live_models.rolled_back("carol", "") == "v1"
    assert live_models.live() == "v1"
    with pytest.raises(NoEarlierModel, match="no earlier live model"):
        live_models.rolled_back("carol", "")


def test_history_records_who_promoted_what_when_and_why(live_models):
    before = datetime.now(timezone.utc)
    live_models.promoted("v1", "alice", "first model")
    live_models.promoted("v2", "bob", "urgent fix", overridden_checks="thank F1 0.5 < 0.9")
    live_models.rolled_back("carol", "worse")

    history = live_models.history()

    assert [(d.action, d.version, d.by, d.reason, d.overridden_checks) for d in history] == [
        ("promote", "v1", "alice", "first model", None),
        ("promote", "v2", "bob", "urgent fix", "thank F1 0.5 < 0.9"),
        ("rollback", "v1", "carol", "worse", None),
    ]
    assert all(before <= d.at <= datetime.now(timezone.utc) for d in history)


def test_the_history_command_prints_a_table(live_models, capsys):
    live_models.promoted("2026-11-26-1532-aaaa", "alice", "first model")
    live_models.promoted("2026-11-27-0910-bbbb", "bob", "urgent", overridden_checks="thank F1")
    live_models.rolled_back("carol", "worse answers")

    assert model_commands.history(live_models) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["when", "(UTC)", "what", "model", "by", "reason"]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d +promoted +2026-11-26-1532-aaaa +alice +"
                    r"first model$", lines[1])
    assert "promoted (override)" in lines[2] and "[override of: thank F1]" in lines[2]
    assert lines[3].split()[2:] == ["rolled", "back", "to", "2026-11-26-1532-aaaa", "carol",
                                    "worse", "answers"]
    assert lines[4] == "Live now: 2026-11-26-1532-aaaa"


# Versions and their metadata

def test_metadata_is_written_beside_the_model_and_read_back(tmp_path):
    path = fake_version(tmp_path / "models", "2026-11-26-1532-0123456789abcdef",
                        figures(0.9, greet=1.0))

    metadata = ModelMetadata.read(path)

    assert (tmp_path / "models" / "2026-11-26-1532-0123456789abcdef.json").exists()
    assert metadata.version == "2026-11-26-1532-0123456789abcdef"
    assert metadata.fingerprint == "0123456789abcdef"
    assert metadata.git == GitState("abc123def456", True)
    assert metadata.heldout == figures(0.9, greet=1.0)


def test_the_git_commit_is_recorded_when_there_is_one(tmp_path):
    assert re.fullmatch(r"[0-9a-f]{40}", GitState.of(PROJECT_ROOT).commit)
    assert GitState.of(tmp_path) == GitState(None, False)


def test_the_documents_are_recorded_but_do_not_need_a_new_model(tmp_path):
    (tmp_path / "config.yml").write_text("pipeline: []\n")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "page.txt").write_text("Version 1\n")
    before = model_build.input_hashes(tmp_path), model_build.fingerprint(tmp_path)

    (tmp_path / "content" / "page.txt").write_text("Version 2\n")

    assert model_build.input_hashes(tmp_path)["documents"] != before[0]["documents"]
    assert model_build.input_hashes(tmp_path)["config"] == before[0]["config"]
    assert model_build.fingerprint(tmp_path) == before[1]


def test_a_model_is_found_for_the_inputs_only_with_its_metadata(tmp_path):
    (tmp_path / "config.yml").write_text("pipeline: []\n")
    fingerprint = model_build.fingerprint(tmp_path)
    models = tmp_path / "models"
    models.mkdir()
    (models / f"2026-11-26-1500-{fingerprint}.tar.gz").write_bytes(b"")  # metadata not written yet
    assert model_build.find_model(tmp_path, models) is None

    older = fake_version(models, f"2026-11-26-1532-{fingerprint}")
    newer = fake_version(models, f"2026-11-27-0900-{fingerprint}")
    fake_version(models, "2026-11-28-0900-0000000000000000")  # other inputs

    assert model_build.find_model(tmp_path, models) == newer != older


def test_a_version_is_found_by_its_name_file_name_or_path(tmp_path):
    path = fake_version(tmp_path / "models", "2026-11-26-1532-0123456789abcdef")
    registry = ModelRegistry(tmp_path / "models", tmp_path / "results", tmp_path / "heldout")

    for name in ("2026-11-26-1532-0123456789abcdef", path.name, str(path)):
        assert registry.find(name).path == path
    with pytest.raises(UnknownModel, match=r"There is no model '2026-01-01' .*`make models`"):
        registry.find("2026-01-01")


def test_figures_from_another_held_out_set_do_not_count(tmp_path):
    (tmp_path / "heldout").mkdir()
    (tmp_path / "heldout" / "set.yml").write_text("nlu: []\n")
    registry = ModelRegistry(tmp_path / "models", tmp_path / "results", tmp_path / "heldout")
    path = fake_version(tmp_path / "models", "2026-11-26-1532-0123456789abcdef",
                        figures(0.9, greet=1.0))  # "heldout-1": not this set's hash
    (tmp_path / "results" / path.name[:-7]).mkdir(parents=True)
    (tmp_path / "results" / path.name[:-7] / "intent_report.json").write_text(
        '{"accuracy": 0.9, "macro avg": {"f1-score": 0.9}}')

    assert registry.stored_report(registry.find(path.name)) is None


# The commands

def test_models_lists_the_versions_with_their_figures_and_the_live_one(tmp_path, live_models,
                                                                     capsys):
    registry = ModelRegistry(tmp_path / "models", tmp_path / "results", tmp_path / "heldout")
    fake_version(tmp_path / "models", "2026-11-26-1532-aaaaaaaaaaaaaaaa", figures(0.912, greet=1.0))
    fake_version(tmp_path / "models", "2026-11-27-0900-bbbbbbbbbbbbbbbb")
    live_models.promoted("2026-11-26-1532-aaaaaaaaaaaaaaaa", "alice", "")

    model_commands.list_models(registry, live_models)

    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["2026-11-26-1532-aaaaaaaaaaaaaaaa", "2026-11-26", "15:32",
                                getpass.getuser(), "0.912", "1.000",
                                "abc123de", "+changes", "LIVE"]
    assert lines[2].split()[4:6] == ["-", "-"]


def test_make_run_starts_the_live_model_else_the_current_datas(tmp_path, live_models,
                                                              monkeypatch, capsys):
    registry = ModelRegistry(tmp_path / "models", tmp_path / "results", tmp_path / "heldout")
    current = fake_version(tmp_path / "models", "2026-11-27-0900-bbbbbbbbbbbbbbbb")
    live = fake_version(tmp_path / "models", "2026-11-26-1532-aaaaaaaaaaaaaaaa")
    monkeypatch.setattr(model_build, "find_model", lambda models_dir: current)

    model_commands.live_path(registry, live_models)
    assert capsys.readouterr().out.strip() == str(current)

    live_models.promoted(live.name[:-7], "alice", "")
    model_commands.live_path(registry, live_models)
    printed = capsys.readouterr()
    assert printed.out.strip() == str(live)
    assert "2026-11-27-0900-bbbbbbbbbbbbbbbb.tar.gz, is not live" in printed.err

    live.unlink()
    model_commands.live_path(registry, live_models)
    printed = capsys.readouterr()
    assert printed.out.strip() == str(current)
    assert "is not in models/ any more" in printed.err


def test_bad_input_gets_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    monkeypatch.setenv("RASA_API_TOKEN", "token")

    assert model_commands.main(["promote", "no-such-model"]) == 1
    assert "There is no model 'no-such-model'" in capsys.readouterr().err
    assert model_commands.main(["rollback"]) == 1
    assert "There is no earlier live model to roll back to." in capsys.readouterr().err
    monkeypatch.delenv("RASA_API_TOKEN")
    assert model_commands.main(["rollback"]) == 1
    assert "RASA_API_TOKEN is not set" in capsys.readouterr().err
