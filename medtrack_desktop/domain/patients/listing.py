"""The patient list: every live patient of the clinic page by page, and the counts above it.

Pages are keyset pages, never OFFSET: a page continues strictly after the sort key of the last
row shown, and the key always ends in a unique column (the id, or the MRN which is unique per
clinic), so rows that tie on a name or a birth date are neither skipped nor repeated, and page
1,000 costs what page 1 costs. Name, birth date and MRN walk their ``(clinic_id, …)`` indexes;
the registration date has none yet, so each page of that sort reads and sorts the clinic's
patients (about half a second at 100,000).

Sorting by name uses the stored ``last_name``/``first_name`` so that index serves it; the
order is the database's collation (byte order on SQLCipher: accented initials after "Z").
The last-name filter is not a range of that raw column (which would be case- and
accent-sensitive): it is folded like the search box ("garcia" finds "García" and
"Ramírez-García") and is a range scan of the search index's last-name terms.

Ages are whole years as of ``today``. An age group becomes a range of birth dates computed
here (a birthday on 29 February counts from 1 March in other years), so each database only
compares dates: SQLCipher and PostgreSQL count every patient in the same group.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Select, and_, case, func, select, true, tuple_
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.models import SEXES, Patient, PatientSearchTerm
from medtrack_desktop.domain.patients.search_index import term_prefix
from medtrack_desktop.domain.patients.search_terms import words

Sort = Literal["name", "date_of_birth", "mrn", "created_at"]
Status = Literal["active", "inactive", "deceased"]
SORTS: tuple[Sort, ...] = ("name", "date_of_birth", "mrn", "created_at")
STATUSES: tuple[Status, ...] = ("active", "inactive", "deceased")
MAX_LIMIT = 1000

_SORT_KEYS: dict[str, tuple[Any, ...]] = {
    "name": (Patient.last_name, Patient.first_name, Patient.id),
    "date_of_birth": (Patient.date_of_birth, Patient.id),
    "mrn": (Patient.mrn,),  # unique per clinic: a whole key by itself
    "created_at": (Patient.created_at, Patient.id),
}


@dataclass(frozen=True)
class AgeGroup:
    label: str
    youngest: int
    oldest: int | None  # None: no upper bound

    def born(self, today: date) -> tuple[date | None, date | None]:
        """(born after, born on or before): the birth dates of this group's ages today.
        The youngest group has no second bound, so a birth date typed in the future still
        falls in some group, as it does in the counts."""
        after = None if self.oldest is None else today - relativedelta(years=self.oldest + 1)
        until = None if self.youngest == 0 else today - relativedelta(years=self.youngest)
        return after, until


AGE_GROUPS: tuple[AgeGroup, ...] = (
    AgeGroup("0-17", 0, 17), AgeGroup("18-39", 18, 39), AgeGroup("40-64", 40, 64),
    AgeGroup("65+", 65, None),
)


@dataclass(frozen=True)
class PatientFilter:
    """What the list is narrowed to; every field left at its default keeps everyone."""

    sex: str | None = None
    age_group: str | None = None  # an ``AgeGroup.label``
    status: Status | None = None
    last_name_prefix: str = ""


@dataclass(frozen=True)
class PageCursor:
    """Where the next page starts: the sort key of the last row of the page before."""

    sort: Sort
    descending: bool
    key: tuple[Any, ...]


@dataclass(frozen=True)
class PatientListRow:
    id: uuid.UUID
    mrn: str
    last_name: str
    first_name: str
    preferred_name: str | None
    date_of_birth: date
    sex: str
    phone: str | None
    active: bool
    deceased: bool
    restricted: bool
    created_at: datetime

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}" if self.first_name else self.last_name

    @property
    def status(self) -> Status:
        return "deceased" if self.deceased else "active" if self.active else "inactive"


@dataclass(frozen=True)
class PatientPage:
    rows: tuple[PatientListRow, ...]
    next: PageCursor | None  # None: this was the last page


@dataclass(frozen=True)
class PatientStatistics:
    """Live patients of the clinic; each mapping has every category, zeros included."""

    total: int
    by_sex: Mapping[str, int]
    by_age_group: Mapping[str, int]  # by ``AgeGroup.label``, youngest first
    by_status: Mapping[str, int]


def _live(actor: Actor) -> ColumnElement[bool]:
    return and_(Patient.clinic_id == actor.seat.clinic_id, Patient.deleted_at.is_(None))


def _age_condition(group: AgeGroup, today: date) -> ColumnElement[bool]:
    after, until = group.born(today)
    return and_(true(), *([Patient.date_of_birth > after] if after else []),
                *([Patient.date_of_birth <= until] if until else []))


# The same conditions filter the list and make the counts, so a count is what its filter lists.
_STATUS_CONDITIONS: dict[str, ColumnElement[bool]] = {
    "active": and_(Patient.active, ~Patient.deceased),
    "inactive": and_(~Patient.active, ~Patient.deceased),
    "deceased": Patient.deceased,
}


def _choice(value: str, choices: tuple[str, ...], label: str) -> str:
    if value not in choices:
        raise ValueError(f"{label}: one of {', '.join(choices)}.")
    return value


def _filtered(statement: Select[Any], actor: Actor, filters: PatientFilter,
              today: date) -> Select[Any]:
    """``statement`` narrowed to ``filters``; a value no patient can have is a ValueError."""
    if filters.sex is not None:
        statement = statement.where(Patient.sex == _choice(filters.sex, SEXES, "Sex"))
    if filters.age_group is not None:
        label = _choice(filters.age_group, tuple(g.label for g in AGE_GROUPS), "Age group")
        group = next(g for g in AGE_GROUPS if g.label == label)
        statement = statement.where(_age_condition(group, today))
    if filters.status is not None:
        statement = statement.where(
            _STATUS_CONDITIONS[_choice(filters.status, STATUSES, "Status")])
    if typed := "".join(words(filters.last_name_prefix)):
        # Joined like the index joins a name of several words: "van der" finds "vanderberg".
        statement = statement.where(Patient.id.in_(
            select(PatientSearchTerm.patient_id).where(
                PatientSearchTerm.clinic_id == actor.seat.clinic_id,
                PatientSearchTerm.field == "last",
                term_prefix(PatientSearchTerm.term, typed))))
    return statement


def list_patients(
    session: Session, actor: Actor, *, today: date, sort: Sort = "name",
    descending: bool = False, after: PageCursor | None = None, limit: int = 200,
    filters: PatientFilter = PatientFilter(),  # frozen: safe to share
) -> PatientPage:
    """One page of the clinic's live patients in ``sort`` order, after ``after`` (the ``next``
    of the page before, for the same sort and filters). ``today`` dates the age groups."""
    require(actor, "patient.read")
    if sort not in _SORT_KEYS:
        raise ValueError(f"Sort: one of {', '.join(SORTS)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"A page holds 1 to {MAX_LIMIT} patients.")
    key = _SORT_KEYS[sort]
    statement = _filtered(select(
        Patient.id, Patient.mrn, Patient.last_name, Patient.first_name, Patient.preferred_name,
        Patient.date_of_birth, Patient.sex,
        func.coalesce(Patient.phone_mobile, Patient.phone_home, Patient.phone_work),
        Patient.active, Patient.deceased, Patient.restricted, Patient.created_at,
    ).where(_live(actor)), actor, filters, today)
    if after is not None:
        if (after.sort, after.descending) != (sort, descending):
            raise ValueError("The page cursor belongs to another sort order.")
        position = tuple_(*key)
        statement = statement.where(position < after.key if descending else position > after.key)
    statement = statement.order_by(*(column.desc() if descending else column for column in key))
    found = [PatientListRow(*row) for row in session.execute(statement.limit(limit + 1))]
    rows = tuple(found[:limit])
    cursor = None
    if len(found) > limit:
        cursor = PageCursor(sort, descending, tuple(
            getattr(rows[-1], column.key) for column in key))
    trail.record(session, seat=actor.seat, actor=actor, action="patient.list",
                 resource_type="patient", changes={"results": len(rows), "sort": sort})
    return PatientPage(rows=rows, next=cursor)


def patient_statistics(session: Session, actor: Actor, *, today: date) -> PatientStatistics:
    """How many live patients the clinic has, by sex, by age group (as of ``today``) and by
    status (deceased, else active or inactive): one pass, every count a ``count(CASE …)``."""
    require(actor, "patient.read")
    buckets = {
        "sex": {sex: Patient.sex == sex for sex in SEXES},
        "age": {group.label: _age_condition(group, today) for group in AGE_GROUPS},
        "status": _STATUS_CONDITIONS,
    }
    conditions = [condition for kind in buckets.values() for condition in kind.values()]
    total, *counts = session.execute(select(
        func.count(), *(func.count(case((condition, 1))) for condition in conditions),
    ).where(_live(actor))).one()
    found = iter(counts)
    by = {kind: {label: next(found) for label in labels} for kind, labels in buckets.items()}
    trail.record(session, seat=actor.seat, actor=actor, action="patient.statistics",
                 resource_type="patient", changes={"total": total})
    return PatientStatistics(total=total, by_sex=by["sex"], by_age_group=by["age"],
                             by_status=by["status"])
