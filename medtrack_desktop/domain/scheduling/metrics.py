"""Appointment figures for a period, per provider and in all, as in the seed report ("Total,
Upcoming, Completed, Scheduled, Cancelled, No-show"; one grouped query; no patient data).

The seed's appointments are scheduled, completed, cancelled or no-show; ours go through more
steps before they end, so the figures read:

- **total**: every appointment that starts in the period, whatever became of it;
- **completed**, **cancelled**, **no-show**: those that ended so;
- **scheduled**: those that have not ended yet (scheduled, confirmed, checked in, in room), so
  that total = completed + scheduled + cancelled + no-show, as in the seed;
- **upcoming**: the scheduled or confirmed ones that start later than now.
"""

from __future__ import annotations

import uuid
from dataclasses import astuple, dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import User
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.scheduling.models import Appointment
from medtrack_desktop.store.base import utcnow

_TO_COME = ("scheduled", "confirmed")
_OPEN = ("scheduled", "confirmed", "arrived", "in_room")
MAX_DAYS = 3 * 366  # a period of at most three years


class MetricsInvalid(FieldsInvalid):
    """A period that cannot be counted as entered."""


@dataclass(frozen=True)
class AppointmentCounts:
    total: int = 0
    upcoming: int = 0  # scheduled or confirmed, not yet begun
    completed: int = 0
    scheduled: int = 0  # not ended yet: scheduled, confirmed, checked in or in room
    cancelled: int = 0
    no_show: int = 0

    def __add__(self, other: AppointmentCounts) -> AppointmentCounts:
        return AppointmentCounts(*(a + b for a, b in zip(astuple(self), astuple(other),
                                                         strict=True)))


@dataclass(frozen=True)
class AppointmentMetrics:
    """The period's counts in all and per provider (only providers with appointments in it),
    with the providers' names."""

    first_day: date
    last_day: date
    overall: AppointmentCounts
    by_provider: dict[uuid.UUID, AppointmentCounts]
    provider_names: dict[uuid.UUID, str]


def appointment_metrics(session: Session, actor: Actor, *, first_day: date, last_day: date,
                        provider_id: uuid.UUID | None = None,
                        now: datetime | None = None) -> AppointmentMetrics:
    """Counts of the appointments that start between two clinic days (inclusive)."""
    require(actor, "schedule.read")
    if last_day < first_day:
        raise MetricsInvalid({"last_day": "To: on or after the first day."})
    if (last_day - first_day).days >= MAX_DAYS:
        raise MetricsInvalid({"last_day": "To: count at most three years at a time."})
    zone = ZoneInfo(actor.seat.clinic_timezone)
    starts = datetime.combine(first_day, time(), zone)
    ends = datetime.combine(last_day + timedelta(days=1), time(), zone)
    moment = now or utcnow()
    upcoming = func.sum(case((Appointment.status.in_(_TO_COME)
                              & (Appointment.starts_at > moment), 1), else_=0))
    statement = (
        select(Appointment.provider_id, Appointment.status, func.count(), upcoming)
        .where(Appointment.clinic_id == actor.seat.clinic_id, Appointment.deleted_at.is_(None),
               Appointment.starts_at >= starts, Appointment.starts_at < ends)
        .group_by(Appointment.provider_id, Appointment.status))
    if provider_id is not None:
        statement = statement.where(Appointment.provider_id == provider_id)
    by_provider: dict[uuid.UUID, AppointmentCounts] = {}
    for provider, status, count, later in session.execute(statement):
        counts = AppointmentCounts(
            total=count, upcoming=later or 0,
            completed=count if status == "completed" else 0,
            scheduled=count if status in _OPEN else 0,
            cancelled=count if status == "cancelled" else 0,
            no_show=count if status == "no_show" else 0)
        by_provider[provider] = by_provider.get(provider, AppointmentCounts()) + counts
    names = {row.id: f"{row.first_name} {row.last_name}".strip() for row in session.execute(
        select(User.id, User.first_name, User.last_name).where(User.id.in_(by_provider)))
             } if by_provider else {}
    return AppointmentMetrics(first_day, last_day,
                              sum(by_provider.values(), AppointmentCounts()), by_provider,
                              names)
