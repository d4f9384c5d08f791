"""A staff member as the rest of the code sees them: who is acting, and in which role."""
from dataclasses import dataclass

# Each role can do everything the ones before it can: editors also annotate
# conversations; admins also manage accounts and read the audit log.
ROLES = ("staff", "editor", "admin")


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    display_name: str
    role: str

    def has_role(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)
