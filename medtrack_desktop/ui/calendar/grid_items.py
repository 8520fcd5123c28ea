"""What the schedule grid shows, as plain values: its columns (a provider's day each) made from
a calendar read, the appointments placed in them side by side where they overlap, and a block
said in words."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from medtrack_desktop.domain.scheduling.calendar import CalendarAppointment, CalendarRange

SERIES_MARK = "\u21bb"  # before the patient's name of a recurring appointment


@dataclass(frozen=True)
class Column:
    """One column: a provider on one day, with the minutes (after midnight) they can be
    booked."""

    provider_id: uuid.UUID
    day: date
    title: str
    subtitle: str
    windows: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Block:
    """An appointment placed in a column: ``start`` minutes after midnight, ``lane`` of
    ``lanes`` side by side when appointments overlap (overbooking)."""

    appointment: CalendarAppointment
    column: int
    start: int
    minutes: int
    lane: int = 0
    lanes: int = 1

    @property
    def id(self) -> uuid.UUID:
        return self.appointment.id


def with_lanes(blocks: list[Block]) -> list[Block]:
    """Overlapping blocks of a column side by side: each group that overlaps shares the
    column's width, each block in the first lane free at its start."""
    placed: list[Block] = []
    by_column: dict[int, list[Block]] = {}
    for block in blocks:
        by_column.setdefault(block.column, []).append(block)
    for column_blocks in by_column.values():
        column_blocks.sort(key=lambda b: (b.start, -b.minutes))
        groups: list[tuple[list[Block], list[int]]] = []  # blocks with their lane, lane ends
        group_end = -1
        for block in column_blocks:
            if not groups or block.start >= group_end:
                groups.append(([], []))
            group, lane_ends = groups[-1]
            lane = next((i for i, end in enumerate(lane_ends) if end <= block.start),
                        len(lane_ends))
            if lane == len(lane_ends):
                lane_ends.append(0)
            lane_ends[lane] = block.start + block.minutes
            group.append(Block(block.appointment, block.column, block.start, block.minutes,
                               lane))
            group_end = max(group_end, block.start + block.minutes)
        for group, lane_ends in groups:
            placed += [Block(b.appointment, b.column, b.start, b.minutes, b.lane,
                             len(lane_ends)) for b in group]
    return placed


def block_text(block: Block) -> str:
    """A block in words: its tooltip, and what a screen reader hears when it is selected."""
    item = block.appointment
    start, end = block.start, block.start + block.minutes
    lines = [f"{start // 60:02d}:{start % 60:02d}\u2013{end // 60:02d}:{end % 60:02d} "
             f"{item.patient_name} (MRN {item.mrn})",
             f"{item.category} \u00b7 {item.status_text}"
             + (" \u00b7 overbooked" if item.entry.overbooked else "")
             + (" \u00b7 recurring" if item.series_id is not None else "")]
    if item.entry.reason:
        lines.append(f"Reason: {item.entry.reason}")
    return "\n".join(lines)


def minutes_of(moment: datetime, zone: ZoneInfo) -> tuple[date, int]:
    """The clinic day of ``moment`` and its minutes after midnight."""
    local = moment.astimezone(zone)
    return local.date(), local.hour * 60 + local.minute


def _column(shown: CalendarRange, provider_id: uuid.UUID, day: date, *, title: str,
            week: bool, zone: ZoneInfo) -> Column:
    windows = []
    for window in shown.windows.get(provider_id, ()):
        start_day, start = minutes_of(window.starts_at, zone)
        end_day, end = minutes_of(window.ends_at, zone)
        if start_day > day or end_day < day:
            continue
        windows.append((start if start_day == day else 0, end if end_day == day else 24 * 60))
    if week:
        return Column(provider_id, day, f"{day:%A}", f"{day:%m/%d/%Y}", tuple(windows))
    hours = ", ".join(f"{s // 60:02d}:{s % 60:02d}\u2013{e // 60:02d}:{e % 60:02d}"
                      for s, e in windows) or "not in"
    return Column(provider_id, day, title, hours, tuple(windows))


def grid_content(shown: CalendarRange, *, providers: list[uuid.UUID],
                 names: dict[uuid.UUID, str], week: bool, zone: ZoneInfo
                 ) -> tuple[list[Column], list[Block]]:
    """The columns (each provider's first day, or the one provider's days of a ``week``)
    and the appointments placed in them."""
    days = [shown.first_day + timedelta(days=n)
            for n in range((shown.last_day - shown.first_day).days + 1)]
    pairs = ([(providers[0], day) for day in days] if week and providers
             else [] if week else [(provider_id, days[0]) for provider_id in providers])
    columns = [_column(shown, provider_id, day, title=names.get(provider_id, "?"), week=week,
                       zone=zone) for provider_id, day in pairs]
    index = {(c.provider_id, c.day): n for n, c in enumerate(columns)}
    blocks = []
    for item in shown.appointments:
        day, start = minutes_of(item.entry.starts_at, zone)
        column = index.get((item.entry.provider_id, day))
        if column is not None:
            blocks.append(Block(item, column, start, item.entry.minutes))
    return columns, blocks


def facility_at(shown: CalendarRange | None, column: Column, start: int, zone: ZoneInfo
                ) -> uuid.UUID | None:
    """Where the column's provider is at ``start`` that day (else where they are that day)."""
    windows = [w for w in (shown.windows.get(column.provider_id, ()) if shown is not None
                           else ())
               if w.facility_id is not None and minutes_of(w.starts_at, zone)[0] == column.day]
    at = [w for w in windows
          if minutes_of(w.starts_at, zone)[1] <= start < minutes_of(w.ends_at, zone)[1]]
    chosen = (at or windows or [None])[0]
    return chosen.facility_id if chosen is not None else None
