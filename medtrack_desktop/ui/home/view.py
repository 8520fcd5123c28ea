"""Layout of the home page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QVBoxLayout, QWidget

from medtrack_desktop.domain.audit.queries import count_audit
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.tasks import while_shown

BREAK_GLASS_ALERT_DAYS = 7


def _card(title: str, rows: list[tuple[str, str]]) -> QFrame:
    card = QFrame(objectName="card")
    layout = QVBoxLayout(card)
    heading = QLabel(title, objectName="sectionTitle")
    layout.addWidget(heading)
    form = QFormLayout()
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
    for label, value in rows:
        value_label = QLabel(value)
        value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value_label.setAccessibleName(label)
        form.addRow(f"{label}:", value_label)
    layout.addLayout(form)
    return card


class HomeView(QWidget):
    def __init__(self, context: AppContext, actor: Actor) -> None:
        super().__init__()
        self.setAccessibleName("Home")
        now = datetime.now(ZoneInfo(context.seat.clinic_timezone))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(14)
        title = QLabel(f"Welcome, {actor.display_name}", objectName="pageTitle")
        layout.addWidget(title)
        layout.addWidget(
            QLabel(f"{now:%A, %d %B %Y} · {context.seat.clinic_name}", objectName="muted")
        )
        self.privacy_alert = QLabel(objectName="fieldError", wordWrap=True)
        self.privacy_alert.setAccessibleName("Privacy alert")
        self.privacy_alert.hide()
        layout.addWidget(self.privacy_alert)
        layout.addWidget(
            _card(
                "Your access",
                [
                    ("User name", actor.username),
                    ("Roles", ", ".join(role.replace("_", " ") for role in actor.roles)),
                ],
            )
        )
        database = context.database
        layout.addWidget(
            _card(
                "This workstation",
                [
                    ("Workstation", context.seat.workstation_name),
                    ("Clinic", context.seat.clinic_name),
                    ("Database", f"encrypted (SQLCipher {database.cipher_version})"),
                    ("Schema", database.schema_revision),
                    ("Key kept in", database.key_source),
                ],
            )
        )
        layout.addWidget(
            _card(
                "Keyboard",
                [
                    ("Ctrl+1 …", "go to a module"),
                    *([("Ctrl+O", "open a patient by MRN")]
                      if actor.can("patient.read") or actor.can("self.read") else []),
                    ("Ctrl+L", "lock the workstation"),
                    ("F1", "list every shortcut"),
                    ("Ctrl+Shift+Q", "sign out"),
                    ("Ctrl+Q", "quit MedTrack"),
                ],
            )
        )
        layout.addStretch(1)
        if actor.can("audit.read"):
            self._check_break_glass(context, actor)

    def _check_break_glass(self, context: AppContext, actor: Actor) -> None:
        """Tell whoever reviews the audit that restricted records were opened by breaking the
        glass lately (the report lists them); read off the GUI thread."""
        since = datetime.now(UTC) - timedelta(days=BREAK_GLASS_ALERT_DAYS)

        def count(_progress: object, _cancelled: object) -> int:
            return perform(context.store, actor, count_audit, action="break_glass", start=since)

        context.tasks.start("home.break_glass", count,
                            on_done=while_shown(self, self._show_break_glass))

    def _show_break_glass(self, count: int) -> None:
        if count:
            self.privacy_alert.setText(
                f"Privacy: {count} restricted record{'s were' if count > 1 else ' was'} opened "
                f"by breaking the glass in the last {BREAK_GLASS_ALERT_DAYS} days: review in "
                "Administration ▸ Break the glass.")
            self.privacy_alert.show()
