"""The main window: module navigation, patient context bar, module area, status bar."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop import __version__
from medtrack_desktop.domain.chart.summary import BannerFacts, banner_facts
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.access import PatientHeader
from medtrack_desktop.domain.patients.registry import get_photo
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.icons import app_icon, icon
from medtrack_desktop.ui.module import ModuleSpec
from medtrack_desktop.ui.shell.account_dialogs import ChangePasswordDialog, TwoStepSetupDialog
from medtrack_desktop.ui.shell.patient_opening import PatientOpener
from medtrack_desktop.ui.shell.sync_status import BackgroundSync, SyncStatusLabel
from medtrack_desktop.ui.tasks import while_shown
from medtrack_desktop.ui.widgets.patient_bar import PatientContextBar
from medtrack_desktop.ui.workspace import Changed, Workspace


class MainWindow(QMainWindow):
    """Emits ``sig_sign_out`` when the user signs out, ``sig_quit`` when they quit,
    ``sig_lock_requested`` on Ctrl+L and ``sig_switch_user`` from the lock screen."""

    sig_sign_out = Signal()
    sig_quit = Signal()
    sig_lock_requested = Signal()
    sig_switch_user = Signal()

    def __init__(self, *, context: AppContext, actor: Actor, modules: list[ModuleSpec],
                 sync: BackgroundSync | None = None) -> None:
        super().__init__()
        self.context, self.actor, self.modules = context, actor, modules
        self.sync = sync
        self._leaving = False
        self.lock_screen: QWidget | None = None
        self._title = f"MedTrack Desktop — {context.seat.clinic_name}"  # never patient data
        self.setWindowTitle(self._title)
        self.setWindowIcon(app_icon())
        self.setMinimumSize(QSize(1024, 640))

        self.nav = QListWidget(objectName="moduleNav")
        self.nav.setAccessibleName("Modules")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(210)
        self.patient_bar = PatientContextBar()
        self.pages = QStackedWidget()
        self.opener = PatientOpener(store=context.store, actor=actor, tasks=context.tasks,
                                    parent=self)
        self.workspace = Workspace(self.opener, self)
        self.workspace.sig_patient_changed.connect(self.set_patient)
        self.workspace.sig_changed.connect(self._data_changed)
        self.workspace.sig_show_module.connect(self.show_module)
        for spec in modules:
            QListWidgetItem(icon(spec.icon), spec.title, self.nav).setToolTip(
                f"{spec.title} ({spec.shortcut})"
            )
            self.pages.addWidget(spec.create(context, actor, self.workspace))
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.patient_bar)
        right_layout.addWidget(self.pages, 1)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.nav)
        layout.addWidget(right, 1)
        self.screens = QStackedWidget()  # the workspace, or the lock screen covering it
        self.screens.addWidget(central)
        self.setCentralWidget(self.screens)

        self._build_menus()
        self._build_status_bar()
        if modules:
            self.nav.setCurrentRow(0)
        self.nav.setFocus()

    # -- menus and status --------------------------------------------------------------------

    def _action(self, text: str, shortcut: QKeySequence | str, slot: object) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        if self.actor.can("patient.read") or self.actor.can("self.read"):
            file_menu.addAction(self._action("Open &patient by MRN…", "Ctrl+O",
                                             self.ask_mrn))
            file_menu.addAction(self._action("&Close patient", "Ctrl+W",
                                             self.workspace.close_patient))
            file_menu.addSeparator()
        self.sync_now_action = self._action("S&ync now", "F9", self.sync_now)
        self.sync_now_action.setEnabled(self.sync is not None)
        file_menu.addAction(self.sync_now_action)
        file_menu.addSeparator()
        file_menu.addAction(
            self._action("&Lock workstation", "Ctrl+L", self.sig_lock_requested)
        )
        file_menu.addAction(self._action("Sign &out", "Ctrl+Shift+Q", self.sign_out))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", "Ctrl+Q", self.quit))
        if self.actor.user_id is not None:
            account_menu = self.menuBar().addMenu("&Account")
            account_menu.addAction(self._action("Change &password…", "Ctrl+Shift+P",
                                                self.change_password))
            account_menu.addAction(self._action("Set up &two-step sign-in…", "",
                                                self.set_up_two_step))
        go_menu = self.menuBar().addMenu("&Go")
        for row, spec in enumerate(self.modules):
            go_menu.addAction(
                self._action(spec.title, spec.shortcut, lambda _=False, r=row: self.show_row(r))
            )
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", "F1", self.show_shortcuts))
        help_menu.addAction(self._action("&About MedTrack Desktop", "", self.show_about))

    def _build_status_bar(self) -> None:
        roles = ", ".join(role.replace("_", " ") for role in self.actor.roles)
        self.user_label = QLabel(f"User: {self.actor.display_name} ({roles})")
        self.workstation_label = QLabel(f"Workstation: {self.context.seat.workstation_name}")
        self.clinic_label = QLabel(f"Clinic: {self.context.seat.clinic_name}")
        for label in (self.user_label, self.workstation_label, self.clinic_label):
            label.setAccessibleName(label.text().split(":")[0])
            self.statusBar().addPermanentWidget(label)
        self.sync_label = SyncStatusLabel(ZoneInfo(self.context.seat.clinic_timezone))
        self.statusBar().addPermanentWidget(self.sync_label)
        if self.sync is not None:
            self.sync.sig_status.connect(self.sync_label.show_status)
            self.sync.sig_received.connect(self._synced_changes)

    def sync_now(self) -> None:
        if self.sync is not None:
            self.sync.request()

    def _synced_changes(self) -> None:
        """Another workstation's changes arrived: which kinds is not known here, so every
        view that shows clinic data decides for itself as after a local command."""
        self.workspace.announce(Changed.PATIENTS | Changed.CHART | Changed.SCHEDULE)

    def change_password(self) -> None:
        ChangePasswordDialog(store=self.context.store, actor=self.actor,
                             tasks=self.context.tasks, parent=self).exec()

    def set_up_two_step(self) -> None:
        TwoStepSetupDialog(store=self.context.store, actor=self.actor,
                           tasks=self.context.tasks, parent=self).exec()

    def ask_mrn(self) -> None:
        mrn, ok = QInputDialog.getText(self, "Open patient", "&MRN:")
        if ok and mrn.strip():
            self.opener.open_by_mrn(mrn)

    def set_patient(self, patient: PatientHeader | None) -> None:
        """Show the window's open patient (or none) in the context bar."""
        if patient is None:
            self.patient_bar.clear()
            return
        today = datetime.now(ZoneInfo(self.context.seat.clinic_timezone)).date()
        self.patient_bar.show_patient(patient, today=today)
        self._read_banner(patient.id)

    def _read_banner(self, patient_id: uuid.UUID) -> None:
        """The photo, allergies and alerts of the open patient, read off the GUI thread and
        shown only if that patient is still the open one."""
        store, actor = self.context.store, self.actor

        def read(_progress: object, _cancelled: object) -> tuple[bytes | None, BannerFacts | None]:
            with store.session() as session:
                photo = get_photo(session, actor, patient_id=patient_id) \
                    if actor.can("patient.read") else None
                facts = banner_facts(session, actor, patient_id=patient_id) \
                    if actor.can("chart.read") else None
            return photo, facts

        def show(result: tuple[bytes | None, BannerFacts | None]) -> None:
            current = self.workspace.patient
            if current is not None and current.id == patient_id:
                self.patient_bar.show_photo(result[0])
                self.patient_bar.show_facts(result[1])

        self.context.tasks.start("patient.banner", read, on_done=while_shown(self, show),
                                 on_failed=lambda _error: None)

    def _data_changed(self, changed: Changed) -> None:
        patient = self.workspace.patient
        if patient is not None and changed & (Changed.CHART | Changed.PATIENTS):
            self._read_banner(patient.id)

    def show_module(self, key: str) -> None:
        for row, spec in enumerate(self.modules):
            if spec.key == key:
                self.show_row(row)

    def show_row(self, row: int) -> None:
        self.nav.setCurrentRow(row)
        self.pages.currentWidget().setFocus()

    def shortcut_lines(self) -> list[str]:
        lines = [f"{action.shortcut().toString()}\t{action.text().replace('&', '')}"
                 for action in self.actions() if not action.shortcut().isEmpty()]
        return sorted(lines)

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", "\n".join(self.shortcut_lines()))

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About MedTrack Desktop",
            f"MedTrack Desktop {__version__}\nEncrypted clinic workstation EHR.",
        )

    # -- lock --------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self.lock_screen is not None

    def show_lock(self, screen: QWidget) -> None:
        """Cover everything (workspace, patient bar, menus, status) with ``screen``; no shortcut
        works until ``hide_lock``. Dialogs left open over the window are closed."""
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        self.lock_screen = screen
        self.screens.addWidget(screen)
        self.screens.setCurrentWidget(screen)
        self.menuBar().hide()
        self.statusBar().hide()
        for action in self.actions():
            action.setEnabled(False)
        self.setWindowTitle("MedTrack Desktop — Locked")
        screen.setFocus()

    def hide_lock(self) -> None:
        if self.lock_screen is None:
            return
        self.screens.removeWidget(self.lock_screen)
        self.lock_screen.deleteLater()
        self.lock_screen = None
        self.screens.setCurrentIndex(0)
        self.menuBar().show()
        self.statusBar().show()
        for action in self.actions():
            action.setEnabled(True)
        self.setWindowTitle(self._title)
        self.nav.setFocus()

    def switch_user(self) -> None:
        """Leave this user's session for the sign-in dialog; the window is destroyed."""
        self._leaving = True
        self.close()
        self.sig_switch_user.emit()
        self.deleteLater()

    # -- leaving -----------------------------------------------------------------------------

    def sign_out(self) -> None:
        self._leaving = True
        self.close()
        self.sig_sign_out.emit()

    def quit(self) -> None:
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._leaving:
            self._leaving = True
            self.sig_quit.emit()
        event.accept()
