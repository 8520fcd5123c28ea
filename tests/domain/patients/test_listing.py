"""The patient list: keyset pages over ties, filters, and counts that agree on both engines."""

from __future__ import annotations

from datetime import date

import pytest
from demo_users import sign_in
from sqlalchemy import func, select, update

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients.listing import (
    AGE_GROUPS,
    SORTS,
    PageCursor,
    PatientFilter,
    PatientListRow,
    list_patients,
    patient_statistics,
)
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import import_patients
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import Store

TODAY = date(2027, 2, 28)  # not a leap year: 29 February birthdays fall on 1 March
# days whose age-group edges fall on birthdays below, 29 February included
EDGE_DAYS = (date(2026, 2, 28), date(2026, 3, 1), date(2027, 3, 1), date(2028, 2, 28),
             date(2028, 2, 29))

# (last, first, born, sex): ties on whole names, on birth dates, and birthdays on the edges of
# the age groups (today minus 18, 40, 65 years, a day either side, and 29 February).
PEOPLE: tuple[tuple[str, str, date, str], ...] = (
    ("Garcia", "Ana", date(1990, 1, 1), "female"),
    ("Garcia", "Ana", date(1990, 1, 1), "female"),
    ("Garcia", "Ana", date(1985, 6, 1), "female"),
    ("García", "Luis", date(2009, 2, 28), "male"),
    ("Ramírez-García", "Eva", date(2009, 3, 1), "female"),
    ("Garcete", "Bo", date(2009, 2, 27), "male"),
    ("van der Berg", "Piet", date(2008, 2, 29), "male"),
    ("Berg", "Ole", date(1987, 2, 28), "male"),
    ("Berg", "Ole", date(1987, 3, 1), "male"),
    ("O'Neil", "Kay", date(1962, 2, 28), "female"),
    ("O'Neil", "Kay", date(1962, 3, 1), "other"),
    ("Liu", "Wen", date(1960, 2, 29), "unknown"),
    ("Cher", "", date(1946, 5, 20), "female"),
    ("Zhou", "Li", date(2027, 2, 28), "female"),
    ("Adams", "Jo", date(1929, 12, 31), "male"),
    ("Adams", "Jo", date(1929, 12, 31), "male"),
    ("Abe", "Ty", date(2010, 2, 28), "male"),
    ("Abe", "Ty", date(2010, 3, 1), "female"),
)


def age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_group(born: date, today: date) -> str:
    years = age(born, today)
    return next(g.label for g in AGE_GROUPS if g.oldest is None or years <= g.oldest)


def load_clinic(store: Store) -> Actor:
    """A clinic with ``PEOPLE`` imported in two batches (a batch shares its ``created_at``),
    one deceased, one inactive, one tombstoned."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="List Clinic", workstation_name="W1")
    actor = Actor.system(seat, name="test")
    half = len(PEOPLE) // 2
    for start, batch in ((0, PEOPLE[:half]), (half, PEOPLE[half:])):
        with store.session() as session:
            import_patients(session, actor, records=[
                {"mrn": f"M{start + i:04d}", "last_name": last, "first_name": first,
                 "date_of_birth": born, "sex": sex}
                for i, (last, first, born, sex) in enumerate(batch)])
    with store.session() as session:
        session.execute(update(Patient).where(Patient.mrn == "M0009").values(
            deceased=True, deceased_on=date(2026, 1, 2)))
        session.execute(update(Patient).where(Patient.mrn == "M0010").values(active=False))
        session.execute(update(Patient).where(Patient.mrn == "M0011").values(
            deleted_at=utcnow()))
    return actor


@pytest.fixture
def sqlite_store(store: Store) -> Store:
    return store


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def clinic(request: pytest.FixtureRequest) -> tuple[Store, Actor]:
    store: Store = request.getfixturevalue(f"{request.param}_store")
    return store, load_clinic(store)


def all_pages(store: Store, actor: Actor, *, limit: int, **options: object) -> list[PatientListRow]:
    rows: list[PatientListRow] = []
    cursor: PageCursor | None = None
    while True:
        page = perform(store, actor, list_patients, today=TODAY, limit=limit, after=cursor,
                       **options)
        assert len(page.rows) <= limit
        rows.extend(page.rows)
        if page.next is None:
            return rows
        cursor = page.next


@pytest.mark.parametrize("sort", SORTS)
def test_keyset_pages_neither_skip_nor_repeat_a_row_across_ties(
    clinic: tuple[Store, Actor], sort: str
) -> None:
    store, actor = clinic
    for descending in (False, True):
        whole = all_pages(store, actor, limit=1000, sort=sort, descending=descending)
        assert len(whole) == len(PEOPLE) - 1  # the tombstone is not listed
        key = {"name": lambda r: (r.last_name, r.first_name, r.id),
               "date_of_birth": lambda r: (r.date_of_birth, r.id),
               "mrn": lambda r: (r.mrn,),
               "created_at": lambda r: (r.created_at, r.id)}[sort]
        if sort != "name":  # names: the database's collation decides (checked by paging)
            assert whole == sorted(whole, key=key, reverse=descending)
        for limit in (1, 2, 3, 7):
            assert all_pages(store, actor, limit=limit, sort=sort,
                             descending=descending) == whole


def test_a_full_last_page_says_there_is_no_next_page(clinic: tuple[Store, Actor]) -> None:
    store, actor = clinic
    page = perform(store, actor, list_patients, today=TODAY, limit=len(PEOPLE) - 1)
    assert page.next is None
    page = perform(store, actor, list_patients, today=TODAY, limit=len(PEOPLE) - 2)
    assert page.next is not None


def names(rows: list[PatientListRow]) -> list[str]:
    return [row.display_name for row in rows]


def test_filters(clinic: tuple[Store, Actor]) -> None:
    store, actor = clinic

    def listed(**filters: object) -> list[PatientListRow]:
        return all_pages(store, actor, limit=4, filters=PatientFilter(**filters))

    everyone = listed()
    assert {r.sex for r in listed(sex="other")} == {"other"}
    assert len(listed(sex="female")) == sum(r.sex == "female" for r in everyone)
    for group in AGE_GROUPS:
        assert [r.id for r in listed(age_group=group.label)] == [
            r.id for r in everyone if age_group(r.date_of_birth, TODAY) == group.label]
    assert {age_group(r.date_of_birth, TODAY) for r in everyone} == {
        g.label for g in AGE_GROUPS}
    assert [(r.display_name, r.sex) for r in listed(status="deceased")] == [
        ("O'Neil, Kay", "female")]
    assert [(r.display_name, r.sex) for r in listed(status="inactive")] == [
        ("O'Neil, Kay", "other")]
    assert [r.status for r in listed(status="active")] == ["active"] * (len(everyone) - 2)
    # folded like the search box, any word of the last name, never the first name
    assert sorted(names(listed(last_name_prefix="GARCÍA"))) == [
        "Garcia, Ana", "Garcia, Ana", "Garcia, Ana", "García, Luis", "Ramírez-García, Eva"]
    assert len(listed(last_name_prefix="garc")) == 6
    assert names(listed(last_name_prefix="Van der")) == ["van der Berg, Piet"]
    assert names(listed(last_name_prefix="o'n")) == ["O'Neil, Kay", "O'Neil, Kay"]
    assert listed(last_name_prefix="liu") == []  # tombstoned
    assert listed(last_name_prefix="ana") == []
    assert listed(last_name_prefix="  - ") == everyone  # nothing to fold: no filter
    # born 2009-02-27, -28 and 2009-03-01: 18, 18 (today) and 17 on 2027-02-28
    assert names(listed(sex="male", age_group="18-39", last_name_prefix="gar")) == [
        "Garcete, Bo", "García, Luis"]
    assert names(listed(age_group="0-17", last_name_prefix="gar")) == ["Ramírez-García, Eva"]


def test_unknown_filter_values_and_foreign_cursors_are_refused(
    sqlite_store: Store,
) -> None:
    actor = load_clinic(sqlite_store)
    for filters in (PatientFilter(sex="f"), PatientFilter(age_group="teens"),
                    PatientFilter(status="gone")):
        with pytest.raises(ValueError):
            perform(sqlite_store, actor, list_patients, today=TODAY, filters=filters)
    page = perform(sqlite_store, actor, list_patients, today=TODAY, limit=2)
    with pytest.raises(ValueError, match="another sort"):
        perform(sqlite_store, actor, list_patients, today=TODAY, sort="mrn", after=page.next)
    with pytest.raises(ValueError):
        perform(sqlite_store, actor, list_patients, today=TODAY, limit=0)


def test_statistics_count_ages_as_of_today_the_same_on_both_engines(
    clinic: tuple[Store, Actor],
) -> None:
    store, actor = clinic
    live = [p for i, p in enumerate(PEOPLE) if i != 11]
    for today in (TODAY, *EDGE_DAYS):
        stats = perform(store, actor, patient_statistics, today=today)
        assert stats.total == len(live)
        assert stats.by_sex == {sex: sum(p[3] == sex for p in live)
                                for sex in ("female", "male", "other", "unknown")}
        assert stats.by_age_group == {
            g.label: sum(age_group(p[2], today) == g.label for p in live) for g in AGE_GROUPS}
        assert stats.by_status == {"active": len(live) - 2, "inactive": 1, "deceased": 1}
    # the edges were there: born 29 February 2008, 18 on 1 March 2026; on 29 February 2028
    # those born 28 February 2010 are 18, those born a day later are not
    assert [age_group(date(2008, 2, 29), day) for day in EDGE_DAYS[:2]] == ["0-17", "18-39"]
    assert age_group(date(2010, 2, 28), EDGE_DAYS[-1]) == "18-39"
    assert age_group(date(2010, 3, 1), EDGE_DAYS[-1]) == "0-17"


def test_listing_and_statistics_need_patient_read_and_are_audited(
    demo_store: Store,
) -> None:
    frontdesk = sign_in(demo_store, "frontdesk")
    page = perform(demo_store, frontdesk, list_patients, today=TODAY, limit=15)
    stats = perform(demo_store, frontdesk, patient_statistics, today=TODAY)
    assert len(page.rows) == 15 and stats.total == 40
    with demo_store.read_session() as session:
        entries = session.execute(
            select(AuditEntry.action, AuditEntry.changes, AuditEntry.username)
            .where(AuditEntry.action.in_(("patient.list", "patient.statistics")))
            .order_by(AuditEntry.seq)).all()
    assert [(e.action, e.username) for e in entries] == [
        ("patient.list", "frontdesk"), ("patient.statistics", "frontdesk")]
    assert entries[0].changes == {"results": 15, "sort": "name"}
    for username in ("admin", "patient"):
        with pytest.raises(PermissionDenied):
            perform(demo_store, sign_in(demo_store, username), list_patients, today=TODAY)
        with pytest.raises(PermissionDenied):
            perform(demo_store, sign_in(demo_store, username), patient_statistics, today=TODAY)


def test_a_restricted_record_is_listed_with_its_marker(demo_store: Store) -> None:
    """Like the search box: the list shows who is there; opening is what access governs."""
    frontdesk = sign_in(demo_store, "frontdesk")
    rows = all_pages(demo_store, frontdesk, limit=200, sort="mrn")
    assert [r.restricted for r in rows].count(True) == 1
    with demo_store.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == len(rows)
    assert all(r.created_at.tzinfo is not None for r in rows)
