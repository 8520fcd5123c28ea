"""The Privacy tab (``privacy.admin`` only): whether the record is restricted, and its care team.

A restricted record opens directly only for the users named on its care team; anyone else who
may break the glass opens it by giving a reason, which is audited and reviewed. The team is
edited as a list of user names (Insert adds the one typed, Delete removes the one selected)
and saved together with the restriction (Ctrl+S while the focus is in the tab).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.identity.accounts import UserInfo, list_users
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import PrivacySettings, privacy_settings, set_privacy
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.service_calls import PatientCalls, error_text
from medtrack_desktop.ui.widgets.field_errors import FieldErrors
from medtrack_desktop.ui.widgets.list_tab import tab_key
from medtrack_desktop.ui.workspace import Changed, Workspace


class PrivacyView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.errors = FieldErrors()
        self.restricted = QCheckBox("Res&tricted record")
        self.restricted.setToolTip("Only the care team opens it; anyone else must give a "
                                   "reason (break the glass), which is audited")
        self.team = QListWidget()
        self.team.setAccessibleName("Care team")
        self.team.setMaximumHeight(self.team.fontMetrics().lineSpacing() * 8)
        self.user = QLineEdit(placeholderText="user name")
        self.user.setAccessibleName("User name to add")
        self.add = QPushButton("&Add to team")
        self.remove = QPushButton("Ta&ke off the team")
        self.save = QPushButton("&Save privacy")
        self.save.setToolTip("Save the restriction and the care team (Ctrl+S)")
        for button in (self.add, self.remove, self.save):
            button.setAutoDefault(False)
        self.status = QLabel(objectName="muted", wordWrap=True)
        self.status.setAccessibleName("Privacy status")
        self.problem = QLabel(objectName="fieldError", wordWrap=True)
        self.problem.setAccessibleName("Privacy problem")
        self.problem.hide()

        adding = QHBoxLayout()
        adding.addWidget(QLabel("&User name:", buddy=self.user))
        adding.addWidget(self.user, 1)
        adding.addWidget(self.add)
        adding.addWidget(self.remove)
        team = QWidget()
        team_layout = QVBoxLayout(team)
        team_layout.setContentsMargins(0, 0, 0, 0)
        team_layout.addWidget(QLabel("&Care team (opens the record without a reason):",
                                     buddy=self.team))
        team_layout.addWidget(self.team)
        team_layout.addLayout(adding)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.restricted)
        layout.addWidget(self.errors.add("care_team", self.user, team))
        layout.addWidget(self.problem)
        layout.addWidget(self.save, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.setMaximumWidth(640)


class PrivacyTab(QObject):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self._workspace = workspace
        self.view = PrivacyView()
        self.setParent(self.view)  # owned by the view (see UsersController)
        self.calls = PatientCalls(context, actor, self.view)
        self._lists_users = actor.can("user.admin")
        view = self.view
        view.add.clicked.connect(self.add_member)
        view.user.returnPressed.connect(self.add_member)
        view.remove.clicked.connect(self.remove_member)
        view.save.clicked.connect(self.save)
        tab_key(view.team, "Del", self.remove_member)
        tab_key(view, "Ins", self.add_member)
        tab_key(view, "Ctrl+S", self.save)
        view.team.currentRowChanged.connect(lambda row: view.remove.setEnabled(row >= 0))
        view.remove.setEnabled(False)

    def set_patient(self, patient_id: uuid.UUID | None) -> None:
        self.calls.patient_id = patient_id
        self.view.team.clear()
        self.view.restricted.setChecked(False)
        self.view.status.setText("")
        self._show_problem("")

    def refresh(self) -> None:
        self.view.status.setText("Loading\u2026")
        self.calls.start("patient.privacy", privacy_settings, on_done=self._loaded,
                         on_failed=self._failed("load the privacy settings"))
        if self._lists_users:  # names to complete from; others type them
            self.calls.start_for_clinic("users.list", list_users, on_done=self._users,
                                        on_failed=lambda _error: None)

    def _loaded(self, settings: PrivacySettings) -> None:
        view = self.view
        view.restricted.setChecked(settings.restricted)
        view.team.clear()
        view.team.addItems(list(settings.care_team))
        view.errors.clear()
        self._show_problem("")
        view.status.setText(
            "Restricted: only the care team opens this record directly." if settings.restricted
            else "Not restricted: staff who read records open it.")

    def _users(self, users: list[UserInfo]) -> None:
        names = [user.username for user in users if user.is_active]
        completer = QCompleter(names, self.view.user)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.view.user.setCompleter(completer)

    def _failed(self, doing: str) -> Callable[[Exception], None]:
        def failed(error: Exception) -> None:
            self.view.status.setText("")
            self.view.save.setEnabled(True)
            if isinstance(error, ValueError) and str(error).startswith("Care team:"):
                self.view.errors.show({"care_team": str(error)})
            else:
                self._show_problem(error_text(error, doing=doing))

        return failed

    def _show_problem(self, message: str) -> None:
        self.view.problem.setText(message)
        self.view.problem.setVisible(bool(message))

    def members(self) -> tuple[str, ...]:
        team = self.view.team
        return tuple(team.item(row).text() for row in range(team.count()))

    def add_member(self) -> None:
        name = self.view.user.text().strip().lower()
        if name and name not in self.members():
            self.view.team.addItem(name)
        self.view.user.clear()
        self.view.errors.set("care_team", "")

    def remove_member(self) -> None:
        row = self.view.team.currentRow()
        if row >= 0:
            self.view.team.takeItem(row)

    def save(self) -> None:
        if self.calls.patient_id is None or not self.view.save.isEnabled():
            return
        self.add_member()  # a name typed but not yet added counts
        self.view.save.setEnabled(False)
        self.calls.start("patient.privacy.save", set_privacy,
                         restricted=self.view.restricted.isChecked(), care_team=self.members(),
                         on_done=self._saved, on_failed=self._failed("save the privacy settings"))

    def _saved(self, _team: tuple[str, ...]) -> None:
        self.view.save.setEnabled(True)
        self._workspace.announce(Changed.PATIENTS)  # the summary reloads this tab
