"""The search box: tricky names, dates, phones, MRN and SSN, ranking, audit, and the same
answers on SQLCipher and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from demo_users import sign_in
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from registry_data import TODAY, register_tricky
from sqlalchemy import select

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.permissions import PermissionDenied
from medtrack_desktop.domain.identity.workstation import initialize_workstation
from medtrack_desktop.domain.patients import search as search_module
from medtrack_desktop.domain.patients.access import open_patient
from medtrack_desktop.domain.patients.demographics import Demographics
from medtrack_desktop.domain.patients.models import Patient
from medtrack_desktop.domain.patients.registry import PatientRecord, register_patient
from medtrack_desktop.domain.patients.search import (
    PatientMatch,
    parse_birth_date,
    recent_patients,
    search_patients,
)
from medtrack_desktop.store.engine import Store

QUERIES = [
    "obrien", "o'brien", "O\u2019Brien", "O'B", "brien", "siobhan obrien", "obrien siobhan",
    "garcia", "garcia mar", "mar garcia", "garcia marquez", "marquez", "garciamarquez",
    "Márquez García", "GARCIA-MARQUEZ maria jose", "nguyen", "Nguyễn", "NGUYEN van",
    "van der berg", "vanderberg", "berg pieter", "piet", "cher", "smith garcia",
    "03/04/1970", "3/4/70", "1970-03-04", "03-04-1970", "garcia 03/04/1970",
    "(512) 555-0147", "512-555-0147", "5125550147", "555-0147", "+1 512 555 0147", "512",
    "6789", "123-45-6789", "123456789", "zzzz", "",
]


@pytest.fixture
def clinic(store: Store) -> tuple[Actor, dict[str, PatientRecord]]:
    return register_tricky(store)


def search(store: Store, actor: Actor, query: str) -> list[PatientMatch]:
    with store.session() as session:
        return search_patients(session, actor, query=query, today=TODAY)


def first(store: Store, actor: Actor, query: str) -> PatientMatch:
    found = search(store, actor, query)
    assert found, f"{query!r} found nobody"
    return found[0]


@pytest.mark.parametrize("query", ["obrien", "o'brien", "O\u2019Brien", "O'B",
                                   "siobhan obrien", "obrien siobhan", "OBRIEN"])
def test_apostrophes_are_ignored_and_the_name_starting_with_it_ranks_first(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]], query: str
) -> None:
    actor, records = clinic
    assert first(store, actor, query).id == records["obrien"].id


def test_the_part_after_an_apostrophe_finds_it_too(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    assert {match.id for match in search(store, actor, "brien")} == {
        records["obrien"].id, records["hernandez_obrien"].id}


def test_a_hyphenated_name_is_found_by_either_part_joined_or_in_any_order(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    wanted = records["garcia_marquez"].id
    for query in ("garcia marquez", "marquez", "garciamarquez", "Márquez García",
                  "GARCIA-MARQUEZ maria jose", "maria"):
        assert first(store, actor, query).id == wanted, query
    both = {match.id for match in search(store, actor, "garcia mar")}
    assert both == {wanted, records["garcia"].id}, "Mario Garcia matches too"
    # the middle name "Garcia" matches, but the last names rank first
    ranked = [match.id for match in search(store, actor, "garcia")]
    assert ranked[-1] == records["smith"].id


def test_accents_and_case_are_ignored_both_ways(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    for query in ("nguyen", "Nguyễn", "NGUYEN van", "van an nguyen"):
        assert first(store, actor, query).id == records["nguyen"].id, query
    assert first(store, actor, "García").id in {records["garcia"].id,
                                                 records["garcia_marquez"].id}


def test_particles_preferred_and_single_names(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    for query in ("van der berg", "vanderberg", "berg pieter", "piet", "Berg"):
        assert first(store, actor, query).id == records["van_der_berg"].id, query
    cher = first(store, actor, "cher")
    assert cher.id == records["cher"].id
    assert cher.display_name == "Cher", "a single-name patient shows no dangling comma"


@pytest.mark.parametrize("query", ["03/04/1970", "3/4/70", "1970-03-04", "03-04-1970"])
def test_date_of_birth_in_the_usual_formats(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]], query: str
) -> None:
    actor, records = clinic
    found = search(store, actor, query)
    assert {match.id for match in found} == {records["garcia_marquez"].id, records["smith"].id}
    assert {match.matched_on for match in found} == {"dob"}


def test_a_name_and_a_date_narrow_each_other(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    found = search(store, actor, "garcia 03/04/1970")
    assert [match.id for match in found][:1] == [records["garcia_marquez"].id]
    assert records["garcia"].id not in {match.id for match in found}


@pytest.mark.parametrize("query", ["(512) 555-0147", "512-555-0147", "5125550147", "555-0147",
                                   "+1 512 555 0147", "512.555.0147"])
def test_phone_digits_whatever_the_punctuation(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]], query: str
) -> None:
    actor, records = clinic
    match = first(store, actor, query)
    assert (match.id, match.matched_on) == (records["garcia_marquez"].id, "phone")


def test_an_area_code_lists_everyone_with_a_phone_there(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    assert {match.id for match in search(store, actor, "512")} == {
        records["garcia_marquez"].id, records["garcia"].id}


def test_mrn_exact_and_ssn_whole_or_last_four(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, records = clinic
    mrn = records["nguyen"].mrn
    assert (first(store, actor, mrn).id, first(store, actor, mrn).matched_on) == (
        records["nguyen"].id, "mrn")
    for query in ("6789", "123-45-6789", "123456789"):
        match = first(store, actor, query)
        assert (match.id, match.matched_on) == (records["garcia_marquez"].id, "ssn"), query
    assert first(store, actor, "9999").id == records["nguyen"].id


def test_no_match_and_empty_query(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, _records = clinic
    assert search(store, actor, "zzzz") == []
    assert search(store, actor, "   ") == []


def test_each_search_is_audited_with_the_count_never_the_query(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]]
) -> None:
    actor, _records = clinic
    search(store, actor, "123-45-6789")
    with store.read_session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.search")
                                .order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.changes == {"results": 1}
    assert "6789" not in f"{entry.reason} {entry.changes}"


def test_searching_needs_patient_read(demo_store: Store) -> None:
    with demo_store.session() as session, pytest.raises(PermissionDenied):
        search_patients(session, sign_in(demo_store, "patient"), query="a", today=TODAY)
    with demo_store.session() as session, pytest.raises(PermissionDenied):
        search_patients(session, sign_in(demo_store, "admin"), query="a", today=TODAY)


def test_two_digit_years_are_the_latest_past_year() -> None:
    assert parse_birth_date("3/4/70", today=TODAY).year == 1970
    assert parse_birth_date("1/2/19", today=TODAY).year == 2019
    assert parse_birth_date("12/31/26", today=TODAY).year == 1926, "31 Dec 2026 is ahead"
    assert parse_birth_date("02/30/1970", today=TODAY) is None
    assert parse_birth_date("1/1/1800", today=TODAY) is None
    assert parse_birth_date("garcia", today=TODAY) is None


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=300))
def test_any_typed_text_gives_a_list_never_an_error(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]], query: str
) -> None:
    actor, _records = clinic
    found = search(store, actor, query)
    assert isinstance(found, list) and len(found) <= 25


@pytest.mark.postgres
def test_postgresql_gives_the_same_answers_in_the_same_order(
    store: Store, pg_store: Store
) -> None:
    local_actor, _ = register_tricky(store)
    server_actor, _ = register_tricky(pg_store)
    for query in QUERIES:
        local = [(m.mrn, m.matched_on) for m in search(store, local_actor, query)]
        server = [(m.mrn, m.matched_on) for m in search(pg_store, server_actor, query)]
        assert local == server, query


def test_the_joined_plan_for_broad_words_finds_the_same_patients(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Large clinics walk the narrowest word and look the others up; tiny ones group. Forcing
    the walk here must not change any answer."""
    actor, _records = clinic
    grouped = {query: [m.id for m in search(store, actor, query)] for query in QUERIES}
    monkeypatch.setattr(search_module, "_GROUPED_UP_TO", 0)
    monkeypatch.setattr(search_module, "_FILLED_UP_TO", 0)
    for query, expected in grouped.items():
        assert [m.id for m in search(store, actor, query)] == expected, query


NAME_QUERIES = [q for q in QUERIES if len(q.split()) > 1 and not any(c.isdigit() for c in q)]


def test_a_full_name_found_through_the_full_terms_ranks_as_the_general_search_ranks_it(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]],
) -> None:
    """Asked for one line, enough is one: the ``full`` terms alone decide the candidates
    whenever they find somebody, and that somebody must be the general search's first."""
    actor, _records = clinic
    for query in [*NAME_QUERIES, "john smith", "smith jo", "jo smith", "piet van", "mario gar"]:
        everyone = search(store, actor, query)
        with store.session() as session:
            one = search_patients(session, actor, query=query, today=TODAY, limit=1)
        assert [m.id for m in one] == [m.id for m in everyone[:1]], query


def test_common_last_and_first_names_meet_in_the_full_terms(
    store: Store, clinic: tuple[Actor, dict[str, PatientRecord]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """"john smith" must not need the general plan: with it made to fail, the names typed in
    either order, the given name cut short, are still found."""
    actor, records = clinic

    def general_plan(*_args: object) -> int:
        raise AssertionError("the general plan was used")

    monkeypatch.setattr(search_module, "_range_size", general_plan)
    for query in ("john smith", "smith john", "smith jo", "jo smith"):
        with store.session() as session:
            found = search_patients(session, actor, query=query, today=TODAY, limit=1)
        assert [m.id for m in found] == [records["smith"].id], query


def test_one_letter_lists_last_names_before_more_numerous_first_names(store: Store) -> None:
    """More Gabrielas than a search reads must not push the Gómezes off the list for "g"."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="G Clinic", workstation_name="F1")
    actor = Actor.system(seat, name="test")
    people = [Demographics(last_name="Young", first_name="Gabriela", sex="female",
                           date_of_birth=date(1990, 1, 1 + n % 28))
              for n in range(search_module._CANDIDATES + 5)]
    people += [Demographics(last_name="Gómez", first_name=name, sex="male",
                            date_of_birth=date(1980, 2, 2)) for name in ("Ana", "Luis")]
    with store.session() as session:
        for demographics in people:
            register_patient(session, actor, demographics=demographics, today=TODAY)
    found = search(store, actor, "g")
    assert [m.display_name for m in found[:2]] == ["Gómez, Ana", "Gómez, Luis"]
    assert all(m.first_name == "Gabriela" for m in found[2:]) and len(found) == 25


def test_whole_name_matches_are_filled_up_only_while_the_words_are_narrow(
    store: Store, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """"maria garcia" finds Maria García through the ``full`` terms; Ana María García (María
    her middle name) only through the general plan, which fills the list below her while each
    word covers at most ``_FILLED_UP_TO`` index rows, and is not run past that."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="M Clinic", workstation_name="F1")
    actor = Actor.system(seat, name="test")
    people = [("García", "María", ""), ("García", "Ana", "María"), ("García", "Luis", ""),
              ("Pérez", "María", ""), ("Soto", "Mariana", "")]
    with store.session() as session:
        for last, first, middle in people:
            register_patient(session, actor, today=TODAY, demographics=Demographics(
                last_name=last, first_name=first, middle_name=middle, sex="female",
                date_of_birth=date(1980, 5, 6)))
    names = ["García, María", "García, Ana"]
    assert [m.display_name for m in search(store, actor, "maria garcia")] == names
    monkeypatch.setattr(search_module, "_FILLED_UP_TO", 3)  # "maria": 4 rows (Mariana too)
    assert [m.display_name for m in search(store, actor, "maria garcia")] == names[:1]
    monkeypatch.setattr(search_module, "_GROUPED_UP_TO", 3)  # found none: the walk fills in
    assert [m.display_name for m in search(store, actor, "ana maria garcia")] == names[1:]


def test_showing_the_recently_opened_patients_is_audited(demo_store: Store) -> None:
    frontdesk = sign_in(demo_store, "frontdesk")
    with demo_store.read_session() as session:
        patient = session.scalars(select(Patient.id).order_by(Patient.mrn)).first()
    assert patient is not None
    perform(demo_store, frontdesk, open_patient, patient_id=patient)
    with demo_store.session() as session:
        assert [m.id for m in recent_patients(session, frontdesk)] == [patient]
    with demo_store.read_session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.search")
                                .order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and (entry.reason, entry.changes) == ("recent", {"results": 1})


def test_a_page_of_ssn_matches_is_not_diluted_by_phone_or_mrn_prefixes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four digits that end a page's worth of SSNs list those patients and do not look for
    phones or MRNs starting with them (they would rank below every SSN match anyway)."""
    with store.session() as session:
        seat = initialize_workstation(session, clinic_name="SSN Clinic", workstation_name="F1")
    actor = Actor.system(seat, name="test")
    with store.session() as session:
        for n in range(26):
            register_patient(session, actor, today=TODAY, demographics=Demographics(
                last_name=f"Holder{chr(97 + n)}", first_name="Sam", sex="female",
                date_of_birth=date(1980, 1, 1), ssn=f"{100 + n:03d}-45-6789"))

    def no_term_search(*_args: object) -> list[object]:
        raise AssertionError("looked for phones and MRNs too")

    monkeypatch.setattr(search_module, "_term_candidates", no_term_search)
    found = search(store, actor, "6789")
    assert len(found) == 25 and {m.matched_on for m in found} == {"ssn"}
    assert found[0].last_name == "Holdera"
