"""Benchmark: how long the content team waits, with the real commands.

    python -m evaluation.content_workflow_benchmark      (make benchmark-content)

On a copy of the project (a git worktree of HEAD, sharing .venv), with the
assistant running on the current model:
1. a sentence of a treatment page edited -> the new answer live: `make validate`,
   then the next answer (pages are read on every answer; nothing to retrain);
2. ten NLU examples added -> a promoted model: `make validate`, `make train`, the
   held-out evaluation and comparison (`make evaluate` without its cross-
   validation), `make promote`. While promote switches the running server, a
   patient keeps chatting; their reply times show whether anyone waited.
Prints each step's seconds. Needs a trained model (make train).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List

from clinic import model_build
from clinic.local_servers import Stack, running_stack
from clinic.model_metadata import ModelMetadata
from clinic.settings import PROJECT_ROOT

EDITED = ("about 15 to 30 minutes", "about 20 to 40 minutes")
TEN_EXAMPLES = """version: "3.1"
nlu:
  - intent: ask_cost
    examples: |
      - does my health fund pay part of the injections
      - what would four sessions cost me all up
      - can I claim the treatment on my private cover
      - is there a gap fee for each visit
      - how much is the first consultation before the injections
      - do you take payment plans for a course of injections
      - are the dextrose shots bulk billed
      - what does one visit set me back
      - would my workers compensation claim pay for this
      - is the price the same for the knee and the back
"""


def run(worktree: Path, *command: str, env: Dict[str, str] = None) -> float:
    """Run a command in the worktree; its seconds. Output goes to our stderr."""
    started = time.monotonic()
    subprocess.run(command, cwd=worktree, check=True, stdout=sys.stderr,
                   env={**os.environ, **(env or {})})
    return time.monotonic() - started


def make_worktree(folder: Path) -> Path:
    worktree = folder / "project"
    subprocess.run(["git", "worktree", "add", "--detach", str(worktree), "HEAD"],
                   cwd=PROJECT_ROOT, check=True, stdout=sys.stderr)
    (worktree / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    # Older than .venv's install stamp, so that make doesn't reinstall.
    for lock in ("requirements.lock", "requirements-model.txt"):
        os.utime(worktree / lock, (0, 0))
    (worktree / "models").mkdir()
    return worktree


def chat_while(stack: Stack, busy: threading.Event, replies_ms: List[float]) -> None:
    """A patient chatting until `busy` is cleared: each reply's time."""
    turn = 0
    while busy.is_set():
        started = time.perf_counter()
        stack.send("patient-during-promote", "how long does it take" if turn % 2 else "hello")
        replies_ms.append((time.perf_counter() - started) * 1000)
        turn += 1


def edit_to_live(worktree: Path, stack: Stack) -> Dict[str, float]:
    page = worktree / "content" / "treatments" / "prolotherapy.txt"
    page.write_text(page.read_text("utf-8").replace(*EDITED), "utf-8")
    started = time.monotonic()
    validate = run(worktree, "make", "validate")
    answer = " ".join(m.get("text", "") for m in stack.send("patient-edit", "how long is a session"))
    assert EDITED[1] in answer, answer
    return {"make validate": validate, "edit -> live answer": time.monotonic() - started}


def examples_to_promoted(worktree: Path, stack: Stack) -> Dict[str, float]:
    promote_env = {"RASA_SERVER_URLS": stack.rasa_url}
    (worktree / "var").mkdir(exist_ok=True)
    (worktree / "var" / "rasa-api-token").write_text(stack.api_token)
    # The model running now is the live one the new model is compared with.
    baseline = model_build.find_model()
    for path in (baseline, ModelMetadata.path_for(baseline)):
        shutil.copy(path, worktree / "models")
    run(worktree, ".venv/bin/python", "-m", "clinic.model_commands", "evaluate",
        baseline.name[:-len(".tar.gz")])  # as a live model is: evaluated once before
    run(worktree, "make", "promote", f"MODEL={baseline.name[:-len('.tar.gz')]}",
        "REASON=baseline", env=promote_env)

    (worktree / "data" / "nlu" / "benchmark_examples.yml").write_text(TEN_EXAMPLES, "utf-8")
    steps = {"make validate": run(worktree, "make", "validate"),
             "make train": run(worktree, "make", "train")}
    new = subprocess.run([".venv/bin/python", "-m", "clinic.model_build", "path"], cwd=worktree,
                         check=True, capture_output=True, text=True).stdout.strip()
    version = Path(new).name[:-len(".tar.gz")]
    steps["held-out evaluation and comparison"] = run(
        worktree, ".venv/bin/python", "-m", "clinic.model_commands", "evaluate", version)
    replies_ms: List[float] = []
    busy = threading.Event()
    busy.set()
    patient = threading.Thread(target=chat_while, args=(stack, busy, replies_ms))
    patient.start()
    try:
        steps["make promote"] = run(worktree, "make", "promote", f"MODEL={version}",
                                    "REASON=benchmark", "OVERRIDE=1", env=promote_env)
    finally:
        busy.clear()
        patient.join()
    steps["ten examples -> promoted model"] = sum(steps.values())
    print(f"replies during promote: {len(replies_ms)}, median {statistics.median(replies_ms):.0f} "
          f"ms, slowest {max(replies_ms):.0f} ms")
    return steps


def main() -> int:
    if model_build.find_model() is None:
        print("No model for the current data: run `make train` first.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="content-benchmark-") as tmp:
        folder = Path(tmp)
        worktree = make_worktree(folder)
        try:
            with running_stack(model_build.find_model(), folder,
                               f"sqlite:///{folder / 'conversations.db'}",
                               {"CLINIC_CONTENT_DIR": str(worktree / "content" / "treatments")}
                               ) as stack:
                figures = {**{f"1. {k}": v for k, v in edit_to_live(worktree, stack).items()},
                           **{f"2. {k}": v for k, v in examples_to_promoted(worktree, stack).items()}}
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)],
                           cwd=PROJECT_ROOT, check=False)
    for step, seconds in figures.items():
        print(f"{step:45} {seconds:7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
