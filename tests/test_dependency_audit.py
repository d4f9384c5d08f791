"""make audit's verdicts (scripts/dependency_audit.py) on reports as pip-audit
and npm audit print them, offline."""
from datetime import date

import pytest

from scripts.dependency_audit import (Accepted, Unreachable, load_accepted, npm_findings,
                                      python_findings, verdict)

TODAY = date(2026, 11, 26)
PIP_AUDIT_REPORT = {"dependencies": [
    {"name": "jinja2", "version": "3.1.6", "vulns": []},
    {"name": "aiohttp", "version": "3.9.5", "vulns": [
        {"id": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2024-0001"], "fix_versions": ["3.10.11"]}]},
]}
# What this machine's npm registry answers (it serves no audit endpoint).
NPM_405 = {"message": "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/"
                      "security/advisories/bulk", "statusCode": 405}
NPM_REPORT = {"vulnerabilities": {
    "engine.io-client": {"range": "<6.5.4", "fixAvailable": {"name": "socket.io-client",
                                                             "version": "4.8.1"},
                         "via": [{"url": "https://github.com/advisories/GHSA-dddd-eeee-ffff"}]},
    "socket.io-client": {"range": "4.7.5", "fixAvailable": True, "via": ["engine.io-client"]},
}}


def accepted(id="CVE-2024-0001", review_by=date(2027, 3, 1)):
    return Accepted("aiohttp", id, "We serve no static files through aiohttp.", review_by)


def test_a_finding_nobody_accepted_fails_the_audit():
    lines, passed = verdict(python_findings(PIP_AUDIT_REPORT), [], TODAY)

    assert not passed
    assert lines == ["NOT ACCEPTED  PyPI aiohttp 3.9.5: GHSA-aaaa-bbbb-cccc / CVE-2024-0001, "
                     "fixed in 3.10.11"]


@pytest.mark.parametrize("id", ["GHSA-aaaa-bbbb-cccc", "CVE-2024-0001"])
def test_a_finding_accepted_by_its_id_or_an_alias_passes_with_the_reason(id):
    lines, passed = verdict(python_findings(PIP_AUDIT_REPORT), [accepted(id)], TODAY)

    assert passed
    assert "until 2027-03-01: We serve no static files through aiohttp." in lines[0]


def test_an_accepted_finding_past_its_review_date_fails_again():
    lines, passed = verdict(python_findings(PIP_AUDIT_REPORT),
                            [accepted(review_by=date(2026, 11, 1))], TODAY)

    assert not passed
    assert lines[0].startswith("REVIEW DUE")


def test_pip_audit_looking_nothing_up_is_not_a_clean_audit():
    # pip-audit itself then says "No known vulnerabilities found" and exits 0.
    report = {"dependencies": [{"name": "absl-py", "skip_reason": "Dependency not found on "
                                "PyPI and could not be audited: absl-py (1.4.0)"},
                               {"name": "jinja2", "version": "3.1.6", "vulns": []}]}

    with pytest.raises(Unreachable, match="could not look up 1 of 2 Python packages"):
        python_findings(report)


def test_an_npm_registry_without_audits_is_reported_as_unreachable():
    with pytest.raises(Unreachable, match="405 Method Not Allowed"):
        npm_findings(NPM_405)


def test_npm_findings_are_named_by_their_advisory():
    [finding] = npm_findings(NPM_REPORT)

    assert str(finding) == ("npm engine.io-client <6.5.4: GHSA-dddd-eeee-ffff, "
                            "fixed in socket.io-client 4.8.1")


def test_every_accepted_finding_says_why_and_when_to_look_again():
    for entry in load_accepted():
        assert entry.package and entry.id and len(entry.why) > 20
        assert isinstance(entry.review_by, date)
