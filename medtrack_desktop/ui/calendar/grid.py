"""The schedule grid: columns (a provider's day each) side by side, time rows 07:00-19:00 on a
15-minute grid, appointments as blocks coloured by category, bookable time shaded, a line at
the time now. One custom-painted scroll area: only what is visible is painted, from plain
lists laid out once per load, so a week of many providers paints in a few milliseconds.

It decides nothing: it says what the user asked (``sig_book_requested``,
``sig_move_requested``, ``sig_menu_requested``) and the page answers. A block dragged or
resized is drawn where it was dropped until the page either reloads the schedule or calls
``drop_pending`` (the move was refused), which puts it back.

Mouse: double-click an empty time to book; drag a block to move it (to another column too);
drag its lower edge to change its length; right-click for its actions. Keyboard: the arrows
move a cursor cell (Page Up/Down an hour, Home/End the day's first and last row); the block
under the cursor is the selected one; Enter books the cursor's time, or opens the selected
block's actions; Insert always books.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QToolTip, QWidget

from medtrack_desktop.ui.calendar.grid_items import (
    SERIES_MARK,
    Block,
    Column,
    block_text,
    with_lanes,
)

DAY_START, DAY_END = 7 * 60, 19 * 60  # minutes after midnight, clinic time
SLOT = 15  # minutes per grid row
SNAP = 5  # a dragged block lands on 5-minute steps
SLOT_HEIGHT = 26  # a 20-minute block holds two lines
HEADER_HEIGHT = 38
GUTTER_WIDTH = 58
MIN_COLUMN_WIDTH = 150
EDGE = 6  # pixels at a block's lower edge that resize it
AUTOSCROLL_ZONE = 18  # pixels at the top or bottom where a drag scrolls the day
ROWS = (DAY_END - DAY_START) // SLOT

# the calendar's colours (the month view paints with them too)
CLOSED = QColor("#e6ebee")  # outside the provider's sessions
OPEN = QColor("#ffffff")
LINE = QColor("#e1e7ea")
HOUR_LINE = QColor("#b9c6cd")
TEXT = QColor("#1d2a30")
MUTED = QColor("#4b5d66")
NOW = QColor("#d93025")
CURSOR = QColor("#0f5e7a")
HEADER = QColor("#f3f7f9")
FADED = ("completed", "no_show", "cancelled")  # statuses drawn faded


@dataclass
class _Drag:
    block: Block
    press: QPoint  # content coordinates
    resize: bool
    active: bool = False
    column: int = 0
    start: int = 0
    minutes: int = 0


class ScheduleGrid(QAbstractScrollArea):
    """``sig_book_requested(column, start)``: book at ``start`` minutes in column ``column``;
    ``sig_move_requested(block, column, start, minutes)``: a block dropped or resized;
    ``sig_menu_requested(block, global_pos)``: a block's actions; ``sig_selected(block|None)``
    when the selected block changes."""

    sig_book_requested = Signal(int, int)
    sig_move_requested = Signal(object, int, int, int)
    sig_menu_requested = Signal(object, QPoint)
    sig_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Schedule")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self.columns: list[Column] = []
        self.blocks: list[Block] = []
        self._by_column: dict[int, list[Block]] = {}
        self.cursor_column, self.cursor_start = 0, 8 * 60
        self.selected: Block | None = None
        self.now: tuple[date, int] | None = None  # today, minutes after midnight
        self.pending: dict[uuid.UUID, tuple[int, int, int]] = {}  # id -> column, start, min
        self.editable = True  # blocks may be dragged (the user may change the schedule)
        self._drag: _Drag | None = None
        self._pointer = QPoint()  # where a drag's pointer is, in viewport coordinates
        self._autoscroll = QTimer(self, interval=40)
        self._autoscroll.timeout.connect(self._scroll_while_dragging)
        self._set_fonts()
        self.verticalScrollBar().setSingleStep(SLOT_HEIGHT)
        self.horizontalScrollBar().setSingleStep(40)

    def _set_fonts(self) -> None:
        """The grid's fonts from its own (which a style sheet sets only once polished)."""
        self._font = QFont(self.font())
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1.5))
        self._bold = QFont(self.font())
        self._bold.setBold(True)

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        if event.type() == QEvent.Type.FontChange:
            self._set_fonts()
        super().changeEvent(event)

    # -- content -----------------------------------------------------------------------------

    def set_content(self, columns: list[Column], blocks: list[Block]) -> None:
        """Show these columns and blocks (a fresh load: moves still pending are settled)."""
        self.columns, self.blocks = columns, with_lanes(blocks)
        self._by_column = {}
        for block in self.blocks:
            self._by_column.setdefault(block.column, []).append(block)
        self.pending.clear()
        self._drag = None
        self.cursor_column = min(self.cursor_column, max(0, len(columns) - 1))
        chosen = self.selected.id if self.selected is not None else None
        self.selected = next((b for b in self.blocks if b.id == chosen), None)
        self._update_scroll_bars()
        self.viewport().update()

    def drop_pending(self, appointment_id: uuid.UUID) -> None:
        """Put a block whose move was refused back where it was."""
        self.pending.pop(appointment_id, None)
        self.viewport().update()

    def set_now(self, now: tuple[date, int] | None) -> None:
        self.now = now
        self.viewport().update()

    def block_by_id(self, appointment_id: uuid.UUID) -> Block | None:
        return next((b for b in self.blocks if b.id == appointment_id), None)

    # -- geometry (content coordinates: the whole grid, before scrolling) -------------------

    def column_width(self) -> int:
        if not self.columns:
            return MIN_COLUMN_WIDTH
        room = self.viewport().width() - GUTTER_WIDTH
        return max(MIN_COLUMN_WIDTH, room // len(self.columns))

    def content_size(self) -> QSize:
        return QSize(GUTTER_WIDTH + self.column_width() * len(self.columns),
                     HEADER_HEIGHT + ROWS * SLOT_HEIGHT)

    @staticmethod
    def y_of(minute: float) -> float:
        return HEADER_HEIGHT + (minute - DAY_START) * SLOT_HEIGHT / SLOT

    def x_of(self, column: int) -> int:
        return GUTTER_WIDTH + column * self.column_width()

    def placed(self, block: Block) -> tuple[int, int, int]:
        """Where a block is drawn: its pending place while a move is on its way."""
        if self._drag is not None and self._drag.active and self._drag.block.id == block.id:
            return self._drag.column, self._drag.start, self._drag.minutes
        return self.pending.get(block.id, (block.column, block.start, block.minutes))

    def block_rect(self, block: Block) -> QRectF:
        column, start, minutes = self.placed(block)
        width = self.column_width() - 8
        lane_width = width / block.lanes
        moved = (column, start, minutes) != (block.column, block.start, block.minutes)
        lane, lanes_width = (0, width) if moved else (block.lane, lane_width)
        top = self.y_of(max(start, DAY_START))
        bottom = self.y_of(min(start + minutes, DAY_END))
        return QRectF(self.x_of(column) + 2 + lane * lane_width, top + 1, lanes_width - 2,
                      max(bottom - top - 2, 8))

    def cell_point(self, column: int, start: int) -> QPoint:
        """A point in the middle of a cell, in viewport coordinates (for tests and menus)."""
        x = self.x_of(column) + self.column_width() // 2 - self.horizontalScrollBar().value()
        y = int(self.y_of(start + SLOT / 2)) - self.verticalScrollBar().value()
        return QPoint(x, y)

    def block_point(self, block: Block, *, edge: bool = False) -> QPoint:
        """The middle of a block (or of its lower edge), in viewport coordinates."""
        rect = self.block_rect(block)
        y = rect.bottom() - 2 if edge else rect.top() + min(rect.height() / 2, 12)
        return QPoint(int(rect.center().x()) - self.horizontalScrollBar().value(),
                      int(y) - self.verticalScrollBar().value())

    def _content(self, point: QPoint) -> QPoint:
        return QPoint(point.x() + self.horizontalScrollBar().value(),
                      point.y() + self.verticalScrollBar().value())

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        """(column, start of its 15-minute row) under a content point, or None."""
        if point.x() < GUTTER_WIDTH or point.y() < HEADER_HEIGHT or not self.columns:
            return None
        column = (point.x() - GUTTER_WIDTH) // self.column_width()
        row = (point.y() - HEADER_HEIGHT) // SLOT_HEIGHT
        if not (0 <= column < len(self.columns) and 0 <= row < ROWS):
            return None
        return column, DAY_START + row * SLOT

    def block_at(self, point: QPoint) -> Block | None:
        """The block under a content point (the last drawn, on top, first)."""
        for block in reversed(self.blocks):
            if self.block_rect(block).contains(point):
                return block
        return None

    def ensure_visible(self, column: int, start: int) -> None:
        bar = self.verticalScrollBar()
        top, bottom = int(self.y_of(start)) - HEADER_HEIGHT, int(self.y_of(start + SLOT))
        if top < bar.value():
            bar.setValue(top)
        elif bottom > bar.value() + self.viewport().height():
            bar.setValue(bottom - self.viewport().height())
        hbar = self.horizontalScrollBar()
        left, right = self.x_of(column) - GUTTER_WIDTH, self.x_of(column + 1)
        if left < hbar.value():
            hbar.setValue(left)
        elif right > hbar.value() + self.viewport().width():
            hbar.setValue(right - self.viewport().width())

    def scroll_to_minute(self, minute: int) -> None:
        self.verticalScrollBar().setValue(int(self.y_of(minute)) - HEADER_HEIGHT)

    def _update_scroll_bars(self) -> None:
        size, view = self.content_size(), self.viewport().size()
        self.verticalScrollBar().setRange(0, max(0, size.height() - view.height()))
        self.verticalScrollBar().setPageStep(view.height())
        self.horizontalScrollBar().setRange(0, max(0, size.width() - view.width()))
        self.horizontalScrollBar().setPageStep(view.width())

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        super().resizeEvent(event)
        self._update_scroll_bars()

    # -- selection and keys ------------------------------------------------------------------

    def _select(self, block: Block | None) -> None:
        if block is not self.selected:
            self.selected = block
            self.sig_selected.emit(block)
        self.setAccessibleDescription(self._describe())
        self.viewport().update()

    def _describe(self) -> str:
        if self.selected is not None:
            return block_text(self.selected)
        if not self.columns:
            return ""
        column = self.columns[self.cursor_column]
        start = self.cursor_start
        return f"{column.title} {column.subtitle}, {start // 60:02d}:{start % 60:02d}, free"

    def viewportEvent(self, event: QEvent) -> bool:  # Qt override
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            block = self.block_at(self._content(event.pos()))
            if block is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), block_text(block), self.viewport())
            return True
        return super().viewportEvent(event)

    def set_cursor(self, column: int, start: int) -> None:
        """Move the cursor cell (clamped to the grid); the block under it is selected."""
        if not self.columns:
            return
        self.cursor_column = max(0, min(len(self.columns) - 1, column))
        self.cursor_start = max(DAY_START, min(DAY_END - SLOT, start))
        under = [b for b in self.blocks if b.column == self.cursor_column
                 and b.start < self.cursor_start + SLOT and self.cursor_start < b.start + b.minutes]
        self._select(under[0] if under else None)
        self.ensure_visible(self.cursor_column, self.cursor_start)

    def select_block(self, block: Block) -> None:
        """Select a block and put the cursor on its first row."""
        self.cursor_column = block.column
        self.cursor_start = max(DAY_START, min(DAY_END - SLOT, block.start // SLOT * SLOT))
        self._select(block)
        self.ensure_visible(self.cursor_column, self.cursor_start)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        key, plain = event.key(), not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
        moves = {Qt.Key.Key_Up: (0, -SLOT), Qt.Key.Key_Down: (0, SLOT),
                 Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0),
                 Qt.Key.Key_PageUp: (0, -60), Qt.Key.Key_PageDown: (0, 60)}
        if key == Qt.Key.Key_Escape and self._drag is not None:
            self._drag = None  # the drag is called off: the block stays where it was
        elif plain and key in moves:
            columns, minutes = moves[Qt.Key(key)]
            self.set_cursor(self.cursor_column + columns, self.cursor_start + minutes)
        elif plain and key == Qt.Key.Key_Home:
            self.set_cursor(self.cursor_column, DAY_START)
        elif plain and key == Qt.Key.Key_End:
            self.set_cursor(self.cursor_column, DAY_END - SLOT)
        elif plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.columns:
            if self.selected is not None:
                self.sig_menu_requested.emit(self.selected, self._menu_point())
            else:
                self.sig_book_requested.emit(self.cursor_column, self.cursor_start)
        elif plain and key == Qt.Key.Key_Insert and self.columns:
            self.sig_book_requested.emit(self.cursor_column, self.cursor_start)
        elif key == Qt.Key.Key_Menu or (key == Qt.Key.Key_F10 and event.modifiers()
                                        == Qt.KeyboardModifier.ShiftModifier):
            if self.selected is not None:
                self.sig_menu_requested.emit(self.selected, self._menu_point())
        else:
            super().keyPressEvent(event)
            return
        self.viewport().update()

    def _menu_point(self) -> QPoint:
        point = (self.block_point(self.selected) if self.selected is not None
                 else self.cell_point(self.cursor_column, self.cursor_start))
        return self.viewport().mapToGlobal(point)

    # -- mouse -------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt override
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        point = self._content(event.position().toPoint())
        block = self.block_at(point)
        if block is not None:
            self.select_block(block)
            if (self.editable and event.button() == Qt.MouseButton.LeftButton
                    and block.id not in self.pending):
                edge = self.block_rect(block).bottom() - point.y() <= EDGE
                self._drag = _Drag(block, point, resize=edge, column=block.column,
                                   start=block.start, minutes=block.minutes)
            return
        cell = self.cell_at(point)
        if cell is not None:
            self.set_cursor(*cell)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # Qt override
        viewport_point = event.position().toPoint()
        point = self._content(viewport_point)
        drag = self._drag
        if drag is None:
            if not self.editable:
                return
            block = self.block_at(point)
            resizing = block is not None and self.block_rect(block).bottom() - point.y() <= EDGE
            self.viewport().setCursor(Qt.CursorShape.SizeVerCursor if resizing
                                      else Qt.CursorShape.ArrowCursor)
            return
        if not drag.active:
            if (point - drag.press).manhattanLength() < QApplication.startDragDistance():
                return
            drag.active = True
        self._pointer = viewport_point
        self._drag_to(point)
        near_edge = (viewport_point.y() < HEADER_HEIGHT + AUTOSCROLL_ZONE
                     or viewport_point.y() > self.viewport().height() - AUTOSCROLL_ZONE)
        if near_edge and not self._autoscroll.isActive():
            self._autoscroll.start()
        elif not near_edge:
            self._autoscroll.stop()

    def _drag_to(self, point: QPoint) -> None:
        """Put the dragged block (or its lower edge) under ``point`` (content coordinates),
        on 5-minute steps, inside the day."""
        drag = self._drag
        if drag is None:
            return
        delta = round((point.y() - drag.press.y()) * SLOT / SLOT_HEIGHT / SNAP) * SNAP
        block = drag.block
        if drag.resize:
            drag.minutes = max(SNAP, min(DAY_END - block.start, block.minutes + delta))
        else:
            drag.start = max(DAY_START, min(DAY_END - block.minutes, block.start + delta))
            over = (point.x() - GUTTER_WIDTH) // self.column_width()
            drag.column = max(0, min(len(self.columns) - 1, over))
        self.viewport().update()

    def _scroll_while_dragging(self) -> None:
        """A block dragged to the top or bottom edge scrolls the day along with it."""
        if self._drag is None or not self._drag.active:
            self._autoscroll.stop()
            return
        bar = self.verticalScrollBar()
        step = -SLOT_HEIGHT // 2 if self._pointer.y() < HEADER_HEIGHT + AUTOSCROLL_ZONE \
            else SLOT_HEIGHT // 2
        bar.setValue(bar.value() + step)
        self._drag_to(self._content(self._pointer))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # Qt override
        drag, self._drag = self._drag, None
        self._autoscroll.stop()
        if drag is None or not drag.active:
            return
        block = drag.block
        moved = (drag.column, drag.start, drag.minutes)
        if moved != (block.column, block.start, block.minutes):
            self.pending[block.id] = moved
            self.sig_move_requested.emit(block, *moved)
        self.viewport().update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # Qt override
        point = self._content(event.position().toPoint())
        if self.block_at(point) is not None:
            return
        cell = self.cell_at(point)
        if cell is not None:
            self.set_cursor(*cell)
            self.sig_book_requested.emit(*cell)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # Qt override
        if event.reason() != QContextMenuEvent.Reason.Mouse:
            return  # the keyboard's menu key is handled in keyPressEvent
        block = self.block_at(self._content(event.pos()))
        if block is not None:
            self.select_block(block)
            self.sig_menu_requested.emit(block, event.globalPos())

    # -- painting ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # Qt override
        painter = QPainter(self.viewport())
        dx, dy = self.horizontalScrollBar().value(), self.verticalScrollBar().value()
        view = self.viewport().rect()
        painter.fillRect(view, CLOSED)
        if not self.columns:
            painter.setPen(MUTED)
            painter.drawText(view, Qt.AlignmentFlag.AlignCenter,
                             "No providers to show: a provider needs a weekly session.")
            return
        visible = QRect(view).translated(dx, dy)
        painter.translate(-dx, -dy)
        first, last = self._visible_columns(visible)
        self._paint_cells(painter, visible, first, last)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for block in self._painted(first, last):
            self._paint_block(painter, block, visible)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self._paint_now(painter, first, last)
        if self.hasFocus() and self.selected is None:
            pen = QPen(CURSOR, 2)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(self.x_of(self.cursor_column) + 1,
                                    self.y_of(self.cursor_start) + 1,
                                    self.column_width() - 2, SLOT_HEIGHT - 2))
        painter.translate(dx, dy)
        self._paint_header(painter, dx, first, last)
        self._paint_gutter(painter, dy)
        painter.fillRect(QRect(0, 0, GUTTER_WIDTH, HEADER_HEIGHT), HEADER)

    def _painted(self, first: int, last: int) -> list[Block]:
        """The blocks of the visible columns, and a block moving into one of them."""
        shown = [block for index in range(first, last + 1)
                 for block in self._by_column.get(index, ())]
        moving = set(self.pending)
        if self._drag is not None and self._drag.active:
            moving.add(self._drag.block.id)
        for block_id in moving:
            block = self.block_by_id(block_id)
            if block is not None and block not in shown:
                shown.append(block)
        return [block for block in shown if first <= self.placed(block)[0] <= last]

    def _visible_columns(self, visible: QRect) -> tuple[int, int]:
        width = self.column_width()
        first = max(0, (visible.left() - GUTTER_WIDTH) // width)
        last = min(len(self.columns) - 1, (visible.right() - GUTTER_WIDTH) // width)
        return first, last

    def _paint_cells(self, painter: QPainter, visible: QRect, first: int, last: int) -> None:
        width = self.column_width()
        top, bottom = int(self.y_of(DAY_START)), int(self.y_of(DAY_END))
        for index in range(first, last + 1):
            x = self.x_of(index)
            for start, end in self.columns[index].windows:
                start, end = max(start, DAY_START), min(end, DAY_END)
                if start < end:
                    painter.fillRect(QRectF(x, self.y_of(start), width,
                                            self.y_of(end) - self.y_of(start)), OPEN)
        left, right = self.x_of(first), self.x_of(last + 1)
        first_row = max(0, (visible.top() - HEADER_HEIGHT) // SLOT_HEIGHT)
        last_row = min(ROWS, (visible.bottom() - HEADER_HEIGHT) // SLOT_HEIGHT + 1)
        for row in range(first_row, last_row + 1):
            y = HEADER_HEIGHT + row * SLOT_HEIGHT
            painter.setPen(HOUR_LINE if row % 4 == 0 else LINE)
            painter.drawLine(left, y, right, y)
        painter.setPen(HOUR_LINE)
        for index in range(first, last + 2):
            x = self.x_of(index)
            painter.drawLine(x, top, x, bottom)

    def _paint_block(self, painter: QPainter, block: Block, visible: QRect) -> None:
        rect = self.block_rect(block)
        if not rect.intersects(QRectF(visible)):
            return
        item = block.appointment
        color = QColor(item.color)
        faded = item.entry.status in FADED
        fill = QColor(color)
        fill.setAlpha(70 if faded else 150)
        moving = block.id in self.pending or (self._drag is not None and self._drag.active
                                               and self._drag.block.id == block.id)
        painter.setPen(QPen(CURSOR, 2.5) if block is self.selected
                       else QPen(color.darker(130), 1))
        painter.setBrush(QColor("#ffffff"))
        painter.drawRoundedRect(rect, 3, 3)
        painter.setBrush(fill)
        if moving:
            painter.setPen(QPen(CURSOR, 2, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(rect, 3, 3)
        painter.fillRect(QRectF(rect.left() + 1, rect.top() + 1, 4, rect.height() - 2), color)
        text_rect = rect.adjusted(8, 1, -3, -1)
        _column, start, minutes = self.placed(block)
        bold, small = QFontMetrics(self._bold), QFontMetrics(self._small)
        two_lines = text_rect.height() >= bold.height() + small.height() - 2
        recurring = SERIES_MARK + " " if item.series_id is not None else ""
        first_line = f"{start // 60:02d}:{start % 60:02d}  {recurring}{item.patient_name}"
        if not two_lines:  # a short block says its status on its one line
            first_line += f" \u00b7 {item.status_text}"
        painter.setPen(MUTED if faded else TEXT)
        painter.setFont(self._bold)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        painter.drawText(text_rect, flags, bold.elidedText(
            first_line, Qt.TextElideMode.ElideRight, int(text_rect.width())))
        if two_lines:
            painter.setFont(self._small)
            second = f"{item.status_text} \u00b7 {item.category} \u00b7 {minutes} min"
            painter.drawText(text_rect.adjusted(0, bold.height() - 1, 0, 0), flags,
                             small.elidedText(second, Qt.TextElideMode.ElideRight,
                                              int(text_rect.width())))

    def _paint_now(self, painter: QPainter, first: int, last: int) -> None:
        if self.now is None or not DAY_START <= self.now[1] <= DAY_END:
            return
        today, minute = self.now
        painter.setPen(QPen(NOW, 2))
        y = self.y_of(minute)
        for index in range(first, last + 1):
            if self.columns[index].day == today:
                x = self.x_of(index)
                painter.drawLine(x, int(y), x + self.column_width(), int(y))

    def _paint_header(self, painter: QPainter, dx: int, first: int, last: int) -> None:
        width = self.column_width()
        painter.fillRect(QRect(0, 0, self.viewport().width(), HEADER_HEIGHT), HEADER)
        painter.setPen(HOUR_LINE)
        painter.drawLine(0, HEADER_HEIGHT - 1, self.viewport().width(), HEADER_HEIGHT - 1)
        bold, metrics = self._bold, QFontMetrics(self._bold)
        for index in range(first, last + 1):
            column = self.columns[index]
            x = self.x_of(index) - dx
            painter.setPen(HOUR_LINE)
            painter.drawLine(x, 0, x, HEADER_HEIGHT)
            today = self.now is not None and column.day == self.now[0]
            painter.setPen(CURSOR if today else TEXT)
            painter.setFont(bold)
            rect = QRect(x + 6, 2, width - 10, HEADER_HEIGHT // 2)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(column.title, Qt.TextElideMode.ElideRight,
                                                rect.width()))
            painter.setFont(self._font)
            painter.setPen(MUTED)
            painter.drawText(rect.translated(0, HEADER_HEIGHT // 2 - 3),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             column.subtitle)

    def _paint_gutter(self, painter: QPainter, dy: int) -> None:
        painter.fillRect(QRect(0, 0, GUTTER_WIDTH, self.viewport().height()), HEADER)
        painter.setPen(HOUR_LINE)
        painter.drawLine(GUTTER_WIDTH - 1, 0, GUTTER_WIDTH - 1, self.viewport().height())
        painter.setFont(self._font)
        painter.setPen(MUTED)
        for hour in range(DAY_START // 60, DAY_END // 60 + 1):
            y = int(self.y_of(hour * 60)) - dy
            if y < HEADER_HEIGHT - 2:
                continue
            painter.drawText(QRect(0, y + 1, GUTTER_WIDTH - 8, SLOT_HEIGHT),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                             f"{hour:02d}:00")
