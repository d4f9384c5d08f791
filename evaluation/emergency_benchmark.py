"""How long an emergency waits for its answer while other patients' heavy messages
are being read.

    python -m evaluation.emergency_benchmark [--rounds 3] [--heavy 50] [--addresses 5]

Starts the whole assistant locally (SQLite). Each round, `--heavy` chats from
`--addresses` loopback addresses (127.0.1.x, within the per-address limits) each
send one message of 2,000 CJK characters and emoji at once; meanwhile patients
at addresses of their own (127.0.2.x) send "crushing chest pain" one after
another, each once the previous one's emergency guidance has arrived, until
every heavy message is answered. Prints the emergency reply's p50/p95/max
(those sent while heavy messages were in flight) and the heavy messages' latency.
"""
import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List

from clinic import model_build
from clinic.local_servers import running_stack
from clinic.patient_socket import PatientSocket
from tests.heavy_messages import EMERGENCY, GUIDANCE, heavy_message

EMERGENCIES_PER_ROUND = 40  # at most; a round ends when the heavy messages are answered
TIMEOUT_SECONDS = 300


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


def summary(values: List[float]) -> str:
    if not values:
        return "none"
    return (f"p50 {statistics.median(values):.0f} ms, p95 {percentile(values, 0.95):.0f} ms, "
            f"max {max(values):.0f} ms over {len(values)}")


def one_round(rasa_url: str, round_number: int, heavy_count: int, addresses: int,
              pool: ThreadPoolExecutor):
    heavy = list(pool.map(
        lambda n: PatientSocket(rasa_url, from_address=f"127.0.1.{1 + n % addresses}"),
        range(heavy_count)))
    patients = list(pool.map(
        lambda n: PatientSocket(rasa_url, from_address=f"127.0.2.{1 + n}"),
        range(EMERGENCIES_PER_ROUND)))
    try:
        sent = time.monotonic()
        for number, sender in enumerate(heavy):
            sender.say(heavy_message(round_number * heavy_count + number))
        answers = [pool.submit(sender.next_message, TIMEOUT_SECONDS) for sender in heavy]
        emergencies = []
        for patient in patients:
            if all(answer.done() for answer in answers):
                break
            asked = time.monotonic()
            patient.say(EMERGENCY)
            arrived = patient.wait_for(GUIDANCE, TIMEOUT_SECONDS)["received_at"]
            if not all(answer.done() for answer in answers):  # still under load
                emergencies.append((arrived - asked) * 1000)
        heavy_latencies = [(answer.result()["received_at"] - sent) * 1000 for answer in answers]
        refused = sum("Please wait for my answer" in answer.result()["text"] for answer in answers)
    finally:
        for socket in heavy + patients:
            socket.close()
    return emergencies, heavy_latencies, refused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--heavy", type=int, default=50)
    parser.add_argument("--addresses", type=int, default=5)
    args = parser.parse_args()
    emergencies: List[float] = []
    heavy: List[float] = []
    refused = 0
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(16) as pool:
        folder = Path(folder)
        with running_stack(model_build.model_path(), folder,
                           f"sqlite:///{folder / 'conversations.db'}") as stack:
            for round_number in range(args.rounds):
                found = one_round(stack.rasa_url, round_number, args.heavy, args.addresses, pool)
                emergencies += found[0]
                heavy += found[1]
                refused += found[2]
    print(f"emergency reply with {args.heavy} heavy messages in flight: {summary(emergencies)}")
    print(f"heavy message reply (from the burst's start): {summary(heavy)}; "
          f"{refused} asked to wait")
    return 0


if __name__ == "__main__":
    sys.exit(main())
