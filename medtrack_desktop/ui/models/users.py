"""The user-administration table: one row per account of the clinic."""

from __future__ import annotations

from medtrack_desktop.domain.identity.accounts import UserInfo
from medtrack_desktop.ui.models.rows import Column, RowsTableModel


def _roles(user: UserInfo) -> str:
    return ", ".join(role.replace("_", " ") for role in user.roles)


COLUMNS: tuple[Column[UserInfo], ...] = (
    Column("User name", lambda u: u.username),
    Column("Name", lambda u: u.display_name),
    Column("Roles", _roles),
    Column("Active", lambda u: "Active" if u.is_active else "Disabled"),
    Column("Locked", lambda u: "Locked" if u.locked else ""),
    Column("Two-step sign-in", lambda u: "On" if u.mfa_enabled else ""),
    Column("Must change password", lambda u: "Yes" if u.must_change_password else ""),
)


class UsersTableModel(RowsTableModel[UserInfo]):
    def __init__(self) -> None:
        super().__init__(COLUMNS)

    def row_of(self, username: str) -> int:
        return next((i for i, user in enumerate(self.rows) if user.username == username), -1)
