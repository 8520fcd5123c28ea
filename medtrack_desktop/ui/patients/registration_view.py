"""Layout of the registration form: three columns of sections in a scroll area, an error
banner above and the buttons below. No logic here: ``registration.RegistrationDialog``
decides. Fields are added in reading order, which is also the tab order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from medtrack_desktop.domain.patients.demographics import TEXT_FIELDS
from medtrack_desktop.ui.patients.registration_choices import (
    CHOICES,
    LANGUAGES,
    US_STATE_NAMES,
)
from medtrack_desktop.ui.widgets.date_field import DateField
from medtrack_desktop.ui.widgets.field_errors import FieldErrors
from medtrack_desktop.ui.widgets.text_field import text_field

PHOTO_SIZE = (96, 120)
RELATIONS = ("Spouse", "Partner", "Parent", "Child", "Sibling", "Friend", "Legal guardian")
NOT_GIVEN = "\u2014"  # the blank choice of an optional list


def choice_combo(field: str, *, blank: str = NOT_GIVEN) -> QComboBox:
    """A list of a field's stored codes shown by label, starting with a blank choice."""
    combo = QComboBox()
    combo.addItem(blank, "")
    for code, label in CHOICES[field].items():
        combo.addItem(label, code)
    return combo


def editable_combo(items: dict[str, str]) -> QComboBox:
    """A list to pick from or type past (languages, states): items are (code, label)."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItem("", "")
    for code, label in items.items():
        combo.addItem(label, code)
    completer = combo.completer()
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
    return combo


def combo_code(combo: QComboBox) -> str:
    """The stored code chosen (an editable list: the item typed in full, else the text)."""
    if not combo.isEditable():
        return combo.currentData() or ""
    text = combo.currentText().strip()
    found = combo.findText(text, Qt.MatchFlag.MatchFixedString)
    return combo.itemData(found) if found > 0 else text


def set_combo_code(combo: QComboBox, code: str | None) -> None:
    found = combo.findData(code or "")
    if found >= 0:
        combo.setCurrentIndex(found)
    elif combo.isEditable():
        combo.setEditText(code or "")


def _line(column: str | None = None, *, placeholder: str = "", limit: int = 0) -> QLineEdit:
    return text_field(limit or (TEXT_FIELDS[column][1] if column else 200), placeholder)


class RegistrationView(QWidget):
    """Every input of the form is in ``inputs`` by its ``Demographics`` field name (plus
    ``mrn`` and ``photo``); ``errors`` shows messages at them."""

    def __init__(self, *, today: Callable[[], date], editing: bool) -> None:
        super().__init__()
        # A value shown, not asked for (the MRN of a registered patient), reads as text.
        self.setStyleSheet('QLineEdit[readOnly="true"] { background: transparent; border: none; }')
        self.errors = FieldErrors()
        self.inputs: dict[str, QWidget] = {}

        self.banner = QFrame(objectName="card")
        self.banner_text = QLabel(objectName="fieldError", wordWrap=True)
        self.banner_text.setAccessibleName("Problem saving")
        self.reload = QPushButton("Re&load the record")
        self.reload.setAutoDefault(False)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.addWidget(self.banner_text, 1)
        banner_layout.addWidget(self.reload)
        self.banner.hide()

        self.last_name = _line("last_name")
        self.first_name = _line("first_name")
        self.middle_name = _line("middle_name")
        self.preferred_name = _line("preferred_name", placeholder="What the patient goes by")
        self.date_of_birth = DateField(today)
        self.sex = choice_combo("sex", blank="Choose\u2026")
        self.gender_identity = choice_combo("gender_identity")
        self.race = choice_combo("race")
        self.ethnicity = choice_combo("ethnicity")
        self.marital_status = choice_combo("marital_status")
        self.preferred_language = editable_combo(LANGUAGES)
        self.preferred_language.lineEdit().setMaxLength(TEXT_FIELDS["preferred_language"][1])
        self.ssn = _line(placeholder="123-45-6789", limit=11)
        self.ssn.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.reveal = QPushButton("Re&veal")
        self.reveal.setAutoDefault(False)
        self.reveal.setToolTip("Show the whole number (recorded in the audit log)")
        self.reveal.hide()
        self.mrn = _line(limit=32)
        self.mrn.setAccessibleName("MRN")
        self.mrn.setReadOnly(editing)
        self.mrn_manual = QCheckBox("Enter an MR&N")
        self.mrn_manual.setToolTip("For a number carried over from another system")

        self.address_line1 = _line("address_line1")
        self.address_line2 = _line("address_line2", placeholder="Apartment, suite, unit")
        self.city = _line("city")
        self.state = editable_combo({code: f"{code} \u2013 {name}"
                                     for code, name in US_STATE_NAMES.items()})
        self.state.lineEdit().setMaxLength(TEXT_FIELDS["state"][1])
        self.postal_code = _line(placeholder="78701", limit=10)
        self.country = _line(limit=2)
        self.country.setToolTip("Two-letter country code, such as US or MX")
        self.phone_home = _line(placeholder="(512) 555-0147", limit=30)
        self.phone_mobile = _line(placeholder="(512) 555-0147", limit=30)
        self.phone_work = _line(placeholder="(512) 555-0147", limit=30)
        self.email = _line(placeholder="name@example.com", limit=254)
        self.emergency_contact_name = _line("emergency_contact_name")
        self.emergency_contact_phone = _line(placeholder="(512) 555-0147", limit=30)
        self.emergency_contact_relation = _line("emergency_contact_relation")
        relation_completer = QCompleter(list(RELATIONS), self.emergency_contact_relation)
        relation_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.emergency_contact_relation.setCompleter(relation_completer)
        self.employer_name = _line("employer_name")

        self.photo_preview = QLabel(objectName="photo")
        self.photo_preview.setFixedSize(*PHOTO_SIZE)
        self.photo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo_preview.setFrameShape(QFrame.Shape.StyledPanel)
        self.photo_preview.setAccessibleName("Photo")
        self.choose_photo = QPushButton("Choose p&hoto\u2026")
        self.choose_photo.setAccessibleName("Choose photo")
        self.remove_photo = QPushButton("Remove photo")
        for button in (self.choose_photo, self.remove_photo):
            button.setAutoDefault(False)
        self.active = QCheckBox("Active &patient")
        self.deceased = QCheckBox("&Deceased")
        self.deceased_on = DateField(today)
        self.deceased_on.setAccessibleName("Date of death")
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(self.notes.fontMetrics().lineSpacing() * 6)

        content = QWidget(objectName="registrationForm")
        columns = QHBoxLayout(content)
        columns.setSpacing(28)
        columns.addLayout(self._left_column(editing), 5)
        columns.addLayout(self._middle_column(), 5)
        columns.addLayout(self._right_column(), 3)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)

        self.message = QLabel(objectName="muted", wordWrap=True)
        self.message.setAccessibleName("Status")
        self.save = QPushButton("Save")
        self.save.setDefault(True)
        self.save.setToolTip("Save (Ctrl+S)")
        self.save.setAccessibleName("Save")
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Close without saving (Esc)")
        hints = QLabel("Tab or Enter: next field \u00b7 Ctrl+S: save \u00b7 Esc: close",
                       objectName="muted")
        self.message.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        buttons = QHBoxLayout()
        buttons.addWidget(hints)
        buttons.addSpacing(24)
        buttons.addWidget(self.message, 1)
        buttons.addSpacing(12)
        buttons.addWidget(self.save)
        buttons.addWidget(self.cancel)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        self._set_tab_order(editing)

    # -- sections ----------------------------------------------------------------------------

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(6)
        form.setHorizontalSpacing(12)  # not the columns' spacing
        return form

    @staticmethod
    def _title(form: QFormLayout, text: str) -> None:
        title = QLabel(text, objectName="sectionTitle")
        if form.rowCount():
            title.setContentsMargins(0, 10, 0, 0)
        form.addRow(title)

    def _row(self, form: QFormLayout, key: str, label: str, widget: QWidget,
             shown: QWidget | None = None) -> None:
        self.inputs[key] = widget
        self.errors.add_row(form, key, label, widget, shown)

    def _left_column(self, editing: bool) -> QFormLayout:
        form = self._form()
        self._title(form, "Name")
        self._row(form, "last_name", "&Last name:", self.last_name)
        self._row(form, "first_name", "&First name:", self.first_name)
        self._row(form, "middle_name", "&Middle name:", self.middle_name)
        self._row(form, "preferred_name", "&Preferred name:", self.preferred_name)
        self._title(form, "Birth and identity")
        self._row(form, "date_of_birth", "Date of &birth:", self.date_of_birth)
        self._row(form, "sex", "Se&x:", self.sex)
        self._row(form, "gender_identity", "&Gender identity:", self.gender_identity)
        self._row(form, "race", "&Race:", self.race)
        self._row(form, "ethnicity", "E&thnicity:", self.ethnicity)
        self._row(form, "marital_status", "Mar&ital status:", self.marital_status)
        self._row(form, "preferred_language", "Preferred lang&uage:", self.preferred_language)
        self._title(form, "Identifiers")
        self.ssn.setAccessibleName("SSN")
        ssn_row = QWidget()
        ssn_layout = QHBoxLayout(ssn_row)
        ssn_layout.setContentsMargins(0, 0, 0, 0)
        ssn_layout.addWidget(self.ssn, 1)
        ssn_layout.addWidget(self.reveal)
        self._row(form, "ssn", "&SSN:", self.ssn, ssn_row)
        mrn_row = QWidget()
        mrn_layout = QHBoxLayout(mrn_row)
        mrn_layout.setContentsMargins(0, 0, 0, 0)
        mrn_layout.addWidget(self.mrn, 1)
        if not editing:
            mrn_layout.addWidget(self.mrn_manual)
        self.mrn_manual.setVisible(not editing)
        self._row(form, "mrn", "MRN:", self.mrn, mrn_row)
        return form

    def _middle_column(self) -> QFormLayout:
        form = self._form()
        self._title(form, "Address")
        self._row(form, "address_line1", "A&ddress:", self.address_line1)
        self._row(form, "address_line2", "Address line &2:", self.address_line2)
        self._row(form, "city", "&City:", self.city)
        self._row(form, "state", "St&ate:", self.state)
        self._row(form, "postal_code", "&ZIP code:", self.postal_code)
        self._row(form, "country", "Countr&y:", self.country)
        self._title(form, "Contact")
        self._row(form, "phone_home", "&Home phone:", self.phone_home)
        self._row(form, "phone_mobile", "M&obile phone:", self.phone_mobile)
        self._row(form, "phone_work", "&Work phone:", self.phone_work)
        self._row(form, "email", "&Email:", self.email)
        self._title(form, "Emergency contact")
        self.emergency_contact_name.setAccessibleName("Emergency contact name")
        self.emergency_contact_phone.setAccessibleName("Emergency contact phone")
        self.emergency_contact_relation.setAccessibleName("Emergency contact relation")
        self._row(form, "emergency_contact_name", "Na&me:", self.emergency_contact_name)
        self._row(form, "emergency_contact_phone", "P&hone:", self.emergency_contact_phone)
        self._row(form, "emergency_contact_relation", "Relatio&n:",
                  self.emergency_contact_relation)
        self._title(form, "Work")
        self._row(form, "employer_name", "Emplo&yer:", self.employer_name)
        return form

    def _right_column(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(6)
        column.addWidget(QLabel("Photo", objectName="sectionTitle"))
        photo_buttons = QVBoxLayout()
        photo_buttons.addWidget(self.choose_photo)
        photo_buttons.addWidget(self.remove_photo)
        photo_buttons.addStretch(1)
        photo_row = QWidget()
        photo_layout = QHBoxLayout(photo_row)
        photo_layout.setContentsMargins(0, 0, 0, 0)
        photo_layout.addWidget(self.photo_preview)
        photo_layout.addLayout(photo_buttons)
        self.inputs["photo"] = self.choose_photo
        column.addWidget(self.errors.add("photo", self.choose_photo, photo_row))

        status = QLabel("Status", objectName="sectionTitle")
        status.setContentsMargins(0, 10, 0, 0)
        column.addWidget(status)
        self.inputs["active"] = self.active
        column.addWidget(self.errors.add("active", self.active))
        self.inputs["deceased"] = self.deceased
        column.addWidget(self.errors.add("deceased", self.deceased))
        death_row = QWidget()
        death_layout = QHBoxLayout(death_row)
        death_layout.setContentsMargins(20, 0, 0, 0)
        death_layout.addWidget(QLabel("Date of dea&th:", buddy=self.deceased_on))
        death_layout.addWidget(self.deceased_on, 1)
        self.inputs["deceased_on"] = self.deceased_on
        column.addWidget(self.errors.add("deceased_on", self.deceased_on, death_row))

        notes = QLabel("N&otes", objectName="sectionTitle", buddy=self.notes)
        notes.setContentsMargins(0, 10, 0, 0)
        self.notes.setAccessibleName("Notes")
        column.addWidget(notes)
        self.inputs["notes"] = self.notes
        column.addWidget(self.errors.add("notes", self.notes), 1)
        return column

    def _set_tab_order(self, editing: bool) -> None:
        chain: list[QWidget] = []
        for key, widget in self.inputs.items():
            chain.append(widget)
            if key == "ssn":
                chain.append(self.reveal)
            elif key == "mrn" and not editing:
                chain.insert(len(chain) - 1, self.mrn_manual)
            elif key == "photo":
                chain.append(self.remove_photo)
        chain += [self.save, self.cancel]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- what the controller changes ---------------------------------------------------------

    def show_banner(self, message: str, *, reload: bool = False) -> None:
        self.banner_text.setText(message)
        self.reload.setVisible(reload)
        self.banner.setVisible(bool(message))

    def show_photo(self, picture: QPixmap | None) -> None:
        """The thumbnail, or None for "no photo"."""
        if picture is None:
            self.photo_preview.clear()
            self.photo_preview.setText("No photo")
        else:
            self.photo_preview.setPixmap(picture)
        self.remove_photo.setEnabled(picture is not None)
