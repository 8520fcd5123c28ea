"""Validation messages at the field, the same way in every form (DESIGN §6).

Services refuse with ``errors: dict[field, message]`` (``DemographicsInvalid``,
``InsuranceInvalid`` …). A ``FieldErrors`` knows each field's input, puts a red line right
under it, hands the message to screen readers as the input's accessible description, and
focuses the first bad field in form order, so a refused save never loses what was typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget


def plain_label(text: str) -> str:
    """A label's text as a screen reader should say it: no mnemonic marker, no colon."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(": ")


class FieldErrors:
    """The error lines of one form, in the order the fields were added (the tab order)."""

    def __init__(self) -> None:
        self._fields: dict[str, tuple[QWidget, QLabel, str]] = {}

    def add(self, key: str, focus: QWidget, shown: QWidget | None = None) -> QWidget:
        """``shown`` (or ``focus`` itself) with a hidden error line under it, as one widget to
        put in a layout; ``focus`` is what a message about ``key`` focuses."""
        error = QLabel(objectName="fieldError", wordWrap=True)
        error.setAccessibleName(f"{focus.accessibleName() or key} error")
        error.hide()
        box = QWidget()
        box.setSizePolicy((shown or focus).sizePolicy())  # a text area still grows
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(shown or focus)
        layout.addWidget(error)
        self._fields[key] = (focus, error, focus.accessibleDescription())
        return box

    def add_row(self, form: QFormLayout, key: str, label: str, focus: QWidget,
                shown: QWidget | None = None) -> QLabel:
        """A form row: ``label`` (with its mnemonic, buddy of ``focus``) and the field."""
        if not focus.accessibleName():
            focus.setAccessibleName(plain_label(label))
        caption = QLabel(label)
        caption.setBuddy(focus)
        form.addRow(caption, self.add(key, focus, shown))
        return caption

    def set(self, key: str, message: str) -> None:
        focus, error, description = self._fields[key]
        error.setText(message)
        error.setVisible(bool(message))
        focus.setAccessibleDescription(message or description)

    def message(self, key: str) -> str:
        return self._fields[key][1].text() if key in self._fields else ""

    def shown(self) -> dict[str, str]:
        """The messages on screen now, by field."""
        return {key: error.text() for key, (_focus, error, _d) in self._fields.items()
                if error.text()}

    def clear(self, keys: Iterable[str] | None = None) -> None:
        for key in self._fields if keys is None else keys:
            self.set(key, "")

    def show(self, errors: Mapping[str, str], *, focus: bool = True) -> dict[str, str]:
        """Show each message at its field (clearing the others) and focus the first bad one
        in form order. Returns the messages that belong to no field, for the form to show
        above its buttons."""
        for key in self._fields:
            self.set(key, errors.get(key, ""))
        if focus:
            first = next((key for key in self._fields if key in errors), None)
            if first is not None:
                self._fields[first][0].setFocus()
        return {key: message for key, message in errors.items() if key not in self._fields}
