"""Which model is live, and which was live before: every promotion and rollback,
in the clinic's database (DATABASE_URL), never changed afterwards.

The live models form a stack: a promotion puts a model on top, a rollback takes
the top one off, so rolling back twice after three promotions goes back to the
first model.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, select

from clinic.database import Base, Database, as_utc, utc_now

PROMOTE, ROLLBACK = "promote", "rollback"


class ModelDeploymentRow(Base):
    __tablename__ = "model_deployments"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    action = Column(String(20), nullable=False)
    version = Column(String(200), nullable=False)  # the model that went live
    by = Column(String(100), nullable=False)
    reason = Column(Text, nullable=False, default="")
    # The checks a promotion failed and was made anyway (--override); else NULL.
    overridden_checks = Column(Text)


@dataclass(frozen=True)
class Deployment:
    at: datetime
    action: str
    version: str
    by: str
    reason: str
    overridden_checks: Optional[str]


class NoEarlierModel(Exception):
    pass


class LiveModels:
    def __init__(self, database: Database) -> None:
        self.database = database

    def history(self) -> List[Deployment]:
        with self.database.session() as session:
            rows = session.scalars(select(ModelDeploymentRow).order_by(ModelDeploymentRow.id))
            return [Deployment(as_utc(r.at), r.action, r.version, r.by, r.reason,
                               r.overridden_checks) for r in rows]

    def _stack(self) -> List[str]:
        stack: List[str] = []
        for deployment in self.history():
            if deployment.action == PROMOTE:
                stack.append(deployment.version)
            else:
                stack.pop()
        return stack

    def live(self) -> Optional[str]:
        stack = self._stack()
        return stack[-1] if stack else None

    def previous(self) -> str:
        """The model a rollback puts back live."""
        stack = self._stack()
        if len(stack) < 2:
            raise NoEarlierModel("There is no earlier live model to roll back to.")
        return stack[-2]

    def promoted(self, version: str, by: str, reason: str,
                 overridden_checks: Optional[str] = None) -> None:
        self._record(PROMOTE, version, by, reason, overridden_checks)

    def rolled_back(self, by: str, reason: str) -> str:
        """Record the rollback; return the model now live."""
        version = self.previous()
        self._record(ROLLBACK, version, by, reason, None)
        return version

    def _record(self, action: str, version: str, by: str, reason: str,
                overridden_checks: Optional[str]) -> None:
        with self.database.session() as session:
            session.add(ModelDeploymentRow(action=action, version=version, by=by, reason=reason,
                                           overridden_checks=overridden_checks))
