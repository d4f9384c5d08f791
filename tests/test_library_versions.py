"""Our changes to libraries' internals (clinic/library_versions.py) are for
the versions requirements.lock installs, and refuse any other."""
import re

import pytest

from clinic import library_versions
from clinic.settings import PROJECT_ROOT


def test_the_versions_checked_are_the_versions_pinned():
    lock = (PROJECT_ROOT / "requirements.lock").read_text()
    pinned = {name: re.search(rf"^{re.escape(name)}==(\S+)", lock, re.M).group(1)
              for name in library_versions.CHECKED}

    assert pinned == library_versions.CHECKED


def test_another_installed_version_stops_the_change(monkeypatch):
    monkeypatch.setattr(library_versions, "version", lambda name: "99.0")

    with pytest.raises(library_versions.UncheckedVersion, match="python-engineio 99.0 is installed"):
        library_versions.require("python-engineio")
