"""The Insurance tab: the patient's policies (primary, secondary, tertiary) as on their cards.

Keyboard: Insert adds a policy, Enter or F2 changes the selected one, Delete removes it (kept
in the record as removed). The policy form picks the payer from the clinic's list or adds a
new payer on the spot. Problems show at their fields (``InsuranceInvalid.errors``); a policy
someone else changed meanwhile is refused with the registry's stale-record message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QWidget
from sqlalchemy.orm import Session

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.insurance import (
    Payer,
    Policy,
    PolicyInput,
    add_payer,
    list_payers,
    policies,
    remove_policy,
    save_policy,
)
from medtrack_desktop.domain.patients.models import INSURANCE_RANKS
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.patient_rows import PoliciesTableModel
from medtrack_desktop.ui.patients.registration_choices import choice_label
from medtrack_desktop.ui.patients.registration_view import choice_combo, set_combo_code
from medtrack_desktop.ui.service_calls import PatientCalls, error_text
from medtrack_desktop.ui.widgets.date_field import DateField, clinic_today, read_date
from medtrack_desktop.ui.widgets.list_tab import FormDialog, ListTabView, tab_key
from medtrack_desktop.ui.widgets.questions import ask
from medtrack_desktop.ui.widgets.text_field import text_field
from medtrack_desktop.ui.workspace import Changed, Workspace

Confirm = Callable[[QWidget, str, str], bool]
PAYER_LIST_LIMIT = 500


class PayerDialog(FormDialog):
    """A new payer: its name and the payer id claims go to."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("New payer", "Add payer", parent)
        self.fields = {
            "name": text_field(),
            "payer_id": text_field(20, "as on claims, e.g. 87726"),
            "address_line1": text_field(),
            "city": text_field(100),
            "state": text_field(50, "TX"),
            "postal_code": text_field(20, "78701"),
            "phone": text_field(30, "(800) 555-0100"),
        }
        for key, label in (("name", "&Name:"), ("payer_id", "&Payer id:"),
                           ("address_line1", "&Address:"), ("city", "&City:"),
                           ("state", "&State:"), ("postal_code", "&ZIP code:"),
                           ("phone", "P&hone:")):
            self.add_row(key, label, self.fields[key])

    def values(self) -> dict[str, str]:
        return {key: edit.text() for key, edit in self.fields.items()}


class PolicyDialog(FormDialog):
    """One policy as on the card. ``new_payer`` is the button that adds a payer."""

    def __init__(self, *, today: Callable[[], date], title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, "Save policy", parent)
        self.rank = choice_combo("rank", blank="Choose\u2026")
        self.payer = QComboBox()
        self.payer.setAccessibleName("Payer")
        self.new_payer = QPushButton("New pa&yer\u2026")
        self.new_payer.setAutoDefault(False)
        payer_row = QWidget()
        payer_layout = QHBoxLayout(payer_row)
        payer_layout.setContentsMargins(0, 0, 0, 0)
        payer_layout.addWidget(self.payer, 1)
        payer_layout.addWidget(self.new_payer)
        self.member_id = text_field(60, "as on the card")
        self.group_number = text_field(50)
        self.plan_name = text_field()
        self.relation = choice_combo("subscriber_relation")
        self.relation.removeItem(0)  # someone is always the subscriber
        self.subscriber_first = text_field(100)
        self.subscriber_last = text_field(100)
        self.subscriber_born = DateField(today)
        self.copay = text_field(12, "25.00")
        self.effective_on = DateField(today, two_digit_future=True)
        self.expires_on = DateField(today, two_digit_future=True)
        for key, label, widget, shown in (
            ("rank", "&Rank:", self.rank, None),
            ("company_id", "&Payer:", self.payer, payer_row),
            ("member_id", "&Member id:", self.member_id, None),
            ("group_number", "&Group number:", self.group_number, None),
            ("plan_name", "P&lan:", self.plan_name, None),
            ("subscriber_relation", "&Subscriber:", self.relation, None),
            ("subscriber_first_name", "Subscriber &first name:", self.subscriber_first, None),
            ("subscriber_last_name", "Subscriber las&t name:", self.subscriber_last, None),
            ("subscriber_date_of_birth", "Subscriber &date of birth:", self.subscriber_born,
             None),
            ("copay", "&Copay ($):", self.copay, None),
            ("effective_on", "&Effective:", self.effective_on, None),
            ("expires_on", "E&xpires:", self.expires_on, None),
        ):
            self.add_row(key, label, widget, shown)
        self.relation.currentIndexChanged.connect(self._relation_changed)
        self._relation_changed()
        self.rank.setFocus()

    def _relation_changed(self) -> None:
        other = self.relation.currentData() != "self"
        for widget in (self.subscriber_first, self.subscriber_last, self.subscriber_born):
            widget.setEnabled(other)

    def set_payers(self, payers: list[Payer], chosen: uuid.UUID | None = None) -> None:
        """The clinic's payers to choose from (ids kept as text: Qt compares those)."""
        self.payer.clear()
        self.payer.addItem("Choose\u2026", "")
        for payer in payers:
            shown = f"{payer.name} ({payer.payer_id})" if payer.payer_id else payer.name
            self.payer.addItem(shown, str(payer.id))
        self.choose_payer(chosen)

    def choose_payer(self, payer_id: uuid.UUID | None) -> None:
        self.payer.setCurrentIndex(max(self.payer.findData(str(payer_id)), 0))

    def payer_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.payer.currentData()) if self.payer.currentData() else None

    def fill(self, policy: Policy) -> None:
        set_combo_code(self.rank, policy.rank)
        self.choose_payer(policy.company_id)
        self.member_id.setText(policy.member_id)
        self.group_number.setText(policy.group_number or "")
        self.plan_name.setText(policy.plan_name or "")
        set_combo_code(self.relation, policy.subscriber_relation)
        self.subscriber_first.setText(policy.subscriber_first_name or "")
        self.subscriber_last.setText(policy.subscriber_last_name or "")
        self.subscriber_born.set_value(policy.subscriber_date_of_birth)
        self.copay.setText("" if policy.copay is None else f"{policy.copay:.2f}")
        self.effective_on.set_value(policy.effective_on)
        self.expires_on.set_value(policy.expires_on)

    def entered(self) -> tuple[PolicyInput, dict[str, str]]:
        """The policy as typed, and the dates that could not be read."""
        errors: dict[str, str] = {}
        dates = {key: read_date(field, key, label, errors) for key, field, label in (
            ("subscriber_date_of_birth", self.subscriber_born, "Subscriber date of birth"),
            ("effective_on", self.effective_on, "Effective"),
            ("expires_on", self.expires_on, "Expires"),
        )}
        return PolicyInput(
            rank=self.rank.currentData() or "", company_id=self.payer_id(),
            member_id=self.member_id.text(), group_number=self.group_number.text(),
            plan_name=self.plan_name.text(), subscriber_relation=self.relation.currentData(),
            subscriber_first_name=self.subscriber_first.text(),
            subscriber_last_name=self.subscriber_last.text(), copay=self.copay.text(),
            **dates,
        ), errors


class InsuranceTab(QObject):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask) -> None:
        super().__init__()
        self._workspace, self._confirm = workspace, confirm
        self._today = lambda: clinic_today(context.seat)
        self.model = PoliciesTableModel(today=self._today)
        self.add = QPushButton("&Add policy\u2026")
        self.edit = QPushButton("&Edit policy\u2026")
        self.remove = QPushButton("Remove polic&y")
        self.view = ListTabView("Insurance policies", [self.add, self.edit, self.remove])
        self.view.table.setModel(self.model)
        self.setParent(self.view)  # owned by the view (see UsersController)
        self.model.setParent(self.view)
        self.calls = PatientCalls(context, actor, self.view)
        self.dialog: PolicyDialog | None = None
        self.payer_dialog: PayerDialog | None = None
        self._may_write = actor.can("patient.write")
        for button, key, tip in ((self.add, "Ins", "Add a policy (Insert)"),
                                 (self.edit, "F2", "Change the selected policy (Enter or F2)"),
                                 (self.remove, "Del", "Remove the selected policy (Delete)")):
            button.setToolTip(tip)
            button.setVisible(self._may_write)
            tab_key(self.view, key, button.click)
        self.add.clicked.connect(self.add_policy)
        self.edit.clicked.connect(self.edit_policy)
        self.remove.clicked.connect(self.remove_policy)
        self.view.table.activated.connect(lambda _index: self.edit.click())
        self.view.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    # -- the list ----------------------------------------------------------------------------

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        self.calls.patient_id = patient_id
        self.model.set_rows([])
        self.view.status.setText("")
        self.view.show_error("")

    def refresh(self) -> None:
        self.view.status.setText("Loading\u2026")
        self.calls.start("patient.policies", policies, on_done=self._loaded,
                         on_failed=self._failed("load the insurance"))

    def _loaded(self, rows: list[Policy]) -> None:
        self.model.set_rows(rows)
        self.view.status.setText("No insurance on file: the patient pays themselves." if not rows
                                 else f"{len(rows)} polic{'y' if len(rows) == 1 else 'ies'}")
        if rows:
            self.view.table.selectRow(0)

    def _failed(self, doing: str) -> Callable[[Exception], None]:
        return lambda error: self.view.show_error(error_text(error, doing=doing))

    def selected(self) -> Policy | None:
        return self.model.row_at(self.view.table.currentIndex().row())

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.edit.setEnabled(self._may_write and chosen)
        self.remove.setEnabled(self._may_write and chosen)
        self.add.setEnabled(self._may_write and len(self.model.rows) < len(INSURANCE_RANKS))

    # -- the policy form ---------------------------------------------------------------------

    def add_policy(self) -> None:
        if self.add.isEnabled():
            self._open_form(None)

    def edit_policy(self) -> None:
        if self.edit.isEnabled() and (policy := self.selected()) is not None:
            self._open_form(policy)

    def _open_form(self, policy: Policy | None) -> None:
        """Read the clinic's payers first, then show the form."""
        self.calls.start_for_clinic("payers.list", list_payers, limit=PAYER_LIST_LIMIT,
                         on_done=lambda payers: self._show_form(policy, payers),
                         on_failed=self._failed("load the payers"))

    def _show_form(self, policy: Policy | None, payers: list[Payer]) -> None:
        title = ("New policy" if policy is None else
                 f"{choice_label('rank', policy.rank)} policy")
        dialog = PolicyDialog(today=self._today, title=title, parent=self.view)
        dialog.set_payers(payers)
        if policy is None:
            taken = {row.rank for row in self.model.rows}
            set_combo_code(dialog.rank, next(r for r in INSURANCE_RANKS if r not in taken))
        else:
            dialog.fill(policy)
        dialog.sig_submit.connect(lambda: self._submit(dialog, policy))
        dialog.new_payer.clicked.connect(lambda: self._open_payer_form(dialog))
        dialog.finished.connect(lambda _code: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        dialog.rank.setFocus()

    def _submit(self, dialog: PolicyDialog, policy: Policy | None) -> None:
        entered, errors = dialog.entered()
        if errors:
            dialog.show_errors(errors)
            return
        dialog.set_busy(True)
        self.calls.start("patient.policy.save", save_policy, policy=entered,
                         policy_id=policy.id if policy else None,
                         version=policy.version if policy else None,
                         on_done=lambda _saved: self._saved(dialog),
                         on_failed=lambda error: dialog.refused(error, doing="save the policy"))

    def _saved(self, dialog: FormDialog) -> None:
        dialog.accept()
        self._workspace.announce(Changed.PATIENTS)  # the summary reloads this tab

    def _open_payer_form(self, policy_dialog: PolicyDialog) -> None:
        dialog = PayerDialog(parent=policy_dialog)
        dialog.sig_submit.connect(lambda: self._submit_payer(dialog, policy_dialog))
        dialog.finished.connect(lambda _code: setattr(self, "payer_dialog", None))
        self.payer_dialog = dialog
        dialog.open()
        dialog.fields["name"].setFocus()

    def _submit_payer(self, dialog: PayerDialog, policy_dialog: PolicyDialog) -> None:
        dialog.set_busy(True)
        self.calls.start_for_clinic("payers.add", add_payer_and_list, **dialog.values(),
                         on_done=lambda added: self._payer_added(dialog, policy_dialog, added),
                         on_failed=lambda error: dialog.refused(error, doing="add the payer"))

    def _payer_added(self, dialog: PayerDialog, policy_dialog: PolicyDialog,
                     added: tuple[Payer, list[Payer]]) -> None:
        payer, payers = added
        dialog.accept()
        policy_dialog.set_payers(payers, chosen=payer.id)
        policy_dialog.activateWindow()
        policy_dialog.member_id.setFocus()

    # -- removing ----------------------------------------------------------------------------

    def remove_policy(self) -> None:
        policy = self.selected()
        if policy is None or not self.remove.isEnabled() or not self._confirm(
            self.view, "Remove policy",
            f"Remove the {policy.rank} policy ({policy.company_name}, member id "
            f"{policy.member_id})? It stays in the record as removed.",
        ):
            return
        self.calls.start("patient.policy.remove", remove_policy, policy_id=policy.id,
                         on_done=lambda _none: self._workspace.announce(Changed.PATIENTS),
                         on_failed=self._failed("remove the policy"))


def add_payer_and_list(session: Session, actor: Actor, **values: str) -> tuple[Payer, list[Payer]]:
    """Add the payer, and read the list again for the form (one unit of work)."""
    payer = add_payer(session, actor, **values)
    return payer, list_payers(session, actor, limit=PAYER_LIST_LIMIT)
