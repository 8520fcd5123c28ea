"""What stands between a start and the sign-in window: only the key, the database's checks and
the window. Heavier imports and the search index's upkeep come after it shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from keyring.backends.fail import Keyring as NoKeyring
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from medtrack_desktop.app import READY_LINE
from medtrack_desktop.config import Settings
from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.identity.models import LocalSetting
from medtrack_desktop.domain.patients.models import PatientSearchTerm
from medtrack_desktop.domain.patients.search_terms import TERMS_VERSION
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.keys import KeyStore
from medtrack_desktop.ui.shell.controller import ShellController
from medtrack_desktop.ui.tasks import TaskRunner

# Modules the sign-in window never needs: each costs the start tens to hundreds of ms.
NOT_BEFORE_SIGN_IN = (
    "alembic",  # only when the database must be migrated
    "reportlab",
    "pydicom",
    "numpy",
    "psycopg",
    "medtrack_desktop.demo",  # only when the demo is built
    "medtrack_desktop.sync",
    "medtrack_desktop.ui.modules",  # the module pages: after sign-in
    "medtrack_desktop.ui.shell.main_window",
    "medtrack_desktop.domain.patients.models",  # the search index upkeep, after the window
    "medtrack_desktop.domain.patients.search_index",
)

# Runs the real app (``run``) and lists the loaded modules the moment the sign-in window shows,
# before the search index upkeep starts on a worker thread.
_PROBE = """
import json, sys
from medtrack_desktop.ui.shell.controller import ShellController
shown = ShellController.show_login
def show_login(self):
    shown(self)
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)
ShellController.show_login = show_login
from medtrack_desktop.__main__ import main
sys.exit(main(["--db", sys.argv[2], "--exit-when-ready"]))
"""


def _app_env(tmp_path: Path, key: bytes) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDTRACK_")}
    env.update(MEDTRACK_DATA_DIR=str(tmp_path / "data"), MEDTRACK_DB_KEY=key.hex(),
               MEDTRACK_CONFIG=str(tmp_path / "absent.toml"), QT_QPA_PLATFORM="offscreen")
    return env


def test_the_sign_in_window_path_loads_no_heavy_module(
    demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(listing), str(path)], env=_app_env(tmp_path, key),
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert READY_LINE in done.stdout.splitlines()
    loaded = set(json.loads(listing.read_text(encoding="utf-8")))
    assert "medtrack_desktop.ui.shell.login" in loaded  # the probe did see the window's path
    early = sorted(
        name for name in loaded
        if any(name == heavy or name.startswith(heavy + ".") for heavy in NOT_BEFORE_SIGN_IN)
    )
    assert early == []


def test_the_app_module_itself_loads_no_heavy_module() -> None:
    code = (
        "import json, sys; import medtrack_desktop.__main__, medtrack_desktop.app; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    loaded = set(json.loads(done.stdout))
    assert not [name for name in loaded
                if any(name == heavy or name.startswith(heavy + ".")
                       for heavy in NOT_BEFORE_SIGN_IN)]


def _stale_search_index(path: Path, key: bytes) -> None:
    store = Store.open(path, key)
    try:
        with store.session() as session:
            session.execute(PatientSearchTerm.__table__.delete())
            session.get_one(LocalSetting, "patient_search_terms_version").value = "outdated"
    finally:
        store.close()


def _index_state(store: Store) -> tuple[str | None, int]:
    with store.read_session() as session:
        version = session.get(LocalSetting, "patient_search_terms_version")
        terms = session.scalar(select(func.count()).select_from(PatientSearchTerm))
        return (version.value if version else None), terms or 0


def test_an_outdated_search_index_is_rebuilt_after_the_window_shows_and_sign_in_waits(
    qtbot: QtBot, demo_db: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, key = demo_db
    _stale_search_index(path, key)
    seen_at_show: list[tuple[str | None, int]] = []
    errors: list[str] = []
    controller: ShellController | None = None

    def at_show() -> None:
        assert controller is not None and controller.context is not None
        seen_at_show.append(_index_state(controller.context.store))

    controller = ShellController(
        settings=Settings(data_dir=tmp_path, db_path=path, backup_dir=tmp_path / "backups",
                          demo=False),
        keys=KeyStore(keyring_backend=NoKeyring(), environ={"MEDTRACK_DB_KEY": key.hex()}),
        tasks=TaskRunner(), show_error=errors.append, on_login_shown=at_show,
    )
    controller.start()
    try:
        assert errors == [] and controller.login is not None
        qtbot.addWidget(controller.login)
        assert seen_at_show == [("outdated", 0)], "the window did not wait for the rebuild"

        # Signed in at once: the password check waits for the rebuild, then passes.
        login = controller.login
        login.username.setText("physician")
        login.password.setText(DEMO_PASSWORD)
        login.sign_in.click()
        qtbot.waitUntil(lambda: controller.window is not None, timeout=30000)
        qtbot.addWidget(controller.window)
        assert controller.context is not None
        version, terms = _index_state(controller.context.store)
        assert version == TERMS_VERSION and terms > 0
        assert errors == []
    finally:
        controller.tasks.wait(10_000)
        if controller.window is not None:
            controller.window.close()
        controller.tasks.wait(10_000)
        if controller.context is not None:
            controller.context.store.close()
