"""Staff passwords: the rules a new one must meet, and argon2id hashes
(argon2-cffi's PasswordHasher with its defaults, the profile RFC 9106 recommends)."""
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
# Far above any passphrase; keeps every hash (and a login form) a small job.
MAX_LENGTH = 1024

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    pass


def check_rules(password: str, username: str) -> None:
    """Raise WeakPassword, saying what to change, unless `password` may be used."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password can have at most {MAX_LENGTH} characters")
    if password.strip().lower() == username.strip().lower():
        raise WeakPassword("the password must not be the username")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hasher's parameters have changed since this hash was made."""
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(32))


def check_against_nothing(password: str) -> None:
    """Take as long as checking a real password, for a username that doesn't
    exist, so the answer's timing doesn't tell which usernames do."""
    matches(_dummy_hash(), password)
