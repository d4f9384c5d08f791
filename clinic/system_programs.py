"""Programs the scaled deployment takes from the machine (Debian's packages),
looked up where Debian installs them, which a normal user's PATH may lack."""
import shutil
from typing import Sequence


class ProgramMissing(RuntimeError):
    """A program the deployment needs is not installed; the message says how to
    install it."""


def find_program(places: Sequence[str], missing: ProgramMissing) -> str:
    """The first of `places` (names on PATH or absolute paths) that exists;
    raises `missing` if none does."""
    for place in places:
        found = shutil.which(place)
        if found:
            return found
    raise missing
