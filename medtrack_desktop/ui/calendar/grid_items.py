"""What the schedule grid shows, as plain values: its columns (a provider's day each), the
appointments placed in them side by side where they overlap, and a block said in words."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from medtrack_desktop.domain.scheduling.calendar import CalendarAppointment


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
             + (" \u00b7 overbooked" if item.entry.overbooked else "")]
    if item.entry.reason:
        lines.append(f"Reason: {item.entry.reason}")
    return "\n".join(lines)
