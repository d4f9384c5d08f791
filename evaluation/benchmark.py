"""Benchmark: training time, server start time, reply latency and memory.

    python -m evaluation.benchmark [--skip-training] [--messages 1000]

Trains a model from scratch into a temporary folder (unless --skip-training, which
uses the current model), starts the whole assistant (action server, Rasa server
with its NLU worker, web app), sends patient messages over REST one after another
(held-out messages, 10 per conversation), and prints latency percentiles and each
server's resident memory, and the whole assistant's.

Resident memory is given two ways: RSS counts the shared libraries every process
maps (TensorFlow's, which Rasa imports in the server and in the NLU worker) once
per process; PSS shares each page among the processes that map it, so their sum
is what the assistant holds of the machine's memory.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

from clinic import model_build
from clinic.local_servers import Stack, running_stack
from clinic.training_data_check import HELDOUT_DIR, load_examples

MESSAGES_PER_CONVERSATION = 10


def child_pids(pid: int) -> List[int]:
    """The process's children, started by any of its threads (a Rasa server starts
    a model switch's NLU worker from a worker thread), from /proc."""
    return [int(child) for children in Path(f"/proc/{pid}/task").glob("*/children")
            for child in children.read_text().split()]


def _kilobytes(path: Path, field: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise ValueError(f"no {field} in {path}")


def resident_memory_mb(pid: int, proportional: bool = False) -> float:
    """Resident memory of a process and its children, in MB (from /proc): RSS,
    or PSS when `proportional`."""
    source, field = ("smaps_rollup", "Pss:") if proportional else ("status", "VmRSS:")
    return sum(_kilobytes(Path(f"/proc/{each}/{source}"), field)
               for each in [pid, *child_pids(pid)]) / 1024


def train(folder: Path) -> Tuple[Path, float]:
    """A new, signed model version in `folder`, as `make train` makes one, and the
    seconds it took."""
    # Without its cache Rasa trains every component again, as on a fresh clone.
    os.environ["RASA_MAX_CACHE_SIZE"] = "0"
    started = time.monotonic()
    model = model_build.train_version(models_dir=folder)  # Rasa's progress goes to stderr
    return model, time.monotonic() - started


def timed_send(stack: Stack, sender: str, text: str) -> float:
    started = time.perf_counter()
    stack.send(sender, text)
    return (time.perf_counter() - started) * 1000


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if args.skip_training:
            model = model_build.model_path()
            print("training:        skipped (--skip-training)")
        else:
            model, seconds = train(folder)
            print(f"training:        {seconds:.0f} s (rasa train, from scratch, Rasa's cache off)")

        started = time.monotonic()
        with running_stack(model, folder, f"sqlite:///{folder / 'conversations.db'}") as stack:
            print(f"server start:    {time.monotonic() - started:.1f} s "
                  "(action server, Rasa server and web app, one after another, until each answers)")
            texts = [text for _, text in load_examples(HELDOUT_DIR)]
            stack.send("warm-up", "hello")
            latencies = [
                timed_send(stack, f"bench-{n // MESSAGES_PER_CONVERSATION}", texts[n % len(texts)])
                for n in range(args.messages)
            ]
            print(f"reply latency:   p50 {percentile(latencies, 0.50):.0f} ms, "
                  f"p95 {percentile(latencies, 0.95):.0f} ms, "
                  f"p99 {percentile(latencies, 0.99):.0f} ms, "
                  f"mean {statistics.mean(latencies):.0f} ms "
                  f"over {len(latencies)} REST messages, one at a time")
            pids = {name: process.pid for name, process in stack.processes.items()}
            for proportional, label in ((False, "RSS"), (True, "PSS")):
                each = {name: resident_memory_mb(pid, proportional) for name, pid in pids.items()}
                print(f"resident memory ({label}) after {len(latencies)} messages: "
                      + ", ".join(f"{name} {mb:.0f} MB" for name, mb in each.items())
                      + f"; the whole assistant {sum(each.values()):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
