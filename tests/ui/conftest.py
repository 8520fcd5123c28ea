"""The application context most UI tests run in: the demo clinic, a task runner of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_support import app_context

from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext


@pytest.fixture
def context(demo_store: Store, tmp_path: Path) -> Iterator[AppContext]:
    yield from app_context(demo_store, tmp_path)
