"""Opening a patient from the main window: the context bar, restricted records, break the glass."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.accounts import authenticate
from medtrack_desktop.domain.patients.access import set_privacy
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.ui.shell.controller import ShellController
from medtrack_desktop.ui.shell.main_window import MainWindow
from medtrack_desktop.ui.widgets.break_glass import BreakGlassDialog
from medtrack_desktop.ui.widgets.patient_bar import age_text

REASON = "Covering the clinic phone; patient asks about today's lab results"


def _window(qtbot: QtBot, shell: ShellController, username: str) -> MainWindow:
    login = shell.login
    assert login is not None
    login.username.setText(username)
    login.password.setText(DEMO_PASSWORD)
    login.sign_in.click()
    qtbot.waitUntil(lambda: shell.window is not None and shell.window.isVisible(),
                    timeout=20_000)
    assert shell.window is not None
    return shell.window


def _restricted_patient(shell: ShellController) -> Patient:
    assert shell.context is not None
    store = shell.context.store
    with store.session() as session:
        admin = authenticate(session, seat=shell.context.seat, username="admin",
                             password=DEMO_PASSWORD).actor
        patient = session.scalars(select(Patient).order_by(Patient.mrn).limit(1)).one()
        session.expunge(patient)
    assert admin is not None
    perform(store, admin, set_privacy, patient_id=patient.id, restricted=True,
            care_team=("physician",))
    return patient


def test_open_by_mrn_fills_the_context_bar(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(600_000)
    window = _window(qtbot, shell, "frontdesk")
    assert "Ctrl+O\tOpen patient by MRN…" in window.shortcut_lines()
    assert shell.context is not None
    with shell.context.store.read_session() as session:
        patient = session.scalars(select(Patient).order_by(Patient.mrn.desc()).limit(1)).one()
        session.expunge(patient)
    window.opener.open_by_mrn(f"  {patient.mrn} ")
    qtbot.waitUntil(lambda: window.patient_bar.patient is not None, timeout=10_000)
    assert window.patient_bar.summary_text.startswith(
        f"{patient.last_name}, {patient.first_name} · ")
    assert f"MRN {patient.mrn}" in window.patient_bar.summary_text
    assert window.patient_bar.flag_text == ""
    assert patient.last_name not in window.windowTitle()
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        window.grab().save("/tmp/patient-bar.png")

    qtbot.keyClick(window.nav, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert window.patient_bar.patient is None
    assert window.patient_bar.summary_text == "No patient selected"

    refusals: list[str] = []
    window.opener.show_error = lambda message, _parent: refusals.append(message)
    window.opener.open_by_mrn("NO-SUCH-MRN")
    qtbot.waitUntil(lambda: bool(refusals), timeout=10_000)
    assert refusals == ["This patient record does not exist or was removed."]


def test_a_restricted_record_asks_a_reason_and_says_how_it_was_opened(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(600_000)
    patient = _restricted_patient(shell)
    window = _window(qtbot, shell, "nurse")
    asked: list[str] = []

    def answer(message: str, _parent: QWidget) -> str | None:
        asked.append(message)
        return None if len(asked) == 1 else REASON  # cancel the first time

    window.opener.ask_reason = answer
    window.opener.open_by_mrn(patient.mrn)
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=10_000)
    shell.tasks.wait(10_000)
    assert window.patient_bar.patient is None, "cancelled: nothing opened"
    window.opener.open_by_mrn(patient.mrn)
    qtbot.waitUntil(lambda: window.patient_bar.patient is not None, timeout=10_000)
    assert "restricted" in asked[0]
    assert window.patient_bar.flag_text == "Restricted record — opened by breaking the glass"
    assert shell.context is not None
    with shell.context.store.read_session() as session:
        glass = session.execute(select(AuditEntry.username, AuditEntry.reason)
                                .where(AuditEntry.action == "break_glass")).all()
    assert [tuple(row) for row in glass] == [("nurse", REASON)]


def test_without_break_glass_the_refusal_is_shown_plainly(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(600_000)
    patient = _restricted_patient(shell)
    window = _window(qtbot, shell, "frontdesk")
    refusals: list[str] = []
    window.opener.show_error = lambda message, _parent: refusals.append(message)
    window.opener.ask_reason = lambda *_args: pytest.fail("no reason may be asked")
    window.opener.open_by_mrn(patient.mrn)
    qtbot.waitUntil(lambda: bool(refusals), timeout=10_000)
    assert refusals == ["This record is restricted to the patient's care team."]
    assert window.patient_bar.patient is None


def test_the_care_team_sees_the_restriction_without_being_asked(
    qtbot: QtBot, make_shell: Callable[[int | None], ShellController]
) -> None:
    shell = make_shell(600_000)
    patient = _restricted_patient(shell)
    window = _window(qtbot, shell, "physician")
    window.opener.open_by_mrn(patient.mrn)
    qtbot.waitUntil(lambda: window.patient_bar.patient is not None, timeout=10_000)
    assert window.patient_bar.flag_text == "Restricted record — care team"


def test_the_reason_dialog_refuses_a_short_reason_at_the_field(qtbot: QtBot) -> None:
    dialog = BreakGlassDialog("This record is restricted.")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.text, "urgent")
    dialog.open_button.click()
    assert dialog.error.isVisible() and "at least 10" in dialog.error.text()
    assert dialog.reason is None and dialog.isVisible()
    qtbot.keyClicks(dialog.text, " - patient on the phone, needs results")
    dialog.open_button.click()
    assert dialog.reason == "urgent - patient on the phone, needs results"
    assert not dialog.isVisible()


def test_age_reads_as_clinicians_write_it() -> None:
    today = date(2026, 11, 26)
    assert age_text(date(1970, 11, 27), today) == "55 y"
    assert age_text(date(1970, 11, 26), today) == "56 y"
    assert age_text(date(2025, 1, 10), today) == "22 mo"
    assert age_text(date(2026, 10, 26), today) == "1 mo"
    assert age_text(date(2026, 11, 20), today) == "6 d"
