"""The Users tab's logic: list, add, disable/enable, unlock, reset password, edit roles, reset
two-step sign-in.

Every call goes through the task runner as one ``perform`` (one unit of work, denials audited);
results come back by signal and only then touch widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity import accounts, mfa
from medtrack_desktop.domain.identity.accounts import UserInfo
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import role_matrix_rows
from medtrack_desktop.domain.identity.policy import PasswordRejected
from medtrack_desktop.ui.admin.errors import field_of, password_reasons
from medtrack_desktop.ui.admin.users_view import (
    AddUserDialog,
    FormDialog,
    PasswordDialog,
    RolesDialog,
    UsersView,
)
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.errors import plain_message
from medtrack_desktop.ui.models.users import UsersTableModel
from medtrack_desktop.ui.tasks import while_shown
from medtrack_desktop.ui.widgets.questions import Confirm, ask


def staff_roles() -> list[str]:
    """Roles an administrator assigns here; a patient portal account needs a patient link,
    which is made from the patient's record, not from this screen."""
    return [row.role for row in role_matrix_rows() if row.role != "patient"]


class UsersController(QObject):
    sig_users_changed = Signal()

    def __init__(
        self, *, context: AppContext, actor: Actor, view: UsersView | None = None,
        confirm: Confirm = ask,
    ) -> None:
        super().__init__()
        self._context, self._actor, self._confirm = context, actor, confirm
        self.model = UsersTableModel()
        self.view = view or UsersView(self.model)
        # Owned by the view on the C++ side: a garbage collection that happens to run on a
        # worker thread must never be the one that destroys a Qt object.
        self.setParent(self.view)
        self.model.setParent(self.view)
        self.dialog: FormDialog | None = None
        self._select_after_load: str | None = None
        self.view.add.clicked.connect(self.open_add_dialog)
        self.view.toggle_active.clicked.connect(self.toggle_active)
        self.view.unlock.clicked.connect(self.unlock)
        self.view.reset_password.clicked.connect(self.open_password_dialog)
        self.view.edit_roles.clicked.connect(self.open_roles_dialog)
        self.view.reset_mfa.clicked.connect(self.reset_mfa)
        self.view.refresh.clicked.connect(self.refresh)
        self.view.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    # -- running service calls ---------------------------------------------------------------

    def _run(
        self, name: str, service: Callable[..., Any], *, on_done: Callable[[Any], None],
        on_failed: Callable[[Exception], None], **kwargs: Any,
    ) -> None:
        store, actor = self._context.store, self._actor
        self._context.tasks.start(
            name,
            lambda _progress, _cancelled: perform(store, actor, service, **kwargs),
            on_done=while_shown(self.view, on_done), on_failed=while_shown(self.view, on_failed),
        )

    def _failed(self, doing: str) -> Callable[[Exception], None]:
        return lambda error: self.view.show_error(plain_message(error, doing=doing))

    def refresh(self) -> None:
        self.view.status.setText("Loading users…")
        self._run("users.list", accounts.list_users, on_done=self._loaded,
                  on_failed=self._failed("load the users"))

    def _loaded(self, users: list[UserInfo]) -> None:
        current = self._select_after_load or (self.selected().username if self.selected()
                                              else None)
        self._select_after_load = None
        self.model.set_rows(users)
        self.view.status.setText(f"{len(users)} users")
        if current is not None and (row := self.model.row_of(current)) >= 0:
            self.view.table.selectRow(row)
        self.sig_users_changed.emit()

    def _changed(self, message: str) -> Callable[[Any], None]:
        def done(_result: Any) -> None:
            self.view.show_error("")
            self.view.status.setText(message)
            self.refresh()

        return done

    # -- selection ---------------------------------------------------------------------------

    def selected(self) -> UserInfo | None:
        return self.model.row_at(self.view.table.currentIndex().row())

    def _update_buttons(self) -> None:
        user = self.selected()
        for button in (self.view.toggle_active, self.view.reset_password, self.view.edit_roles):
            button.setEnabled(user is not None)
        self.view.unlock.setEnabled(user is not None and user.locked)
        self.view.reset_mfa.setEnabled(user is not None and user.mfa_enabled)
        self.view.set_toggle_label("Enable" if user and not user.is_active else "Disable")

    # -- actions on the selected user --------------------------------------------------------

    def toggle_active(self) -> None:
        user = self.selected()
        if user is None:
            return
        if user.is_active and not self._confirm(
            self.view, "Disable user",
            f"Disable {user.display_name} ({user.username})? They will not be able to sign in "
            "until an administrator enables the account again. Nothing is deleted.",
        ):
            return
        self._run("users.set_active", accounts.set_active, username=user.username,
                  active=not user.is_active,
                  on_done=self._changed(f"{'Enabled' if not user.is_active else 'Disabled'} "
                                        f"{user.username}."),
                  on_failed=self._failed("change the account"))

    def unlock(self) -> None:
        user = self.selected()
        if user is None:
            return
        self._run("users.unlock", accounts.unlock_user, username=user.username,
                  on_done=self._changed(f"Unlocked {user.username}."),
                  on_failed=self._failed("unlock the account"))

    def reset_mfa(self) -> None:
        user = self.selected()
        if user is None or not user.mfa_enabled or not self._confirm(
            self.view, "Reset two-step sign-in",
            f"Turn off two-step sign-in for {user.display_name} ({user.username})? Their "
            "authenticator and recovery codes stop working; if a role requires it, they set "
            "it up again at their next sign-in. Do this only after checking who is asking.",
        ):
            return
        self._run("users.reset_mfa", mfa.reset_mfa, username=user.username,
                  on_done=self._changed(f"Two-step sign-in reset for {user.username}."),
                  on_failed=self._failed("reset two-step sign-in"))

    # -- dialogs -----------------------------------------------------------------------------

    def _open(self, dialog: FormDialog, submit: Callable[[], None]) -> None:
        dialog.setParent(self.view, dialog.windowFlags())
        dialog.sig_submit.connect(submit)
        dialog.finished.connect(lambda _code: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def _dialog_failed(self, dialog: FormDialog, doing: str) -> Callable[[Exception], None]:
        def failed(error: Exception) -> None:
            dialog.set_busy(False)
            if isinstance(error, PasswordRejected):
                dialog.set_error("password", password_reasons(error))
            else:
                message = plain_message(error, doing=doing)
                dialog.set_error(field_of(message), message)

        return failed

    def _dialog_done(self, dialog: FormDialog, message: str) -> Callable[[Any], None]:
        def done(result: Any) -> None:
            dialog.accept()
            if isinstance(result, UserInfo):
                self._select_after_load = result.username
            self._changed(message)(result)

        return done

    @staticmethod
    def _passwords_match(dialog: FormDialog) -> bool:
        if not dialog.text("password"):
            dialog.set_error("password", "Enter a password.")
            return False
        if dialog.text("password") != dialog.text("confirm"):
            dialog.set_error("confirm", "The two passwords differ.")
            return False
        return True

    def open_add_dialog(self) -> None:
        dialog = AddUserDialog(staff_roles())
        self._open(dialog, lambda: self._submit_add(dialog))
        dialog.line("username").setFocus()

    def _submit_add(self, dialog: AddUserDialog) -> None:
        dialog.clear_errors()
        if not dialog.roles.selected():
            dialog.set_error("roles", "Give the user at least one role.")
            return
        if not self._passwords_match(dialog):
            return
        optional = {
            key: dialog.text(key).strip() or None
            for key in ("email", "npi", "dea_number", "license_number", "license_state")
        }
        if optional["license_state"]:
            optional["license_state"] = optional["license_state"].upper()
        dialog.set_busy(True)
        username = dialog.text("username").strip().lower()
        self._run(
            "users.add", accounts.add_user, username=username,
            password=dialog.text("password"), first_name=dialog.text("first_name"),
            last_name=dialog.text("last_name"), roles=dialog.roles.selected(), **optional,
            on_done=self._dialog_done(dialog, f"Added {username}."),
            on_failed=self._dialog_failed(dialog, "add the user"),
        )

    def open_password_dialog(self) -> None:
        user = self.selected()
        if user is None:
            return
        dialog = PasswordDialog(user.username)
        self._open(dialog, lambda: self._submit_password(dialog, user.username))
        dialog.line("password").setFocus()

    def _submit_password(self, dialog: PasswordDialog, username: str) -> None:
        dialog.clear_errors()
        if not self._passwords_match(dialog):
            return
        dialog.set_busy(True)
        self._run(
            "users.reset_password", accounts.reset_password, username=username,
            new_password=dialog.text("password"),
            on_done=self._dialog_done(dialog, f"Password of {username} reset; they must "
                                              "change it at the next sign-in."),
            on_failed=self._dialog_failed(dialog, "reset the password"),
        )

    def open_roles_dialog(self) -> None:
        user = self.selected()
        if user is None:
            return
        choices = staff_roles() + [role for role in user.roles if role not in staff_roles()]
        dialog = RolesDialog(user.username, choices, user.roles)
        self._open(dialog, lambda: self._submit_roles(dialog, user.username))
        next(iter(dialog.roles.boxes.values())).setFocus()

    def _submit_roles(self, dialog: RolesDialog, username: str) -> None:
        dialog.clear_errors()
        roles = dialog.roles.selected()
        if not roles:
            dialog.set_error("roles", "Give the user at least one role.")
            return
        dialog.set_busy(True)
        self._run(
            "users.set_roles", accounts.set_roles, username=username, roles=roles,
            on_done=self._dialog_done(dialog, f"Roles of {username} saved."),
            on_failed=self._dialog_failed(dialog, "save the roles"),
        )
