"""Staff accounts: password rules, argon2id hashes, and the command line an
admin manages accounts with (run as a script would, password on stdin)."""
import os
import subprocess
import sys

import pytest
from argon2 import PasswordHasher

from clinic import passwords
from clinic.database import Database
from clinic.settings import PROJECT_ROOT
from clinic.staff_accounts import LoginOutcome, StaffAccounts

PASSWORD = "correct horse battery staple"


@pytest.fixture
def database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'clinic.db'}")
    yield database
    database.engine.dispose()


@pytest.fixture
def accounts(database):
    return StaffAccounts(database)


def stored(database, sql):
    with database.engine.connect() as connection:
        return connection.exec_driver_sql(sql).all()


def test_passwords_are_stored_only_as_argon2id_hashes(database, accounts):
    accounts.add("jane", "Nurse Jane", "staff", PASSWORD)

    [row] = stored(database, "SELECT * FROM staff_accounts")

    [password_hash] = [value for value in row if str(value).startswith("$argon2")]
    assert password_hash.startswith("$argon2id$")
    assert not any(PASSWORD in str(value) for value in row)
    assert accounts.authenticate("jane", PASSWORD).outcome is LoginOutcome.OK


def test_a_hash_made_with_older_parameters_is_renewed_at_login(database, accounts):
    accounts.add("jane", "Nurse Jane", "staff", PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE staff_accounts SET password_hash = ?", (weak,))

    assert accounts.authenticate("jane", PASSWORD).outcome is LoginOutcome.OK

    [(renewed,)] = stored(database, "SELECT password_hash FROM staff_accounts")
    assert renewed != weak and not passwords.needs_rehash(renewed)
    assert accounts.authenticate("jane", PASSWORD).outcome is LoginOutcome.OK


@pytest.mark.parametrize("username, password, problem", [
    ("jane", "short pass", "a password needs at least 12 characters"),
    ("jane.doe.nurse", "Jane.Doe.Nurse", "the password must not be the username"),
    ("j", PASSWORD, "a username has 2 to 50 letters"),
    ("jane doe", PASSWORD, "a username has 2 to 50 letters"),
])
def test_weak_passwords_and_odd_usernames_are_refused(accounts, username, password, problem):
    with pytest.raises(ValueError, match=problem):
        accounts.add(username, "Nurse Jane", "staff", password)
    assert accounts.accounts() == []


def test_usernames_are_unique_whatever_their_case(accounts):
    accounts.add("jane", "Nurse Jane", "staff", PASSWORD)

    with pytest.raises(ValueError, match="there is already an account 'jane'"):
        accounts.add("JANE", "Jane Again", "staff", PASSWORD)


def test_display_names_are_unique_whatever_their_case(accounts):
    # Patients and staff tell staff apart by them (clinic/handoff_store.py checks claims by id).
    accounts.add("jane", "Nurse Jane", "staff", PASSWORD)

    with pytest.raises(ValueError, match="another account already has the display name "
                                         "'NURSE JANE'"):
        accounts.add("jane2", "NURSE JANE", "admin", PASSWORD)
    assert [account["username"] for account in accounts.accounts()] == ["jane"]


def manage(database_url, *arguments, password=None):
    """`python -m clinic.staff_accounts ...`, the password on its standard input."""
    return subprocess.run(
        [sys.executable, "-m", "clinic.staff_accounts", *arguments],
        input=None if password is None else f"{password}\n", capture_output=True, text=True,
        cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": database_url}, timeout=60)


def test_admins_manage_accounts_on_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"

    added = manage(url, "add", "Jane", "--name", "Nurse Jane", "--role", "staff", password=PASSWORD)
    promoted = manage(url, "set-role", "jane", "editor")
    listed = manage(url, "list")

    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "Added staff account 'jane' (Nurse Jane)."
    assert promoted.stdout.strip() == "'jane' is now editor."
    [line] = listed.stdout.splitlines()
    assert line.split() == ["jane", "editor", "active", "Nurse", "Jane"]

    reset = manage(url, "reset-password", "jane", password="a brand new passphrase")
    database = Database(url)
    accounts = StaffAccounts(database)
    assert reset.returncode == 0, reset.stderr
    assert accounts.authenticate("jane", PASSWORD).outcome is LoginOutcome.WRONG
    assert accounts.authenticate("jane", "a brand new passphrase").outcome is LoginOutcome.OK

    disabled = manage(url, "disable", "jane")
    assert disabled.stdout.strip() == "Disabled 'jane': it can no longer log in."
    assert "disabled" in manage(url, "list").stdout
    assert accounts.authenticate("jane", "a brand new passphrase").outcome is LoginOutcome.WRONG
    assert [action for (action,) in stored(database, "SELECT action FROM audit_log")] == [
        "account_added", "role_changed", "password_reset", "account_disabled"]
    database.engine.dispose()


def test_the_command_line_says_what_is_wrong_and_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"

    weak = manage(url, "add", "jane", "--name", "Nurse Jane", password="jane")
    unknown = manage(url, "reset-password", "nobody", password=PASSWORD)
    bad_role = manage(url, "add", "jane", "--name", "Nurse Jane", "--role", "boss",
                      password=PASSWORD)

    assert (weak.returncode, weak.stderr.strip()) == (
        1, "ERROR a password needs at least 12 characters")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "ERROR there is no account 'nobody'")
    assert bad_role.returncode == 2 and "invalid choice: 'boss'" in bad_role.stderr
    assert manage(url, "list").stdout.strip() == "No accounts yet: add one with `make add-staff`."
