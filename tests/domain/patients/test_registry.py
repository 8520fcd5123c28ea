"""Registration and demographics: validation at the field, MRNs, history, concurrency, the
sealed SSN, photos, and what is audited."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from demo_users import sign_in
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from registry_data import TODAY, register_tricky
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.patients.demographics import Demographics, DemographicsInvalid
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.mrn import MrnError, is_valid_mrn
from medtrack_desktop.domain.patients.registry import (
    PHOTO_MAX_BYTES,
    StaleRecord,
    demographic_history,
    get_patient,
    get_photo,
    register_patient,
    reveal_ssn,
    set_photo,
    update_demographics,
)
from medtrack_desktop.domain.patients.retention import retention_until
from medtrack_desktop.domain.patients.search import search_patients
from medtrack_desktop.store.engine import Store, connect_raw

GOOD = Demographics(last_name="Okonkwo", first_name="Adaeze", sex="female",
                    date_of_birth=date(1988, 9, 14), phone_mobile="512 555 0123",
                    email="Adaeze.Okonkwo@Example.com", postal_code="78701", state="tx",
                    ssn="321-54-9876", race="black_african_american")


@pytest.fixture
def clinic(store: Store) -> Actor:
    actor, _records = register_tricky(store)
    return actor


def register(store: Store, actor: Actor, demographics: Demographics = GOOD, **kwargs: object):
    with store.session() as session:
        return register_patient(session, actor, demographics=demographics, today=TODAY,
                                **kwargs)  # type: ignore[arg-type]


def test_registration_normalises_what_was_typed(store: Store, clinic: Actor) -> None:
    record = register(store, clinic)
    d = record.demographics
    assert (d.phone_mobile, d.email, d.state) == ("(512) 555-0123",
                                                  "Adaeze.Okonkwo@example.com", "TX")
    assert record.ssn_last4 == "9876" and d.ssn is None, "only the last 4 leave the service"
    assert is_valid_mrn(record.mrn), "generated MRNs carry a Luhn check digit"
    registered = record.created_at.astimezone(ZoneInfo(clinic.seat.clinic_timezone)).date()
    assert record.retention_until == retention_until(born=d.date_of_birth,
                                                     last_treatment=registered), (
        "no treatment yet: ten years from the day of registration, at the clinic")


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"phone_mobile": "555-01"}, "phone_mobile", "Mobile phone"),
    ({"date_of_birth": date(2027, 1, 1)}, "date_of_birth", "future"),
    ({"date_of_birth": None}, "date_of_birth", "required"),
    ({"ssn": "000-12-3456"}, "ssn", "SSN"),
    ({"ssn": "12345"}, "ssn", "SSN"),
    ({"postal_code": "7870"}, "postal_code", "ZIP"),
    ({"email": "not-an-email"}, "email", "Email"),
    ({"last_name": "   "}, "last_name", "required"),
    ({"last_name": "x" * 101}, "last_name", "at most 100"),
    ({"first_name": "Ann\x07"}, "first_name", "control"),
    ({"last_name": "Smith\u202e"}, "last_name", "invisible"),
    ({"city": "Aus\u200btin"}, "city", "invisible"),
    ({"state": "XX"}, "state", "State"),
    ({"sex": "f"}, "sex", "Sex"),
    ({"race": "martian"}, "race", "Race"),
    ({"deceased_on": date(2020, 1, 1)}, "deceased_on", "tick Deceased"),
    ({"deceased": True, "deceased_on": date(1980, 1, 1)}, "deceased_on", "between"),
])
def test_each_bad_field_gets_its_own_message_and_nothing_is_saved(
    store: Store, clinic: Actor, change: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(DemographicsInvalid) as raised:
        register(store, clinic, dataclasses.replace(GOOD, **change))
    assert set(raised.value.errors) == {field}
    assert words in raised.value.errors[field]
    with store.read_session() as session:
        assert session.scalar(select(Patient.id).where(Patient.last_name == "Okonkwo")) is None


def test_all_problems_are_reported_at_once(store: Store, clinic: Actor) -> None:
    with pytest.raises(DemographicsInvalid) as raised:
        register(store, clinic, Demographics(phone_home="1", email="@", postal_code="x"))
    assert {"last_name", "date_of_birth", "phone_home", "email", "postal_code"} <= set(
        raised.value.errors)


def test_mrn_format_is_the_clinics_and_typed_mrns_must_be_unique(
    store: Store, clinic: Actor
) -> None:
    with store.session() as session:
        clinic_row = session.get_one(Clinic, clinic.seat.clinic_id)
        clinic_row.mrn_prefix, clinic_row.mrn_digits = "RFC", 5
    first = register(store, clinic)
    second = register(store, clinic, dataclasses.replace(GOOD, first_name="Chidi"))
    assert first.mrn.startswith("RFC") and len(first.mrn) == 9
    assert is_valid_mrn(second.mrn, prefix="RFC") and second.mrn > first.mrn
    carried = register(store, clinic, dataclasses.replace(GOOD, first_name="Ngozi"),
                       mrn=" LEGACY-0042 ")
    assert carried.mrn == "LEGACY-0042"
    with pytest.raises(MrnError, match="already used"):
        register(store, clinic, dataclasses.replace(GOOD, first_name="Obi"), mrn="LEGACY-0042")
    mistyped = first.mrn[:-1] + str((int(first.mrn[-1]) + 1) % 10)
    with pytest.raises(MrnError, match="check digit"):
        register(store, clinic, dataclasses.replace(GOOD, first_name="Obi"), mrn=mistyped)
    with pytest.raises(MrnError, match="letters, digits"):
        register(store, clinic, dataclasses.replace(GOOD, first_name="Obi"), mrn="A B;--")


def test_an_update_keeps_every_changed_field_in_the_history(
    store: Store, clinic: Actor
) -> None:
    record = register(store, clinic)
    changed = dataclasses.replace(record.demographics, city="Austin", phone_mobile="",
                                  ssn="321-54-1111")
    with store.session() as session:
        after = update_demographics(session, clinic, patient_id=record.id,
                                    version=record.version, demographics=changed, today=TODAY)
    assert after.version == record.version + 1 and after.ssn_last4 == "1111"
    with store.session() as session:
        history = demographic_history(session, clinic, patient_id=record.id)
    seen = {(entry.field, entry.old_value, entry.new_value) for entry in history}
    assert seen == {("city", None, "Austin"), ("phone_mobile", "(512) 555-0123", None),
                    ("ssn", "(sealed)", "(sealed)")}
    assert all(entry.changed_by == "system" for entry in history)
    assert not any("1111" in f"{entry.old_value}{entry.new_value}" for entry in history)


def test_an_update_made_on_a_stale_copy_is_refused(store: Store, clinic: Actor) -> None:
    record = register(store, clinic)
    with store.session() as session:
        update_demographics(session, clinic, patient_id=record.id, version=record.version,
                            demographics=dataclasses.replace(record.demographics, city="Waco"),
                            today=TODAY)
    with store.session() as session, pytest.raises(StaleRecord):
        update_demographics(session, clinic, patient_id=record.id, version=record.version,
                            demographics=dataclasses.replace(record.demographics, city="Katy"),
                            today=TODAY)
    with store.read_session() as session:
        assert session.get_one(Patient, record.id).city == "Waco"


def test_a_name_change_is_found_by_the_new_name_only(store: Store, clinic: Actor) -> None:
    record = register(store, clinic)
    with store.session() as session:
        update_demographics(session, clinic, patient_id=record.id, version=record.version,
                            demographics=dataclasses.replace(record.demographics,
                                                             last_name="Eze"), today=TODAY)
    with store.session() as session:
        assert [m.id for m in search_patients(session, clinic, query="eze adaeze",
                                              today=TODAY)] == [record.id]
        assert search_patients(session, clinic, query="okonkwo", today=TODAY) == []


def test_the_ssn_is_never_stored_in_clear(tmp_path: Path, store: Store, clinic: Actor,
                                          db_key: bytes) -> None:
    record = register(store, clinic)
    store.close()
    connection = connect_raw(tmp_path / "workstation.db", db_key)
    tables = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")]
    dump = "\n".join(repr(row) for table in tables
                     for row in connection.execute(f'SELECT * FROM "{table}"'))
    connection.close()
    assert "321549876" not in dump and "321-54-9876" not in dump
    assert "Okonkwo" in dump, "the dump does hold the other demographics (sanity)"
    reopened = Store.open(tmp_path / "workstation.db", db_key)
    try:
        with reopened.session() as session:
            found = search_patients(session, clinic, query="9876", today=TODAY)
            assert [(m.id, m.matched_on) for m in found] == [(record.id, "ssn")]
            assert reveal_ssn(session, clinic, patient_id=record.id) == "321-54-9876"
    finally:
        reopened.close()


def test_a_sealed_ssn_copied_onto_another_row_does_not_open(store: Store, clinic: Actor) -> None:
    mine = register(store, clinic)
    other = register(store, clinic, dataclasses.replace(GOOD, first_name="Chidi", ssn=""))
    with store.session() as session:
        stolen = session.get_one(Patient, mine.id).ssn_cipher
        session.get_one(Patient, other.id).ssn_cipher = stolen
    with store.session() as session, pytest.raises(ValueError, match="did not open"):
        get_patient(session, clinic, patient_id=other.id)


def test_revealing_the_ssn_is_audited_and_needs_write_access(demo_store: Store) -> None:
    frontdesk, biller = sign_in(demo_store, "frontdesk"), sign_in(demo_store, "biller")
    record = register(demo_store, frontdesk)
    with demo_store.session() as session:
        assert reveal_ssn(session, frontdesk, patient_id=record.id) == "321-54-9876"
    with demo_store.session() as session, pytest.raises(PermissionDenied):
        reveal_ssn(session, biller, patient_id=record.id)
    with demo_store.read_session() as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.patient_id == record.id).order_by(AuditEntry.seq)).all()
    assert actions == ["patient.create", "patient.ssn_reveal"]


def test_who_may_register(demo_store: Store) -> None:
    for username in ("assistant", "biller", "patient", "admin"):
        with demo_store.session() as session, pytest.raises(PermissionDenied):
            register_patient(session, sign_in(demo_store, username), demographics=GOOD,
                             today=TODAY)


def test_photos_must_be_pictures_of_sane_size(store: Store, clinic: Actor) -> None:
    record = register(store, clinic)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    with store.session() as session:
        set_photo(session, clinic, patient_id=record.id, photo=png)
    with store.session() as session:
        assert get_photo(session, clinic, patient_id=record.id) == png
        assert get_patient(session, clinic, patient_id=record.id).has_photo
    for bad, words in ((b"GIF89a" + b"\0" * 10, "PNG or JPEG"),
                       (b"\xff\xd8\xff" + b"\0" * PHOTO_MAX_BYTES, "2 MB")):
        with store.session() as session, pytest.raises(ValueError, match=words):
            set_photo(session, clinic, patient_id=record.id, photo=bad)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=250))
def test_any_text_in_any_field_is_saved_or_refused_with_messages(
    store: Store, clinic: Actor, text: str
) -> None:
    entered = dataclasses.replace(GOOD, first_name=text, city=text, notes=text,
                                  phone_work=text[:40], email=text[:60])
    try:
        record = register(store, clinic, entered)
    except DemographicsInvalid as invalid:
        assert invalid.errors and all(isinstance(m, str) and m for m in invalid.errors.values())
    else:
        assert record.demographics.notes == (text.strip())
