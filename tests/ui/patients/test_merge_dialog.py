"""The merge dialog on the demo clinic, by keyboard: find both records, compare, choose the one
that stays, give a reason, confirm; refusals show at their fields and nothing is merged."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_users import sign_in
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from medtrack_desktop.config import Settings
from medtrack_desktop.demo import DEMO_RESTRICTED_MRN, FIRST_MRN
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.workstation import current_seat
from medtrack_desktop.domain.patients.models import Patient, PatientMerge
from medtrack_desktop.domain.patients.mrn import mrn_with_check_digit
from medtrack_desktop.paths import resource
from medtrack_desktop.store.engine import Store
from medtrack_desktop.ui.context import AppContext, DatabaseStatus
from medtrack_desktop.ui.patients.merge_dialog import MergeDialog
from medtrack_desktop.ui.shell.patient_opening import PatientOpener
from medtrack_desktop.ui.tasks import TaskRunner
from medtrack_desktop.ui.workspace import Changed, Workspace

ALT = Qt.KeyboardModifier.AltModifier
MRN_A = mrn_with_check_digit(FIRST_MRN + 5)
MRN_B = mrn_with_check_digit(FIRST_MRN + 6)
NAME_ROW, MRN_ROW = 1, 0


@pytest.fixture
def context(demo_store: Store, tmp_path: Path) -> Iterator[AppContext]:
    with demo_store.read_session() as session:
        seat = current_seat(session)
    assert seat is not None
    tasks = TaskRunner()
    yield AppContext(
        settings=Settings(data_dir=tmp_path, db_path=tmp_path / "x.db",
                          backup_dir=tmp_path / "backups", demo=False),
        store=demo_store, seat=seat, tasks=tasks,
        database=DatabaseStatus(cipher_version="4", schema_revision="head", key_source="test"),
    )
    tasks.wait(10_000)


class Confirmations:
    """Answers the confirmation question and keeps what was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, _parent: QWidget, _title: str, question: str) -> bool:
        self.asked.append(question)
        return self.answer


def workspace_for(qtbot: QtBot, context: AppContext, actor: Actor) -> Workspace:
    host = QWidget()
    qtbot.addWidget(host)
    opener = PatientOpener(store=context.store, actor=actor, tasks=context.tasks, parent=host,
                           show_error=lambda message, _parent: pytest.fail(message))
    return Workspace(opener, host)


def open_dialog(qtbot: QtBot, context: AppContext, actor: Actor, workspace: Workspace,
                confirm: Confirmations) -> MergeDialog:
    dialog = MergeDialog(context, actor, workspace, confirm=confirm)
    qtbot.addWidget(dialog)
    dialog.setStyleSheet(resource("styles", "app.qss").read_text(encoding="utf-8"))
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # mnemonics need the active window
    return dialog


def focus() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def find_and_choose(qtbot: QtBot, dialog: MergeDialog, side: str, mrn: str) -> None:
    """Type the MRN into the side's search box (focused), then Down and Enter on the match."""
    picker = dialog.pickers[side]
    assert focus() is picker.search
    qtbot.keyClicks(picker.search, mrn)
    qtbot.waitUntil(lambda: picker.matches.count() == 1
                    and f"MRN {mrn}" in picker.matches.item(0).text(), timeout=10_000)
    qtbot.keyClick(picker.search, Qt.Key.Key_Down)
    assert focus() is picker.matches
    qtbot.keyClick(picker.matches, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.candidates[side] is not None, timeout=10_000)
    assert not dialog.reason_error.isVisibleTo(dialog), "Enter picks; it never starts a merge"


def patient_id(store: Store, mrn: str) -> uuid.UUID:
    with store.read_session() as session:
        return session.scalars(select(Patient.id).where(Patient.mrn == mrn)).one()


def test_merge_by_keyboard_only(qtbot: QtBot, context: AppContext) -> None:
    store = context.store
    frontdesk = sign_in(store, "frontdesk")
    workspace = workspace_for(qtbot, context, frontdesk)
    changes: list[Changed] = []
    workspace.sig_changed.connect(changes.append)
    confirm = Confirmations(True)
    dialog = open_dialog(qtbot, context, frontdesk, workspace, confirm)
    assert dialog.windowTitle() == "Merge duplicate records"  # no PHI in the title

    find_and_choose(qtbot, dialog, "A", MRN_A)
    qtbot.keyClick(focus(), Qt.Key.Key_B, ALT)
    find_and_choose(qtbot, dialog, "B", MRN_B)
    table = dialog.comparison
    assert (table.item(MRN_ROW, 1).text(), table.item(MRN_ROW, 2).text()) == (MRN_A, MRN_B)
    assert table.item(NAME_ROW, 3).text() == "Differs"  # said in words, not only in colour
    assert table.horizontalHeaderItem(2).text() == f"Record B · MRN {MRN_B}"

    qtbot.keyClick(focus(), Qt.Key.Key_E, ALT)  # keep B
    qtbot.waitUntil(dialog.keep_b.isChecked)  # a mnemonic clicks after a short flash
    assert dialog.summary.text().startswith(
        f"MRN {MRN_A} will be closed for good and point to MRN {MRN_B}")
    qtbot.keyClick(focus(), Qt.Key.Key_R, ALT)
    assert focus() is dialog.reason
    qtbot.keyClicks(dialog.reason, "dup")
    qtbot.keyClick(focus(), Qt.Key.Key_M, ALT)
    qtbot.waitUntil(lambda: dialog.reason_error.isVisibleTo(dialog))
    assert dialog.reason_error.text().startswith("Reason: ")
    assert confirm.asked == [] and focus() is dialog.reason
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        dialog.grab().save("/tmp/merge_dialog.png")

    qtbot.keyClicks(dialog.reason, "licate: same DOB, phone and card")
    survivor = patient_id(store, MRN_B)
    with qtbot.waitSignal(workspace.sig_patient_changed, timeout=10_000) as opened:
        qtbot.keyClick(focus(), Qt.Key.Key_M, ALT)
    (question,) = confirm.asked
    assert f"Merge MRN {MRN_A} into MRN {MRN_B}?" in question
    assert "cannot be undone" in question
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.merge_result is not None and dialog.merge_result.survivor_id == survivor
    assert changes == [Changed.PATIENTS]
    assert opened.args[0].id == survivor and workspace.patient is not None
    with store.read_session() as session:
        merge = session.scalars(select(PatientMerge)).one()
        assert merge.survivor_id == survivor and merge.merged_id == patient_id(store, MRN_A)
        assert merge.reason == "duplicate: same DOB, phone and card"


def test_the_open_patient_is_record_a_and_a_declined_merge_changes_nothing(
    qtbot: QtBot, context: AppContext
) -> None:
    frontdesk = sign_in(context.store, "frontdesk")
    workspace = workspace_for(qtbot, context, frontdesk)
    with qtbot.waitSignal(workspace.sig_patient_changed, timeout=10_000):
        workspace.open_by_mrn(MRN_A)
    confirm = Confirmations(False)
    dialog = open_dialog(qtbot, context, frontdesk, workspace, confirm)
    qtbot.waitUntil(lambda: dialog.candidates["A"] is not None, timeout=10_000)
    assert dialog.comparison.item(MRN_ROW, 1).text() == MRN_A
    find_and_choose(qtbot, dialog, "B", MRN_B)  # the focus starts in B's search box
    dialog.reason.setPlainText("Same person: confirmed at the desk")
    qtbot.keyClick(focus(), Qt.Key.Key_M, ALT)
    qtbot.waitUntil(lambda: len(confirm.asked) == 1)
    assert f"Merge MRN {MRN_B} into MRN {MRN_A}?" in confirm.asked[0]  # A stays by default
    context.tasks.wait(10_000)
    assert dialog.isVisible() and dialog.merge_result is None
    with context.store.read_session() as session:
        assert session.scalars(select(PatientMerge)).all() == []


def test_refusals_show_where_they_belong(qtbot: QtBot, context: AppContext) -> None:
    frontdesk = sign_in(context.store, "frontdesk")
    confirm = Confirmations(True)
    dialog = open_dialog(qtbot, context, frontdesk, workspace_for(qtbot, context, frontdesk),
                         confirm)
    qtbot.keyClick(focus(), Qt.Key.Key_M, ALT)
    qtbot.waitUntil(lambda: dialog.pickers["A"].error.isVisibleTo(dialog))
    assert dialog.pickers["B"].error.text() == "Find record B and press Enter to choose it."
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        dialog.grab().save("/tmp/merge_dialog_empty.png")

    picker = dialog.pickers["A"]  # the front desk is not on the restricted record's care team
    dialog.pick("A", patient_id(context.store, DEMO_RESTRICTED_MRN), "restricted record")
    qtbot.waitUntil(lambda: "restricted record: only its care team" in picker.error.text(),
                    timeout=10_000)
    assert dialog.candidates["A"] is None

    dialog.pick("A", patient_id(context.store, MRN_A), MRN_A)
    dialog.pick("B", patient_id(context.store, MRN_A), MRN_A)
    qtbot.waitUntil(lambda: None not in dialog.candidates.values(), timeout=10_000)
    assert dialog.comparison.item(NAME_ROW, 3).text() == "Same"
    dialog.reason.setPlainText("Same person: confirmed at the desk")
    qtbot.keyClick(focus(), Qt.Key.Key_M, ALT)
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog))
    assert dialog.error.text().startswith("Choose two different records")
    assert confirm.asked == []
