"""Fixtures of the storage tests: an in-memory stand-in for the OS keyring, file fingerprints."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import keyring.backend
import keyring.errors
import pytest

FileState = Callable[[Path], dict[str, str | None]]
DB_FILE_SUFFIXES = ("", "-wal", "-journal")


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


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def refusing_keyring() -> RefusingKeyring:
    return RefusingKeyring()


def sha256_or_none(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture
def file_state() -> FileState:
    """SHA-256 of a database file and of its -wal and -journal (None where absent)."""

    def state(db_path: Path) -> dict[str, str | None]:
        return {suffix: sha256_or_none(Path(f"{db_path}{suffix}")) for suffix in DB_FILE_SUFFIXES}

    return state
