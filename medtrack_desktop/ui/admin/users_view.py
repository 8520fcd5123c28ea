"""Layout of the Users tab and its dialogs. No logic here: the controller decides."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.ui.models.users import UsersTableModel


def _button(text: str, shortcut: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setShortcut(QKeySequence(shortcut))
    button.setToolTip(f"{name} ({shortcut})")
    button.setAccessibleName(name)
    return button


class UsersView(QWidget):
    """The user table and the actions on the selected user."""

    SHORTCUTS = (
        ("Ctrl+N", "Add user"),
        ("Ctrl+D", "Disable or enable the selected user"),
        ("Ctrl+U", "Unlock the selected user"),
        ("Ctrl+R", "Reset the selected user's password"),
        ("Ctrl+E", "Edit the selected user's roles"),
        ("Ctrl+T", "Reset the selected user's two-step sign-in"),
        ("F5", "Refresh"),
    )

    def __init__(self, model: UsersTableModel) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        buttons = QHBoxLayout()
        self.add = _button("Add user…", "Ctrl+N", "Add user")
        self.toggle_active = _button("Disable", "Ctrl+D", "Disable or enable user")
        self.unlock = _button("Unlock", "Ctrl+U", "Unlock user")
        self.reset_password = _button("Reset password…", "Ctrl+R", "Reset password")
        self.edit_roles = _button("Edit roles…", "Ctrl+E", "Edit roles")
        self.reset_mfa = _button("Reset two-step…", "Ctrl+T", "Reset two-step sign-in")
        self.refresh = _button("Refresh", "F5", "Refresh user list")
        for button in (self.add, self.toggle_active, self.unlock, self.reset_password,
                       self.edit_roles, self.reset_mfa):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh)
        layout.addLayout(buttons)
        self.table = QTableView()
        self.table.setAccessibleName("Users")
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.status = QLabel(objectName="muted")
        self.status.setAccessibleName("Users status")
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName("Users error")
        self.error.hide()
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        hints = "   ".join(f"{key}: {name}" for key, name in self.SHORTCUTS)
        layout.addWidget(QLabel(hints, objectName="muted", wordWrap=True))

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def set_toggle_label(self, text: str) -> None:
        """Rename Disable/Enable. ``setText`` replaces a button's shortcut with the text's
        mnemonic, so the key is set again."""
        if self.toggle_active.text() != text:
            self.toggle_active.setText(text)
            self.toggle_active.setShortcut(QKeySequence("Ctrl+D"))


class _Field:
    """An input with its error label right under it."""

    def __init__(self, form: QFormLayout, label: str, widget: QWidget, name: str) -> None:
        self.widget = widget
        widget.setAccessibleName(name)
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName(f"{name} error")
        self.error.hide()
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(self.error)
        form.addRow(label, box)
        self.label = form.labelForField(box)
        if isinstance(self.label, QLabel):
            self.label.setBuddy(widget)

    def set_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))


class RoleChecks(QWidget):
    def __init__(self, roles: list[str], *, checked: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.setAccessibleName("Roles")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.boxes: dict[str, QCheckBox] = {}
        for role in roles:
            box = QCheckBox(role.replace("_", " "))
            box.setAccessibleName(f"Role {role.replace('_', ' ')}")
            box.setChecked(role in checked)
            layout.addWidget(box)
            self.boxes[role] = box

    def selected(self) -> tuple[str, ...]:
        return tuple(role for role, box in self.boxes.items() if box.isChecked())


class FormDialog(QDialog):
    sig_submit = Signal()

    def __init__(self, title: str, ok_text: str) -> None:
        super().__init__()
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(480)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.fields: dict[str, _Field] = {}
        self.error = QLabel(objectName="fieldError", wordWrap=True)
        self.error.setAccessibleName("Error")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok_text)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.sig_submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def _add(self, key: str, label: str, widget: QWidget, name: str) -> None:
        self.fields[key] = _Field(self.form, label, widget, name)

    def line(self, key: str) -> QLineEdit:
        widget = self.fields[key].widget
        assert isinstance(widget, QLineEdit)
        return widget

    def text(self, key: str) -> str:
        return self.line(key).text()

    def clear_errors(self) -> None:
        for field in self.fields.values():
            field.set_error("")
        self.error.hide()

    def set_error(self, key: str | None, message: str) -> None:
        """Show a message at a field (focused), or above the buttons when it has none."""
        if key is None or key not in self.fields:
            self.error.setText(message)
            self.error.show()
            return
        self.fields[key].set_error(message)
        self.fields[key].widget.setFocus()

    def set_busy(self, busy: bool) -> None:
        self.ok.setEnabled(not busy)


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class AddUserDialog(FormDialog):
    def __init__(self, roles: list[str]) -> None:
        super().__init__("Add user", "Add user")
        self.setObjectName("addUserDialog")
        for key, label, name in (
            ("username", "&User name:", "User name"),
            ("first_name", "&First name:", "First name"),
            ("last_name", "&Last name:", "Last name"),
            ("email", "E-&mail:", "E-mail"),
            ("npi", "&NPI:", "NPI"),
            ("dea_number", "&DEA number:", "DEA number"),
            ("license_number", "Li&cense number:", "License number"),
            ("license_state", "License s&tate:", "License state"),
        ):
            self._add(key, label, QLineEdit(), name)
        self.line("license_state").setMaxLength(2)
        self.line("npi").setMaxLength(10)
        self.roles = RoleChecks(roles)
        self._add("roles", "&Roles:", self.roles, "Roles")
        self._add("password", "&Password:", _password_edit(), "Password")
        self._add("confirm", "C&onfirm password:", _password_edit(), "Confirm password")


class PasswordDialog(FormDialog):
    def __init__(self, username: str) -> None:
        super().__init__(f"Reset password — {username}", "Reset password")
        self.form.addRow(QLabel(
            "The user must choose a new password at the next sign-in.", objectName="muted",
            wordWrap=True,
        ))
        self._add("password", "New &password:", _password_edit(), "New password")
        self._add("confirm", "C&onfirm password:", _password_edit(), "Confirm password")


class RolesDialog(FormDialog):
    def __init__(self, username: str, roles: list[str], current: tuple[str, ...]) -> None:
        super().__init__(f"Edit roles — {username}", "Save roles")
        self.roles = RoleChecks(roles, checked=current)
        self._add("roles", "&Roles:", self.roles, "Roles")


__all__ = ["AddUserDialog", "PasswordDialog", "RoleChecks", "RolesDialog", "UsersView"]
