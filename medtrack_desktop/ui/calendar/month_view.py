"""The month view: six weeks from the Monday on or before the 1st, one cell a day with how many
appointments it holds and the first of them (time and the patient's surname, a stripe of the
category's colour); days without sessions greyed, days of the next and last month in lighter
text, today's number marked. One custom-painted widget over plain values built once per read.

It decides nothing: it says which day the cursor is on (``sig_cursor_moved``) and which day
the user opens (``sig_open_day``). Keys: the arrows move the cursor a day or a week, Home /
End to the week's Monday / Sunday, Page Up / Page Down a month, Enter opens the day;
double-click opens a day too.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QToolTip, QWidget

from medtrack_desktop.domain.scheduling.calendar import MonthRange
from medtrack_desktop.ui.calendar.grid import (
    CLOSED,
    CURSOR,
    FADED,
    HEADER,
    HOUR_LINE,
    MUTED,
    OPEN,
    TEXT,
)

WEEKS = 6
HEADER_HEIGHT = 26
LISTED = 20  # the appointments a cell keeps (to draw what fits, and for its tooltip)
_OTHER_MONTH = QColor("#8a9aa3")
_BADGE = QColor("#d5e4ea")


class MonthLine(NamedTuple):
    """An appointment as a month cell lists it."""

    start: str  # "08:00"
    surname: str
    color: str
    faded: bool  # completed, no-show


@dataclass(frozen=True)
class MonthDay:
    """A day's cell: how many appointments it holds, the first ``LISTED`` of them."""

    day: date
    in_month: bool
    open: bool  # someone shown has a session that day
    count: int
    lines: tuple[MonthLine, ...]


def month_range(day: date) -> tuple[date, date]:
    """The six weeks a month view of ``day``'s month shows."""
    first = day.replace(day=1)
    start = first - timedelta(days=first.weekday())
    return start, start + timedelta(days=7 * WEEKS - 1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), the month's last if it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_days(shown: MonthRange, *, month: date, zone: ZoneInfo) -> list[MonthDay]:
    """The cells of ``month``'s view from the month read of its six weeks (appointments by
    start: each day's are counted by walking its bounds, only the first few are kept —
    a month of twenty providers holds some thousands)."""
    first, last = month_range(month)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    ends = [datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
            for day in days]
    counts = [0] * len(days)
    lines: list[list[MonthLine]] = [[] for _day in days]
    index = 0
    for item in shown.appointments:
        starts = item.starts_at
        while index < len(days) and starts >= ends[index]:
            index += 1
        if index == len(days):
            break
        counts[index] += 1
        if counts[index] <= LISTED:
            local = starts.astimezone(zone)
            lines[index].append(MonthLine(
                f"{local.hour:02d}:{local.minute:02d}", item.surname, item.color,
                item.status in FADED))
    open_days: set[date] = set()
    for windows in shown.windows.values():
        for window in windows:
            day = window.starts_at.astimezone(zone).date()
            last = (window.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
            while day <= last:
                open_days.add(day)
                day += timedelta(days=1)
    return [MonthDay(day, day.month == month.month, day in open_days, counts[n],
                     tuple(lines[n])) for n, day in enumerate(days)]


def count_text(count: int) -> str:
    return f"{count} appointment{'' if count == 1 else 's'}"


def day_description(cell: MonthDay) -> str:
    """A day in words: its tooltip, and what a screen reader hears on the cursor."""
    said = [f"{cell.day:%A} {cell.day.day} {cell.day:%B %Y}: "
            + (count_text(cell.count) if cell.count else "no appointments")
            + ("" if cell.open else " (no sessions)")]
    said += [f"{line.start} {line.surname}" for line in cell.lines]
    if cell.count > len(cell.lines):
        said.append(f"\u2026 and {cell.count - len(cell.lines)} more")
    return "\n".join(said)


class MonthGrid(QWidget):
    """``sig_cursor_moved(date)`` when the cursor goes to another day (maybe out of the
    month shown); ``sig_open_day(date)`` to see a day in the day view."""

    sig_cursor_moved = Signal(object)
    sig_open_day = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Month")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.days: list[MonthDay] = []
        self.cursor: date | None = None
        self.today: date | None = None
        self._set_fonts()

    def _set_fonts(self) -> None:
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1.0))

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        if event.type() == QEvent.Type.FontChange:
            self._set_fonts()
        super().changeEvent(event)

    # -- content -----------------------------------------------------------------------------

    def set_content(self, days: list[MonthDay], *, cursor: date, today: date | None) -> None:
        self.days, self.today = days, today
        self.cursor = cursor if self.cell(cursor) is not None else None
        self._describe()
        self.update()

    def cell(self, day: date) -> MonthDay | None:
        if not self.days:
            return None
        index = (day - self.days[0].day).days
        return self.days[index] if 0 <= index < len(self.days) else None

    def set_cursor(self, day: date) -> None:
        """Put the cursor on ``day`` and say so (the page shows another month if need be)."""
        if day == self.cursor:
            return
        self.cursor = day
        self._describe()
        self.update()
        self.sig_cursor_moved.emit(day)

    def _describe(self) -> None:
        cell = self.cell(self.cursor) if self.cursor is not None else None
        self.setAccessibleDescription(day_description(cell) if cell is not None else "")

    # -- geometry ----------------------------------------------------------------------------

    def _cell_size(self) -> tuple[float, float]:
        return self.width() / 7, (self.height() - HEADER_HEIGHT) / WEEKS

    def cell_rect(self, index: int) -> QRectF:
        width, height = self._cell_size()
        row, column = divmod(index, 7)
        return QRectF(column * width, HEADER_HEIGHT + row * height, width, height)

    def day_point(self, day: date) -> QPoint:
        """The middle of a day's cell (for tests)."""
        assert self.days
        return self.cell_rect((day - self.days[0].day).days).center().toPoint()

    def index_at(self, point: QPoint) -> int | None:
        width, height = self._cell_size()
        if point.y() < HEADER_HEIGHT or not self.days:
            return None
        row, column = int((point.y() - HEADER_HEIGHT) // height), int(point.x() // width)
        index = row * 7 + column
        return index if 0 <= row < WEEKS and 0 <= column < 7 else None

    # -- keys and mouse ----------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        key, plain = event.key(), not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        cursor = self.cursor or (self.days[0].day if self.days else None)
        steps = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -7,
                 Qt.Key.Key_Down: 7}
        if cursor is None or not plain:
            super().keyPressEvent(event)
        elif key in steps:
            self.set_cursor(cursor + timedelta(days=steps[Qt.Key(key)]))
        elif key == Qt.Key.Key_Home:
            self.set_cursor(cursor - timedelta(days=cursor.weekday()))
        elif key == Qt.Key.Key_End:
            self.set_cursor(cursor + timedelta(days=6 - cursor.weekday()))
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.set_cursor(add_months(cursor, -1 if key == Qt.Key.Key_PageUp else 1))
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.sig_open_day.emit(cursor)
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt override
        index = self.index_at(event.position().toPoint())
        if index is not None:
            self.set_cursor(self.days[index].day)
        self.setFocus()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # Qt override
        index = self.index_at(event.position().toPoint())
        if index is not None:
            self.sig_open_day.emit(self.days[index].day)

    def event(self, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.index_at(event.pos())
            if index is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), day_description(self.days[index]), self)
            return True
        return super().event(event)

    # -- painting ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), CLOSED)
        self._paint_header(painter)
        for index, cell in enumerate(self.days):
            self._paint_cell(painter, self.cell_rect(index), cell)
        if self.cursor is not None and self.cell(self.cursor) is not None:
            rect = self.cell_rect((self.cursor - self.days[0].day).days)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(CURSOR, 2.5 if self.hasFocus() else 1.5))
            painter.drawRect(rect.adjusted(1.5, 1.5, -1.5, -1.5))

    def _paint_header(self, painter: QPainter) -> None:
        width = self.width() / 7
        painter.fillRect(QRect(0, 0, self.width(), HEADER_HEIGHT), HEADER)
        painter.setFont(self._bold)
        metrics = QFontMetrics(self._bold)
        painter.setPen(TEXT)
        for column in range(7):
            name = calendar.day_name[column]
            if metrics.horizontalAdvance(name) > width - 12:
                name = calendar.day_abbr[column]
            painter.drawText(QRectF(column * width + 6, 0, width - 8, HEADER_HEIGHT),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setPen(HOUR_LINE)
        painter.drawLine(0, HEADER_HEIGHT - 1, self.width(), HEADER_HEIGHT - 1)

    def _paint_cell(self, painter: QPainter, rect: QRectF, cell: MonthDay) -> None:
        painter.fillRect(rect, OPEN if cell.open else CLOSED)
        painter.setPen(HOUR_LINE)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect)
        bold, small = QFontMetrics(self._bold), QFontMetrics(self._small)
        top = QRectF(rect.left() + 5, rect.top() + 3, rect.width() - 10, bold.height() + 2)
        number = (f"{cell.day.day} {cell.day:%b}" if cell.day.day == 1 or (
            not cell.in_month and cell is self.days[0]) else str(cell.day.day))
        painter.setFont(self._bold)
        if cell.day == self.today:
            badge = QRectF(top.left() - 2, top.top(), bold.horizontalAdvance(number) + 10,
                           top.height())
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(CURSOR)
            painter.drawRoundedRect(badge, 4, 4)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, number)
        else:
            painter.setPen(TEXT if cell.in_month else _OTHER_MONTH)
            painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             number)
        if cell.count:  # the count in a badge at the right: never read as a date
            painter.setFont(self._small)
            count = str(cell.count)
            width = small.horizontalAdvance(count) + 12
            badge = QRectF(top.right() - width, top.top() + 1, width, top.height() - 2)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_BADGE)
            painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(TEXT if cell.in_month else _OTHER_MONTH)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, count)
        self._paint_lines(painter, rect, top.bottom() + 2, cell)

    def _paint_lines(self, painter: QPainter, rect: QRectF, y: float, cell: MonthDay) -> None:
        small = QFontMetrics(self._small)
        step = small.height() + 1
        room = int((rect.bottom() - 3 - y) // step)
        if room <= 0 or not cell.lines:
            return
        shown = cell.lines if cell.count <= room else cell.lines[:room - 1]
        painter.setFont(self._small)
        width = int(rect.width() - 18)
        for line in shown:
            painter.fillRect(QRectF(rect.left() + 5, y + 2, 4, step - 4), QColor(line.color))
            painter.setPen(MUTED if line.faded or not cell.in_month else TEXT)
            painter.drawText(QRectF(rect.left() + 12, y, width, step),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             small.elidedText(f"{line.start} {line.surname}",
                                              Qt.TextElideMode.ElideRight, width))
            y += step
        if len(shown) < cell.count:
            painter.setPen(MUTED)
            painter.drawText(QRectF(rect.left() + 12, y, width, step),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             f"+ {cell.count - len(shown)} more")
