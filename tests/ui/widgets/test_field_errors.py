"""One way to show a refusal at its fields: under the input, to screen readers, focus first."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from medtrack_desktop.ui.widgets.field_errors import FieldErrors, plain_label


def test_messages_at_their_fields(qtbot: QtBot) -> None:
    form_widget = QWidget()
    qtbot.addWidget(form_widget)
    form = QFormLayout(form_widget)
    errors = FieldErrors()
    first, second = QLineEdit(), QLineEdit()
    second.setAccessibleDescription("as on the card")
    errors.add_row(form, "first", "&First name:", first)
    errors.add_row(form, "second", "Address line &2:", second)
    form_widget.show()
    form_widget.activateWindow()
    qtbot.waitUntil(form_widget.isActiveWindow)
    assert (first.accessibleName(), second.accessibleName()) == ("First name", "Address line 2")

    rest = errors.show({"second": "Address line 2: too long.", "elsewhere": "Try later."})
    assert rest == {"elsewhere": "Try later."}
    assert errors.shown() == {"second": "Address line 2: too long."}
    assert second.hasFocus() and second.accessibleDescription() == "Address line 2: too long."
    errors.clear()
    assert errors.shown() == {} and second.accessibleDescription() == "as on the card"
    assert plain_label("Roles && &permissions:") == "Roles & permissions"
