"""Fixtures of the storage tests: an in-memory stand-in for the OS keyring, file fingerprints."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from keyrings import MemoryKeyring, RefusingKeyring

FileState = Callable[[Path], dict[str, str | None]]
DB_FILE_SUFFIXES = ("", "-wal", "-journal")


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
