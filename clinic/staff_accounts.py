"""Staff accounts: who may log in to the staff console, in which role, with an
argon2id password hash (clinic/passwords.py). Failed logins are throttled by
the web app (webapp/login_throttle.py), per address: no account is ever locked.

    python -m clinic.staff_accounts add jane --name "Nurse Jane" --role staff
    python -m clinic.staff_accounts list
    python -m clinic.staff_accounts set-role jane editor
    python -m clinic.staff_accounts reset-password jane
    python -m clinic.staff_accounts disable jane      (enable jane)

`add` and `reset-password` ask for the password twice on a terminal, or read it
from the first line of standard input otherwise (for scripts). Every change is
recorded in the audit log. Admins make the same changes on the staff console's
accounts page (webapp/console_accounts.py).
"""
import argparse
import getpass
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Callable, List, Optional, Tuple

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Session

from clinic import passwords, settings
from clinic.audit_log import AuditLog
from clinic.database import Base, Database, iso, utc_now
from clinic.staff import ROLES, Staff

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,49}")


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id = Column(Integer, primary_key=True)
    username = Column(String(50), nullable=False, unique=True)  # stored in lower case
    display_name = Column(String(100), nullable=False)
    role = Column(String(20), nullable=False)
    password_hash = Column(String(255), nullable=False)
    password_changed_at = Column(DateTime(timezone=True), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False)

    def as_staff(self) -> Staff:
        return Staff(self.id, self.username, self.display_name, self.role)


class StaffSession(Base):
    """A logged-in browser (see clinic/staff_sessions.py); here, beside the
    accounts, because changes to an account end its sessions."""
    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    staff_id = Column(Integer, ForeignKey("staff_accounts.id"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    last_seen_at = Column(DateTime(timezone=True), nullable=False)


class AccountNotFound(LookupError):
    pass


class LoginOutcome(Enum):
    OK = "ok"
    WRONG = "wrong"  # unknown username, disabled account or wrong password: never said which


@dataclass(frozen=True)
class Login:
    outcome: LoginOutcome
    staff: Optional[Staff] = None  # the account the username names, if any (for the audit log)


def normal_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        raise ValueError("a username has 2 to 50 letters, digits, dots, dashes or "
                         "underscores, and starts with a letter or digit")
    return username


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


class StaffAccounts:
    def __init__(self, database: Database, clock: Callable[[], datetime] = utc_now) -> None:
        self._session = database.session
        self._clock = clock

    def add(self, username: str, display_name: str, role: str, password: str) -> Staff:
        username, role = normal_username(username), _check_role(role)
        display_name = " ".join(display_name.split())
        if not 0 < len(display_name) <= 100:
            raise ValueError("a display name has 1 to 100 characters")
        passwords.check_rules(password, username)
        with self._session() as session:
            if self._find(session, username):
                raise ValueError(f"there is already an account {username!r}")
            # Patients and staff tell staff apart by it (not case-sensitive, as they read).
            if display_name.casefold() in {
                    name.casefold() for name in session.scalars(select(StaffAccount.display_name))}:
                raise ValueError(f"another account already has the display name {display_name!r}")
            now = self._clock()
            account = StaffAccount(username=username, display_name=display_name, role=role,
                                   password_hash=passwords.hash_password(password),
                                   created_at=now, password_changed_at=now)
            session.add(account)
            session.flush()
            return account.as_staff()

    def accounts(self) -> List[dict]:
        with self._session() as session:
            return [{
                "id": account.id, "username": account.username,
                "display_name": account.display_name, "role": account.role,
                "active": account.active,
                "created_at": iso(account.created_at),
            } for account in session.scalars(select(StaffAccount).order_by(StaffAccount.username))]

    def account(self, username: str) -> Staff:
        with self._session() as session:
            return self._existing(session, username).as_staff()

    def set_role(self, username: str, role: str) -> None:
        role = _check_role(role)
        with self._session() as session:
            self._existing(session, username).role = role

    def reset_password(self, username: str, password: str) -> None:
        """Also ends the account's sessions (see clinic/staff_sessions.py)."""
        with self._session() as session:
            account = self._existing(session, username)
            passwords.check_rules(password, account.username)
            account.password_hash = passwords.hash_password(password)
            account.password_changed_at = self._clock()

    def set_active(self, username: str, active: bool) -> None:
        """Disabling also ends the account's sessions: enabling it again must
        not bring back a login that was open (perhaps a stolen one)."""
        with self._session() as session:
            account = self._existing(session, username)
            account.active = active
            if not active:
                session.execute(delete(StaffSession).where(StaffSession.staff_id == account.id))

    def authenticate(self, username: str, password: str) -> Login:
        """Every way to fail (unknown username, disabled account, wrong password)
        checks one argon2id hash, as a success does: the answer takes as long."""
        with self._session() as session:
            account = self._find(session, username)
        if account is None or not account.active:
            passwords.check_against_nothing(password)
            return Login(LoginOutcome.WRONG, account.as_staff() if account else None)
        if not passwords.matches(account.password_hash, password):
            return Login(LoginOutcome.WRONG, account.as_staff())
        if passwords.needs_rehash(account.password_hash):
            with self._session() as session:
                session.get(StaffAccount, account.id).password_hash = (
                    passwords.hash_password(password))
        return Login(LoginOutcome.OK, account.as_staff())

    @staticmethod
    def _find(session: Session, username: str) -> Optional[StaffAccount]:
        return session.scalars(
            select(StaffAccount).where(StaffAccount.username == username.strip().lower())
        ).first()

    def _existing(self, session: Session, username: str) -> StaffAccount:
        account = self._find(session, username)
        if account is None:
            raise AccountNotFound(f"there is no account {username.strip()!r}")
        return account


def same_password_twice(password: str, again: str) -> str:
    """The new password, when it was typed the same both times."""
    if again != password:
        raise ValueError("the two passwords differ; nothing was changed")
    return password


def _new_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return same_password_twice(getpass.getpass("Password (at least 12 characters): "),
                               getpass.getpass("The same password again: "))


def _arguments(arguments: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m clinic.staff_accounts",
                                     description="Manage staff console accounts.")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add an account (asks for its password)")
    add.add_argument("username")
    add.add_argument("--name", required=True, help='display name, e.g. "Nurse Jane"')
    add.add_argument("--role", choices=ROLES, default="staff")
    commands.add_parser("list", help="list the accounts")
    set_role = commands.add_parser("set-role", help="change an account's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=ROLES)
    for command, description in [
            ("reset-password", "set a new password (asks for it)"),
            ("disable", "stop an account from logging in"),
            ("enable", "let a disabled account log in again")]:
        commands.add_parser(command, help=description).add_argument("username")
    return parser.parse_args(arguments)


def _print_accounts(accounts: List[dict]) -> None:
    if not accounts:
        print("No accounts yet: add one with `make add-staff`.")
    for account in accounts:
        status = "active" if account["active"] else "disabled"
        print(f"{account['username']:<24} {account['role']:<7} {status:<8} "
              f"{account['display_name']}")


# Each change of an account, on the command line as in the staff console
# (webapp/console_accounts.py): it returns the audit log's action and details
# (never a password), and what to tell the admin.
def _add(accounts: StaffAccounts, username: str, display_name: str, role: str,
         password: str) -> Tuple[str, dict, str]:
    staff = accounts.add(username, display_name, role, password)
    return ("account_added", {"role": staff.role},
            f"Added {staff.role} account {staff.username!r} ({staff.display_name}).")


def _set_role(accounts: StaffAccounts, username: str, role: str) -> Tuple[str, dict, str]:
    accounts.set_role(username, role)
    return "role_changed", {"role": role}, f"{username!r} is now {role}."


def _reset_password(accounts: StaffAccounts, username: str,
                    password: str) -> Tuple[str, dict, str]:
    accounts.reset_password(username, password)
    return "password_reset", {}, f"New password set for {username!r}; its sessions have ended."


def _disable(accounts: StaffAccounts, username: str) -> Tuple[str, dict, str]:
    accounts.set_active(username, False)
    return "account_disabled", {}, f"Disabled {username!r}: it can no longer log in."


def _enable(accounts: StaffAccounts, username: str) -> Tuple[str, dict, str]:
    accounts.set_active(username, True)
    return "account_enabled", {}, f"Enabled {username!r}."


CHANGES = {"add": _add, "set-role": _set_role, "reset-password": _reset_password,
           "disable": _disable, "enable": _enable}


def change(accounts: StaffAccounts, audit: AuditLog, command: str, username: str,
           by: Optional[Staff] = None, **values: str) -> str:
    """Make one of the CHANGES to an account and record it in the audit log, as
    made by the admin `by` in the staff console, or else on the command line.
    Returns what to tell the admin. Raises ValueError or AccountNotFound, saying
    what is wrong, having changed nothing."""
    action, details, done = CHANGES[command](accounts, username, **values)
    audit.record(action, by, target_type="staff_account", target_id=normal_username(username),
                 details={"via": "staff console" if by else "command line", **details})
    return done


def _values(accounts: StaffAccounts, args: argparse.Namespace) -> dict:
    """The command's values besides the username; asks for the password it needs."""
    if args.command == "add":
        return {"display_name": args.name, "role": args.role, "password": _new_password()}
    if args.command == "set-role":
        return {"role": args.role}
    if args.command == "reset-password":
        accounts.account(args.username)  # an unknown name fails before the prompt
        return {"password": _new_password()}
    return {}


def main(arguments: List[str]) -> int:
    args = _arguments(arguments)
    database = Database(settings.database_url())
    accounts = StaffAccounts(database)
    if args.command == "list":
        _print_accounts(accounts.accounts())
        return 0
    try:
        done = change(accounts, AuditLog(database), args.command, args.username,
                      **_values(accounts, args))
    except (ValueError, LookupError) as error:
        print(f"ERROR {error}", file=sys.stderr)
        return 1
    print(done)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
