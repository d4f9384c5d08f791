"""The library versions our changes to their internals were checked against.

clinic/nlu_process.py replaces parts of Rasa's MessageProcessor and model
loader; clinic/engineio_fixes.py replaces parts of python-engineio's server
under python-socketio. Each calls `require` before it changes anything, so
another installed version stops the server at start instead of misbehaving;
tests/test_library_versions.py fails when requirements.lock pins another
version than these, until the changes are checked against it."""
from importlib.metadata import version

CHECKED = {
    "rasa": "3.6.21",
    "python-engineio": "4.15.1",
    "python-socketio": "5.18.1",
}


class UncheckedVersion(RuntimeError):
    pass


def require(*names: str) -> None:
    for name in names:
        installed = version(name)
        if installed != CHECKED[name]:
            raise UncheckedVersion(
                f"{name} {installed} is installed, but our changes to its internals were "
                f"checked against {CHECKED[name]} only (clinic/library_versions.py)")
