"""Files holding secrets (clinic/secret_files.py): the model signing key, the
scaled deployment's Redis password and its config."""
import os
import stat

import pytest

from clinic.secret_files import ExposedSecret, create_secret, read_secret, write_secret


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_secret_replacing_a_readable_file_is_the_owner_s_only(tmp_path):
    config = tmp_path / "redis.conf"
    config.write_text("requirepass old\n")
    config.chmod(0o644)

    write_secret(config, "requirepass new\n")

    assert mode(config) == 0o600 and config.read_text() == "requirepass new\n"
    assert list(tmp_path.iterdir()) == [config]  # no draft left behind


def test_a_secret_is_made_once_and_kept(tmp_path):
    password = tmp_path / "var" / "redis-password"
    create_secret(password, "first\n")
    create_secret(password, "second\n")

    assert read_secret(password) == "first"
    assert mode(password) == 0o600 and mode(password.parent) == 0o700


@pytest.mark.parametrize("text, file_mode, refusal", [
    ("s3cret\n", 0o644, "readable by others"),
    ("s3cret\n", 0o640, "readable by others"),
    ("\n", 0o600, "is empty"),
])
def test_a_secret_others_can_read_or_an_empty_one_is_refused(tmp_path, text, file_mode, refusal):
    password = tmp_path / "redis-password"
    password.write_text(text)
    password.chmod(file_mode)

    with pytest.raises(ExposedSecret, match=refusal):
        read_secret(password)


def test_a_missing_secret_is_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_secret(tmp_path / "nothing")
    assert not os.path.exists(tmp_path / "nothing")
