"""The administration page: one tab per task, each tab with its own controller."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.admin.audit_controller import AuditController
from medtrack_desktop.ui.admin.matrix_view import MatrixView
from medtrack_desktop.ui.admin.record_privacy import RecordPrivacy
from medtrack_desktop.ui.admin.role_mfa import RoleMfaController
from medtrack_desktop.ui.admin.scheduling_page import SchedulingSetup
from medtrack_desktop.ui.admin.users_controller import UsersController, staff_roles
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.workspace import Workspace


class AdminPage(QWidget):
    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace) -> None:
        super().__init__()
        self.setAccessibleName("Administration")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(QLabel("Administration", objectName="pageTitle"))
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Administration sections")
        self.users = UsersController(context=context, actor=actor)
        self.matrix = MatrixView()
        self.role_mfa = RoleMfaController(context=context, actor=actor, roles=staff_roles())
        self.matrix.layout().addWidget(self.role_mfa.view)
        self.tabs.addTab(self.users.view, "&Users")
        self.tabs.addTab(self.matrix, "Roles && &permissions")
        self.audit: AuditController | None = None
        self.break_glass: AuditController | None = None
        if actor.can("audit.read"):
            self.audit = AuditController(context=context, actor=actor)
            self.tabs.addTab(self.audit.view, "Audit &log")
            # Every opening of a restricted record by someone outside its care team, with the
            # reason given: the privacy officer reviews these.
            self.break_glass = AuditController(context=context, actor=actor,
                                               only_action="break_glass")
            self.tabs.addTab(self.break_glass.view, "&Break the glass")
        self.record_privacy: RecordPrivacy | None = None
        if actor.can("privacy.admin"):
            self.record_privacy = RecordPrivacy(context, actor, workspace)
            self.tabs.addTab(self.record_privacy, "Record pri&vacy")
        self.scheduling: SchedulingSetup | None = None
        if actor.can("clinic.admin"):
            self.scheduling = SchedulingSetup(context, actor, workspace)
            self.tabs.addTab(self.scheduling, "&Scheduling")
        layout.addWidget(self.tabs, 1)
        self.users.refresh()
