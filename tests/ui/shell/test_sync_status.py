"""The main window's sync field and "Sync now" over a real workstation syncing with the suite's
real PostgreSQL (its own login), and a second workstation whose changes make the views refresh."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from demo_users import sign_in
from keyring.backends.fail import Keyring as NoKeyring
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy.engine import URL, make_url
from ui_support import app_context, when_passphrase_asked

from medtrack_desktop.config import Settings
from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import add_user
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.field_keys import field_key_setting
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.keys import KeyStore, WrappedKey, key_file_path
from medtrack_desktop.store.migrate import upgrade
from medtrack_desktop.store.server import open_server_engine
from medtrack_desktop.sync.background import UNREACHABLE, SyncStatus
from medtrack_desktop.sync.connection import save_server_connection
from medtrack_desktop.sync.join import join_clinic
from medtrack_desktop.sync.round import local_identity, sync_round
from medtrack_desktop.sync.server_setup import add_workstation, adopt_clinic, prepare_server
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.shell.controller import ShellController
from medtrack_desktop.ui.shell.main_window import MainWindow
from medtrack_desktop.ui.shell.passphrase import PassphraseDialog
from medtrack_desktop.ui.shell.sync_status import BackgroundSync, SyncStatusLabel, describe
from medtrack_desktop.ui.tasks import TaskRunner
from medtrack_desktop.ui.workspace import Changed

SHOTS = Path("/tmp/h-bg-shots")
PASSPHRASE = "correct horse battery staple"
CHICAGO = ZoneInfo("America/Chicago")


class Clinic2:
    """Workstation A (the window's, ``store``) and B, each with its own login on the server."""

    def __init__(self, admin: sa.Engine, url: str, store: Store, tmp: Path) -> None:
        self.admin, self.url = admin, url
        with store.session() as session:
            seat = initialize_workstation(session, clinic_name="Sync Clinic",
                                          workstation_name="Front 1")
        perform(store, Actor.system(seat), add_user, username="desk", password=DEMO_PASSWORD,
                first_name="Dee", last_name="Desk", roles=("front_desk",))
        with store.engine.connect() as connection:
            clinic = connection.execute(sa.select(Clinic.__table__)).mappings().one()
            field_key = bytes.fromhex(connection.execute(
                sa.text("SELECT value FROM local_settings WHERE key = :key"),
                {"key": field_key_setting(seat.clinic_id)}).scalar_one())
        adopt_clinic(admin, dict(clinic))
        self.server_a = self.login("a", seat.clinic_id)
        sync_round(store.engine, self.server_a)
        self.store_b = Store.open(tmp / "b.db", uuid.uuid4().bytes * 2, create=True)
        upgrade(self.store_b.engine)
        self.server_b = self.login("b", seat.clinic_id)
        join_clinic(self.store_b.engine, self.server_b, workstation_name="b",
                    field_key=field_key)

    def login(self, name: str, clinic_id: uuid.UUID) -> sa.Engine:
        login = add_workstation(self.admin, clinic_id=clinic_id, name=name)
        return sa.create_engine(make_url(self.url).set(
            drivername="postgresql+psycopg", username=login.role, password=login.password),
            poolclass=sa.pool.NullPool)

    def close(self) -> None:
        self.store_b.close()
        for engine in (self.server_a, self.server_b):
            engine.dispose()


def _drop_logins(admin_url: str) -> None:
    """Login and group roles belong to the cluster, not the test's database."""
    engine = sa.create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
    database = str(make_url(admin_url).database)
    with engine.connect() as connection:
        roles = connection.exec_driver_sql(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %(p)s "
            "ORDER BY rolname LIKE '%%\\_workstation'", {"p": database.lower() + "\\_%"}
        ).scalars().all()
        for role in roles:
            connection.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE usename = %(r)s", {"r": role})
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')
    engine.dispose()


@pytest.fixture
def clinic(pg_url: str, store: Store, tmp_path: Path) -> Iterator[Clinic2]:
    admin = open_server_engine(pg_url)
    prepare_server(admin)
    made = Clinic2(admin, pg_url, store, tmp_path)
    yield made
    made.close()
    admin.dispose()
    _drop_logins(pg_url)


@pytest.fixture
def context(store: Store, tmp_path: Path) -> Iterator[AppContext]:
    yield from app_context(store, tmp_path)


@pytest.fixture
def window(qtbot: QtBot, clinic: Clinic2, context: AppContext) -> Iterator[MainWindow]:
    sync = BackgroundSync(context.store.engine, lambda: clinic.server_a)
    made = MainWindow(context=context, actor=sign_in(context.store, "desk"), modules=[],
                      sync=sync)
    qtbot.addWidget(made)
    made.resize(1100, 640)
    made.show()
    sync.start()
    yield made
    sync.stop()


def _label(window: MainWindow) -> str:
    return window.sync_label.text()


def test_the_status_bar_shows_the_round(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: _label(window).startswith("Sync: Online · synced "), timeout=20_000)
    assert window.sync_label.isVisible()
    assert "Last successful sync:" in window.sync_label.toolTip()
    assert "Changes waiting to be sent: 0" in window.sync_label.toolTip()
    SHOTS.mkdir(exist_ok=True)
    window.statusBar().grab().save(str(SHOTS / "status-online.png"))


def test_sync_now_by_keyboard(qtbot: QtBot, window: MainWindow) -> None:
    assert window.sync is not None
    qtbot.waitUntil(lambda: _label(window).startswith("Sync: Online"), timeout=20_000)
    qtbot.wait(1000)  # the listener's first round is over too
    rounds = window.sync.runner.rounds
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.sync.runner.rounds > rounds
                    and _label(window).startswith("Sync: Online"), timeout=15_000)
    assert "F9\tSync now" in window.shortcut_lines()


def test_changes_from_another_workstation_refresh_the_views(
        qtbot: QtBot, window: MainWindow, clinic: Clinic2) -> None:
    qtbot.waitUntil(lambda: _label(window).startswith("Sync: Online"), timeout=20_000)
    notices: list[Changed] = []
    window.workspace.sig_changed.connect(notices.append)
    with clinic.store_b.engine.begin() as connection:
        connection.execute(sa.text("UPDATE clinics SET phone = '555-0177', "
                                   "version = version + 1"))
    sync_round(clinic.store_b.engine, clinic.server_b)  # B pushes: NOTIFY wakes A's runner
    qtbot.waitUntil(lambda: bool(notices), timeout=15_000)
    assert notices[0] & Changed.SCHEDULE and notices[0] & Changed.PATIENTS


def test_words_for_each_state(qtbot: QtBot) -> None:
    at = datetime(2027, 3, 8, 16, 42, tzinfo=UTC)  # 10:42 in Chicago
    label = SyncStatusLabel(CHICAGO)
    qtbot.addWidget(label)
    for name, status in (("pending", SyncStatus("online", at, None, 3, 1)),
                         ("offline", SyncStatus("offline", at, UNREACHABLE, 4, 0, retry_in=20))):
        label.show_status(status)
        label.adjustSize()
        SHOTS.mkdir(exist_ok=True)
        label.grab().save(str(SHOTS / f"status-{name}.png"))
    assert describe(SyncStatus("online", at, None, 3, 1), CHICAGO)[0] == \
        "Online · synced 10:42 · 3 pending · 1 conflict"
    assert describe(SyncStatus("online", at, None, 0, 2), CHICAGO)[0] == \
        "Online · synced 10:42 · 2 conflicts"
    text, tooltip = describe(SyncStatus("offline", at, UNREACHABLE, 4, 0, retry_in=20), CHICAGO)
    assert text == "Offline — retrying · 4 pending"
    assert UNREACHABLE in tooltip and "Next attempt in 20 s" in tooltip
    assert "10:42" in tooltip
    reason = ("The clinic server's database is at schema 0012, this workstation's at 0011: "
              "update this workstation so both run the same MedTrack version.")
    text, tooltip = describe(SyncStatus("refused", at, reason), CHICAGO)
    assert text.startswith("Refused: The clinic server's database") and len(text) < 80
    assert reason in tooltip
    assert describe(SyncStatus("not_configured"), CHICAGO)[0] == "Not connected"
    assert describe(None, CHICAGO)[0] == "Not connected"
    assert describe(SyncStatus("offline", None, "Sync failed (KeyError)."), CHICAGO)[0] == \
        "Sync error — retrying"


def test_a_sealed_sync_password_opens_with_the_database_passphrase(
        qtbot: QtBot, clinic: Clinic2, store: Store, db_key: bytes, tmp_path: Path) -> None:
    """No OS keyring: the database's key file and the server login's password are both sealed
    under one passphrase; typed once at start, it opens the database and, for the session's
    background sync, the password."""
    keys = KeyStore(keyring_backend=NoKeyring(), environ={})
    with store.engine.connect() as connection:
        clinic_id = local_identity(connection).clinic_id
    login = add_workstation(clinic.admin, clinic_id=clinic_id, name="a-sealed")
    address = make_url(clinic.url)
    save_server_connection(store.engine, URL.create(
        "postgresql", username=login.role, host=address.host, port=address.port,
        database=address.database, query=address.query).render_as_string(),
        login.password, keys, passphrase=PASSPHRASE)
    store.close()
    assert store.path is not None
    WrappedKey.wrap(db_key, PASSPHRASE).write(key_file_path(store.path))
    errors: list[str] = []
    controller = ShellController(
        settings=Settings(data_dir=tmp_path, db_path=store.path,
                          backup_dir=tmp_path / "backups", demo=False),
        keys=keys, tasks=TaskRunner(), show_error=errors.append)

    def answer(dialog: PassphraseDialog) -> None:
        qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
        qtbot.keyClick(dialog.passphrase, Qt.Key.Key_Return)

    when_passphrase_asked(answer)
    controller.start()
    try:
        assert errors == [] and controller.login is not None
        login_dialog = controller.login
        login_dialog.activateWindow()
        qtbot.waitUntil(login_dialog.username.hasFocus)
        qtbot.keyClicks(login_dialog.username, "desk")
        qtbot.keyClick(login_dialog.username, Qt.Key.Key_Tab)
        qtbot.keyClicks(login_dialog.password, DEMO_PASSWORD)
        qtbot.keyClick(login_dialog.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: controller.window is not None and controller.window.isVisible(),
                        timeout=10_000)
        window = controller.window
        assert window is not None
        qtbot.waitUntil(lambda: _label(window).startswith("Sync: Online · synced "),
                        timeout=20_000)
        assert login.password.encode() not in store.path.read_bytes()
    finally:
        if controller.window is not None:
            controller.window.close()
        if controller.login is not None:
            controller.login.close()
        controller.tasks.wait(5000)
        if controller.context is not None:
            controller.context.store.close()
