"""`python -m clinic.rasa_server run ...`: Rasa's own command line (`rasa run`,
same arguments) with our fixes to Rasa installed first, in every Rasa server
process. Started as a module so that clinic/ is importable when Rasa reads the
logging config (the `rasa` script adds the project to sys.path only afterwards)."""
import os

from clinic import (action_response_check, empty_domain, endpoint_connections, event_types,
                    nlu_process)

# TensorFlow's own thread pools (Rasa reads these) default to one thread per
# core, and their threads spin while waiting: with two Rasa instances and the
# action servers on 2 cores they competed with each other. One thread each
# costs a single message nothing (the model is small) and raised two
# instances' throughput at 10 concurrent conversations from 26 to 32 a second.
# Set them in the environment to override.
TENSORFLOW_THREADS = {"TF_INTRA_OP_PARALLELISM_THREADS": "1",
                      "TF_INTER_OP_PARALLELISM_THREADS": "1"}


def main() -> None:
    for name, value in TENSORFLOW_THREADS.items():
        os.environ.setdefault(name, value)
    action_response_check.install()
    empty_domain.install()
    endpoint_connections.install()
    event_types.install()
    nlu_process.install()
    from rasa.__main__ import main as rasa_main
    rasa_main()


if __name__ == "__main__":
    main()
