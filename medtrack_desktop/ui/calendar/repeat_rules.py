"""Repeat rules as the booking dialog offers them: what the clerk chose (``Repeat``) made into
RFC 5545 RRULE text for ``book_series``, checked the way the service checks it, and said back in
plain English ("Every week on Monday and Wednesday, 6 times") with the days it gives
("Mon 13 Sep, Wed 15 Sep, … Wed 29 Sep · 6 appointments"). No Qt here: the dialog and the
series question only show these texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from medtrack_desktop.domain.scheduling.recurrence import (
    SeriesInvalid,
    SeriesOutcome,
    day_text,
    occurrences,
)

CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UNITS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month"}
PREVIEW_DAYS = 4  # the first days shown before "…" and the last one


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st; -1 is "last"."""
    if number == -1:
        return "last"
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(
        number % 10, "th")
    return f"{number}{suffix}"


def week_of_month(day: date) -> int:
    """Which of its month's same weekdays ``day`` is (1 to 5)."""
    return (day.day - 1) // 7 + 1


def is_last_of_month(day: date) -> bool:
    """Whether no later day of its month is the same weekday."""
    return (day + timedelta(days=7)).month != day.month


def month_choices(day: date) -> list[tuple[str, str]]:
    """The monthly repeats a series starting on ``day`` can have: ("date", "the 13th"),
    ("position", "the 2nd Monday") while it is a 1st to 4th, ("last", "the last Monday") when
    it is the month's last."""
    name = DAY_NAMES[day.weekday()]
    choices = [("date", f"the {ordinal(day.day)}")]
    if week_of_month(day) <= 4:
        choices.append(("position", f"the {ordinal(week_of_month(day))} {name}"))
    if is_last_of_month(day):
        choices.append(("last", f"the last {name}"))
    return choices


@dataclass(frozen=True)
class Repeat:
    """A repeat as entered: every ``interval`` days, weeks (on ``weekdays``, Monday 0) or
    months (``month_by``: the first day's "date", its weekday's "position" or "last"), ending
    after ``count`` appointments or on ``until`` (inclusive)."""

    frequency: str  # "DAILY", "WEEKLY" or "MONTHLY"
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    month_by: str = "date"
    count: int | None = 6
    until: date | None = None

    def rule(self, first_day: date) -> str:
        """The RRULE text (without "RRULE:") for a series from ``first_day``."""
        parts = [f"FREQ={self.frequency}"]
        if self.interval > 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.frequency == "WEEKLY" and self.weekdays:
            parts.append("BYDAY=" + ",".join(CODES[d] for d in sorted(set(self.weekdays))))
        elif self.frequency == "MONTHLY":
            code = CODES[first_day.weekday()]
            parts.append({"date": f"BYMONTHDAY={first_day.day}",
                          "position": f"BYDAY={week_of_month(first_day)}{code}",
                          "last": f"BYDAY=-1{code}"}[self.month_by])
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}T235959")
        else:
            parts.append(f"COUNT={self.count}")
        return ";".join(parts)


def check_repeat(repeat: Repeat, *, first_day: date, start_time: time, zone: ZoneInfo
                 ) -> tuple[list[datetime], dict[str, str]]:
    """The appointments ``repeat`` books (UTC instants) and the problems by field
    ("weekdays", "count", "until") — the service's own limits included."""
    end = "until" if repeat.until is not None else "count"
    if repeat.frequency == "WEEKLY" and not repeat.weekdays:
        return [], {"weekdays": "On: choose at least one weekday."}
    if repeat.until is not None and repeat.until <= first_day:
        return [], {"until": f"Until: a day after the first appointment "
                             f"({day_text(first_day)} {first_day.year})."}
    if repeat.count is not None and repeat.until is None and repeat.count < 1:
        return [], {"count": "Times: at least 1."}
    try:
        moments = occurrences(repeat.rule(first_day), first_day=first_day,
                              start_time=start_time, zone=zone)
    except SeriesInvalid as refused:
        return [], {end: " ".join(refused.errors.values())}
    if not moments:
        return [], {end: "Repeat: these choices give no appointment."}
    return moments, {}


def _parts(rule: str) -> dict[str, str]:
    return {key.upper(): value for key, _eq, value in (
        part.partition("=") for part in rule.strip().removeprefix("RRULE:").split(";") if part)}


def _names(days: list[str]) -> str:
    names = [DAY_NAMES[CODES.index(code)] for code in days]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _every(interval: int, unit: str) -> str:
    return f"Every {unit}" if interval == 1 else f"Every {interval} {unit}s"


def describe_rule(rule: str, *, first_day: date) -> str:
    """A rule in plain English ("Every 2 weeks on Monday and Wednesday, until Mon 13 Dec
    2027"); a rule this screen does not make is given as it is."""
    parts = _parts(rule)
    unit = UNITS.get(parts.get("FREQ", ""))
    try:
        interval = int(parts.get("INTERVAL", "1"))
        days = [code for code in parts.get("BYDAY", "").split(",") if code]
        if unit is None or set(parts) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT",
                                         "UNTIL"}:
            raise ValueError(rule)
        text = _every(interval, unit)
        if unit == "day" and days == list(CODES[:5]) and interval == 1:
            text = "Every weekday (Monday to Friday)"
        elif unit in ("day", "week") and days:
            text += f" on {_names(days)}"
        elif unit == "week":
            text += f" on {DAY_NAMES[first_day.weekday()]}"
        elif unit == "month" and days:
            (code,) = days
            text += f" on the {ordinal(int(code[:-2]))} {DAY_NAMES[CODES.index(code[-2:])]}"
        elif unit == "month":
            on = int(parts.get("BYMONTHDAY", first_day.day))
            text += f" on the {ordinal(on)}"
            if on > 28:
                text += f" (months without a {ordinal(on)} are left out)"
        if "COUNT" in parts:
            count = int(parts["COUNT"])
            text += ", once" if count == 1 else f", {count} times"
        elif "UNTIL" in parts:
            until = parts["UNTIL"]
            last = date(int(until[:4]), int(until[4:6]), int(until[6:8]))
            text += f", until {day_text(last)} {last.year}"
    except (ValueError, IndexError):
        return f"Repeats by the rule {rule.strip()}"
    return text


def days_text(moments: list[datetime], zone: ZoneInfo) -> str:
    """The days of a series' appointments, the first few and the last: "Mon 13 Sep, Wed 15
    Sep, Mon 20 Sep, Wed 22 Sep … Wed 29 Sep · 6 appointments"."""
    days = [moment.astimezone(zone).date() for moment in moments]
    if not days:
        return "No appointment."

    def said(day: date) -> str:
        return day_text(day) + (f" {day.year}" if day.year != days[0].year else "")

    shown = ", ".join(said(day) for day in days[:PREVIEW_DAYS if len(days) > 5 else 5])
    if len(days) > 5:
        shown += f" \u2026 {said(days[-1])}"
    return f"{shown} \u00b7 {len(days)} appointment{'' if len(days) == 1 else 's'}"


def range_text(moments: tuple[datetime, ...] | list[datetime], zone: ZoneInfo) -> str:
    """ "Mon 27 Sep to Mon 18 Oct" (or the one day) of some appointments, by start."""
    if not moments:
        return ""
    first, last = (moments[0].astimezone(zone), moments[-1].astimezone(zone))
    if first.date() == last.date():
        return day_text(first)
    year = f" {last.year}" if last.year != first.year else ""
    return f"{day_text(first)} to {day_text(last)}{year}"


def span_text(moments: tuple[datetime, ...] | list[datetime], zone: ZoneInfo) -> str:
    """ "4 appointments, Mon 27 Sep to Mon 18 Oct" (or "1 appointment, Mon 27 Sep")."""
    if not moments:
        return "no appointment"
    count = f"{len(moments)} appointment{'' if len(moments) == 1 else 's'}"
    return f"{count}, {range_text(moments, zone)}"


def booked_text(outcome: SeriesOutcome, zone: ZoneInfo, *, moved: bool = False) -> str:
    """What a series booking (or a series' move) did: "Booked 5 appointments, Mon 13 Sep to
    Wed 13 Oct. Left out, the time was taken: Wed 15 Sep." """
    starts = [entry.starts_at for entry in outcome.booked]
    text = f"{'Moved' if moved else 'Booked'} {span_text(starts, zone)}"
    if moved and outcome.booked:
        first = outcome.booked[0]
        text += f", to {first.starts_at.astimezone(zone):%H:%M} ({first.minutes} min)"
    text += "."
    if outcome.skipped:
        days = ", ".join(day_text(moment.astimezone(zone)) for moment in outcome.skipped)
        text += (f" The new time was taken on {days}: cancelled there." if moved
                 else f" Left out, the time was taken: {days}.")
    return text
