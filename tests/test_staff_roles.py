"""What each role may reach, and the admins' audit log page (the web app on a
temporary SQLite database)."""
import pytest

from clinic.audit_log import PAGE_SIZE
from tests.staff_console import clock, console  # noqa: F401


@pytest.mark.parametrize("role", ["staff", "editor"])
def test_staff_and_editors_cannot_open_the_audit_log(console, role):
    console.add("jane", role)
    console.log_in("jane")

    page = console.client.get("/staff/audit")
    api = console.client.get("/api/staff/audit")

    assert page.status_code == api.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert f"This needs the admin role; your account has the {role} role." in page.text
    assert "Audit log" not in console.client.get("/staff/").text


def test_admins_see_who_did_what_newest_first(console):
    console.add("ann", "admin", name="Ann Admin")
    console.log_in("ann")

    page = console.client.get("/staff/audit")
    api = console.client.get("/api/staff/audit")

    assert page.status_code == 200
    assert '<a href="/staff/audit">The audit log</a>' in console.client.get("/staff/").text
    assert "<td>ann</td>\n      <td>login</td>" in page.text
    [entry] = api.json()["entries"]
    assert (entry["username"], entry["action"]) == ("ann", "login")


def test_a_role_change_applies_without_logging_in_again(console):
    console.add("jane")
    console.log_in("jane")
    assert console.client.get("/staff/audit").status_code == 403

    console.accounts.set_role("jane", "admin")

    assert console.client.get("/staff/audit").status_code == 200


def test_the_audit_log_page_shows_what_it_records_as_text(console):
    admin = console.add("ann", "admin", name="Ann Admin")
    console.audit.record_view(admin, "conversation", "<script>alert('x')</script>")
    console.log_in("ann")

    page = console.client.get("/staff/audit").text

    assert "<script>alert" not in page
    assert "conversation &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


def test_the_audit_log_comes_a_hundred_entries_a_page(console):
    admin = console.add("ann", "admin", name="Ann Admin")
    for number in range(PAGE_SIZE + 10):
        console.audit.record_view(admin, "conversation", f"c{number}")
    console.log_in("ann")

    first = console.client.get("/staff/audit").text
    second = console.client.get("/staff/audit?page=2").text

    assert first.count("<tr>") == PAGE_SIZE + 1  # and the heading row
    assert "<td>login</td>" in first and "conversation c0<" not in first
    assert '<a href="/staff/audit?page=2">Older entries</a>' in first
    assert "conversation c0<" in second and "Older entries" not in second
    assert '<a href="/staff/audit?page=1">Newer entries</a>' in second


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5"])
def test_a_page_number_that_is_not_one_gets_a_polite_answer(console, page):
    console.add("ann", "admin", name="Ann Admin")
    console.log_in("ann")

    answer = console.client.get(f"/staff/audit?page={page}")

    assert answer.status_code == 400
    assert "pages are numbered from 1" in answer.text


def test_staff_actions_through_the_api_are_recorded(console):
    jane = console.add("jane")
    handoffs = console.client.app.state.handoff_store
    request = handoffs.request_handoff("conversation-1", "patient asked", False, {}).request
    callback = handoffs.add_callback("conversation-2", "Ann", "+15550100", "mornings", True)
    console.log_in("jane")
    csrf = {"X-CSRF-Token": console.csrf()}

    claimed = console.client.post(f"/api/staff/handoffs/{request['id']}/claim", headers=csrf)
    done = console.client.post(f"/api/staff/callbacks/{callback['id']}/done", headers=csrf)

    assert claimed.json()["claimed_by"] == done.json()["done_by"] == "Nurse Jane"
    recorded = console.stored(
        "SELECT staff_id, action, target_type, target_id FROM audit_log ORDER BY id")
    assert recorded[-2:] == [(jane.id, "handoff_claimed", "handoff_request", str(request["id"])),
                             (jane.id, "callback_done", "callback_request", str(callback["id"]))]
