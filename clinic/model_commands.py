"""The content team's model commands: evaluate a trained model against the live
one, promote it, roll back, and the history of live models (CONTENT.md).

    python -m clinic.model_commands evaluate [MODEL]
    python -m clinic.model_commands promote MODEL [--reason TEXT] [--by NAME] [--override]
    python -m clinic.model_commands rollback [--reason TEXT] [--by NAME]
    python -m clinic.model_commands history
    python -m clinic.model_commands list
    python -m clinic.model_commands live-path   # the model `make run` starts

MODEL is a version as `list` shows it (its file name or path also do); evaluate
takes the model trained from the current data when none is given.
"""
import argparse
import getpass
import subprocess
import sys
from typing import Callable, List, Optional

from sqlalchemy.exc import OperationalError

from clinic import model_build, settings
from clinic.database import Database
from clinic.live_model import PROMOTE, LiveModels, NoEarlierModel
from clinic.model_comparison import print_comparison, promotion_problems
from clinic.model_registry import ModelRegistry, ModelVersion, UnknownModel
from clinic.model_switch import RasaServers
from evaluation.heldout import print_accuracy_per_file


class CommandError(Exception):
    """Bad input or a state the command can't work in: a message, not a traceback."""


def evaluate(registry: ModelRegistry, live_models: LiveModels, name: Optional[str],
             margin: float) -> int:
    version = registry.find(name) if name else _current_version(registry)
    report, version = registry.report(version)
    report.print(f"Held-out sets ({registry.heldout_dir.name}/)")
    print_accuracy_per_file(report, registry.heldout_dir)
    print(f"Written to {registry.results_dir / version.name}/")
    live_name = live_models.live()
    if live_name is None:
        print("No model is live yet (make promote puts one live): nothing to compare with.")
    elif live_name == version.name:
        print("This model is the live one.")
    else:
        live = _live_version(registry, live_name)
        live_report, live = registry.report(live)
        print_comparison(live.name, live_report, live.metadata.heldout,
                         report, version.metadata.heldout)
        problems = promotion_problems(live.metadata.heldout, version.metadata.heldout, margin)
        print(_refusal(problems, margin) if problems else
              f"It may be promoted: make promote MODEL={version.name} REASON=\"...\"")
    return 0


def promote(registry: ModelRegistry, live_models: LiveModels, servers: RasaServers,
            name: str, reason: str, by: str, override: bool, margin: float) -> int:
    version = registry.find(name)
    live_name = live_models.live()
    if live_name == version.name:
        print(f"{version.name} is already live.")
        return 0
    live = None
    problems: List[str] = []
    if live_name is None:
        print("No model is live yet: nothing to compare with.")
    else:
        live = _live_version(registry, live_name)
        live_figures = registry.report(live)[1].metadata.heldout
        new_figures = registry.report(version)[1].metadata.heldout
        problems = promotion_problems(live_figures, new_figures, margin)
    if problems and not override:
        print(_refusal(problems, margin))
        print("To promote it all the same, add OVERRIDE=1 (--override); that is recorded.")
        return 1
    if problems:
        print("Promoting despite its figures (override, recorded):")
        print("\n".join(f"  - {problem}" for problem in problems))
    return _put_live(servers, version, live, lambda: live_models.promoted(
        version.name, by, reason, "; ".join(problems) or None))


def rollback(registry: ModelRegistry, live_models: LiveModels, servers: RasaServers,
             reason: str, by: str) -> int:
    target = registry.find(live_models.previous())
    current = _live_version(registry, live_models.live())
    return _put_live(servers, target, current, lambda: live_models.rolled_back(by, reason))


def _put_live(servers: RasaServers, version: ModelVersion, live: Optional[ModelVersion],
              record: Callable[[], object]) -> int:
    """Load `version` on every server, then record it as live; if a server
    refuses it, put the others back on `live` and record nothing."""
    print(f"Loading {version.name} on {', '.join(servers.urls)}...", flush=True)
    outcome = servers.load(version.path)
    if outcome.failed:
        for url, problem in outcome.failed.items():
            print(f"  {url}: {problem}")
        if outcome.switched and live:
            RasaServers(list(outcome.switched), servers.token).load(live.path)
        elif outcome.switched:  # nothing recorded to put back: say so
            print(f"  {', '.join(outcome.switched)} now run {version.name} all the same; "
                  "restarting them (make run) starts the model they ran before.")
        print(f"Nothing recorded: {live.name if live else 'no model'} is live.")
        return 1
    record()
    for url, seconds in outcome.switched.items():
        print(f"  {url}: now running {version.name} (loaded in {seconds:.0f} s while the "
              "previous model kept answering)")
    for url in outcome.not_running:
        print(f"  {url}: not running; it will start with {version.name} (make run)")
    print(f"{version.name} is live.")
    return 0


def history(live_models: LiveModels) -> int:
    deployments = live_models.history()
    if not deployments:
        print("No model has been promoted yet.")
        return 0
    rows = [("when (UTC)", "what", "model", "by", "reason")]
    for d in deployments:
        what = ("promoted" if d.action == PROMOTE else "rolled back to") + (
            " (override)" if d.overridden_checks else "")
        reason = d.reason + (f" [override of: {d.overridden_checks}]"
                             if d.overridden_checks else "")
        rows.append((f"{d.at:%Y-%m-%d %H:%M}", what, d.version, d.by, reason))
    _print_table(rows)
    print(f"Live now: {live_models.live()}")
    return 0


def list_models(registry: ModelRegistry, live_models: LiveModels) -> int:
    versions = registry.versions()
    if not versions:
        print("No trained models yet: make train trains one.")
        return 0
    live_name = live_models.live()
    rows = [("model", "trained (UTC)", "by", "accuracy", "macro-F1", "commit", "")]
    for v in versions:
        m = v.metadata
        figures = m.heldout
        commit = (m.git.commit or "-")[:8] + (" +changes" if m.git.dirty else "")
        rows.append((v.name, m.trained_at[:16].replace("T", " "), m.trained_by,
                     f"{figures.accuracy:.3f}" if figures else "-",
                     f"{figures.macro_f1:.3f}" if figures else "-",
                     commit, "LIVE" if v.name == live_name else ""))
    _print_table(rows)
    print("accuracy, macro-F1: on the held-out messages ('-': not evaluated yet, make evaluate). "
          "commit: the git commit it was trained from; '+changes': with uncommitted changes.")
    return 0


def live_path(registry: ModelRegistry, live_models: LiveModels) -> int:
    """Print the live model's path, or, before any promotion, the current data's model."""
    current = model_build.find_model(models_dir=registry.models_dir)
    live_name = live_models.live()
    if live_name:
        try:
            live = registry.find(live_name)
        except UnknownModel:
            print(f"The live model {live_name} is not in models/ any more; "
                  "starting the model trained from the current data.", file=sys.stderr)
        else:
            if current and current != live.path:
                print(f"Starting the live model {live.name}. The model trained from the "
                      f"current data, {current.name}, is not live: make evaluate, then make "
                      f"promote MODEL={current.name.removesuffix('.tar.gz')}", file=sys.stderr)
            print(live.path)
            return 0
    if current is None:
        raise CommandError("No model for the current data; run `make train`.")
    print(current)
    return 0


def _current_version(registry: ModelRegistry) -> ModelVersion:
    path = model_build.find_model(models_dir=registry.models_dir)
    if path is None:
        raise CommandError("No model for the current data; run `make train` first.")
    return registry.find(path.name)


def _live_version(registry: ModelRegistry, name: str) -> ModelVersion:
    try:
        return registry.find(name)
    except UnknownModel:
        raise CommandError(f"The live model {name} is not in {registry.models_dir} any more, "
                           "so nothing can be compared with it or put back.") from None


def _refusal(problems: List[str], margin: float) -> str:
    return ("Promote would refuse it (margin MODEL_PROMOTION_MARGIN="
            f"{margin}):\n" + "\n".join(f"  - {problem}" for problem in problems))


def _print_table(rows: List[tuple]) -> None:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def _arguments(arguments: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m clinic.model_commands",
                                     description="Evaluate, promote and roll back models.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("evaluate").add_argument("model", nargs="?")
    for name in ("promote", "rollback"):
        command = commands.add_parser(name)
        if name == "promote":
            command.add_argument("model")
            command.add_argument("--override", action="store_true",
                                 help="promote even if its figures are worse (recorded)")
        command.add_argument("--reason", default="", help="why, for the history")
        command.add_argument("--by", default=getpass.getuser(),
                             help="who, for the history (default: your user name)")
    for name in ("history", "list", "live-path"):
        commands.add_parser(name)
    return parser.parse_args(arguments)


def run(arguments: argparse.Namespace) -> int:
    registry = ModelRegistry()
    live_models = LiveModels(Database(settings.database_url()))
    if arguments.command == "evaluate":
        return evaluate(registry, live_models, arguments.model, settings.model_promotion_margin())
    if arguments.command == "history":
        return history(live_models)
    if arguments.command == "list":
        return list_models(registry, live_models)
    if arguments.command == "live-path":
        return live_path(registry, live_models)
    servers = RasaServers(settings.rasa_server_urls(), settings.rasa_api_token())
    if arguments.command == "promote":
        return promote(registry, live_models, servers, arguments.model, arguments.reason,
                       arguments.by, arguments.override, settings.model_promotion_margin())
    return rollback(registry, live_models, servers, arguments.reason, arguments.by)


def main(arguments: List[str]) -> int:
    parsed = _arguments(arguments)
    try:
        return run(parsed)
    except (CommandError, UnknownModel, NoEarlierModel, ValueError, RuntimeError) as error:
        # RuntimeError and ValueError: settings (RASA_API_TOKEN, MODEL_PROMOTION_MARGIN).
        print(error, file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"Evaluating failed: `rasa test nlu` exited with {error.returncode}.",
              file=sys.stderr)
        return 1
    except OperationalError:
        # Not the error's text: the database URL may hold a password.
        print("The clinic's database (DATABASE_URL) could not be reached.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
