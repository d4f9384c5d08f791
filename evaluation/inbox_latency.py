"""How long a patient's message takes to appear in the nurse's view of the
conversation (the staff console's handoff queue), in a real browser.

    python -m evaluation.inbox_latency [--messages 30]

Starts the whole assistant locally (SQLite), connects a patient over the real
socket.io channel, asks for a person; a nurse logs in to the console in
Debian's Chromium and claims the request on the queue page. Then the patient
sends messages one at a time, each at a random moment of the page's 2-second
update cycle and at most 20 a minute (PATIENT_MESSAGES_PER_MINUTE), and each is timed from its emit on the patient's socket to its
entry appearing in the nurse's page (a MutationObserver in the page notes the
moment; the browser and this script read the same system clock).
"""
import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from playwright.sync_api import expect

from clinic import model_build
from clinic.analytics import percentile
from clinic.local_servers import running_stack
from clinic.patient_socket import PatientSocket
from tests.browser import chromium, log_in

PATIENT_MESSAGES_APART = 3.1  # seconds: under the 20 a minute a patient may send

# Notes when each patient's message first shows in the queue's conversations.
NOTE_ARRIVALS = """() => {
  window.arrivedAt = {};
  new MutationObserver(() => {
    for (const text of document.querySelectorAll('#queue .entry--patient [data-field="text"]')) {
      if (!(text.textContent in window.arrivedAt)) window.arrivedAt[text.textContent] = Date.now();
    }
  }).observe(document.getElementById('queue'), { subtree: true, childList: true, characterData: true });
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--model", type=Path, default=None,
                        help="the trained model (default: the one for the current data)")
    args = parser.parse_args()
    random.seed(7)
    latencies = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        with running_stack(args.model or model_build.model_path(), folder,
                           f"sqlite:///{folder / 'conversations.db'}") as stack:
            for browser in chromium():
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                log_in(page, stack, "Nurse Bench")
                page.goto(f"{stack.web_url}/staff/handoffs")
                patient = PatientSocket(stack.rasa_url)
                patient.say("can I talk to a nurse please")
                patient.wait_for("will join this chat")
                page.get_by_role("button", name="Claim").click()
                expect(page.get_by_text("Claimed by you")).to_be_visible()
                page.evaluate(NOTE_ARRIVALS)
                marker = uuid.uuid4().hex[:6]
                last_sent = 0.0
                for number in range(args.messages):
                    # Anywhere in the page's update cycle, within the patient's rate limit.
                    time.sleep(max(random.uniform(0, 2),
                                   last_sent + PATIENT_MESSAGES_APART - time.time()))
                    text = f"are you there? {marker} {number}"
                    last_sent = time.time()
                    sent = last_sent * 1000
                    patient.say(text)
                    page.wait_for_function("(text) => text in window.arrivedAt", arg=text,
                                           timeout=30_000)
                    latencies.append(page.evaluate("(text) => window.arrivedAt[text]", text) - sent)
                patient.close()
    latencies.sort()
    print(f"patient's message (socket) -> nurse's view (Chromium) over {len(latencies)} "
          f"messages: p50 {statistics.median(latencies):.0f} ms, "
          f"p95 {percentile(latencies, 0.95):.0f} ms, max {latencies[-1]:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
