"""Recording a set of vital signs: one field per measure, typed in the unit the user picks
(cm / in / ft + in, kg / lb / lb + oz / g, °C / °F), BMI computed as they type.

What is typed goes to the service as text with its unit (``VitalsInput``); the service reads,
converts and judges it, and its refusals come back under the fields. Display units (metric or
US) are the user's choice for the session: the same choice picks the form's starting units.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from medtrack_desktop.domain.chart.vital_measures import (
    SPECS,
    Unit,
    Vital,
    VitalInvalid,
    bmi,
    unit_symbol,
)
from medtrack_desktop.domain.chart.vitals import (
    FEET_INCHES,
    POUNDS_OUNCES,
    VitalsInput,
    VitalsInvalid,
    read_entered,
)
from medtrack_desktop.ui.chart.chart_tab_parts import text_area
from medtrack_desktop.ui.widgets.list_tab import FormDialog

METRIC, US = "metric", "us"

# The typed measures in form order, with their labels (mnemonics unique within the form).
MEASURES: tuple[tuple[Vital, str], ...] = (
    (Vital.HEIGHT, "&Height:"),
    (Vital.WEIGHT, "&Weight:"),
    (Vital.TEMPERATURE, "&Temperature:"),
    (Vital.PULSE, "&Pulse:"),
    (Vital.RESPIRATION, "&Respiration:"),
    (Vital.SYSTOLIC, "S&ystolic BP:"),
    (Vital.DIASTOLIC, "&Diastolic BP:"),
    (Vital.SPO2, "Sp&O2:"),
    (Vital.PAIN, "P&ain (0\u201310):"),
    (Vital.HEAD_CIRCUMFERENCE, "Head circu&mference:"),
    (Vital.WAIST_CIRCUMFERENCE, "Wai&st circumference:"),
)
# Units a measure can be typed in beyond SPECS: two-part ones, each with the words of its
# parts ("ft" then "in").
TWO_PART = {Vital.HEIGHT: (FEET_INCHES, "ft + in", "ft", "in"),
            Vital.WEIGHT: (POUNDS_OUNCES, "lb + oz", "lb", "oz")}
# The units of each system, for the list, the plot and the form's starting units (a vital not
# named keeps its canonical unit).
SYSTEM_UNITS = {
    METRIC: {},
    US: {Vital.HEIGHT: FEET_INCHES, Vital.WEIGHT: Unit.LB.value,
         Vital.TEMPERATURE: Unit.FAHRENHEIT.value, Vital.HEAD_CIRCUMFERENCE: Unit.IN.value,
         Vital.WAIST_CIRCUMFERENCE: Unit.IN.value},
}
VALUE_WIDTH = 90


def unit_choices(kind: Vital) -> list[tuple[str, str]]:
    """(code, shown) for each unit a measure may be typed in, canonical first."""
    choices = [(unit.value, unit_symbol(unit)) for unit, _step in SPECS[kind].units]
    if kind in TWO_PART:
        code, shown, _first, _second = TWO_PART[kind]
        choices.insert(2 if kind is Vital.HEIGHT else 3, (code, shown))
    return choices


class MeasureField(QWidget):
    """A measure's value, its unit (a choice when it has several), and for a two-part unit
    its second part: [5] [ft + in] [10] in. Tab goes value, unit, second part."""

    def __init__(self, kind: Vital, label: str, starting_unit: str | None) -> None:
        super().__init__()
        self.kind = kind
        name = label.replace("&", "").rstrip(":")
        self.value = QLineEdit()
        self.value.setMaxLength(32)
        self.value.setFixedWidth(VALUE_WIDTH)
        self.value.setAccessibleName(name)
        self.unit = QComboBox()  # parented by the layout, in Tab order after the value
        self.unit.setAccessibleName(f"{name} unit")
        self.rest = QLineEdit()
        self.rest.setMaxLength(32)
        self.rest.setFixedWidth(VALUE_WIDTH)
        self.rest_unit = QLabel()
        choices = unit_choices(kind)
        for code, shown in choices:
            self.unit.addItem(shown, code)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.value)
        layout.addWidget(self.unit)
        if len(choices) > 1:
            self.unit.setCurrentIndex(max(self.unit.findData(starting_unit), 0))
        else:
            self.unit.hide()
            only = SPECS[kind].canonical
            layout.addWidget(QLabel("/10" if only is Unit.SCORE else unit_symbol(only)))
        layout.addWidget(self.rest)
        layout.addWidget(self.rest_unit)
        layout.addStretch(1)
        self.unit.currentIndexChanged.connect(self._unit_changed)
        self._unit_changed()

    def unit_code(self) -> str:
        return self.unit.currentData()

    def _unit_changed(self) -> None:
        """A two-part unit shows its second field; the first field's hint names its part."""
        two = TWO_PART.get(self.kind)
        split = two is not None and self.unit_code() == two[0]
        self.rest.setVisible(split)
        self.rest_unit.setVisible(split)
        if split and two is not None:
            self.value.setPlaceholderText(two[2])
            self.rest.setPlaceholderText(two[3])
            self.rest.setAccessibleName(f"{self.value.accessibleName()} ({two[3]})")
            self.rest_unit.setText(two[3])
            self.value.setToolTip(f"{two[2]}, then {two[3]} in the next field")
        else:
            self.value.setPlaceholderText("")
            self.value.setToolTip("")


class VitalsDialog(FormDialog):
    """The form; ``entered()`` reads it. Warnings are shown at their fields with
    ``show_warnings`` while the user is asked to confirm them."""

    def __init__(self, *, zone: ZoneInfo, units: str, parent: QWidget | None = None) -> None:
        super().__init__("Record vital signs", "Record vitals", parent)
        self._zone = zone
        self.taken_at = QDateTimeEdit()
        self.taken_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.taken_at.setCalendarPopup(True)
        self.taken_at.setMaximumWidth(200)
        now = datetime.now(zone)
        self.taken_at.setDateTime(QDateTime(QDate(now.year, now.month, now.day),
                                            QTime(now.hour, now.minute)))
        self.add_row("taken_at", "Ta&ken at:", self.taken_at)
        self.fields: dict[Vital, MeasureField] = {}
        for kind, label in MEASURES:
            field = MeasureField(kind, label, SYSTEM_UNITS[units].get(kind))
            self.fields[kind] = field
            self.add_row(kind.value, label, field.value, field)
            if kind is Vital.WEIGHT:
                self.bmi = QLabel("\u2014", objectName="muted")
                self.bmi.setAccessibleName("BMI")
                self.add_row(Vital.BMI.value, "BMI:", self.bmi)
        self.note = text_area(2)
        self.add_row("note", "&Note:", self.note)
        for kind in (Vital.HEIGHT, Vital.WEIGHT):
            field = self.fields[kind]
            field.value.textChanged.connect(self.update_bmi)
            field.rest.textChanged.connect(self.update_bmi)
            field.unit.currentIndexChanged.connect(self.update_bmi)
        self.update_bmi()

    def taken(self) -> datetime:
        """The time typed, in the clinic's zone (the list shows times there too)."""
        shown = self.taken_at.dateTime()
        day, time = shown.date(), shown.time()
        return datetime(day.year(), day.month(), day.day(), time.hour(), time.minute(),
                        tzinfo=self._zone)

    def entered(self, *, only: tuple[Vital, ...] | None = None) -> VitalsInput:
        values: dict[str, str] = {"note": self.note.toPlainText()}
        for kind, field in self.fields.items():
            if only is not None and kind not in only:
                continue
            values[kind.value] = field.value.text()
            if len(unit_choices(kind)) > 1:
                values[f"{kind.value}_unit"] = field.unit_code()
        for kind, rest in ((Vital.HEIGHT, "height_inches"), (Vital.WEIGHT, "weight_ounces")):
            field = self.fields[kind]
            if (only is None or kind in only) and field.unit_code() == TWO_PART[kind][0]:
                values[rest] = field.rest.text()
        return VitalsInput(**values)

    def computed_bmi(self) -> Decimal | None:
        """BMI of the height and weight as typed so far (None until both read well)."""
        try:
            values, _units = read_entered(self.entered(only=(Vital.HEIGHT, Vital.WEIGHT)))
        except (VitalsInvalid, VitalInvalid):
            return None
        return bmi(values.get(Vital.WEIGHT), values.get(Vital.HEIGHT))

    def update_bmi(self) -> None:
        value = self.computed_bmi()
        self.bmi.setText("\u2014 (from height and weight)" if value is None
                         else f"{value} {unit_symbol(Unit.KG_M2)}")

    def show_warnings(self, messages: dict[str, str]) -> None:
        """Unusual values, each at its field (nothing focused: the question comes next)."""
        self.set_problem(" ".join(self.errors.show(messages, focus=False).values()))
