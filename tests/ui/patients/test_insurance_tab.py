"""The Insurance tab by keyboard: a new payer from the policy form, a policy added, a rank
taken twice refused at the field, a policy changed, a stale change refused, a policy removed."""

from __future__ import annotations

import os
from decimal import Decimal

from demo_users import sign_in
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from registry_ui import (
    demo_patient,
    focused,
    new_patient,
    settle,
    show_tab,
    summary_on,
)

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.patients.insurance import PolicyInput, policies, save_policy
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.patients.insurance_tab import InsuranceTab, PayerDialog, PolicyDialog
from medtrack_desktop.ui.patients.summary import PatientSummary


def _form(qtbot: QtBot, context: AppContext, tab: InsuranceTab, key: Qt.Key) -> PolicyDialog:
    _back_in_the_tab(qtbot, tab)
    qtbot.keyClick(tab.view.table, key)
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible(), timeout=10_000)
    assert tab.dialog is not None
    qtbot.waitUntil(tab.dialog.isActiveWindow)
    return tab.dialog


def _back_in_the_tab(qtbot: QtBot, tab: InsuranceTab) -> None:
    """A closed dialog gives the window back (the offscreen platform does not by itself)."""
    tab.view.window().activateWindow()
    qtbot.waitUntil(tab.view.window().isActiveWindow)
    tab.view.table.setFocus()


def _rows(qtbot: QtBot, context: AppContext, tab: InsuranceTab, count: int) -> None:
    qtbot.waitUntil(lambda: len(tab.model.rows) == count, timeout=10_000)
    settle(qtbot, context)


def _insurance(qtbot: QtBot, context: AppContext) -> tuple[PatientSummary, InsuranceTab]:
    patient_id = new_patient(context.store, "Insured")
    summary, _workspace = summary_on(qtbot, context, sign_in(context.store, "frontdesk"),
                                     patient_id)
    show_tab(qtbot, context, summary, summary.insurance.view)
    return summary, summary.insurance


def test_add_a_payer_and_a_policy_then_change_and_remove_it(
    qtbot: QtBot, context: AppContext
) -> None:
    summary, tab = _insurance(qtbot, context)
    assert tab.view.status.text() == "No insurance on file: the patient pays themselves."
    assert not tab.edit.isEnabled() and not tab.remove.isEnabled()

    form = _form(qtbot, context, tab, Qt.Key.Key_Insert)
    assert form.rank.currentData() == "primary" and focused() is form.rank
    form.new_payer.click()
    qtbot.waitUntil(lambda: tab.payer_dialog is not None and tab.payer_dialog.isVisible())
    payer_form = tab.payer_dialog
    assert isinstance(payer_form, PayerDialog)
    qtbot.waitUntil(payer_form.isActiveWindow)
    assert focused() is payer_form.fields["name"]
    qtbot.keyClicks(focused(), "Aetna Better Health")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "128TX")
    payer_form.fields["phone"].setText("555")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(payer_form.errors.message("phone")), timeout=10_000)
    assert payer_form.errors.message("phone") == "Phone: not a valid phone number."
    payer_form.fields["phone"].setText("(800) 555-0100")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not payer_form.isVisible(), timeout=10_000)
    qtbot.waitUntil(form.isActiveWindow)
    assert form.payer.currentText() == "Aetna Better Health (128TX)"
    assert focused() is form.member_id

    qtbot.keyClicks(focused(), "w 123-456 78")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    qtbot.keyClicks(focused(), "GRP-9")
    form.copay.setText("25")
    form.effective_on.setText("1/1/26")
    if os.environ.get("MEDTRACK_SCREENSHOTS"):
        form.grab().save("/tmp/insurance_policy_form.png")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)
    _rows(qtbot, context, tab, 1)
    assert not form.isVisible()
    (policy,) = tab.model.rows
    assert (policy.rank, policy.member_id, policy.group_number, policy.copay) == (
        "primary", "W12345678", "GRP-9", Decimal("25.00"))
    assert policy.effective_on is not None and policy.effective_on.year == 2026
    shown = [tab.model.index(0, column).data() for column in range(tab.model.columnCount())]
    assert shown[:7] == ["Primary", "Aetna Better Health", "", "W12345678", "GRP-9",
                         "Self (the patient)", "$25.00"]
    assert tab.view.status.text() == "1 policy"

    second = _form(qtbot, context, tab, Qt.Key.Key_Insert)
    assert second.rank.currentData() == "secondary", "the next free rank"
    second.rank.setCurrentIndex(second.rank.findData("primary"))
    second.payer.setCurrentIndex(1)
    second.member_id.setText("ZZ99")
    second.relation.setCurrentIndex(second.relation.findData("spouse"))
    second.subscriber_last.setText("Doe")
    second.subscriber_born.setText("13/13/1980")
    second.ok.click()
    assert second.errors.message("subscriber_date_of_birth").startswith(
        "Subscriber date of birth: not a date")
    second.subscriber_born.setText("02/03/1980")
    second.ok.click()
    qtbot.waitUntil(lambda: bool(second.errors.message("rank")), timeout=10_000)
    assert second.errors.message("rank").startswith("Rank: the patient already has a primary")
    assert focused() is second.rank and second.member_id.text() == "ZZ99"
    second.reject()

    tab.view.table.selectRow(0)
    change = _form(qtbot, context, tab, Qt.Key.Key_F2)
    assert change.member_id.text() == "W12345678" and change.group_number.text() == "GRP-9"
    change.group_number.setText("GRP-10")
    change.ok.click()
    qtbot.waitUntil(lambda: tab.model.rows and tab.model.rows[0].group_number == "GRP-10",
                    timeout=10_000)
    settle(qtbot, context)

    frontdesk = sign_in(context.store, "frontdesk")
    stale = _form(qtbot, context, tab, Qt.Key.Key_F2)
    current = tab.model.rows[0]
    changed = PolicyInput(rank=current.rank, company_id=current.company_id,
                          member_id=current.member_id, group_number="GRP-11")
    perform(context.store, frontdesk, save_policy, patient_id=summary.calls.patient_id,
            policy=changed, policy_id=current.id, version=current.version)
    stale.plan_name.setText("Gold")
    stale.ok.click()
    qtbot.waitUntil(stale.problem.isVisible, timeout=10_000)
    assert stale.problem.text().startswith("Someone else changed this patient")
    assert stale.plan_name.text() == "Gold" and stale.isVisible()
    stale.reject()

    asked: list[str] = []
    tab._confirm = lambda _parent, _title, question: asked.append(question) or True
    _back_in_the_tab(qtbot, tab)
    qtbot.keyClick(tab.view.table, Qt.Key.Key_Delete)
    _rows(qtbot, context, tab, 0)
    assert asked and asked[0].startswith("Remove the primary policy (Aetna Better Health")
    assert perform(context.store, frontdesk, policies, patient_id=summary.calls.patient_id) == []


def test_those_who_may_not_change_demographics_only_read_the_policies(
    qtbot: QtBot, context: AppContext
) -> None:
    summary, _workspace = summary_on(qtbot, context, sign_in(context.store, "biller"),
                                     demo_patient(context.store, 0).id)
    show_tab(qtbot, context, summary, summary.insurance.view)
    tab = summary.insurance
    assert not any(button.isVisible() for button in (tab.add, tab.edit, tab.remove))
    tab.view.table.setFocus()
    qtbot.keyClick(tab.view.table, Qt.Key.Key_Insert)
    settle(qtbot, context)
    assert tab.dialog is None
