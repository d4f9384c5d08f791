"""How long a staff member's message takes to reach the patient's open chat.

    python -m evaluation.handoff_latency [--messages 20]

Starts the whole assistant locally (SQLite), connects a patient over socket.io,
asks for a person, claims the request through the staff API, then times each
staff message from the API call to its arrival in the patient's socket.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from clinic import model_build
from clinic.local_servers import running_stack
from clinic.patient_socket import PatientSocket


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        with running_stack(model_build.model_path(), folder,
                           f"sqlite:///{folder / 'conversations.db'}") as stack:
            patient = PatientSocket(stack.rasa_url)
            patient.say("can I talk to a nurse please")
            patient.wait_for("will join this chat")
            [request] = stack.staff("GET", "/handoffs")[1]
            stack.staff("POST", f"/handoffs/{request['id']}/claim")
            latencies = []
            for number in range(args.messages):
                sent = time.monotonic()
                stack.staff("POST", f"/handoffs/{request['id']}/messages",
                            body={"text": f"Staff message {number}"})
                arrived = patient.wait_for(f"Staff message {number}")["received_at"]
                latencies.append((arrived - sent) * 1000)
            patient.close()
    latencies.sort()
    print(f"staff message -> patient socket over {len(latencies)} messages: "
          f"median {statistics.median(latencies):.0f} ms, "
          f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.0f} ms, "
          f"max {latencies[-1]:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
