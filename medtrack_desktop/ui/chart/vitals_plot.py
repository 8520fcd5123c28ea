"""A vital sign over time, drawn with pyqtgraph (PySide6-Essentials has no QtCharts): points
joined by a line on a date axis, and, for the measures where one age-banded range means
something, the range outside which the chart asks to confirm a value, shaded.

A view only: the tab loads the series and hands them over in canonical units; this converts
them to the units on screen. Blood pressure draws systolic and diastolic together.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from medtrack_desktop.domain.chart.vital_measures import (
    AGE_BANDS,
    EXPECTED_RANGES,
    SPECS,
    Unit,
    Vital,
    age_band,
    from_canonical,
    unit_symbol,
)
from medtrack_desktop.domain.chart.vitals import FEET_INCHES
from medtrack_desktop.ui.chart.vitals_form import SYSTEM_UNITS

Series = list[tuple[datetime, Decimal]]

# What can be plotted, in the order offered: (name, the vitals drawn together).
TRENDS: tuple[tuple[str, tuple[Vital, ...]], ...] = (
    ("Weight", (Vital.WEIGHT,)),
    ("BMI", (Vital.BMI,)),
    ("Blood pressure", (Vital.SYSTOLIC, Vital.DIASTOLIC)),
    ("Pulse", (Vital.PULSE,)),
    ("Temperature", (Vital.TEMPERATURE,)),
    ("Respiration", (Vital.RESPIRATION,)),
    ("SpO2", (Vital.SPO2,)),
    ("Pain score", (Vital.PAIN,)),
    ("Height", (Vital.HEIGHT,)),
    ("Head circumference", (Vital.HEAD_CIRCUMFERENCE,)),
    ("Waist circumference", (Vital.WAIST_CIRCUMFERENCE,)),
)
# Shaded only where the expected range is one band for the age: height, weight and the
# circumferences need growth-chart percentiles, BMI's range is a plausibility envelope, pain is
# 0-10 anyway, and blood pressure draws two vitals whose bands would overlap into noise.
SHADED = frozenset({Vital.TEMPERATURE, Vital.PULSE, Vital.RESPIRATION, Vital.SPO2})
COLOURS = ("#0f5e7a", "#c0561b")
MIN_SPAN = 7 * 24 * 3600  # seconds
MARKED_POINTS = 250  # beyond this many readings the markers hide the line: line only
SHADE = (127, 227, 197, 70)


def plotted_unit(kind: Vital, units: str) -> Unit:
    """The unit a vital is drawn in: the system's own (inches, not feet and inches)."""
    code = SYSTEM_UNITS[units].get(kind)
    if code is None:
        return SPECS[kind].canonical
    return Unit.IN if code == FEET_INCHES else Unit(code)


def axis_unit(unit: Unit) -> str:
    return "0\u201310" if unit is Unit.SCORE else unit_symbol(unit)


class TrendView(QWidget):
    """The choice of vital, the plot and a line saying what is drawn."""

    def __init__(self, zone: ZoneInfo) -> None:
        super().__init__()
        self.choice = QComboBox()
        self.choice.setAccessibleName("Trend of")
        for name, kinds in TRENDS:
            self.choice.addItem(name, kinds)
        caption = QLabel("Tre&nd of:")
        caption.setBuddy(self.choice)
        # pyqtgraph shows times in a fixed offset from UTC: the clinic's offset now (a
        # daylight-saving hour does not move a day on this axis).
        offset = datetime.now(zone).utcoffset()
        axis = pg.DateAxisItem(utcOffset=-int(offset.total_seconds()) if offset else 0)
        self.plot = pg.PlotWidget(background="w", axisItems={"bottom": axis})
        self.plot.setAccessibleName("Trend plot")
        self.plot.setMinimumHeight(180)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMenuEnabled(False)
        self.plot.addLegend(offset=(10, 10), labelTextColor="#22333b")
        for side in ("left", "bottom"):
            self.plot.getAxis(side).setTextPen("#22333b")
            self.plot.getAxis(side).setPen("#8b979e")
        self.plot.getAxis("left").setWidth(56)  # room for the label beside the numbers
        self.region = pg.LinearRegionItem(orientation="horizontal", movable=False,
                                          brush=pg.mkBrush(*SHADE), pen=pg.mkPen(None))
        self.region.setZValue(-10)
        self.curves: dict[Vital, pg.PlotDataItem] = {}
        self.summary = QLabel(objectName="muted", wordWrap=True)
        self.summary.setAccessibleName("Trend summary")
        header = QHBoxLayout()
        header.addWidget(caption)
        header.addWidget(self.choice)
        header.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)

    def kinds(self) -> tuple[Vital, ...]:
        return self.choice.currentData()

    def clear(self, message: str = "") -> None:
        self.plot.clear()
        self.curves = {}
        self.summary.setText(message)

    def show_series(self, series: dict[Vital, Series], *, units: str,
                    age_years: int | None) -> None:
        """Draw each vital's readings (canonical values) in ``units``; shade the expected range
        for the patient's age when it is known and one band means something."""
        self.clear()
        name = self.choice.currentText()
        kinds = [kind for kind in series if series[kind]]
        if not kinds:
            self.summary.setText(f"No {name.lower() if name != 'BMI' else name} recorded yet.")
            return
        unit = plotted_unit(kinds[0], units)
        together = len(series) > 1
        for number, kind in enumerate(series):
            points = series[kind]
            colour = COLOURS[number % len(COLOURS)]
            self.curves[kind] = self.plot.plot(
                [taken.timestamp() for taken, _value in points],
                [float(from_canonical(kind, value, unit)) for _taken, value in points],
                pen=pg.mkPen(colour, width=2), symbolSize=8,
                symbol="o" if len(points) <= MARKED_POINTS else None,
                symbolBrush=colour, symbolPen="w",
                name=SPECS[kind].label if together else None)
        self.plot.setLabel("left", f"{name} ({axis_unit(unit)})", color="#22333b")
        shaded = self._shade(kinds, unit, age_years)
        readings = sorted(taken for kind in kinds for taken, _value in series[kind])
        count = len(series[kinds[0]])
        text = (f"{count} reading{'' if count == 1 else 's'}, "
                f"{readings[0]:%Y-%m-%d} to {readings[-1]:%Y-%m-%d}")
        if shaded:
            text += (f". Shaded: the usual range for {shaded}; a value outside it was "
                     f"confirmed when recorded.")
        self.summary.setText(text)
        self._fit_dates(readings[0].timestamp(), readings[-1].timestamp())

    def _fit_dates(self, first: float, last: float) -> None:
        """At least a week across, so that one reading (or a day's) sits on a readable axis
        of days rather than of seconds; the values fit themselves."""
        if last - first < MIN_SPAN:
            middle = (first + last) / 2
            first, last = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
        self.plot.setXRange(first, last, padding=0.05)
        self.plot.enableAutoRange(axis="y")

    def _shade(self, kinds: list[Vital], unit: Unit, age_years: int | None) -> str:
        """Shade the expected range of a vital drawn alone; returns who the range is for
        ("an adult"), or "" when nothing is shaded (age unknown, two vitals drawn)."""
        if age_years is None or len(kinds) != 1 or kinds[0] not in SHADED:
            return ""
        kind, band = kinds[0], age_band(age_years)
        expected = EXPECTED_RANGES[kind][band]
        self.region.setRegion((float(from_canonical(kind, expected.low, unit)),
                               float(from_canonical(kind, expected.high, unit))))
        self.plot.addItem(self.region)
        who = AGE_BANDS[band][1]
        return f"{'an' if who[0] in 'aeiou' else 'a'} {who}"
