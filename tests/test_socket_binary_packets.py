"""A socket.io binary packet to the patients' chat, against the real Rasa server.

The widget sends JSON text only. A binary event announces its attachments (the
engine.io binary messages after it) and python-socketio keeps them until all
have arrived: python-socketio 5.9 kept them even after the socket had gone
(CVE-2026-48804), and still keeps them while the socket stays. One socket
announcing 999,999 attachments grew the server by hundreds of MB, and the
per-message rate limits never saw it. The server now drops such a socket at
once (clinic/engineio_fixes.py)."""
import base64
import os
from pathlib import Path

import requests

from clinic.patient_socket import PatientSocket

# An engine.io message (4) carrying a socket.io binary event (5) that announces
# 999,999 attachments; each attachment is an engine.io binary message, "b" and
# base64 in the polling transport.
HEADER = '45999999-["user_uttered",{"_placeholder":true,"num":0}]'
ATTACHMENT_BYTES = 60_000  # 80 kB once in base64: under the socket's 100 kB limit
ATTACHMENTS = 2_500  # 150 MB
MAX_GROWTH_MB = 50


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def answered(rasa_url: str) -> str:
    patient = PatientSocket(rasa_url)
    try:
        patient.say("What is prolotherapy?")
        return patient.next_message(timeout=120)["text"]
    finally:
        patient.close()


def test_a_socket_announcing_999999_attachments_is_dropped_and_memory_stays(rasa_server):
    pid = rasa_server.processes["Rasa server"].pid
    answered(rasa_server.rasa_url)  # the server's memory after a conversation
    before = rss_mb(pid)

    attacker = PatientSocket(rasa_server.rasa_url)
    polling = {"url": f"{rasa_server.rasa_url}/socket.io/",
               "params": {"EIO": "4", "transport": "polling", "sid": attacker.client.eio.sid},
               "timeout": 60}
    attachment = b"b" + base64.b64encode(os.urandom(ATTACHMENT_BYTES))
    with requests.Session() as http:
        statuses = [http.post(data=HEADER.encode(), **polling).status_code]
        # An attacker sends on whatever the server answers.
        statuses += [http.post(data=attachment, **polling).status_code
                     for _ in range(ATTACHMENTS)]
    attacker.close()
    growth = rss_mb(pid) - before

    assert growth < MAX_GROWTH_MB, f"the Rasa server grew by {growth:.0f} MB"
    accepted = statuses.count(200)
    assert accepted <= 2, f"{accepted} of the attack's requests accepted"
    assert answered(rasa_server.rasa_url)


def test_a_socket_sending_packets_socket_io_cannot_read_is_dropped_without_a_traceback(
        rasa_server):
    """`4{}` and `49` reach the check parsed (a dict, a number); `4x` isn't a
    socket.io packet. A traceback for each filled the log at no cost."""
    log = rasa_server.settings.path.parent / "Rasa-server.log"
    logged_before = len(log.read_text())
    attacker = PatientSocket(rasa_server.rasa_url)
    polling = {"url": f"{rasa_server.rasa_url}/socket.io/", "timeout": 60,
               "params": {"EIO": "4", "transport": "polling", "sid": attacker.client.eio.sid}}
    with requests.Session() as http:
        statuses = [http.post(data=packet.encode(), **polling).status_code
                    for packet in ("4{}", "49", "4x")]
    attacker.close()

    assert statuses[0] == 200 and statuses[1:] == [400, 400]  # dropped after the first
    assert "Traceback" not in log.read_text()[logged_before:]
    assert answered(rasa_server.rasa_url)
