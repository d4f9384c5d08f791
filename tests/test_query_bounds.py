"""Whole numbers in addresses: every route of the web app, read from its route
table, answers a number far past any database integer (or a negative one) in
each of its path and query parameters with a clear 4xx, never a 500."""
from typing import Iterator, Set

import pytest
from fastapi.dependencies.models import Dependant

from tests.route_table import PARAMETER, endpoints
from tests.staff_console import clock, console  # noqa: F401
from webapp.app import app
from webapp.staff_auth import CSRF_HEADER

HUGE = ["922337203685477580", "9223372036854775808", "9" * 40, "-1", "0"]


def _query_parameters(dependant: Dependant) -> Iterator[str]:
    for parameter in dependant.query_params:
        yield parameter.alias
    for dependency in dependant.dependencies:
        yield from _query_parameters(dependency)


def query_parameters(path: str) -> Set[str]:
    return {name for route in app.routes if getattr(route, "path", None) == path
            and hasattr(route, "dependant") for name in _query_parameters(route.dependant)}


ENDPOINTS = [e for e in endpoints(app) if not e.path.startswith("/static")
             and (PARAMETER.search(e.path) or query_parameters(e.path))]


def test_the_audit_log_api_refuses_a_page_past_any_database_integer(console):
    console.add("boss", "admin")
    console.log_in("boss")

    answer = console.client.get("/api/staff/audit?page=922337203685477580")

    assert answer.status_code == 400
    assert answer.json() == {"detail": "There is no page '922337203685477580': pages are "
                                       "numbered from 1."}


def test_there_are_numbers_to_check():
    assert {"GET /api/staff/audit", "GET /staff/audit", "GET /staff/conversations",
            "POST /api/staff/handoffs/{request_id}/claim"} <= set(map(str, ENDPOINTS))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_numbers_past_any_database_integer_get_a_clear_refusal(console, endpoint):
    console.add("boss", "admin")
    console.log_in("boss")
    headers = {CSRF_HEADER: console.csrf()}

    for number in HUGE:
        values = {name: number for name, _ in PARAMETER.findall(endpoint.path)}
        params = {name: number for name in query_parameters(endpoint.path)}
        answer = console.client.request(endpoint.method, endpoint.url(**values), params=params,
                                        headers=headers, follow_redirects=False)
        assert answer.status_code < 500, (number, answer.text)
