"""What a push writes on the server: every kind of value exactly as the workstation holds it,
and each row found by its key (a push never reads a whole table, however large the clinic)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sync_world import Workstation, converged, edit, first_patient, row_of

from medtrack_desktop.domain.patients.models import InsuranceCompany, PatientInsurance
from medtrack_desktop.store.base import new_id, utcnow
from medtrack_desktop.sync.round import local_identity, sync_round
from medtrack_desktop.sync.tables import synced, synced_tables
from medtrack_desktop.sync.wire import encode_row, from_stored, wire_from_stored

HOSTILE = ("O'Brien \"Bud\" \\ back\\slash'); DROP TABLE patients;-- ->> 'x' "
           "Nguyễn Thị 🩺 \t tab \n newline %s %(name)s ?")
PHOTO = bytes(range(256)) * 8  # NULs and every byte value


def _clinic_id(workstation: Workstation) -> uuid.UUID:
    with workstation.store.engine.connect() as connection:
        return local_identity(connection).clinic_id


def _companies(workstation: Workstation, count: int) -> list[uuid.UUID]:
    """``count`` insurance companies written through Core (captured like any write)."""
    clinic_id, now = _clinic_id(workstation), utcnow()
    rows = [{"id": new_id(), "clinic_id": clinic_id, "name": f"Payer {n}", "payer_id": f"P{n}",
             "created_at": now, "updated_at": now, "version": 1} for n in range(count)]
    with workstation.store.engine.begin() as connection:
        connection.execute(sa.insert(InsuranceCompany.__table__), rows)
    return [row["id"] for row in rows]


def test_every_kind_of_value_travels_exactly(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, b = pair
    patient = first_patient(a)
    edit(a, "patients", patient, photo=PHOTO, notes=HOSTILE * 200, preferred_name=HOSTILE[:100],
         deceased=True, deceased_on=date(2026, 2, 28), middle_name=None)
    [company] = _companies(a, 1)
    policy, clinic_id, now = new_id(), _clinic_id(a), utcnow()
    with a.store.engine.begin() as connection:
        connection.execute(sa.insert(PatientInsurance.__table__), [{
            "id": policy, "clinic_id": clinic_id, "patient_id": patient,
            "company_id": company, "rank": "tertiary", "member_id_cipher": b"\x00\xff" * 20,
            "member_id_digest": "d" * 64, "subscriber_relation": "self",
            "copay": Decimal("1234567890.05"), "effective_on": date(2024, 1, 1),
            "created_at": now, "updated_at": now, "version": 1}])
    # a number past 64 bits in a JSON column arrives exact (orjson would make it a float)
    edit(a, "clinics", clinic_id, specialties=["Family medicine", HOSTILE, {"x": [1, None]},
                                               2**70 + 1])
    newcomer = _copy_of_patient(a, patient, photo=PHOTO, notes=HOSTILE * 200, deceased=True,
                                deceased_on=date(2026, 2, 28), middle_name=None)
    _inserts_go_straight_to_the_wire(a)

    a.sync()
    b.sync()

    on_server = row_of(admin, "patients", patient)
    assert on_server is not None
    assert (on_server["photo"], on_server["notes"], on_server["preferred_name"]) == (
        PHOTO, HOSTILE * 200, HOSTILE[:100])
    assert (on_server["deceased"], on_server["deceased_on"], on_server["middle_name"]) == (
        True, date(2026, 2, 28), None)
    insured = row_of(admin, "patient_insurance", policy)
    assert insured is not None
    assert (insured["copay"], insured["member_id_cipher"]) == (
        Decimal("1234567890.05"), b"\x00\xff" * 20)
    clinic = row_of(admin, "clinics", clinic_id)
    assert clinic is not None and clinic["specialties"] == [
        "Family medicine", HOSTILE, {"x": [1, None]}, 2**70 + 1]
    for row_id in (patient, newcomer):
        assert row_of(b.store.engine, "patients", row_id) == row_of(a.store.engine, "patients",
                                                                    row_id)
    assert row_of(admin, "patients", newcomer)["photo"] == PHOTO  # type: ignore[index]
    converged(admin, a, b)


def _copy_of_patient(workstation: Workstation, patient: uuid.UUID, **values: Any) -> uuid.UUID:
    """A new patient like ``patient`` with these values, inserted through Core (captured)."""
    row = row_of(workstation.store.engine, "patients", patient)
    assert row is not None
    row.update(values, id=new_id(), mrn=f"{row['mrn']}-2", created_at=utcnow(),
               updated_at=utcnow(), version=1)
    with workstation.store.engine.begin() as connection:
        connection.execute(sa.insert(synced("patients").table), [row])
    return row["id"]


def _inserts_go_straight_to_the_wire(workstation: Workstation) -> None:
    """An insert's stored values reach the wire form in one step (``wire_from_stored``)
    exactly as through their Python values."""
    with workstation.store.engine.connect() as connection:
        entries = connection.execute(sa.text(
            "SELECT table_name, new_values FROM sync_outbox WHERE operation = 'insert'")).all()
    assert {"patients", "patient_insurance"} <= {table_name for table_name, _ in entries}
    for table_name, new_values in entries:
        table, stored = synced(table_name).table, json.loads(new_values)
        assert wire_from_stored(table, stored) == encode_row(table, from_stored(table, stored))


def _plans(engine: sa.Engine, sent: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The plan of each statement in ``sent`` (transactions marked by ``None``), explained as
    the login that sent it, in the same session state (``SET LOCAL`` replayed)."""
    plans = []
    with engine.connect() as connection:
        for statement, parameters in sent:
            if statement is None:
                connection.rollback()
            elif statement.startswith("SET "):
                connection.exec_driver_sql(statement, parameters)
            elif statement.startswith(("SELECT", "INSERT", "UPDATE")):
                plans.append(connection.exec_driver_sql(
                    f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar_one()[0]["Plan"])
    return plans


def _reads_of(plan: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(node type, table or index, index condition) of each read in ``plan``."""
    if plan["Node Type"] == "Seq Scan":
        yield "Seq Scan", plan["Relation Name"], ""
    elif "Index Name" in plan:
        yield plan["Node Type"], plan["Index Name"], plan.get("Index Cond", "")
    for child in plan.get("Plans", []):
        yield from _reads_of(child)


def _leading_columns(admin: sa.Engine) -> dict[str, tuple[str, str]]:
    """Each index of the shared tables: (its table, its first column)."""
    with admin.connect() as connection:
        return {index: (table, column) for index, table, column in connection.execute(sa.text(
            "SELECT ci.relname, ct.relname, a.attname FROM pg_index i "
            "JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_class ct ON ct.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "JOIN pg_namespace n ON n.oid = ct.relnamespace "
            "WHERE n.nspname IN ('public', 'medtrack_server')"))}


def test_every_statement_of_a_round_finds_its_rows_by_key(
        pair: tuple[Workstation, Workstation], admin: sa.Engine) -> None:
    a, _b = pair
    companies = _companies(a, 300)
    a.sync()
    for company in companies[:20]:
        edit(a, "insurance_companies", company, phone="(512) 555-0100")
    _companies(a, 20)
    sent: list[tuple[str | None, Any]] = []

    def began(connection: sa.Connection) -> None:
        sent.append((None, None))

    def executed(connection: sa.Connection, cursor: Any, statement: str, parameters: Any,
                 context: Any, executemany: bool) -> None:
        sent.append((statement, parameters))

    sa.event.listen(a.server, "begin", began)
    sa.event.listen(a.server, "before_cursor_execute", executed)
    try:
        summary = sync_round(a.store.engine, a.server)
    finally:
        sa.event.remove(a.server, "before_cursor_execute", executed)
        sa.event.remove(a.server, "begin", began)

    assert summary.applied == 40
    shared = {table.name for table in synced_tables()} | {"changes", "ledger"}
    indexes = _leading_columns(admin)
    reads = [read for plan in _plans(a.server, sent) for read in _reads_of(plan)
             if read[1] in shared or indexes.get(read[1], ("",))[0] in shared]
    assert {indexes[name][0] for _node, name, _cond in reads if name in indexes} >= {
        "ledger", "insurance_companies", "changes"}
    # no table read whole, no index walked end to end: each index read is bounded by a
    # condition on its first column
    assert [read for read in reads if read[0] == "Seq Scan" or not re.search(
        rf"\b{indexes[read[1]][1]}\b", read[2])] == []
