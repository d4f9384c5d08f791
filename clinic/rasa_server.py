"""`python -m clinic.rasa_server run ...`: Rasa's own command line (`rasa run`,
same arguments) with our fixes to Rasa installed first, in every Rasa server
process. Started as a module so that clinic/ is importable when Rasa reads the
logging config (the `rasa` script adds the project to sys.path only afterwards)."""
from clinic import action_response_check


def main() -> None:
    action_response_check.install()
    from rasa.__main__ import main as rasa_main
    rasa_main()


if __name__ == "__main__":
    main()
