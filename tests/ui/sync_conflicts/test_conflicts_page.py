"""The Sync conflicts page over a workstation holding a real conflict (two workstations changed
one patient offline and synced through the suite's PostgreSQL), driven by the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from conflict_world import conflicts, patient_conflict
from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sync_world import Workstation, book_the_same_slot, row_of
from ui_support import app_context, make_workspace, settle

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.modules import modules_for
from medtrack_desktop.ui.sync_conflicts.module import CONFLICTS
from medtrack_desktop.ui.sync_conflicts.page import ConflictsPage
from medtrack_desktop.ui.workspace import Changed

SHOTS = Path("/tmp/h-conflict-shots")


class Answers:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, _parent: QWidget, title: str, question: str) -> bool:
        self.asked.append(f"{title}: {question}")
        return True


@pytest.fixture
def on_b(pair: tuple[Workstation, Workstation], tmp_path: Path) -> Iterator[AppContext]:
    """The application context of workstation ``b``."""
    yield from app_context(pair[1].store, tmp_path / "app")


def _page(qtbot: QtBot, context: AppContext, actor: Actor, answers: Answers
          ) -> tuple[ConflictsPage, list[Changed]]:
    workspace = make_workspace(qtbot, context, actor)
    notices: list[Changed] = []
    workspace.sig_changed.connect(notices.append)
    page = ConflictsPage(context, actor, workspace, confirm=answers)
    qtbot.addWidget(page.view)
    page.view.resize(1366, 768)
    page.view.show()
    page.view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page.view)
    settle(qtbot, context)
    return page, notices


def _shot(page: ConflictsPage, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert page.view.grab().save(str(SHOTS / name))


def test_a_patient_conflict_merged_field_by_field_by_keyboard(
        qtbot: QtBot, pair: tuple[Workstation, Workstation], on_b: AppContext,
        admin: sa.Engine) -> None:
    a, b = pair
    patient, _conflict = patient_conflict(a, b)
    desk = sign_in(b.store, "desk")
    assert CONFLICTS in modules_for(desk)
    answers = Answers()
    page, notices = _page(qtbot, on_b, desk, answers)
    view = page.view
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.detail is not None)
    assert view.list.status.text() == "1 open conflict."
    assert page.model.index(0, 0).data() == "Patient"
    detail = page.detail
    assert detail is not None and "MRN" in view.heading.text()
    labels = [view.fields.item(row, 0).text() for row in range(view.fields.rowCount())]
    assert set(labels) == {"Email", "Notes"}
    email = labels.index("Email")
    assert view.fields.item(email, 2).text() == "second@example.org"
    assert view.fields.item(email, 3).text() == "first@example.org"
    assert view.keep_server.isEnabled() and view.merge.isEnabled()
    assert not view.reapply.isVisible()
    # the list, Enter to the fields, down to Email, Space keeps this workstation's value
    view.list.table.setFocus()
    qtbot.keyClick(view.list.table, Qt.Key.Key_Return)
    assert view.fields.hasFocus()
    for _ in range(email):
        qtbot.keyClick(view.fields, Qt.Key.Key_Down)
    qtbot.keyClick(view.fields, Qt.Key.Key_Space)
    assert page.sides == {"email": "local", "notes": "server"}
    assert view.fields.item(email, 2).checkState() == Qt.CheckState.Checked
    _shot(page, "conflicts-merge.png")
    qtbot.keyClick(view.fields, Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: bool(answers.asked))  # a mnemonic clicks after a short flash
    assert "Email" in answers.asked[-1]
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    settle(qtbot, on_b)
    assert view.list.status.text().startswith("Conflict settled: merged field by field.")
    assert Changed.PATIENTS in notices
    assert not view.detail.isVisible()
    row = row_of(b.store.engine, "patients", patient)
    assert row is not None and row["email"] == "second@example.org"
    assert row["notes"] != "walks with a cane"
    b.sync()
    a.sync()
    assert row_of(a.store.engine, "patients", patient)["email"] == "second@example.org"  # type: ignore[index]
    assert conflicts(admin)[0]["resolution"] == "merged"


def test_a_refused_booking_corrected_at_its_field_and_reapplied(
        qtbot: QtBot, pair: tuple[Workstation, Workstation], on_b: AppContext,
        admin: sa.Engine) -> None:
    a, b = pair
    book_the_same_slot(a)
    refused = book_the_same_slot(b)
    a.sync()
    b.sync()
    a.sync()
    answers = Answers()
    page, _notices = _page(qtbot, on_b, sign_in(b.store, "desk"), answers)
    view = page.view
    qtbot.waitUntil(lambda: page.model.rowCount() >= 1 and page.detail is not None)
    rows = [page.model.index(n, 0).data() for n in range(page.model.rowCount())]
    view.list.table.setFocus()
    view.list.table.selectRow(rows.index("Appointment"))
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.table_name == "appointments")
    assert view.reapply.isVisible() and not view.keep_mine.isVisible()
    labels = [view.fields.item(row, 0).text() for row in range(view.fields.rowCount())]
    starts, ends = labels.index("Starts"), labels.index("Ends")
    _shot(page, "conflicts-reapply.png")
    # F2 on Starts: a time nobody can read
    qtbot.keyClick(view.list.table, Qt.Key.Key_Return)
    view.fields.setCurrentCell(starts, 2)
    qtbot.keyClick(view.fields, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert editor is not view.fields
    editor.selectAll()  # type: ignore[union-attr]
    qtbot.keyClicks(editor, "half past ten")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClick(view.fields, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: view.field_errors.isVisible())
    assert len(answers.asked) == 1 and "with your corrections" in answers.asked[0]
    assert "Starts: enter a date and time" in view.field_errors.text()
    assert view.fields.currentRow() == starts and view.fields.hasFocus()
    _shot(page, "conflicts-field-error.png")
    for row, text in ((starts, "2027-03-08 11:00"), (ends, "2027-03-08 11:20")):
        view.fields.item(row, 2).setText(text)
    qtbot.keyClick(view.fields, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    assert row_of(b.store.engine, "appointments", refused) is not None
    b.sync()
    assert row_of(admin, "appointments", refused) is not None
