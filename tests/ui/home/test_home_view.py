"""The home page warns audit readers of recent break-the-glass openings; others see nothing."""

from __future__ import annotations

from demo_users import sign_in
from pytestqt.qtbot import QtBot

from medtrack_desktop.demo import DEMO_RESTRICTED_MRN
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.patients.access import open_patient_by_mrn
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.home.view import HomeView


def test_audit_readers_are_told_of_recent_break_the_glass(
    qtbot: QtBot, context: AppContext
) -> None:
    store = context.store
    quiet = HomeView(context, sign_in(store, "admin"))
    qtbot.addWidget(quiet)
    context.tasks.wait(10_000)
    qtbot.wait(50)
    assert not quiet.privacy_alert.isVisibleTo(quiet), "nothing to review yet"

    perform(store, sign_in(store, "nurse"), open_patient_by_mrn, mrn=DEMO_RESTRICTED_MRN,
            break_glass_reason="Covering the phone; patient asks about results")
    view = HomeView(context, sign_in(store, "admin"))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.privacy_alert.isVisibleTo(view), timeout=10_000)
    assert view.privacy_alert.text().startswith(
        "Privacy: 1 restricted record was opened by breaking the glass in the last 7 days")

    clinician = HomeView(context, sign_in(store, "physician"))
    qtbot.addWidget(clinician)
    context.tasks.wait(10_000)
    qtbot.wait(50)
    assert not clinician.privacy_alert.isVisibleTo(clinician)
