"""Provider availability: pick a provider, see their weekly sessions (Monday 08:00-12:00 at
Main Street, from 05/25/2026 …) and their time off and extra sessions still to come; add or
end sessions, add or remove exceptions. The calendar shades what this keeps.

Keys: Alt+V to the provider; in the sessions list Insert adds a session and Delete ends the
selected one from a day on (a session not started yet is removed), in the exceptions list
Insert adds time off or an extra session and Delete removes the selected one; each after a
question. Sessions are not edited in place: the hours a day had stay in the history, so a
change is an end and a new session. Whoever has this tab (``clinic.admin``) may change
the hours (``availability.may_change_hours``).
"""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.scheduling.availability import (
    add_exception,
    add_weekly_session,
    may_change_hours,
)
from medtrack_desktop.domain.scheduling.calendar import Provider
from medtrack_desktop.domain.scheduling.sessions import (
    SHOWN_DAY,
    WEEKDAYS,
    ExceptionEntry,
    ProviderTemplate,
    SessionEnded,
    WeeklySession,
    end_session,
    provider_template,
    providers,
    remove_exception,
    remove_session,
)
from medtrack_desktop.domain.scheduling.setup import FacilitySetup, facility_setup
from medtrack_desktop.ui.admin.scheduling_dialogs import (
    EndSessionDialog,
    ExceptionDialog,
    SessionDialog,
)
from medtrack_desktop.ui.admin.scheduling_section import SectionList, SetupSection
from medtrack_desktop.ui.chart.chart_lists import plural
from medtrack_desktop.ui.context import AppContext
from medtrack_desktop.ui.models.rows import Column, RowsTableModel
from medtrack_desktop.ui.widgets.choices import select_data
from medtrack_desktop.ui.widgets.date_field import clinic_today
from medtrack_desktop.ui.widgets.questions import Confirm, ask
from medtrack_desktop.ui.workspace import Workspace

KINDS = {"time_off": "Time off", "extra": "Extra session"}


def exception_span(entry: ExceptionEntry) -> tuple[str, str]:
    """(from, to) as read: whole days by date ("Mon 12/21/2026" to "Fri 12/25/2026"), hours
    with their time ("Sat 03/13/2027 09:00" to "11:00")."""
    whole = entry.starts_at.time() == time() and entry.ends_at.time() == time()
    if whole:
        last = entry.ends_at - timedelta(days=1)
        return f"{entry.starts_at:%a {SHOWN_DAY}}", f"{last:%a {SHOWN_DAY}}"
    first = f"{entry.starts_at:%a {SHOWN_DAY} %H:%M}"
    if entry.ends_at.date() == entry.starts_at.date():
        return first, f"{entry.ends_at:%H:%M}"
    return first, f"{entry.ends_at:%a {SHOWN_DAY} %H:%M}"


def describe_exception(entry: ExceptionEntry) -> str:
    first, last = exception_span(entry)
    reason = f" ({entry.reason})" if entry.reason else ""
    return f"{KINDS[entry.kind].lower()} {first} \u2013 {last}{reason}"


class SessionsModel(RowsTableModel[WeeklySession]):
    def __init__(self) -> None:
        super().__init__((
            Column("Day", lambda s: WEEKDAYS[s.weekday]),
            Column("Hours", lambda s: s.hours),
            Column("Facility", lambda s: s.facility),
            Column("In force", lambda s: s.period),
        ))


class ExceptionsModel(RowsTableModel[ExceptionEntry]):
    def __init__(self) -> None:
        super().__init__((
            Column("Kind", lambda e: KINDS[e.kind]),
            Column("From", lambda e: exception_span(e)[0]),
            Column("To", lambda e: exception_span(e)[1]),
            Column("Facility", lambda e: e.facility or "\u2014"),
            Column("Reason", lambda e: e.reason),
        ))


class AvailabilitySection(SetupSection):
    """The Provider availability section (see the module doc)."""

    def __init__(self, context: AppContext, actor: Actor, workspace: Workspace, *,
                 confirm: Confirm = ask) -> None:
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider")
        self.provider.setMinimumContentsLength(24)
        self.add_session = QPushButton("Add &session\u2026")
        self.end_session = QPushButton("&End session\u2026")
        self.sessions = SectionList("Weekly sessions", SessionsModel(),
                                    [self.add_session, self.end_session], stretch=2)
        self.week = QLabel(wordWrap=True)
        self.week.setAccessibleName("The week at a glance")
        self.add_exception = QPushButton("Add time &off or extra\u2026")
        self.remove_exception = QPushButton("Re&move\u2026")
        self.exceptions = SectionList("Time off and extra sessions", ExceptionsModel(),
                                      [self.add_exception, self.remove_exception], stretch=4)
        view = QWidget()
        layout = QVBoxLayout(view)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        label = QLabel("Pro&vider:")
        label.setBuddy(self.provider)
        top.addWidget(label)
        top.addWidget(self.provider)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addWidget(QLabel("Weekly sessions", objectName="sectionTitle"))
        layout.addWidget(self.week)
        layout.addWidget(self.sessions.view, 5)
        layout.addWidget(QLabel("Time off and extra sessions still to come",
                                objectName="sectionTitle"))
        layout.addWidget(self.exceptions.view, 2)
        super().__init__(context, actor, workspace, view, confirm)
        self.zone = ZoneInfo(context.seat.clinic_timezone)
        self.today = lambda: clinic_today(context.seat)
        self.may_write = may_change_hours(actor)
        self._facilities: list[FacilitySetup] = []
        self._sent = 0  # the number of the latest template read (an older one is dropped)
        for button, tip, slot, section_list, key in (
                (self.add_session, "Add a weekly session (Insert)", self.open_add_session,
                 self.sessions, "Ins"),
                (self.end_session, "End the selected session from a day on (Delete)",
                 self.open_end_session, self.sessions, "Del"),
                (self.add_exception, "Add time off or an extra session (Insert)",
                 self.open_add_exception, self.exceptions, "Ins"),
                (self.remove_exception, "Remove the selected time off or extra session "
                                        "(Delete)", self.remove_selected_exception,
                 self.exceptions, "Del")):
            button.setToolTip(tip)
            button.setVisible(self.may_write)
            button.clicked.connect(slot)
            section_list.key(key, button.click)
        for section_list in (self.sessions, self.exceptions):
            section_list.view.table.selectionModel().currentRowChanged.connect(
                lambda _now, _before: self.update_buttons())
            section_list.model.modelReset.connect(self.update_buttons)
        self.provider.currentIndexChanged.connect(lambda _index: self.load_template())
        self.update_buttons()

    # -- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """The facilities (the forms' choices), then the providers, then the template: a
        form never opens on a list still on its way."""
        self.loaded = True
        self.calls.start("schedule.facility_setup", facility_setup,
                         on_done=self._facilities_loaded,
                         on_failed=self.failed(self.sessions, "load the facilities"))

    def _facilities_loaded(self, rows: list[FacilitySetup]) -> None:
        self._facilities = rows
        self.calls.start("schedule.providers", providers, on_done=self._providers,
                         on_failed=self.failed(self.sessions, "load the providers"))

    def _providers(self, found: list[Provider]) -> None:
        chosen = self.provider_id()
        self.provider.blockSignals(True)
        self.provider.clear()
        for provider in found:
            self.provider.addItem(provider.name, provider.id)
        if chosen is not None:
            select_data(self.provider, chosen)
        self.provider.blockSignals(False)
        if not found:
            self.sessions.view.status.setText("No providers: give someone the physician "
                                              "role under Users.")
        self.load_template()

    def provider_id(self) -> uuid.UUID | None:
        return self.provider.currentData()

    def provider_name(self) -> str:
        return self.provider.currentText()

    def choose_provider(self, provider_id: uuid.UUID) -> None:
        select_data(self.provider, provider_id)

    def load_template(self) -> None:
        provider_id = self.provider_id()
        self.update_buttons()
        if provider_id is None:
            return
        self._sent += 1
        number = self._sent
        self.calls.start("schedule.provider_template", provider_template,
                         on_done=lambda found: self._template(number, found),
                         on_failed=self.failed(self.sessions, "load the sessions"),
                         provider_id=provider_id)

    def _template(self, number: int, template: ProviderTemplate) -> None:
        if number != self._sent or template.provider_id != self.provider_id():
            return
        hours = sum((hours_between(s.starts, s.ends) for s in template.sessions), 0.0)
        self.sessions.show_rows(template.sessions, f"{plural(len(template.sessions), 'session')}"
                                f" a week, {hours:g} hours." if template.sessions else
                                "No weekly sessions: this provider cannot be booked except "
                                "in extra sessions.")
        self.week.setText(week_text(template.sessions))
        self.exceptions.show_rows(template.exceptions, plural(
            len(template.exceptions), "exception") + " to come." if template.exceptions
            else "No time off or extra sessions to come.")

    def update_buttons(self) -> None:
        chosen = self.provider_id() is not None
        self.add_session.setEnabled(self.may_write and chosen)
        self.add_exception.setEnabled(self.may_write and chosen)
        weekly: WeeklySession | None = self.sessions.selected()
        self.end_session.setEnabled(self.may_write and weekly is not None)
        self.end_session.setText("R&emove session\u2026" if weekly is not None
                                 and weekly.valid_from > self.today() else "&End session\u2026")
        self.remove_exception.setEnabled(self.may_write and self.exceptions.selected()
                                         is not None)

    # -- sessions ------------------------------------------------------------------------------

    def open_add_session(self) -> None:
        provider_id = self.provider_id()
        if provider_id is None or not self.add_session.isEnabled():
            return
        dialog = SessionDialog(self.provider_name(), self._facilities, self.today, self.view)
        self.open_form(dialog, lambda: self._submit_session(dialog, provider_id),
                       dialog.weekday)

    def _submit_session(self, dialog: SessionDialog, provider_id: uuid.UUID) -> None:
        values, errors = dialog.entered()
        if errors:
            dialog.show_errors(errors)
            return
        self.save(dialog, self.sessions, "schedule.add_session", add_weekly_session,
                  doing="add the session", notice="Session added.", provider_id=provider_id,
                  **values)

    def open_end_session(self) -> None:
        weekly: WeeklySession | None = self.sessions.selected()
        if weekly is None or not self.end_session.isEnabled():
            return
        if weekly.valid_from > self.today():
            if self.confirm(self.view, "Remove session",
                            f"Remove {weekly.describe()} ({weekly.period})? It has not "
                            "started yet, so no day loses hours it had."):
                self.run(self.sessions, "schedule.remove_session", remove_session,
                         doing="remove the session", notice="Session removed.",
                         session_id=weekly.id, version=weekly.version)
            return
        dialog = EndSessionDialog(weekly, self.today, self.view)
        self.open_form(dialog, lambda: self._submit_end(dialog, weekly), dialog.last_day)

    def _submit_end(self, dialog: EndSessionDialog, weekly: WeeklySession) -> None:
        last_day, errors = dialog.entered()
        if errors or last_day is None:
            dialog.show_errors(errors)
            return
        if not self.confirm(dialog, "End session",
                            f"End {weekly.describe()} after {last_day:%a {SHOWN_DAY}}? From "
                            "the next day on the provider cannot be booked in those hours."):
            return
        self.save(dialog, self.sessions, "schedule.end_session", end_session,
                  doing="end the session",
                  notice=lambda ended: ended_notice(ended, last_day), session_id=weekly.id,
                  version=weekly.version, last_day=last_day)

    # -- exceptions ----------------------------------------------------------------------------

    def open_add_exception(self) -> None:
        provider_id = self.provider_id()
        if provider_id is None or not self.add_exception.isEnabled():
            return
        dialog = ExceptionDialog(self.provider_name(), self._facilities, self.today, self.zone,
                                 self.view)
        self.open_form(dialog, lambda: self._submit_exception(dialog, provider_id),
                       dialog.kind)

    def _submit_exception(self, dialog: ExceptionDialog, provider_id: uuid.UUID) -> None:
        values, errors = dialog.entered()
        if errors:
            dialog.show_errors(errors)
            return
        notice = "Time off added." if values["kind"] == "time_off" else "Extra session added."
        self.save(dialog, self.exceptions, "schedule.add_exception", add_exception,
                  doing="add the exception", notice=notice, provider_id=provider_id, **values)

    def remove_selected_exception(self) -> None:
        entry: ExceptionEntry | None = self.exceptions.selected()
        if entry is None or not self.remove_exception.isEnabled():
            return
        back = ("the provider can be booked in their sessions then again"
                if entry.kind == "time_off" else "those hours can no longer be booked")
        if not self.confirm(self.view, "Remove", f"Remove the {describe_exception(entry)}? "
                                                 f"Once removed, {back}."):
            return
        self.run(self.exceptions, "schedule.remove_exception", remove_exception,
                 doing="remove it", notice="Removed.", exception_id=entry.id,
                 version=entry.version)


def week_text(sessions: tuple[WeeklySession, ...]) -> str:
    """The week at a glance: "Mon 08:00-12:00, 13:00-17:00 · Tue ..." (days without a
    session left out; a session at another facility names it)."""
    facilities = {s.facility for s in sessions}
    days: dict[int, list[str]] = {}
    for weekly in sessions:
        where = f" ({weekly.facility})" if len(facilities) > 1 else ""
        days.setdefault(weekly.weekday, []).append(f"{weekly.hours}{where}")
    text = " \u00b7 ".join(f"{WEEKDAYS[day][:3]} {', '.join(hours)}"
                           for day, hours in sorted(days.items()))
    return f"At {next(iter(facilities))}: {text}" if len(facilities) == 1 else text


def hours_between(starts: time, ends: time) -> float:
    """Hours from ``starts`` to ``ends`` of one day."""
    return ((ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)) / 60


def ended_notice(result: SessionEnded, last_day: date) -> str:
    """What ending a session did, with the appointments it left outside the hours."""
    text = f"Session ended after {last_day:{SHOWN_DAY}}."
    if result.booked_after:
        text += (f" {plural(result.booked_after, 'appointment')} booked later in those hours "
                 "stay on the calendar: move them as needed.")
    return text

