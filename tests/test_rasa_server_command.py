"""The command line the Rasa servers are started with, read by Rasa's own parser:
the API token is not on it (every local user can read a command line), the
server adds it from RASA_API_TOKEN inside its process (clinic/rasa_server.py)."""
import shlex
from pathlib import Path
from string import Template

import pytest
from rasa.__main__ import create_argument_parser

from clinic.local_servers import rasa_server_command
from clinic.rasa_server import rasa_arguments
from clinic.settings import PROJECT_ROOT

# secrets.token_urlsafe may begin with "-": one API token in 64.
TOKEN = "-Xq3_token-that-looks-like-an-option"


def procfile_rasa_command(model: Path) -> list:
    rasa_line = next(line for line in (PROJECT_ROOT / "Procfile").read_text().splitlines()
                     if line.startswith("rasa:"))
    return shlex.split(Template(rasa_line.split(":", 1)[1]).substitute(
        RASA_MODEL=str(model), ENDPOINTS_FILE="endpoints.yml", RASA_HOST="127.0.0.1",
        RASA_PORT="5005", RASA_CORS_ORIGINS="http://127.0.0.1", RASA_API_TOKEN=TOKEN))


@pytest.mark.parametrize("command", [
    lambda model: rasa_server_command(model, 5005, "http://127.0.0.1"),
    procfile_rasa_command,
], ids=["local servers", "Procfile"])
def test_the_token_is_read_from_the_environment_not_the_command_line(
        command, trained_model, monkeypatch) -> None:
    monkeypatch.setenv("RASA_API_TOKEN", TOKEN)
    arguments = command(trained_model)[3:]  # after "python -m clinic.rasa_server"
    assert not any(TOKEN in argument or "auth-token" in argument for argument in arguments)

    args = create_argument_parser().parse_args(rasa_arguments(arguments))

    assert args.auth_token == TOKEN
    assert args.enable_api


def test_a_token_on_the_command_line_is_refused(trained_model, monkeypatch) -> None:
    monkeypatch.setenv("RASA_API_TOKEN", TOKEN)
    arguments = rasa_server_command(trained_model, 5005, "http://127.0.0.1")[3:]
    for given in (["--auth-token=secret"], ["-t", "secret"]):
        with pytest.raises(SystemExit, match="RASA_API_TOKEN, not --auth-token"):
            rasa_arguments([*arguments, *given])


def test_without_a_token_the_api_is_not_opened(trained_model, monkeypatch) -> None:
    monkeypatch.delenv("RASA_API_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="RASA_API_TOKEN is not set"):
        rasa_arguments(rasa_server_command(trained_model, 5005, "http://127.0.0.1")[3:])
