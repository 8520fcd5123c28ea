"""``sync-bootstrap``: a new workstation joins a clinic of N patients (``join_clinic``)
(target: < 60 s at 100,000 patients).

The run's own PostgreSQL (pgserver) is set up as ``server init`` does. The clinic is made on a
first workstation — N patients from ``benchmarks.patient_generator`` (captured by the triggers
like any write), 12 insurance companies and a primary policy for three patients in four
(SQLAlchemy Core, member ids sealed). Its set-up rows (clinic, roles, users, seat) reach the
server by the engine's own ``sync_round``; the patients, payers and policies are copied to the
server as a push leaves them (each row in its table and in the change log with its
``server_seq``, ``sync_world.fill_server``: ``sync-push`` measures the real push; a fill
straight into the server keeps this run about the join; ``fill_s``). Then a new
workstation database, migrated and empty, with a login of its own, runs ``join_clinic``:
handshake, the server's change log pulled in pages (each page applied with the cursor, the
patients' search index made as they arrive), its seat and the first round. Timed from the call
to its return (``seconds``, ``rows_per_s`` over the changes pulled); the workstation's row counts
are checked against the first's. No appointments or encounters: their generators need
providers, schedules and the double-booking constraint, and cost more than this run's budget.
With ``MEDTRACK_BENCH_PROFILE=DIR`` the join runs under pyinstrument (see README).
"""

from __future__ import annotations

import random
import time

from sqlalchemy import text

from benchmarks.common import Result, Scenario, note, rate
from benchmarks.sync_world import (
    SEED,
    Phases,
    add_payers,
    add_policies,
    clinic_of,
    clinic_server,
    counting,
    field_key_of,
    fill_server,
    first_workstation,
    generate,
    load_average,
    new_workstation,
    outbox_by_kind,
    patient_ids,
    profiled,
    table_counts,
    work_dir,
)

TARGET_S = 60  # for 100,000 patients
POLICY_SHARE = 0.75
FILLED = ("insurance_companies", "patients", "patient_insurance")  # parents first


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from medtrack_desktop.sync.join import join_clinic
    from medtrack_desktop.sync.round import sync_round

    patients = scale or 100_000
    if repeat != 1:
        note("sync-bootstrap runs once per process (--repeat ignored)")
    with work_dir("sync-bootstrap-", workdir) as root, clinic_server(root) as server:
        desk = first_workstation(root, server, "desk")
        joiner = None
        try:
            sync_round(desk.store.engine, desk.server)  # the clinic's set-up rows
            start = time.perf_counter()
            generate(desk.store, patients)
            payers = add_payers(desk.store)
            ids = patient_ids(desk.store)
            add_policies(desk.store, random.Random(SEED).sample(
                ids, round(patients * POLICY_SHARE)), payers)
            make_s = time.perf_counter() - start
            pending = outbox_by_kind(desk.store)
            note(f"clinic made in {make_s:.1f} s: {pending}")
            start = time.perf_counter()
            filled = fill_server(desk.store, server, FILLED)
            fill_s = time.perf_counter() - start
            note(f"server filled: {filled:,} rows in {fill_s:.1f} s")
            clinic_id = clinic_of(desk.store)
            with server.admin.connect() as connection:
                logged = int(connection.execute(text(
                    "SELECT count(*) FROM medtrack_server.changes WHERE clinic_id = :c"),
                    {"c": clinic_id}).scalar_one())

            joiner = new_workstation(root, server, clinic_id, "newdesk")
            field_key = field_key_of(desk.store, clinic_id)
            load_before = load_average()
            phases = Phases()
            with counting(joiner.server) as server_calls, \
                    counting(joiner.store.engine) as local_calls, profiled("sync-bootstrap"):
                join_clinic(joiner.store.engine, joiner.server, workstation_name="newdesk",
                            field_key=field_key, progress=phases)
            join_s = time.perf_counter() - phases.start
            pull_s = (phases.pull_end or phases.start) - phases.start
            load_after = load_average()
            note(f"joined in {join_s:.1f} s ({logged:,} changes in the server's log)")

            tables = ("patients", "patient_insurance", "insurance_companies", "users")
            mine, theirs = table_counts(desk.store, tables), table_counts(joiner.store, tables)
            if mine != theirs:
                raise RuntimeError(f"the new workstation differs: {mine} != {theirs}")
            with joiner.store.engine.connect() as connection:
                terms = int(connection.execute(text(
                    "SELECT count(*) FROM patient_search_terms")).scalar_one())
        finally:
            desk.close()
            if joiner is not None:
                joiner.close()

    allowed_s = TARGET_S * patients / 100_000
    return Result(
        scenario="sync-bootstrap", scale=patients,
        metrics={
            "seconds": round(join_s, 2), "rows": logged, "rows_per_s": rate(logged, join_s * 1000),
            "patients_per_s": rate(patients, join_s * 1000),
            "pull_s": round(pull_s, 2),
            **server_calls.report(logged, "server_"),
            **local_calls.report(logged, "local_"),
            "workstation_rows": theirs, "search_terms": terms,
            "clinic": pending, "make_clinic_s": round(make_s, 1),
            "fill_s": round(fill_s, 1), "filled_rows": filled,
            "load_before": load_before, "load_after": load_after,
        },
        target=f"seconds < {TARGET_S} at 100,000 patients (read as a rate: "
               f"< {allowed_s:.1f} s at {patients:,})",
        meets_target=join_s < allowed_s,
    )


SCENARIO = Scenario(
    name="sync-bootstrap",
    summary="a new workstation joins (join_clinic) a clinic of N patients with policies",
    default_scale=100_000,
    default_repeat=1,
    run=run,
)
