"""The schedule at clinic scale (calendar issue): ``calendar-week``.

A new database each run: 20 providers with weekday sessions (08:00-12:00, 13:00-17:00), ten
rooms, 20,000 generated patients, and ``--scale`` appointments (default 100,000) spread over
two years around today — 20-minute visits placed at random free session slots, statuses as
they would be (past: completed, some no-show or cancelled; future: scheduled or confirmed) —
with today's board full: 300 appointments, some checked in. Rows go in with executemany, the
double-booking triggers on. Measured, ``--repeat`` times (default 30), each its own unit of
work as the app runs them:

1. ``week_all_*``: ``calendar.calendar_range`` for the 20 providers over a week — what the
   calendar screens read: every provider's sessions and the appointments with their
   patients' names;
   ``painted_day_all_*`` and ``painted_week_one_*``: the real Calendar page on an offscreen
   ``QApplication``, from asking for the next day (all 20 providers side by side) or the next
   week (one provider) to its grid painted (``grab``): the job, the read, the layout and the
   paint — the issue's target, "painted < 150 ms", is held against the day of all providers
   and against the week read of all of them;
   ``month_all_*``: ``calendar.calendar_month`` — the month view's light read — for the 20
   providers over its six weeks (no target set by the issue; reported);
2. ``slot_search_*``: ``open_slots`` for a 30-minute slot with one provider, mornings, the
   next 14 days (target < 50 ms);
3. ``flow_board_*``: ``flow_board`` for today, 300 appointments (target < 50 ms).
"""

from __future__ import annotations

import gc
import os
import random
import tempfile
import time as clock
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.common import Metrics, Result, Scenario, latency, note, now_ms

DEFAULT_APPOINTMENTS = 100_000
PROVIDERS, ROOMS, PATIENTS, TODAY_PER_PROVIDER = 20, 10, 20_000, 15
SEED = 20261127
PASSWORD = "Bench!2026-calendar"
SESSIONS = ((time(8), time(12)), (time(13), time(17)))
SLOT = timedelta(minutes=20)
TARGETS = {"week_all_p95_ms": 150, "painted_day_all_p95_ms": 150, "slot_search_p95_ms": 50,
           "flow_board_p95_ms": 50}


def _clinic(path: Path, key: bytes) -> tuple[Any, dict[str, Any]]:
    """The clinic, its providers (physicians), a front desk user, facility, rooms, category
    and weekly sessions, made through the services."""
    from medtrack_desktop.domain.calls import perform
    from medtrack_desktop.domain.identity.accounts import add_user
    from medtrack_desktop.domain.identity.actor import Actor
    from medtrack_desktop.domain.identity.workstation import initialize_workstation
    from medtrack_desktop.domain.scheduling.availability import add_weekly_session
    from medtrack_desktop.domain.scheduling.setup import (
        CategoryInput,
        add_facility,
        add_room,
        save_category,
    )
    from medtrack_desktop.store.engine import Store
    from medtrack_desktop.store.migrate import upgrade

    store = Store.open(path, key, create=True)
    upgrade(store.engine)
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="Bench Clinic",
                                      workstation_name="Front")
    system = Actor.system(seat)
    admin = perform(store, system, add_user, username="admin", password=PASSWORD,
                    first_name="Ada", last_name="Admin", roles=("admin", "front_desk"))
    providers = [perform(store, system, add_user, username=f"dr{n:02d}", password=PASSWORD,
                         first_name=f"Doctor{n:02d}", last_name="Bench",
                         roles=("physician",)).id for n in range(PROVIDERS)]
    actor = _actor(store, admin.id)
    facility = perform(store, actor, add_facility, name="Main")
    rooms = [perform(store, actor, add_room, facility_id=facility, name=f"Exam {n + 1}")
             for n in range(ROOMS)]
    category = perform(store, actor, save_category,
                       category=CategoryInput(name="Follow-up", default_minutes=20))
    for provider in providers:
        for weekday in range(5):
            for starts, ends in SESSIONS:
                perform(store, actor, add_weekly_session, provider_id=provider,
                        facility_id=facility, weekday=weekday, starts=starts, ends=ends,
                        valid_from=date(2000, 1, 1))
    return store, {"actor": actor, "providers": providers, "rooms": rooms,
                   "facility": facility, "category": category, "zone": seat.clinic_timezone}


def _actor(store: Any, user_id: uuid.UUID) -> Any:
    """The signed-in actor of ``user_id`` (no password check: the benchmark made the user)."""
    from medtrack_desktop.domain.identity.accounts import authenticate
    from medtrack_desktop.domain.identity.models import User
    from medtrack_desktop.domain.identity.workstation import current_seat

    with store.session() as session:
        seat = current_seat(session)
        username = session.get_one(User, user_id).username
        return authenticate(session, seat=seat, username=username, password=PASSWORD).actor


def _slots(day: date, zone: ZoneInfo) -> list[datetime]:
    return [datetime.combine(day, starts, zone).astimezone(UTC) + SLOT * n
            for starts, ends in SESSIONS
            for n in range(int((datetime.combine(day, ends) - datetime.combine(day, starts))
                               / SLOT))]


def _appointments(facts: dict[str, Any], patients: list[uuid.UUID], count: int,
                  today: date) -> tuple[list[dict[str, Any]], list[uuid.UUID]]:
    """The appointment rows, and today's ids."""
    from medtrack_desktop.store.base import new_id

    rng = random.Random(SEED)
    zone = ZoneInfo(facts["zone"])
    days = [today + timedelta(days=offset) for offset in range(-365, 366)
            if (today + timedelta(days=offset)).weekday() < 5]
    per_day = max(1, count // (len(days) * PROVIDERS))
    now = datetime.now(UTC)
    clinic_id = facts["actor"].seat.clinic_id
    rows: list[dict[str, Any]] = []
    today_ids: list[uuid.UUID] = []
    for day in days:
        slots = _slots(day, zone)
        for provider in facts["providers"]:
            wanted = TODAY_PER_PROVIDER if day == today else per_day
            for start in sorted(rng.sample(slots, min(wanted, len(slots)))):
                if start < now:
                    status = rng.choices(("completed", "no_show", "cancelled"), (90, 4, 6))[0]
                else:
                    status = rng.choice(("scheduled", "confirmed"))
                if day == today and start < now:
                    status = rng.choice(("completed", "in_room", "arrived"))
                row_id = new_id()
                rows.append({
                    "id": row_id, "clinic_id": clinic_id, "patient_id": rng.choice(patients),
                    "provider_id": provider, "room_id": None, "facility_id": facts["facility"],
                    "category_id": facts["category"], "starts_at": start,
                    "ends_at": start + SLOT, "reason": "Follow-up", "notes": "",
                    "status": status, "overbooked": False,
                    "cancel_reason": "Patient called" if status == "cancelled" else None,
                    "series_id": None, "occurrence_at": None,
                    "demographics_confirmed": status != "scheduled",
                    "insurance_confirmed": status != "scheduled", "copay_collected": None,
                    "created_at": now, "updated_at": now, "created_by": None,
                    "updated_by": None, "version": 1, "deleted_at": None})
                if day == today:
                    today_ids.append(row_id)
    return rows, today_ids


def _build(path: Path, key: bytes, count: int, today: date) -> tuple[Any, dict[str, Any]]:
    from sqlalchemy import insert, select

    from benchmarks.patient_generator import generate_patients
    from medtrack_desktop.domain.patients.models import Patient
    from medtrack_desktop.domain.scheduling.models import Appointment, AppointmentStatusChange
    from medtrack_desktop.store.base import new_id

    started = clock.perf_counter()
    store, facts = _clinic(path, key)
    generate_patients(store, count=PATIENTS, today=today, seed=SEED,
                      progress=lambda done, total: note(f"{done}/{total} patients"))
    with store.read_session() as session:
        patients = list(session.scalars(select(Patient.id)))
    rows, today_ids = _appointments(facts, patients, count, today)
    note(f"writing {len(rows)} appointments")
    with store.session() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Appointment), rows[start:start + 5000])
        now, today = datetime.now(UTC), set(today_ids)
        session.execute(insert(AppointmentStatusChange), [
            {"clinic_id": row["clinic_id"], "appointment_id": row["id"],
             "patient_id": row["patient_id"], "status": row["status"], "changed_at": now,
             "changed_by": None, "sequence": 1, "id": new_id(), "created_at": now,
             "updated_at": now, "version": 1}
            for row in rows if row["id"] in today])
    store.analyze()
    facts["build_s"] = round(clock.perf_counter() - started, 1)
    facts["appointments"] = len(rows)
    facts["today"] = len(today_ids)
    return store, facts


def _time(store: Any, call: Any, repeat: int) -> list[float]:
    samples = []
    for index in range(repeat + 1):
        started = now_ms()
        with store.session() as session:
            call(session)
        if index:  # the first run warms the caches and compiled statements
            samples.append(now_ms() - started)
    return samples


def _painted(store: Any, facts: dict[str, Any], monday: date, repeat: int
             ) -> dict[str, list[float]]:
    """Request to painted on the Calendar page: the next day of every provider, then (the week
    view, one provider) the next week; the first of each not counted (warm-up)."""
    from benchmarks.offscreen import offscreen_context, wait_until
    from medtrack_desktop.ui.calendar.page import CalendarPage
    from medtrack_desktop.ui.shell.patient_opening import PatientOpener
    from medtrack_desktop.ui.workspace import Workspace

    actor = facts["actor"]
    samples: dict[str, list[float]] = {}
    with offscreen_context(store, actor) as context:
        page = CalendarPage(context, actor, Workspace(PatientOpener(
            store=store, actor=actor, tasks=context.tasks, parent=None)))
        page.resize(1366, 768)
        page.show()
        wait_until(lambda: page.shown is not None and not page.loading,
                   "the calendar showed nothing")

        def shown(day: date, kind: str, index: int) -> None:
            start = now_ms()
            page.go_to(day)
            wait_until(lambda: not page.loading and page.shown is not None
                       and page.shown.first_day <= day <= page.shown.last_day,
                       f"the calendar did not show {kind}")
            page.grab()
            if index:
                samples.setdefault(kind, []).append(now_ms() - start)

        weekdays = [monday + timedelta(days=n) for n in range(-21, 21)
                    if (monday + timedelta(days=n)).weekday() < 5]
        for index in range(repeat + 1):
            shown(weekdays[index % len(weekdays)], "painted_day_all_", index)
        page.week_button.click()
        for index in range(repeat + 1):
            shown(monday + timedelta(weeks=index % 8 - 4), "painted_week_one_", index)
        page.close()
    return samples


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from medtrack_desktop.domain.scheduling.availability import open_slots
    from medtrack_desktop.domain.scheduling.calendar import calendar_month, calendar_range
    from medtrack_desktop.domain.scheduling.front_desk import flow_board

    count = scale or DEFAULT_APPOINTMENTS
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        zone_today = datetime.now(ZoneInfo("America/Chicago")).date()
        store, facts = _build(Path(folder) / "calendar.db", os.urandom(32), count, zone_today)
        gc.collect()
        gc.freeze()  # as the app does once signed in (shell controller)
        try:
            actor = facts["actor"]
            monday = zone_today - timedelta(days=zone_today.weekday())
            rng = random.Random(SEED + 1)
            week_all = _time(store, lambda s: calendar_range(
                s, actor, first_day=monday, last_day=monday + timedelta(days=6),
                provider_ids=facts["providers"]), repeat)
            first = zone_today.replace(day=1)
            first -= timedelta(days=first.weekday())
            month_all = _time(store, lambda s: calendar_month(
                s, actor, first_day=first, last_day=first + timedelta(days=41),
                provider_ids=facts["providers"]), repeat)
            slots = _time(store, lambda s: open_slots(
                s, actor, provider_id=rng.choice(facts["providers"]), minutes=30,
                first_day=zone_today, last_day=zone_today + timedelta(days=13),
                day_until=time(12), limit=20), repeat)
            board = _time(store, lambda s: flow_board(s, actor, day=zone_today), repeat)
            painted = _painted(store, facts, monday, repeat)
        finally:
            store.close()
    metrics: Metrics = {**latency(week_all, "week_all_"), **latency(month_all, "month_all_"),
                        **latency(slots, "slot_search_"),
                        **latency(board, "flow_board_"),
                        **{metric: value for kind, values in painted.items()
                           for metric, value in latency(values, kind).items()}}
    return Result(
        scenario="calendar-week", scale=count, metrics=metrics,
        target=" and ".join(f"{key} < {limit}" for key, limit in TARGETS.items()),
        meets_target=all(metrics[key] < limit for key, limit in TARGETS.items()),
        extra={"database": {key: facts[key] for key in ("build_s", "appointments", "today")},
               "providers": PROVIDERS, "patients": PATIENTS,
               "load_average": {"before": [round(x, 2) for x in load_before],
                                "after": [round(x, 2) for x in os.getloadavg()]}},
    )


SCENARIO = Scenario(
    "calendar-week",
    "20 providers, --scale appointments over two years: a week for all providers read "
    "(< 150 ms with its paint), an open-slot search (< 50 ms), today's flow board with 300 "
    "appointments (< 50 ms)",
    DEFAULT_APPOINTMENTS, 30, run,
)
