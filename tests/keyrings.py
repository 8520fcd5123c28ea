"""An in-memory stand-in for the OS keyring (the world outside the app), shared by the tests
that keep secrets in one: it keeps and records what it is given."""

from __future__ import annotations

import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A double of the OS keyring (the only double in these tests): keeps and records secrets."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(("get", service, username))
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", service, username))
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", service, username))
        self.secrets.pop((service, username), None)


class RefusingKeyring(MemoryKeyring):
    """A keyring that exists but refuses to store (locked collection, denied by the user)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", service, username))
        raise keyring.errors.PasswordSetError("the collection is locked")


# keyring registers every backend class it sees; keep these doubles out of its automatic
# backend choice so no other test (or keyring.get_keyring()) ever picks them up.
for _double in (MemoryKeyring, RefusingKeyring):
    keyring.backend.KeyringBackend._classes.discard(_double)
