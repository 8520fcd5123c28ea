"""Moving or cancelling an appointment of a recurring series, for the calendar page.

First the series is read (``series_place``: which appointments "this and following" and
"all" would touch), then ``SeriesQuestion`` asks. "This appointment" is the page's own move
or cancel of one appointment (the series keeps it as an exception). "This and following" and
"All" go to ``change_following`` / ``cancel_following`` — a move keeps each appointment's
day and sets the time and length (a block dragged to another day or provider can only move
on its own); cancelling asks one reason and then "Cancel N appointments?". If the new time is
taken on some days, the clerk is asked whether to move the others and cancel those. What
is past (by the page's clock) is never touched. Each outcome is said in the page's notice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.calendar import CalendarAppointment
from medtrack_desktop.domain.scheduling.recurrence import (
    SeriesOutcome,
    SeriesPlace,
    SeriesSlotsTaken,
    cancel_following,
    change_following,
    series_place,
)
from medtrack_desktop.ui.calendar.appointment_dialogs import CancelDialog, MoveDialog
from medtrack_desktop.ui.calendar.repeat_rules import booked_text, day_text, range_text
from medtrack_desktop.ui.calendar.series_question import SeriesQuestion
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.service_calls import ServiceCaller

if TYPE_CHECKING:
    from medtrack_desktop.ui.calendar.page import CalendarPage

ONLY_THIS = ("Only this appointment can go to another day or provider: the series keeps its "
             "days and its provider.")


def of_the_series(starts: tuple[datetime, ...], zone: ZoneInfo) -> str:
    """ "4 appointments of the series, Mon 27 Sep to Mon 18 Oct"."""
    count = f"{len(starts)} appointment{'' if len(starts) == 1 else 's'}"
    return f"{count} of the series, {range_text(starts, zone)}"


class SeriesFlow:
    """The page's questions and calls for appointments of a series."""

    def __init__(self, page: CalendarPage, context: AppContext, actor: Actor) -> None:
        self._page = page
        self._calls = ServiceCaller(context, actor, page)

    def _with_place(self, item: CalendarAppointment, then: Callable[[SeriesPlace], None],
                    *, failed: Callable[[], None] = lambda: None) -> None:
        page = self._page

        def refused(error: Exception) -> None:
            failed()
            page.say(page.refusal(error, doing="read the series"))

        self._calls.start("schedule.series_place", series_place, on_done=then,
                          on_failed=refused, appointment_id=item.id, now=page.now())

    # -- cancelling --------------------------------------------------------------------------

    def cancel(self, item: CalendarAppointment) -> None:
        """Ask which appointments of the series, then why, then confirm."""
        page = self._page

        def ask(place: SeriesPlace) -> None:
            if len(place.to_come) <= 1:
                page.cancel_one(item)
                return
            question = SeriesQuestion(item, page.zone, place, action="Cancel", parent=page)
            question.accepted.connect(lambda: self._cancel_chosen(item, place,
                                                                  question.choice()))
            page.open_dialog(question)

        self._with_place(item, ask)

    def _cancel_chosen(self, item: CalendarAppointment, place: SeriesPlace,
                       choice: str) -> None:
        page = self._page
        if choice == "this":
            page.cancel_one(item)
            return
        starts = place.following if choice == "following" else place.to_come
        dialog = CancelDialog(item, page.zone, series=of_the_series(starts, page.zone),
                              parent=page)

        def confirmed() -> None:
            question = (f"Cancel {len(starts)} appointments of {item.patient_name} "
                        f"({range_text(starts, page.zone)})? Their time is given back for "
                        "someone else.")
            if not page.confirm(page, "Cancel appointments", question):
                return
            self._calls.start(
                "schedule.cancel_following", cancel_following,
                on_done=lambda count: page.done_changing(
                    f"Cancelled {count} appointment{'' if count == 1 else 's'} of the "
                    "series."),
                on_failed=lambda error: page.say(page.refusal(
                    error, doing="cancel the appointments")),
                appointment_id=item.id, reason=dialog.reason.text(),
                whole_series=choice == "all", now=page.now())

        dialog.accepted.connect(confirmed)
        page.open_dialog(dialog)

    # -- moving ------------------------------------------------------------------------------

    def move(self, item: CalendarAppointment, *,
             dropped: tuple[datetime, int, uuid.UUID] | None = None) -> None:
        """Ask which appointments of the series move: by the move dialog, or where the block
        was ``dropped`` (start, minutes, provider)."""
        page = self._page

        def put_back() -> None:
            if dropped is not None:
                page.grid.drop_pending(item.id)

        def single() -> None:
            if dropped is None:
                page.move_one(item)
            else:
                page.move(item, *dropped)

        def ask(place: SeriesPlace) -> None:
            if len(place.to_come) <= 1:
                single()
                return
            elsewhere = dropped is not None and (
                dropped[0].astimezone(page.zone).date()
                != item.entry.starts_at.astimezone(page.zone).date()
                or dropped[2] != item.entry.provider_id)
            question = SeriesQuestion(item, page.zone, place, action="Move",
                                      only_this=ONLY_THIS if elsewhere else "", parent=page)
            question.accepted.connect(lambda: chosen(place, question.choice()))
            question.rejected.connect(put_back)
            page.open_dialog(question)

        def chosen(place: SeriesPlace, choice: str) -> None:
            if choice == "this":
                single()
            elif dropped is not None:
                self._change(item, choice, dropped[0], dropped[1], put_back=put_back)
            else:
                starts = place.following if choice == "following" else place.to_come
                dialog = MoveDialog(item, page.zone, series=of_the_series(starts, page.zone),
                                    parent=page)
                dialog.accepted.connect(lambda: self._change(
                    item, choice, dialog.starts_at(), dialog.minutes.value()))
                page.open_dialog(dialog)

        self._with_place(item, ask, failed=put_back)

    def _change(self, item: CalendarAppointment, choice: str, starts_at: datetime,
                minutes: int, *, skip_taken: bool = False,
                put_back: Callable[[], None] = lambda: None) -> None:
        page = self._page
        start_time = starts_at.astimezone(page.zone).time()
        if (start_time, minutes) == (item.entry.starts_at.astimezone(page.zone).time(),
                                     item.entry.minutes):
            put_back()
            return  # nothing to change

        def done(outcome: SeriesOutcome) -> None:
            page.done_changing(booked_text(outcome, page.zone, moved=True))

        def refused(error: Exception) -> None:
            if (isinstance(error, SeriesSlotsTaken) and len(error.taken) < error.total
                    and self._move_the_others(item, error)):
                self._change(item, choice, starts_at, minutes, skip_taken=True,
                             put_back=put_back)
                return
            put_back()
            page.say(page.refusal(error, doing="move the appointments"))

        self._calls.start("schedule.change_following", change_following, on_done=done,
                          on_failed=refused, appointment_id=item.id, start_time=start_time,
                          minutes=minutes, whole_series=choice == "all",
                          skip_taken=skip_taken, now=page.now())

    def _move_the_others(self, item: CalendarAppointment, error: SeriesSlotsTaken) -> bool:
        page = self._page
        days = ", ".join(day_text(moment.astimezone(page.zone)) for moment in error.taken)
        others = error.total - len(error.taken)
        those = "that day" if len(error.taken) == 1 else "those days"
        return page.confirm(
            page, "Some days are taken",
            f"The new time is taken on {days}.\n\nMove the other {others} appointment"
            f"{'' if others == 1 else 's'} and cancel {item.patient_name}'s appointment on "
            f"{those}?")
