"""Known vulnerabilities in our dependencies (`make audit`): pip-audit on
requirements.lock, npm audit on widget/package-lock.json. Fails on any finding
not accepted in security-findings.toml, on an accepted one past its review
date, and when an audit service can't be reached: an audit that looked nothing
up has found nothing, and must not pass as if it had.

Runs in make audit's own venv (requirements-audit.txt), with no project imports."""
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import List, Sequence, Tuple

import tomli

ACCEPTED_FILE = Path("security-findings.toml")
PIP_AUDIT = [sys.executable, "-m", "pip_audit", "--requirement", "requirements.lock",
             "--no-deps", "--disable-pip", "--format", "json", "--progress-spinner", "off"]
NPM_AUDIT = ["npm", "audit", "--json", "--package-lock-only"]
WIDGET_DIR = "widget"


class Unreachable(Exception):
    """The audit service gave no answer to rely on."""


@dataclass(frozen=True)
class Finding:
    ecosystem: str  # PyPI or npm
    package: str
    version: str
    ids: Tuple[str, ...]  # the advisory's id first, then its aliases
    fixed_in: str

    def __str__(self) -> str:
        fix = f", fixed in {self.fixed_in}" if self.fixed_in else ", no fixed version yet"
        return f"{self.ecosystem} {self.package} {self.version}: {' / '.join(self.ids)}{fix}"


@dataclass(frozen=True)
class Accepted:
    package: str
    id: str
    why: str
    review_by: date

    def covers(self, finding: Finding) -> bool:
        return self.package.lower() == finding.package.lower() and self.id in finding.ids


def python_findings(report: dict) -> List[Finding]:
    """From pip-audit's JSON report, which lists a package it could not look up
    as skipped (and would otherwise print "No known vulnerabilities found")."""
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    if skipped or not dependencies:
        raise Unreachable(f"pip-audit could not look up {len(skipped)} of {len(dependencies)} "
                          f"Python packages ({skipped[0]['skip_reason'] if skipped else ''})")
    return [Finding("PyPI", d["name"], d["version"], (v["id"], *v.get("aliases", [])),
                    ", ".join(v.get("fix_versions", [])))
            for d in dependencies for v in d.get("vulns", [])]


def npm_findings(report: dict) -> List[Finding]:
    """From `npm audit --json`: its vulnerabilities by package, each advisory
    named by its GitHub advisory id (the last part of its url)."""
    if "vulnerabilities" not in report:
        raise Unreachable(f"npm audit got no answer: {report.get('message', report)}")
    findings = []
    for package, entry in report["vulnerabilities"].items():
        for advisory in entry["via"]:
            if isinstance(advisory, dict):  # else the name of a vulnerable dependency
                fix = entry.get("fixAvailable")
                findings.append(Finding(
                    "npm", package, entry.get("range", ""), (advisory["url"].rsplit("/", 1)[-1],),
                    f"{fix['name']} {fix['version']}" if isinstance(fix, dict) else ""))
    return findings


def load_accepted(path: Path = ACCEPTED_FILE) -> List[Accepted]:
    with path.open("rb") as file:
        entries = tomli.load(file).get("finding", [])
    return [Accepted(e["package"], e["id"], e["why"], e["review_by"]) for e in entries]


def verdict(findings: Sequence[Finding], accepted: Sequence[Accepted],
            today: date) -> Tuple[List[str], bool]:
    """What to print, and whether the audit passes."""
    lines, passed = [], True
    for finding in findings:
        covering = [entry for entry in accepted if entry.covers(finding)]
        if not covering:
            lines.append(f"NOT ACCEPTED  {finding}")
            passed = False
        elif covering[0].review_by < today:
            lines.append(f"REVIEW DUE    {finding} (accepted until {covering[0].review_by})")
            passed = False
        else:
            lines.append(f"accepted      {finding} (until {covering[0].review_by}: "
                         f"{covering[0].why})")
    return lines, passed


def _run(command: List[str], cwd: str = ".") -> dict:
    """The JSON a tool printed; both tools exit non-zero when they find something."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise Unreachable(f"{command[0]} printed no report: {done.stderr.strip()[-500:]}") from None


def main() -> int:
    findings, unreachable = [], []
    for name, collect, command, cwd in (
            ("Python packages (requirements.lock)", python_findings, PIP_AUDIT, "."),
            ("widget's npm packages (widget/package-lock.json)", npm_findings, NPM_AUDIT,
             WIDGET_DIR)):
        try:
            found = collect(_run(command, cwd))
        except Unreachable as problem:
            unreachable.append(f"{name}: audit service unreachable: {problem}")
            continue
        print(f"{name}: {len(found)} known vulnerabilities")
        findings += found
    lines, passed = verdict(findings, load_accepted(), date.today())
    print("\n".join(lines + unreachable))
    if unreachable:
        print("The audit is incomplete: it fails until the audit services can be reached.")
    return 0 if passed and not unreachable else 1


if __name__ == "__main__":
    sys.exit(main())
