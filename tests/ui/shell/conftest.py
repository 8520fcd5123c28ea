"""Shell fixtures: a whole app run (controller, sign-in, main window) over a demo database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import shiboken6
from keyring.backends.fail import Keyring as NoKeyring
from pytestqt.qtbot import QtBot

from medtrack_desktop.config import Settings
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.ui.shell.controller import ShellController
from medtrack_desktop.ui.tasks import TaskRunner


@pytest.fixture
def make_shell(
    qtbot: QtBot, demo_db: tuple[Path, bytes], tmp_path: Path
) -> Iterator[Callable[[int | None], ShellController]]:
    path, key = demo_db
    made: list[ShellController] = []

    def make(idle_ms: int | None) -> ShellController:
        settings = Settings(data_dir=tmp_path, db_path=path, backup_dir=tmp_path / "backups",
                            demo=False)
        keys = KeyStore(keyring_backend=NoKeyring(), environ={"MEDTRACK_DB_KEY": key.hex()})
        errors: list[str] = []
        controller = ShellController(settings=settings, keys=keys, tasks=TaskRunner(),
                                     show_error=errors.append, idle_lock_ms=idle_ms)
        controller.start()
        assert errors == [] and controller.login is not None
        qtbot.addWidget(controller.login)
        made.append(controller)
        return controller

    yield make
    for controller in made:
        controller.tasks.wait(10_000)
        if controller.window is not None and shiboken6.isValid(controller.window):
            controller.window.close()
        controller.tasks.wait(10_000)
        if controller.context is not None:
            controller.context.store.close()


