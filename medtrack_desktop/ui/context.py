"""What the composition root hands to the views: no globals, each view takes what it needs."""

from __future__ import annotations

from dataclasses import dataclass

from medtrack_desktop.config import Settings
from medtrack_desktop.domain.identity.actor import Seat
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.tasks import TaskRunner


@dataclass(frozen=True)
class DatabaseStatus:
    """Facts about the open database that are safe to show (no PHI)."""

    cipher_version: str
    schema_revision: str
    key_source: str


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    store: Store
    seat: Seat
    tasks: TaskRunner
    database: DatabaseStatus
