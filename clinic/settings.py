"""Settings read from environment variables, with the embedded defaults of `make run`.

The one place that reads the environment; `.env.example` documents every variable.
"""
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path_from_env(name: str, default: str) -> Path:
    path = Path(os.environ.get(name, default))
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class ClinicContact:
    """How patients reach the clinic's staff (placeholders in settings/clinic.yml)."""

    clinic_name: str
    phone: str
    email: str
    hours: str


def content_dir() -> Path:
    """Folder of the clinic's treatment documents, the source of every answer."""
    return _path_from_env("CLINIC_CONTENT_DIR", "content/treatments")


def topics_file() -> Path:
    """Which document sections answer which question topic."""
    return _path_from_env("CLINIC_TOPICS_FILE", "content/topics.yml")


@lru_cache(maxsize=None)
def clinic_contact() -> ClinicContact:
    path = _path_from_env("CLINIC_SETTINGS_FILE", "settings/clinic.yml")
    with path.open(encoding="utf-8") as file:
        data = yaml.safe_load(file)
    contact = data["contact"]
    return ClinicContact(
        clinic_name=data["clinic_name"],
        phone=contact["phone"],
        email=contact["email"],
        hours=contact["hours"],
    )


def red_flags_file() -> Path:
    """Patterns that make a message an emergency, whatever the classifier says."""
    return _path_from_env("CLINIC_RED_FLAGS_FILE", "content/red_flags.yml")


def conditions_file() -> Path:
    """The words the treatment pages use for the conditions patients name."""
    return _path_from_env("CLINIC_CONDITIONS_FILE", "content/conditions.yml")
