"""A model is retrained exactly when what training reads has changed."""
import shutil

from clinic import model_build
from clinic.settings import PROJECT_ROOT


def copy_of_training_inputs(tmp_path):
    for name in ("config.yml", "domain", "data", "requirements.lock", "requirements-model.txt"):
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    return tmp_path


def test_same_inputs_give_the_same_model_name(tmp_path):
    root = copy_of_training_inputs(tmp_path)

    assert model_build.fingerprint(root) == model_build.fingerprint(PROJECT_ROOT)


def test_an_edited_training_example_needs_a_new_model(tmp_path):
    root = copy_of_training_inputs(tmp_path)
    before = model_build.fingerprint(root)
    nlu_file = next((root / "data" / "nlu").glob("*.yml"))
    nlu_file.write_text(nlu_file.read_text() + "\n      - one more phrasing\n")

    assert model_build.fingerprint(root) != before


def test_a_changed_pipeline_needs_a_new_model(tmp_path):
    root = copy_of_training_inputs(tmp_path)
    before = model_build.fingerprint(root)
    (root / "config.yml").write_text((root / "config.yml").read_text().replace("part_confidence: 0.8", "part_confidence: 0.9"))

    assert model_build.fingerprint(root) != before
