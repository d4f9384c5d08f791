"""The staff console shows the widget's "Talk to staff" button with the title
the patient saw (clinic/button_titles.py keeps a copy of the widget's)."""
import json
import shutil
import subprocess

from clinic.button_titles import TALK_TO_STAFF
from clinic.settings import PROJECT_ROOT
from tests.services import unavailable

READ_WIDGET_BUTTON = ("import { TALK_TO_STAFF } from './widget/src/messages.js';"
                      "console.log(JSON.stringify(TALK_TO_STAFF));")


def test_the_talk_to_staff_button_is_the_widget_s():
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js", "not installed; make widget needs it too")
    widget = subprocess.run([node, "--input-type=module", "-e", READ_WIDGET_BUTTON],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)

    assert json.loads(widget.stdout) == {"title": TALK_TO_STAFF.title,
                                         "payload": TALK_TO_STAFF.payload}
