"""The web app's whole route table as the tests walk it: every method of every
route, mounted sub-apps included, with the role its dependencies require
(webapp/staff_auth.py's `require_role`)."""
import re
from dataclasses import dataclass
from typing import Iterator, List, Optional

from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute, Mount, Route

from clinic.staff import ROLES

PARAMETER = re.compile(r"{(\w+)(?::(\w+))?}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as declared, e.g. /staff/handoffs/{request_id:int}/claim
    required_role: Optional[str]  # None: no require_role among its dependencies

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, **values: str) -> str:
        """The path with each parameter filled in: from `values`, else 1 where a
        whole number is expected, else `sample`."""
        def value(match: re.Match) -> str:
            name, convertor = match.groups()
            return values.get(name, "1" if convertor == "int" else "sample")
        return PARAMETER.sub(value, self.path)

    @property
    def is_state_changing(self) -> bool:
        return self.method not in ("GET", "HEAD")


def _roles(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        role = getattr(dependency.call, "required_role", None)
        if role:
            yield role
        yield from _roles(dependency)


def _required_role(route: BaseRoute) -> Optional[str]:
    roles = list(_roles(route.dependant)) if hasattr(route, "dependant") else []
    return max(roles, key=ROLES.index) if roles else None


def _walk(routes: List[BaseRoute], prefix: str = "") -> Iterator[Endpoint]:
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            yield from _walk(route.routes, prefix + route.path)
        elif isinstance(route, Mount):  # an app of its own, e.g. StaticFiles: all it serves
            for method in ("GET", "HEAD"):
                yield Endpoint(method, f"{prefix}{route.path}/{{path:path}}", None)
        elif isinstance(route, Route):
            for method in sorted(route.methods):
                yield Endpoint(method, prefix + route.path, _required_role(route))
        else:
            raise AssertionError(f"A kind of route the tests don't know how to check: {route!r}")


def endpoints(app) -> List[Endpoint]:
    return list(_walk(app.routes))
