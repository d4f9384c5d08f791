"""Files that hold a secret (a key, a password, a config with a password in it):
readable by their owner only from the moment they exist, written whole (a
reader never sees half of one), and refused when others can read them."""
import os
import secrets
from pathlib import Path


class ExposedSecret(ValueError):
    """A secret file others can read, or an empty one."""


def _draft(path: Path, text: str) -> Path:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(text)
    return draft


def write_secret(path: Path, text: str) -> None:
    """`path` holds `text` (a new file, whatever the mode of the one it replaces)."""
    os.replace(_draft(path, text), path)


def create_secret(path: Path, text: str) -> None:
    """`path` holds `text` unless it exists; of two processes making it at once, one wins."""
    draft = _draft(path, text)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def read_secret(path: Path) -> str:
    """The secret in `path`, stripped; FileNotFoundError if there is none."""
    if path.stat().st_mode & 0o077:
        raise ExposedSecret(f"{path} is readable by others: `chmod 600 {path}`")
    secret = path.read_text().strip()
    if not secret:
        raise ExposedSecret(f"{path} is empty")
    return secret
