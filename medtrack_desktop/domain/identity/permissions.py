"""The role -> permission matrix (data in resources/seed/permissions.toml) and the check."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from functools import cache

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.paths import resource


class PermissionDenied(Exception):
    """The acting user lacks a permission. The message is safe to show; ``patient_id`` names
    the patient whose record was refused, for the audit entry."""

    def __init__(
        self, permission: str, *, patient_id: uuid.UUID | None = None, message: str | None = None
    ) -> None:
        super().__init__(message or f"You do not have permission to do this ({permission}).")
        self.permission = permission
        self.patient_id = patient_id


@cache
def role_matrix() -> dict[str, tuple[str, frozenset[str]]]:
    """Role name -> (description, permissions)."""
    data = tomllib.loads(resource("seed", "permissions.toml").read_text(encoding="utf-8"))
    return {
        name: (spec["description"], frozenset(spec["permissions"]))
        for name, spec in data["roles"].items()
    }


def permissions_of(roles: tuple[str, ...]) -> frozenset[str]:
    matrix = role_matrix()
    granted: set[str] = set()
    for role in roles:
        granted |= matrix[role][1]
    return frozenset(granted)


def require(actor: Actor, permission: str, *, patient_id: uuid.UUID | None = None) -> None:
    if not actor.can(permission):
        raise PermissionDenied(permission, patient_id=patient_id)


@dataclass(frozen=True)
class RoleRow:
    role: str
    description: str
    permissions: tuple[str, ...]


def role_matrix_rows() -> list[RoleRow]:
    """The role -> permission matrix (seed data) as rows, in the file's order."""
    return [
        RoleRow(name, description, tuple(sorted(granted)))
        for name, (description, granted) in role_matrix().items()
    ]


def all_permissions() -> list[str]:
    """Every permission some role grants, sorted (the matrix view's columns)."""
    return sorted({perm for _desc, granted in role_matrix().values() for perm in granted})
