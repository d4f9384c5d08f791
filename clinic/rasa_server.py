"""`python -m clinic.rasa_server run ...`: Rasa's own command line (`rasa run`,
same arguments) with our fixes to Rasa installed first, in every Rasa server
process. Started as a module so that clinic/ is importable when Rasa reads the
logging config (the `rasa` script adds the project to sys.path only afterwards).

Two things differ from `rasa run`:
- the API token comes from RASA_API_TOKEN, not `--auth-token`: a process's
  command line (/proc/<pid>/cmdline, `ps`) is readable by every local user, its
  environment by its owner only. It is added to Rasa's arguments inside the
  process (sys.argv: /proc/<pid>/cmdline keeps the arguments the process was
  started with);
- the model given with `--model` must be one our training signed, in the models
  folder (clinic/model_signing.py), as for a model loaded while running.
Files the server makes (the SQLite database, its journals) are its owner's only.
"""
import os
import sys
from typing import List

from clinic import (action_response_check, empty_domain, endpoint_connections, event_types,
                    model_signing, nlu_process, settings)

# TensorFlow's own thread pools (Rasa reads these) default to one thread per
# core, and their threads spin while waiting: with two Rasa instances and the
# action servers on 2 cores they competed with each other. One thread each
# costs a single message nothing (the model is small) and raised two
# instances' throughput at 10 concurrent conversations from 26 to 32 a second.
# Set them in the environment to override.
TENSORFLOW_THREADS = {"TF_INTRA_OP_PARALLELISM_THREADS": "1",
                      "TF_INTER_OP_PARALLELISM_THREADS": "1"}


def rasa_arguments(arguments: List[str]) -> List[str]:
    """Rasa's arguments for `rasa run`: ours, with the API token when the HTTP API
    is enabled; a model our training signed."""
    if arguments[:1] != ["run"] or arguments[1:2] == ["actions"]:
        return arguments
    from rasa.__main__ import create_argument_parser

    parsed = create_argument_parser().parse_args(arguments)
    if parsed.auth_token is not None:
        raise SystemExit("Give the Rasa API token in RASA_API_TOKEN, not --auth-token: "
                                 "every local user can read a command line.")
    try:
        model_signing.trusted_model(parsed.model)
    except model_signing.UntrustedModel as problem:
        raise SystemExit(f"Not starting with --model {parsed.model}: {problem}") from None
    if not parsed.enable_api:
        return arguments
    try:
        token = settings.rasa_api_token()
    except RuntimeError as problem:  # no token: Rasa would open its API to anyone
        raise SystemExit(str(problem)) from None
    # "=": a token may begin with "-", which argparse would take for an option.
    return [*arguments, f"--auth-token={token}"]


def main() -> None:
    os.umask(0o077)
    for name, value in TENSORFLOW_THREADS.items():
        os.environ.setdefault(name, value)
    action_response_check.install()
    empty_domain.install()
    endpoint_connections.install()
    event_types.install()
    nlu_process.install()
    sys.argv[1:] = rasa_arguments(sys.argv[1:])
    from rasa.__main__ import main as rasa_main
    rasa_main()


if __name__ == "__main__":
    main()
