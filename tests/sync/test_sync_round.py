"""Sync rounds between real workstations (SQLCipher files) and the suite's real PostgreSQL,
each workstation on its own login."""

from __future__ import annotations

import gc
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from demo_users import sign_in
from server_data import ZONE, fill_clinic
from sync_world import (
    Workstation,
    book_the_same_slot,
    converged,
    differences,
    edit,
    field_key_of,
    first_patient,
    first_workstation,
    login_engine,
    new_store,
    outbox_size,
    row_of,
    snapshot,
)

from medtrack_desktop.demo import DEMO_PASSWORD
from medtrack_desktop.domain.calls import perform
from medtrack_desktop.domain.chart.documents import attach_document
from medtrack_desktop.domain.chart.encounters import (
    EncounterInput,
    NoteDraft,
    save_note,
    start_encounter,
)
from medtrack_desktop.domain.chart.signing import sign_encounter
from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.store.base import utcnow
from medtrack_desktop.store.engine import Store
from medtrack_desktop.store.migrate import head_revision
from medtrack_desktop.sync.join import join_clinic
from medtrack_desktop.sync.outbox import pending
from medtrack_desktop.sync.pull import cursor
from medtrack_desktop.sync.round import (
    Identity,
    SyncRefused,
    local_identity,
    pull_to_head,
    sync_round,
)
from medtrack_desktop.sync.server_apply import apply_push
from medtrack_desktop.sync.server_setup import add_workstation, adopt_clinic
from medtrack_desktop.sync.tables import synced

#: A one-pixel PNG: a document's bytes, NULs and high bytes included, must travel intact.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00"
       b"\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00"
       b"IEND\xaeB`\x82")




def test_a_clinic_made_offline_reaches_the_server_and_a_new_workstation(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    a.sync()
    clinic_id = _identity(a).clinic_id
    server = snapshot(admin, clinic_id)
    assert len(server["patients"]) == 2
    assert differences(snapshot(a.store.engine, clinic_id), server) == []
    assert differences(snapshot(b.store.engine, clinic_id), server) == []


def _seqs(admin: sa.Engine) -> list[int]:
    with admin.connect() as connection:
        return list(connection.execute(sa.text(
            "SELECT server_seq FROM medtrack_server.changes ORDER BY server_seq")).scalars())


def test_edits_of_different_fields_offline_are_merged(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient = first_patient(a)
    edit(a, "patients", patient, phone_mobile="(555) 010-1111")
    edit(b, "patients", patient, email="ada@example.org")
    assert a.sync().applied == 1
    merged = b.sync()
    assert (merged.merged, merged.conflicts) == (1, 0)
    a.sync()
    on_server = row_of(admin, "patients", patient)
    assert on_server is not None
    assert (on_server["phone_mobile"], on_server["email"]) == ("(555) 010-1111",
                                                              "ada@example.org")
    assert outbox_size(a) == outbox_size(b) == 0
    converged(admin, a, b)
    seqs = _seqs(admin)
    assert seqs == list(range(1, len(seqs) + 1))  # no gap


def test_the_same_field_changed_on_two_workstations_is_kept_as_a_conflict(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient = first_patient(a)
    before = row_of(a.store.engine, "patients", patient)
    assert before is not None
    edit(a, "patients", patient, email="first@example.org")
    edit(b, "patients", patient, email="second@example.org", notes="walks with a cane")
    a.sync()
    round_b = b.sync()
    assert round_b.conflicts == 1
    a.sync()
    # nothing overwritten: the server keeps A's value, and B is brought back to it
    for engine in (admin, a.store.engine, b.store.engine):
        row = row_of(engine, "patients", patient)
        assert row is not None
        assert (row["email"], row["notes"]) == ("first@example.org", before["notes"])
    with admin.connect() as connection:
        conflict = connection.execute(sa.text(
            "SELECT reason, base_values, local_values, server_values, resolved_at "
            "FROM sync_conflicts")).mappings().one()
    assert conflict["reason"] == "changed"
    assert conflict["base_values"] == {"email": before["email"], "notes": before["notes"]}
    assert conflict["local_values"] == {"email": "second@example.org",
                                        "notes": "walks with a cane"}
    assert conflict["server_values"] == {"email": "first@example.org",
                                         "notes": before["notes"]}
    assert conflict["resolved_at"] is None
    converged(admin, a, b)  # the conflict itself reached both workstations


def test_a_push_answered_again_from_the_ledger_applies_nothing_twice(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, _b = pair
    patient = first_patient(a)
    edit(a, "patients", patient, phone_home="(555) 010-2222")
    identity = _identity(a)
    with a.store.engine.connect() as connection:
        entries = pending(connection, 100)
    mutations = [entry.mutation for entry in entries]
    with a.server.begin() as connection:
        first = apply_push(connection, clinic_id=identity.clinic_id,
                           workstation_id=identity.workstation_id, mutations=mutations)
    # the acknowledgement is lost: the workstation pushes the same batch again, then once more
    # with the entries reordered
    with a.server.begin() as connection:
        again = apply_push(connection, clinic_id=identity.clinic_id,
                           workstation_id=identity.workstation_id, mutations=mutations)
    with a.server.begin() as connection:
        reordered = apply_push(connection, clinic_id=identity.clinic_id,
                               workstation_id=identity.workstation_id,
                               mutations=mutations[::-1])
    assert again == first
    assert sorted(reordered, key=lambda result: str(result.mutation_id)) == sorted(
        first, key=lambda result: str(result.mutation_id))
    assert outbox_size(a) == len(entries)  # still there until acknowledged
    version_after_one = row_of(admin, "patients", patient)["version"]  # type: ignore[index]
    a.sync()
    assert row_of(admin, "patients", patient)["version"] == version_after_one  # type: ignore[index]
    assert outbox_size(a) == 0
    seqs = _seqs(admin)
    assert seqs == list(range(1, len(seqs) + 1))
    converged(admin, a)


def test_a_schema_or_release_mismatch_refuses_to_sync_and_writes_nothing(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, _b = pair
    edit(a, "patients", first_patient(a), email="waiting@example.org")
    with admin.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    seqs = _seqs(admin)
    with pytest.raises(SyncRefused, match=r"schema 9999.*update this workstation"):
        a.sync()
    assert _seqs(admin) == seqs
    assert outbox_size(a) == 1
    with admin.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :head"),
                           {"head": head_revision()})
        connection.execute(sa.text(
            "UPDATE medtrack_server.server_info SET value = '9.9.0' WHERE key = 'app_version'"))
    with pytest.raises(SyncRefused, match=r"runs MedTrack 9\.9\.0"):
        a.sync()
    assert _seqs(admin) == seqs
    assert outbox_size(a) == 1


def test_a_slot_booked_on_two_workstations_offline_becomes_a_double_booking_conflict(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    booked = {ws.name: book_the_same_slot(ws) for ws in (a, b)}
    a.sync()
    round_b = b.sync()
    assert round_b.conflicts >= 1
    with admin.connect() as connection:
        reasons = connection.execute(sa.text(
            "SELECT reason, table_name FROM sync_conflicts")).all()
    assert ("double_booking", "appointments") in reasons
    assert row_of(admin, "appointments", booked["a"]) is not None
    assert row_of(admin, "appointments", booked["b"]) is None
    a.sync()
    b.sync()
    assert row_of(b.store.engine, "appointments", booked["b"]) is None  # kept in the conflict
    converged(admin, a, b)


def _identity(workstation: Workstation) -> Identity:
    with workstation.store.engine.connect() as connection:
        return local_identity(connection)


def test_staff_sign_in_offline_tombstones_travel_and_the_audit_chain_is_anchored(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient = first_patient(a)
    edit(a, "patients", patient, deleted_at=utcnow())
    a.sync()
    b.sync()
    assert row_of(b.store.engine, "patients", patient)["deleted_at"] is not None  # type: ignore[index]
    b.server.dispose()
    # offline: a user made on A signs in on B (users, roles, clinic settings came down)
    desk = sign_in(b.store, "desk")
    assert desk.username == "desk"
    identity = _identity(a)
    with a.store.engine.connect() as connection:
        head = connection.execute(sa.text(
            "SELECT seq, entry_hash FROM audit_log WHERE workstation_id = :ws "
            "ORDER BY seq DESC LIMIT 1"), {"ws": identity.workstation_id.hex}).one()
    with admin.connect() as connection:
        anchored = connection.execute(sa.text(
            "SELECT seq, entry_hash FROM medtrack_server.audit_anchors "
            "WHERE workstation_id = :ws ORDER BY seq DESC LIMIT 1"),
            {"ws": identity.workstation_id}).one()
        copied = connection.execute(sa.text(
            "SELECT count(*) FROM audit_log WHERE workstation_id = :ws"),
            {"ws": identity.workstation_id}).scalar_one()
    assert tuple(anchored) == tuple(head)
    assert copied == head[0]  # the whole chain, 1..head


def test_an_edit_of_a_note_signed_meanwhile_is_refused_and_kept(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient = first_patient(a)
    doctor = sign_in(a.store, "drlee")
    when = datetime(2026, 11, 20, 15, 0, tzinfo=ZONE)
    visit = perform(a.store, doctor, start_encounter, patient_id=patient, entered=EncounterInput(
        encounter_type="office", starts_at=when, reason="Cough"), now=when)
    version = perform(a.store, doctor, save_note, encounter_id=visit.id, version=visit.version,
                      draft=NoteDraft(subjective="Dry cough for a week.", plan="Fluids."))
    perform(a.store, doctor, attach_document, patient_id=patient, title="Referral letter",
            category="referral", file_name="referral.png", data=PNG,
            encounter_id=visit.id)
    a.sync()
    b.sync()  # B has the draft note and its document (bytes and all)
    perform(a.store, doctor, sign_encounter, encounter_id=visit.id, version=version,
            password=DEMO_PASSWORD)
    a.sync()
    edit(b, "encounters", visit.id, plan="Fluids and rest.")  # B has not heard of the signature
    assert b.sync().conflicts == 1
    with admin.connect() as connection:
        conflict = connection.execute(sa.text(
            "SELECT reason, local_values FROM sync_conflicts")).one()
    assert conflict.reason == "signed"
    assert conflict.local_values["plan"] == "Fluids and rest."
    for engine in (admin, b.store.engine):
        row = row_of(engine, "encounters", visit.id)
        assert row is not None
        assert (row["status"], row["plan"]) == ("signed", "Fluids.")
    a.sync()
    converged(admin, a, b)
    with b.store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT data FROM document_contents")).scalar_one() \
            == PNG


class _Unplugged(RuntimeError):
    pass


def _indexes(store: Store) -> set[tuple[str, str]]:
    with store.engine.connect() as connection:
        return {(name, sql) for name, sql in connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def test_a_bootstrap_cut_short_goes_on_from_the_last_page_applied(
        tmp_path: Path, admin: sa.Engine, server_url: str) -> None:
    a, clinic_id = first_workstation(tmp_path, admin, server_url, "a")
    a.sync()
    store = new_store(tmp_path / "late.db")
    login = add_workstation(admin, clinic_id=clinic_id, name="late")
    server = login_engine(server_url, login.role, login.password)
    seen: list[int] = []

    def unplug_after_two_pages(step: str, done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == 2:
            raise _Unplugged

    try:
        with pytest.raises(_Unplugged):
            join_clinic(store.engine, server, workstation_name="late",
                        field_key=field_key_of(a.store, clinic_id),
                        progress=unplug_after_two_pages, page_size=20)
        with store.engine.connect() as connection:
            assert cursor(connection) == seen[1]  # two pages kept
        join_clinic(store.engine, server, workstation_name="late",
                    field_key=field_key_of(a.store, clinic_id), page_size=20)
        late = Workstation("late", store, server)
        a.sync()
        converged(admin, a, late)
        fresh = new_store(tmp_path / "fresh.db")
        try:  # the indexes a join builds at the end are all there, as the migrations made them
            assert _indexes(store) == _indexes(fresh)
        finally:
            fresh.close()
    finally:
        a.close()
        store.close()
        server.dispose()


def test_a_clinic_changed_before_the_server_adopted_it_pushes_without_conflicts(
        tmp_path: Path, admin: sa.Engine, server_url: str) -> None:
    store = new_store(tmp_path / "first.db")
    clinic_id = fill_clinic(store, "Clinic A", keep_seat=True)
    workstation = Workstation("first", store, admin)
    edit(workstation, "clinics", clinic_id, phone="(555) 010-3333")
    with store.engine.connect() as connection:
        adopt_clinic(admin, dict(connection.execute(
            sa.select(Clinic.__table__)).mappings().one()))
    edit(workstation, "clinics", clinic_id, idle_lock_minutes=7)
    login = add_workstation(admin, clinic_id=clinic_id, name="first")
    workstation.server = login_engine(server_url, login.role, login.password)
    try:
        summary = workstation.sync()
        assert summary.conflicts == 0
        clinic = row_of(admin, "clinics", clinic_id)
        assert clinic is not None
        assert (clinic["phone"], clinic["idle_lock_minutes"]) == ("(555) 010-3333", 7)
        converged(admin, workstation)
    finally:
        workstation.close()


def test_answers_are_recorded_in_order_and_a_recording_that_fails_loses_nothing(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    # An answer is recorded while the server applies the next batch: the push must still
    # count only what it recorded, stop at a recording that failed, and lose nothing.
    a, b = pair
    a.sync()
    patient = first_patient(a)
    for number in range(9):
        edit(a, "patients", patient, phone_home=f"(555) 010-00{number:02d}")
    with a.store.engine.begin() as connection:  # the third answer fails to be written
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse_third_answer BEFORE INSERT ON sync_own_changes "
            "WHEN (SELECT count(*) FROM sync_own_changes) >= 4 "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    reported: list[tuple[str, int]] = []
    with pytest.raises(sa.exc.IntegrityError, match="disk I/O error"):
        sync_round(a.store.engine, a.server, push_batch=2,
                   progress=lambda phase, done, _of: reported.append((phase, done)))
    assert reported == [("push", 2), ("push", 4)]
    assert outbox_size(a) == 5  # the first two batches' entries left, in their order
    with a.store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER refuse_third_answer")
    summary = a.sync()  # the batches applied but not recorded are answered from the ledger
    assert (summary.pushed, outbox_size(a)) == (5, 0)
    local, on_server = row_of(a.store.engine, "patients", patient), row_of(
        admin, "patients", patient)
    assert local is not None and on_server is not None
    assert on_server["version"] == local["version"]  # each edit applied once
    assert on_server["phone_home"] == "(555) 010-0008"
    seqs = _seqs(admin)
    assert seqs == list(range(1, len(seqs) + 1))
    b.sync()
    converged(admin, a, b)


def test_the_garbage_collector_rests_during_a_push_and_a_pull_and_is_restored(
        pair: tuple[Workstation, Workstation]) -> None:
    # Its passes over the whole heap freed nothing of a push's batches or a pull's pages and
    # cost a fifth of a large push's CPU time.
    a, b = pair
    for number in range(3):
        edit(a, "patients", first_patient(a), phone_home=f"(555) 010-100{number}")
    seen: list[tuple[str, bool]] = []

    def progress(phase: str, _done: int, _of: int) -> None:
        seen.append((phase, gc.isenabled()))

    assert gc.isenabled()
    sync_round(a.store.engine, a.server, push_batch=1, progress=progress)
    sync_round(b.store.engine, b.server, pull_page=1, progress=progress)
    assert {phase for phase, _ in seen} == {"push", "pull"}
    assert not any(enabled for _, enabled in seen)
    assert gc.isenabled()


def test_a_workstation_does_not_pull_its_own_changes_back(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    a.sync()
    for number in range(3):
        edit(a, "patients", first_patient(a), phone_home=f"(555) 010-000{number}")
    summary = sync_round(a.store.engine, a.server, push_batch=2)
    assert (summary.applied, summary.pulled) == (3, 0)  # numbered right after its cursor
    edit(b, "patients", first_patient(b), email="b@example.org")
    b.sync()
    edit(a, "patients", first_patient(a), notes="seen")
    merged = a.sync()
    assert merged.merged == 1 and merged.pulled > 0  # B's change in between: pulled as usual
    b.sync()
    converged(admin, a, b)


def test_a_pull_fetches_the_changes_of_others_but_not_its_own_among_them(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    b.sync()
    edit(b, "patients", first_patient(b), email="b@example.org")
    b.sync()  # B's change now sits between A's cursor and A's push
    with a.store.engine.connect() as connection:
        since = cursor(connection)
    others = sum(seq > since for seq in _seqs(admin))
    assert others > 0
    with a.store.engine.connect() as connection:
        patients = list(connection.execute(sa.select(synced("patients").table.c.id)
                                           .order_by(sa.text("mrn")).offset(1)).scalars())
    for number, patient in enumerate(patients):
        edit(a, "patients", patient, phone_home=f"(555) 010-100{number}")
        edit(a, "patients", patient, notes=f"seen {number}")  # two own changes of one row
    summary = sync_round(a.store.engine, a.server, push_batch=3)
    assert patients and (summary.applied, summary.pulled) == (2 * len(patients), others)
    assert row_of(a.store.engine, "patients", first_patient(a))["email"] == "b@example.org"  # type: ignore[index]
    with a.store.engine.connect() as connection:
        assert cursor(connection) == max(_seqs(admin))
        assert connection.execute(sa.text("SELECT count(*) FROM sync_own_changes")).scalar() == 0
    b.sync()
    converged(admin, a, b)


def test_a_pull_leaves_a_row_with_unpushed_changes_as_the_workstation_has_it(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient = first_patient(a)
    edit(a, "patients", patient, email="a@example.org")  # not pushed yet
    edit(b, "patients", patient, phone_mobile="(512) 555-0199")
    b.sync()
    with a.store.engine.connect() as connection:
        identity = local_identity(connection)

    pull_to_head(a.store.engine, a.server, identity)

    mine = row_of(a.store.engine, "patients", patient)
    assert mine is not None  # the server's row waits for the push: its merge comes down after
    assert (mine["email"], mine["phone_mobile"]) == ("a@example.org", None)
    merged = a.sync()
    assert merged.merged == 1
    b.sync()
    converged(admin, a, b)
    assert row_of(admin, "patients", patient)["phone_mobile"] == "(512) 555-0199"  # type: ignore[index]
