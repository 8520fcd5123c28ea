"""The front desk's Next available tab: "the next free 30-minute slot with Dr X, mornings, in
the next two weeks".

The desk chooses a provider (or any: each one is searched and the slots merged by time), a
category (its default length filled in) or just a length, the first day and how many days to
search, the part of the day and the weekdays. The free slots come from the providers' sessions
less their time off and the appointments holding time (``availability.open_slots``), listed by
day, time, provider and facility. Enter on a slot opens the calendar's booking dialog with it
filled in; when the search was started for a patient of the waitlist, Enter books that patient
(after a yes/no question) and takes them off the waitlist in the same transaction. Searching
and booking run on the task runner; after a booking the tab announces ``Changed.SCHEDULE``.

Keys (in the tab): Enter in the search fields searches, Enter on a slot books it (Alt+B too),
Alt+P provider, Alt+C category, Alt+N length, Alt+O from, Alt+D days, Alt+T time of day, Alt+K
weekdays, Alt+S search, Alt+R search for nobody of the waitlist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.registry import StaleRecord
from medtrack_desktop.domain.scheduling.appointments import AppointmentEntry, Booking, SlotTaken
from medtrack_desktop.domain.scheduling.availability import MAX_SEARCH_DAYS, open_slots
from medtrack_desktop.domain.scheduling.calendar import CalendarSetup, calendar_setup
from medtrack_desktop.domain.scheduling.models import MAX_MINUTES
from medtrack_desktop.domain.scheduling.waitlist import WaitlistLine, book_from_waitlist
from medtrack_desktop.ui.calendar.booking_dialog import BookingDialog
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.front_desk.waitlist_fields import TimeOfDayField, window_text
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.service_calls import ServiceCaller, error_text, invalid_fields
from medtrack_desktop.ui.widgets.choices import refill, select_data
from medtrack_desktop.ui.widgets.date_field import DateField, read_date
from medtrack_desktop.ui.widgets.dialogs import open_tracked
from medtrack_desktop.ui.widgets.field_errors import FieldErrors
from medtrack_desktop.ui.widgets.list_tab import tab_key
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.widgets.tables import read_only_table
from medtrack_desktop.ui.workspace import Changed, Workspace

LIMIT = 40  # slots listed at most: the first ones are what the desk offers
DEFAULT_DAYS = 14
DEFAULT_MINUTES = 30
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# a refusal of ``open_slots`` about one of its arguments -> the field it comes from here
_FIELD_OF = {"last_day": "days", "minutes": "minutes"}


@dataclass(frozen=True)
class FoundSlot:
    """A free slot of one provider (instants in UTC)."""

    provider_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    facility_id: uuid.UUID | None


def day_runs(first_day: date, last_day: date, weekdays: frozenset[int]
             ) -> list[tuple[date, date]]:
    """The runs of consecutive days from ``first_day`` to ``last_day`` that fall on
    ``weekdays`` (0 = Monday): one search per run instead of one per day."""
    runs: list[tuple[date, date]] = []
    day = first_day
    while day <= last_day:
        if day.weekday() in weekdays:
            if runs and runs[-1][1] == day - timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += timedelta(days=1)
    return runs


def find_slots(session: Session, actor: Actor, *, provider_ids: list[uuid.UUID], minutes: int,
               first_day: date, last_day: date, day_from: time | None = None,
               day_until: time | None = None, weekdays: frozenset[int] = frozenset(range(7)),
               limit: int = LIMIT, now: datetime | None = None) -> list[FoundSlot]:
    """The first ``limit`` free slots of several providers, merged by time (the providers'
    order breaks a tie), on ``weekdays`` only. One ``open_slots`` per provider over all the
    days, the other weekdays dropped; only when that filled its limit and dropping left too
    few, one per run of wanted days (sessions are mostly on weekdays: Monday to Friday
    wanted is one search)."""
    zone = ZoneInfo(actor.seat.clinic_timezone)

    def search(provider_id: uuid.UUID, first: date, last: date, most: int) -> list[FoundSlot]:
        return [FoundSlot(provider_id, slot.starts_at, slot.ends_at, slot.facility_id)
                for slot in open_slots(session, actor, provider_id=provider_id,
                                       minutes=minutes, first_day=first, last_day=last,
                                       day_from=day_from, day_until=day_until, limit=most,
                                       now=now)]

    found: list[tuple[datetime, int, FoundSlot]] = []
    for order, provider_id in enumerate(provider_ids):
        every_day = search(provider_id, first_day, last_day, limit)
        mine = [slot for slot in every_day
                if slot.starts_at.astimezone(zone).weekday() in weekdays]
        if len(every_day) >= limit > len(mine):
            mine = []
            for first, last in day_runs(first_day, last_day, weekdays):
                mine += search(provider_id, first, last, limit - len(mine))
                if len(mine) >= limit:
                    break
        found += [(slot.starts_at, order, slot) for slot in mine]
    return [slot for _start, _order, slot in sorted(found, key=lambda f: f[:2])[:limit]]


@dataclass(frozen=True)
class Search:
    """What was searched for, as the heading and the booking need it."""

    provider_ids: list[uuid.UUID]
    any_provider: bool
    category_id: uuid.UUID | None
    minutes: int
    first_day: date
    last_day: date
    day_from: time | None
    day_until: time | None
    weekdays: frozenset[int]

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


class SlotsModel(RowsTableModel[FoundSlot]):
    def __init__(self, zone: ZoneInfo, names: Callable[[], dict[uuid.UUID, str]]) -> None:
        super().__init__((
            Column("Day", lambda s: f"{s.starts_at.astimezone(zone):%a %m/%d/%Y}"),
            Column("Time", lambda s: f"{s.starts_at.astimezone(zone):%H:%M}\u2013"
                                     f"{s.ends_at.astimezone(zone):%H:%M}"),
            Column("Provider", lambda s: names().get(s.provider_id, "")),
            Column("Facility", lambda s: names().get(s.facility_id, "")
                   if s.facility_id is not None else ""),
        ))


class SlotFinder(QWidget):
    """The Next available tab. ``confirm`` asks yes/no (tests answer for the user);
    ``today`` is the clinic's time now (tests set it); dialogs opened from here are kept in
    ``self.dialog`` while open."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask, today: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.setAccessibleName("Next available")
        self._context, self._actor, self._workspace = context, actor, workspace
        self._confirm = confirm
        self.zone = ZoneInfo(context.seat.clinic_timezone)
        self._now = today or (lambda: datetime.now(self.zone))
        self._calls = ServiceCaller(context, actor, self)
        self.can_write = actor.can("schedule.write")
        self.setup: CalendarSetup | None = None
        self.names: dict[uuid.UUID, str] = {}
        self.waiting: WaitlistLine | None = None  # the waitlist patient searched for
        self.searched: Search | None = None  # what the results shown are for
        self.searching = False
        self.dialog: Any = None
        self._searches = 0
        self._notice = ""  # said before the next search's count ("Booked …")
        self._build()
        workspace.sig_changed.connect(self._changed)
        self._calls.start("schedule.setup", calendar_setup, on_done=self._setup_loaded,
                          on_failed=lambda error: self._say(
                              error_text(error, doing="read the clinic's providers")))

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.errors = FieldErrors()
        self.provider = QComboBox()
        self.provider.addItem("Any provider", None)
        self.provider.setMinimumWidth(200)
        self.category = QComboBox()
        self.category.addItem("Any (length only)", None)
        self.category.setMinimumWidth(200)
        self.minutes = QSpinBox(minimum=5, maximum=MAX_MINUTES, singleStep=5, suffix=" min",
                                value=DEFAULT_MINUTES)
        self.minutes.setMinimumWidth(110)
        self.first_day = DateField(lambda: self._now().date())
        self.first_day.setFixedWidth(200)
        self.first_day.set_value(self._now().date())
        self.days = QSpinBox(minimum=0, maximum=MAX_SEARCH_DAYS, suffix=" days",
                             value=DEFAULT_DAYS)
        self.days.setMinimumWidth(200)
        self.time_of_day = TimeOfDayField()
        self.weekday_boxes = [QCheckBox(name, checked=n < 5) for n, name in enumerate(WEEKDAYS)]
        full_names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                      "Sunday")
        for box, name in zip(self.weekday_boxes, full_names, strict=True):
            box.setAccessibleName(name)
        weekdays = QWidget()
        weekday_row = QHBoxLayout(weekdays)
        weekday_row.setContentsMargins(0, 0, 0, 0)
        for box in self.weekday_boxes:
            weekday_row.addWidget(box)
        weekday_row.addStretch(1)
        self.search_button = QPushButton("&Search", toolTip="Search (Enter in the fields)")
        self.search_button.setAutoDefault(False)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        fields: list[tuple[int, int, str, str, QWidget, QWidget | None]] = [
            (0, 0, "provider", "&Provider:", self.provider, None),
            (0, 2, "category", "&Category:", self.category, None),
            (0, 4, "minutes", "Le&ngth:", self.minutes, None),
            (1, 0, "first_day", "Fr&om:", self.first_day, None),
            (1, 2, "days", "&Days:", self.days, None),
            (1, 4, "day_until", "&Time of day:", self.time_of_day.part, self.time_of_day),
            (2, 0, "weekdays", "Wee&kdays:", self.weekday_boxes[0], weekdays),
        ]
        top_left = Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft
        for row, column, key, text, focus, shown in fields:
            caption = QLabel(text)
            caption.setBuddy(focus)
            caption.setContentsMargins(0, 4, 0, 0)  # level with the field's text
            if not focus.accessibleName():
                focus.setAccessibleName(text.replace("&", "").rstrip(":"))
            span = 5 if key == "weekdays" else 1
            grid.addWidget(caption, row, column, top_left)
            grid.addWidget(self.errors.add(key, focus, shown), row, column + 1, 1, span,
                           top_left)
        grid.addWidget(self.search_button, 2, 6, Qt.AlignmentFlag.AlignRight)
        grid.setColumnStretch(6, 1)
        self.criteria = QWidget()
        self.criteria.setLayout(grid)

        self.for_patient = QLabel(objectName="sectionTitle", wordWrap=True)
        self.for_patient.setAccessibleName("Searching for")
        self.clear_button = QPushButton("Clea&r patient", toolTip="Search for nobody of the "
                                                                  "waitlist")
        self.clear_button.setAutoDefault(False)
        self.patient_bar = QWidget()
        patient_row = QHBoxLayout(self.patient_bar)
        patient_row.setContentsMargins(0, 0, 0, 0)
        patient_row.addWidget(self.for_patient, 1)
        patient_row.addWidget(self.clear_button)
        self.patient_bar.hide()

        self.heading = QLabel(objectName="sectionTitle", wordWrap=True)
        self.heading.setAccessibleName("Results heading")
        self.model = SlotsModel(self.zone, lambda: self.names)
        self.model.setParent(self)
        self.table = read_only_table("Free slots", fit_contents=False)
        self.table.setModel(self.model)
        for column, width in enumerate((150, 120, 220)):  # the facility takes the rest
            self.table.setColumnWidth(column, width)
        self.book_button = QPushButton("&Book selected\u2026", toolTip="Book the selected slot "
                                                                     "(Enter)")
        self.book_button.setAutoDefault(False)
        self.book_button.setVisible(self.can_write)
        self.message = QLabel(objectName="fieldError", wordWrap=True)
        self.message.setAccessibleName("Slot finder message")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.status = QLabel(objectName="muted", wordWrap=True)
        self.status.setAccessibleName("Slot finder status")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.book_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.addWidget(self.criteria)
        layout.addWidget(self.patient_bar)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        self.setFocusProxy(self.provider)

        self.category.currentIndexChanged.connect(self._category_changed)
        self.search_button.clicked.connect(self.search)
        self.clear_button.clicked.connect(lambda: self.set_waiting(None))
        self.book_button.clicked.connect(self.book_selected)
        self.table.activated.connect(lambda _index: self.book_selected())
        self.model.modelReset.connect(self._update_buttons)
        for key in ("Return", "Enter"):
            tab_key(self.criteria, key, self.search)
        self._update_buttons()

    # -- the clinic's lists ------------------------------------------------------------------

    def _setup_loaded(self, setup: CalendarSetup) -> None:
        self.setup = setup
        self.names = ({p.id: p.name for p in setup.providers}
                      | {f.id: f.name for f in setup.facilities})
        refill(self.provider, self.provider.itemText(0),
               [(p.name, p.id) for p in setup.providers])
        refill(self.category, self.category.itemText(0),
               [(f"{c.name} ({c.default_minutes} min)", c.id) for c in setup.categories])
        self._update_buttons()

    def _category_changed(self) -> None:
        chosen = self.category.currentData()
        category = next((c for c in self.setup.categories if c.id == chosen), None) \
            if self.setup is not None else None
        if category is not None:
            self.minutes.setValue(category.default_minutes)

    # -- searching ---------------------------------------------------------------------------

    def entered(self) -> tuple[Search | None, dict[str, str]]:
        """The search as entered, or the problems by field."""
        errors: dict[str, str] = {}
        first = read_date(self.first_day, "first_day", "From", errors)
        if first is None and "first_day" not in errors:
            errors["first_day"] = "From: the first day to search."
        days = self.days.value()
        if days < 1:
            errors["days"] = f"Days: search 1 to {MAX_SEARCH_DAYS} days."
        day_from, day_until = self.time_of_day.window()
        if day_from is not None and day_until is not None and day_until <= day_from:
            errors["day_until"] = "Time of day: the end after the start."
        weekdays = frozenset(n for n, box in enumerate(self.weekday_boxes) if box.isChecked())
        if not weekdays:
            errors["weekdays"] = "Weekdays: tick at least one day."
        if self.setup is None:
            errors["provider"] = "Provider: the clinic's providers are still being read."
        if errors or first is None or self.setup is None:
            return None, errors
        chosen = self.provider.currentData()
        providers = [chosen] if chosen is not None else [p.id for p in self.setup.providers]
        return Search(provider_ids=providers, any_provider=chosen is None,
                      category_id=self.category.currentData(), minutes=self.minutes.value(),
                      first_day=first, last_day=first + timedelta(days=days - 1),
                      day_from=day_from, day_until=day_until, weekdays=weekdays), {}

    def search(self) -> None:
        """Search with what is entered (a reply to an older search is dropped)."""
        wanted, errors = self.entered()
        self.errors.show(errors)
        if wanted is None:
            return
        self._say("")
        self._searches += 1
        number = self._searches
        self.searching = True
        self.status.setText("Searching\u2026")
        self._calls.start("schedule.slots", find_slots,
                          on_done=lambda found: self._found(number, wanted, found),
                          on_failed=lambda error: self._search_failed(number, error),
                          provider_ids=wanted.provider_ids, minutes=wanted.minutes,
                          first_day=wanted.first_day, last_day=wanted.last_day,
                          day_from=wanted.day_from, day_until=wanted.day_until,
                          weekdays=wanted.weekdays, now=self._now())

    def _found(self, number: int, wanted: Search, found: list[FoundSlot]) -> None:
        if number != self._searches:
            return
        self.searched = wanted
        self.model.set_rows(found)
        who = ("any provider" if wanted.any_provider
               else self.names.get(wanted.provider_ids[0], "the provider"))
        part = window_text(wanted.day_from, wanted.day_until).lower()
        days = "" if len(wanted.weekdays) == 7 else " (" + ", ".join(
            WEEKDAYS[n] for n in sorted(wanted.weekdays)) + ")"
        self.heading.setText(
            f"Free {wanted.minutes}-minute slots with {who}, {part}, "
            f"{wanted.first_day:%a %m/%d} \u2013 {wanted.last_day:%a %m/%d/%Y}{days}")
        notice, self._notice = self._notice, ""
        self._emphasise(not found)
        if not found:
            self.status.setText(f"{notice}No free slot in these {wanted.days} days \u2014 "
                                "widen the search: more days, another provider, any time of "
                                "day.")
        else:
            self.table.selectRow(0)
            more = " (the first ones)" if len(found) >= LIMIT else ""
            keys = " \u00b7 Enter books the selected one" if self.can_write else ""
            self.status.setText(f"{notice}{len(found)} free slot"
                                f"{'' if len(found) == 1 else 's'}{more}{keys}")
            if self.criteria.isAncestorOf(self.focusWidget()) or self.waiting is not None:
                self.table.setFocus()
        self.searching = False

    def _search_failed(self, number: int, error: Exception) -> None:
        if number != self._searches:
            return
        self.searching = False
        self.status.setText("")
        fields = invalid_fields(error)
        if fields is not None:
            rest = self.errors.show({_FIELD_OF.get(key, key): text
                                     for key, text in fields.items()})
            self._say(" ".join(rest.values()))
        else:
            self._say(error_text(error, doing="search for free slots"))

    def _changed(self, changed: Changed) -> None:
        """Another booking may have taken a slot listed: search again."""
        if Changed.SCHEDULE in changed and self.searched is not None:
            self.search()

    # -- for a patient of the waitlist -------------------------------------------------------

    def set_waiting(self, line: WaitlistLine | None) -> None:
        """Search (and book) for ``line``'s patient, or for nobody in particular."""
        self.waiting = line
        self.patient_bar.setVisible(line is not None)
        if line is not None:
            self.for_patient.setText(f"For {line.patient_name} (MRN {line.mrn}) from the "
                                     "waitlist: booking a slot takes them off it.")

    def find_for(self, line: WaitlistLine) -> None:
        """The entry's wishes filled in (its provider or any, its category, its days from
        today on, its part of the day, every weekday), then search."""
        entry = line.entry
        self.set_waiting(line)
        select_data(self.provider, entry.provider_id)
        if entry.category_id is not None:
            select_data(self.category, entry.category_id)
        today = self._now().date()
        first = max(today, entry.earliest_day)
        self.first_day.set_value(first)
        days = (entry.latest_day - first).days + 1
        self.days.setValue(min(MAX_SEARCH_DAYS, days) if days >= 1 else DEFAULT_DAYS)
        self.time_of_day.set_window(entry.day_from, entry.day_until)
        for box in self.weekday_boxes:
            box.setChecked(True)
        self.search()

    # -- booking -----------------------------------------------------------------------------

    def selected(self) -> FoundSlot | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _update_buttons(self) -> None:
        self.book_button.setEnabled(self.can_write and self.model.rowCount() > 0)

    def book_selected(self) -> None:
        slot = self.selected()
        if not self.can_write or slot is None or self.setup is None or self.searched is None:
            return
        if self.waiting is not None:
            self._book_waiting(slot, self.waiting)
            return
        local = slot.starts_at.astimezone(self.zone)
        dialog = BookingDialog(self._context, self._actor, self.setup,
                               provider_id=slot.provider_id, day=local.date(),
                               start=local.time(), facility_id=slot.facility_id, parent=self)
        if self.searched.category_id is not None:
            select_data(dialog.category, self.searched.category_id)
        dialog.minutes.setValue(self.searched.minutes)
        dialog.sig_booked.connect(self._booked)
        self._open(dialog)

    def _book_waiting(self, slot: FoundSlot, line: WaitlistLine) -> None:
        assert self.searched is not None and self.setup is not None
        category_id = self.searched.category_id or line.entry.category_id
        if category_id is None:
            self.errors.show({"category": "Category: choose the kind of appointment to book."})
            return
        facility_id = slot.facility_id or (self.setup.facilities[0].id
                                           if self.setup.facilities else None)
        if facility_id is None:
            self._say("The clinic has no facility to book at: an administrator adds one.")
            return
        local = slot.starts_at.astimezone(self.zone)
        question = (f"Book {line.patient_name} with {self.names.get(slot.provider_id, '')} on "
                    f"{local:%a %m/%d/%Y} at {local:%H:%M} ({self.searched.minutes} min)? "
                    "They come off the waitlist.")
        if not self._confirm(self, "Book from the waitlist", question):
            return
        booking = Booking(patient_id=line.entry.patient_id, provider_id=slot.provider_id,
                          facility_id=facility_id, category_id=category_id,
                          starts_at=slot.starts_at, minutes=self.searched.minutes)
        self.book_button.setEnabled(False)
        self._calls.start("schedule.book_waiting", book_from_waitlist,
                          on_done=lambda entry: self._booked_waiting(entry, line),
                          on_failed=self._refused, entry_id=line.id, version=line.version,
                          booking=booking)

    def _booked_waiting(self, entry: AppointmentEntry, line: WaitlistLine) -> None:
        self.set_waiting(None)
        local = entry.starts_at.astimezone(self.zone)
        self._notice = (f"Booked {line.patient_name} on {local:%a %m/%d/%Y} at "
                        f"{local:%H:%M}; off the waitlist. \u00b7 ")
        self._booked(entry)

    def _booked(self, _entry: AppointmentEntry) -> None:
        self._say("")
        self._workspace.announce(Changed.SCHEDULE)

    def _refused(self, error: Exception) -> None:
        self._update_buttons()
        fields = invalid_fields(error)
        if fields is not None:
            self._say(" ".join(fields.values()))
        elif isinstance(error, SlotTaken):
            self.search()  # the list as it is now; the message stays
            self._say(str(error))
        elif isinstance(error, StaleRecord):
            self._say("Someone changed this waitlist entry meanwhile: find the patient on "
                      "the Waitlist tab again.")
            self.set_waiting(None)
        else:
            self._say(error_text(error, doing="book the appointment"))

    def _open(self, dialog: Any) -> None:
        """Open ``dialog`` (window-modal), kept in ``self.dialog`` until it closes."""
        open_tracked(self, dialog, self.table.setFocus)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _emphasise(self, empty: bool) -> None:
        """"No free slot …" is said as plainly as a heading, a count quietly."""
        self.status.setObjectName("sectionTitle" if empty else "muted")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
