"""The flow board's table: the day's visits (``front_desk.FlowRow``) with a category chip, and
the waiting minutes worked out as of ``now`` each time a cell is drawn, so the board's tick moves
them on (``set_now``) without reading anything; a long wait is marked by a sign, bold text and
the row's colour (never by colour alone)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPixmap

from medtrack_desktop.domain.scheduling.calendar import STATUS_TEXT
from medtrack_desktop.domain.scheduling.front_desk import FlowRow
from medtrack_desktop.ui.models.rows import Column, Index, RowsTableModel

LONG_WAIT = timedelta(minutes=20)
TO_COME = ("scheduled", "confirmed")
HERE = ("arrived", "in_room")
DONE = ("completed", "no_show", "cancelled")
LONG_WAIT_BACKGROUND = QColor("#ffe9b0")
ENDED_FOREGROUND = QColor("#5f6f77")


def duration_text(waited: timedelta) -> str:
    """"7 min", "1 h 05 min"."""
    minutes = int(waited.total_seconds() // 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def counts_text(rows: Sequence[FlowRow], now: datetime | None) -> str:
    """"12 booked · 4 to come · 3 waiting (1 over 20 min) · 2 in room · 5 done · 1 no-show"."""
    by = Counter(row.status for row in rows)
    long = sum(1 for row in rows if long_wait(row, now))
    waiting = f"{by['arrived']} waiting" + (
        f" ({long} over {duration_text(LONG_WAIT)})" if long else "")
    parts = [f"{len(rows) - by['cancelled']} booked",
             f"{by['scheduled'] + by['confirmed']} to come", waiting,
             f"{by['in_room']} in room", f"{by['completed']} done", f"{by['no_show']} no-show"]
    if by["cancelled"]:
        parts.append(f"{by['cancelled']} cancelled")
    return " \u00b7 ".join(parts)


def long_wait(row: FlowRow, now: datetime | None) -> bool:
    """Whether the patient has waited in the waiting room ``LONG_WAIT`` or more."""
    waited = row.waiting(now) if now is not None and row.status == "arrived" else None
    return waited is not None and waited >= LONG_WAIT


def waiting_text(row: FlowRow, now: datetime | None) -> str:
    """How long the patient has waited (arrived) or been in the room, as of ``now`` (None:
    another day, nothing shown)."""
    waited = row.waiting(now) if now is not None else None
    if waited is None:
        return ""
    if row.status == "in_room":
        return f"in room {duration_text(waited)}"
    sign = "\u26a0 " if waited >= LONG_WAIT else ""
    return f"{sign}waiting {duration_text(waited)}"


class FlowModel(RowsTableModel[FlowRow]):
    """The board's rows; ``set_now`` moves the waiting column on without reading anything."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.now: datetime | None = None  # None: another day, no waiting shown
        self._zone = zone
        columns: tuple[Column[FlowRow], ...] = (
            Column("Time", lambda r: f"{r.starts_at.astimezone(zone):%H:%M}"),
            Column("Patient", lambda r: r.patient_name),
            Column("MRN", lambda r: r.mrn),
            Column("Provider", lambda r: r.provider_name),
            Column("Category", lambda r: r.category),
            Column("Room", lambda r: r.room),
            Column("Status", lambda r: STATUS_TEXT.get(r.status, r.status)),
            Column("Waiting", lambda r: waiting_text(r, self.now), self._waiting_tip),
        )
        super().__init__(columns)
        self.category_column, self.waiting_column = 4, len(columns) - 1
        self._chips: dict[str, QIcon] = {}

    def _waiting_tip(self, row: FlowRow) -> str:
        if row.since is None or row.status not in HERE:
            return ""
        since = f"since {row.since.astimezone(self._zone):%H:%M}"
        late = f" \u2014 over {duration_text(LONG_WAIT)}" if long_wait(row, self.now) else ""
        return f"{STATUS_TEXT[row.status]} {since}{late}"

    def set_now(self, now: datetime | None) -> None:
        self.now = now
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self.rowCount() - 1, self.columnCount() - 1))

    def chip(self, color: str) -> QIcon:
        """A small square of the category's colour."""
        if color not in self._chips:
            pixmap = QPixmap(12, 12)
            pixmap.fill(QColor(color))
            self._chips[color] = QIcon(pixmap)
        return self._chips[color]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == Qt.ItemDataRole.DecorationRole:
            return self.chip(row.color) if index.column() == self.category_column else None
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(LONG_WAIT_BACKGROUND) if long_wait(row, self.now) else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(ENDED_FOREGROUND) if row.status in ("cancelled", "no_show") else None
        if role == Qt.ItemDataRole.FontRole and index.column() == self.waiting_column \
                and long_wait(row, self.now):
            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)

    def row_of(self, appointment_id: object) -> int | None:
        return next((n for n, row in enumerate(self._rows)
                     if row.appointment_id == appointment_id), None)
