"""Who is acting, from which seat. Every service takes one; the audit trail records it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Seat:
    """This workstation: the clinic it belongs to and its own registration."""

    clinic_id: uuid.UUID
    clinic_name: str
    workstation_id: uuid.UUID
    workstation_name: str
    clinic_timezone: str = "America/Chicago"


@dataclass(frozen=True)
class Actor:
    """An authenticated user (or the administrator's command line) at a seat."""

    user_id: uuid.UUID | None
    username: str
    display_name: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    seat: Seat

    @classmethod
    def system(cls, seat: Seat, *, name: str = "medtrack-admin") -> Actor:
        """The local administrator's command line: a person with access to the database key."""
        return cls(
            user_id=None,
            username=f"system:{name}",
            display_name="MedTrack administration",
            roles=("system",),
            permissions=frozenset({"*"}),
            seat=seat,
        )

    def can(self, permission: str) -> bool:
        return "*" in self.permissions or permission in self.permissions
