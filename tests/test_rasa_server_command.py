"""The command line the Rasa servers are started with, read by Rasa's own parser."""
import shlex
from string import Template

from rasa.__main__ import create_argument_parser

from clinic.local_servers import rasa_server_command
from clinic.settings import PROJECT_ROOT

# secrets.token_urlsafe may begin with "-": one API token in 64.
TOKEN = "-Xq3_token-that-looks-like-an-option"


def test_rasa_reads_an_api_token_that_begins_with_a_dash(tmp_path) -> None:
    command = rasa_server_command(tmp_path / "model.tar.gz", 5005, TOKEN, "http://127.0.0.1")
    args = create_argument_parser().parse_args(command[3:])  # after "python -m clinic.rasa_server"
    assert args.auth_token == TOKEN
    assert args.enable_api


def test_the_procfile_passes_the_token_as_one_argument() -> None:
    rasa_line = next(line for line in (PROJECT_ROOT / "Procfile").read_text().splitlines()
                     if line.startswith("rasa:"))
    command = shlex.split(Template(rasa_line.split(":", 1)[1]).substitute(
        RASA_MODEL="models/model.tar.gz", ENDPOINTS_FILE="endpoints.yml", RASA_HOST="127.0.0.1",
        RASA_PORT="5005", RASA_CORS_ORIGINS="http://127.0.0.1", RASA_API_TOKEN=TOKEN))
    args = create_argument_parser().parse_args(command[3:])
    assert args.auth_token == TOKEN
