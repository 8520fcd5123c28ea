"""Which roles must use two-step sign-in: one check box per staff role, saved when toggled."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.mfa import roles_requiring_mfa, set_role_mfa_required
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.tasks import while_shown


class RoleMfaView(QGroupBox):
    def __init__(self, roles: list[str]) -> None:
        super().__init__("Two-step sign-in required for")
        self.setAccessibleName("Roles that require two-step sign-in")
        row = QHBoxLayout()
        self.boxes = {role: QCheckBox(role.replace("_", " ")) for role in roles}
        for box in self.boxes.values():
            box.setEnabled(False)  # until the current settings are read
            row.addWidget(box)
        row.addStretch(1)
        self.status = QLabel(objectName="muted", wordWrap=True)
        self.status.setAccessibleName("Two-step sign-in status")
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.status)


class RoleMfaController(QObject):
    """Reads the requirement per role, and saves a change as soon as a box is toggled."""

    def __init__(self, *, context: AppContext, actor: Actor, roles: list[str]) -> None:
        super().__init__()
        self._context, self._actor = context, actor
        self.view = RoleMfaView(roles)
        self.setParent(self.view)  # owned by the view (see UsersController)
        for role, box in self.view.boxes.items():
            box.toggled.connect(partial(self._toggled, role))
        self.refresh()

    def _start(self, name: str, service: Callable[..., Any], on_done: Callable[[Any], None],
               **kwargs: Any) -> None:
        store, actor = self._context.store, self._actor
        self._context.tasks.start(
            name, lambda _p, _c: perform(store, actor, service, **kwargs),
            on_done=while_shown(self.view, on_done),
            on_failed=while_shown(self.view, self._failed),
        )

    def refresh(self) -> None:
        self._start("roles.mfa", roles_requiring_mfa, self._loaded)

    def _loaded(self, required: dict[str, bool]) -> None:
        for role, box in self.view.boxes.items():
            box.blockSignals(True)
            box.setChecked(required.get(role, False))
            box.blockSignals(False)
            box.setEnabled(True)

    def _toggled(self, role: str, checked: bool) -> None:
        self.view.error.hide()
        self._start("roles.set_mfa", set_role_mfa_required, lambda _none: self._saved(role),
                    role=role, required=checked)

    def _saved(self, role: str) -> None:
        on = self.view.boxes[role].isChecked()
        self.view.status.setText(
            f"Two-step sign-in is now {'required' if on else 'no longer required'} for the "
            f"{role.replace('_', ' ')} role." + (" Users without it set it up at their next "
                                                  "sign-in." if on else ""))

    def _failed(self, error: Exception) -> None:
        self.view.error.setText(plain_message(error, doing="save the setting"))
        self.view.error.show()
        self.refresh()  # show what is really stored
