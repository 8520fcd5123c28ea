"""Administration ▸ Record privacy: restrict a record and name its care team, found by MRN.

Administrators hold ``privacy.admin`` but do not read charts, so the record is found by its
MRN alone and nothing of it is shown but its privacy settings (the same Privacy tab the
patient summary shows to those who read records).
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import patient_id_for_mrn
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.patients.privacy_tab import PrivacyTab
from medtrack_desktop.ui.service_calls import ServiceCaller
from medtrack_desktop.ui.workspace import Workspace


class RecordPrivacy(QWidget):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self.mrn = QLineEdit(placeholderText="MRN")
        self.mrn.setAccessibleName("MRN of the record")
        self.find = QPushButton("&Find record")
        self.found = QLabel(objectName="muted", wordWrap=True)
        self.found.setAccessibleName("Record found")
        self.privacy = PrivacyTab(context, actor, workspace)
        self.privacy.view.setEnabled(False)
        self._caller = ServiceCaller(context, actor, self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Record &MRN:", buddy=self.mrn))
        row.addWidget(self.mrn)
        row.addWidget(self.find)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.found)
        layout.addWidget(self.privacy.view, 1)
        self.find.clicked.connect(self.look_up)
        self.mrn.returnPressed.connect(self.look_up)
        self.setFocusProxy(self.mrn)
        # Saving announces a change; read the settings back as saved.
        workspace.sig_changed.connect(lambda _changed: self._reload())

    def _reload(self) -> None:
        if self.privacy.view.isEnabled():
            self.privacy.refresh()

    def look_up(self) -> None:
        mrn = self.mrn.text().strip()
        if not mrn:
            return
        self.found.setText("Looking up\u2026")
        self._caller.start("patient.mrn", patient_id_for_mrn, mrn=mrn,
                           on_done=lambda patient_id: self._found(mrn, patient_id),
                           on_failed=self._not_found)

    def _found(self, mrn: str, patient_id: object) -> None:
        self.found.setText(f"Record MRN {mrn}")
        self.privacy.set_patient(patient_id)  # type: ignore[arg-type]
        self.privacy.view.setEnabled(True)
        self.privacy.refresh()

    def _not_found(self, error: Exception) -> None:
        self.privacy.set_patient(None)
        self.privacy.view.setEnabled(False)
        self.found.setText(plain_message(error, doing="find the record"))
