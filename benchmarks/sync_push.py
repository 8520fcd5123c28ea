"""``sync-push``: a workstation pushes N pending changes to the clinic server with the engine's
own ``sync_round``, and a second workstation pulls them (target: ≥ 5,000 rows/s at N=100,000).

The run's own PostgreSQL (pgserver) is set up as ``server init`` does; the first workstation
makes the clinic and pushes its set-up (untimed), a second one joins while the clinic is still
small. Then the first makes N changes, all captured by the SQLite triggers into the outbox as
the app's writes are:

- 70 % patient inserts: people from ``benchmarks.patient_generator``; it keeps the capture
  triggers silent for its load (since ee9787c), so its rows are then inserted again through
  SQLAlchemy Core, which fires them (``capture`` says which happened; the run checks the
  outbox holds one insert per patient);
- 12 insurance companies and 10 % primary policies, inserted through SQLAlchemy Core;
- the rest (~20 %) edits of existing patients through Core (mobile phone or address,
  ``version`` + 1), captured as updates with their base version and base values.

Timed: the first workstation's ``sync_round`` (``push_*``: handshake to the last batch's
answer recorded; ``push_cpu_s`` the benchmark process's CPU time in it, ``push_server_cpu_s``
the PostgreSQL processes'; ``round_*``: the whole round, which also pushes the audit chain
and would pull changes of others), then the second's ``sync_round`` (``pull_*``).
``server_*``/``local_*`` count the statements each side was sent (an ``executemany`` once).
With ``MEDTRACK_BENCH_PROFILE=DIR`` both rounds run under pyinstrument (see README).
"""

from __future__ import annotations

import random
import time

from benchmarks.common import Result, Scenario, note, rate
from benchmarks.sync_world import (
    PAYERS,
    SEED,
    Phases,
    add_payers,
    add_policies,
    capture_generated,
    clinic_of,
    clinic_server,
    counting,
    field_key_of,
    first_workstation,
    generate,
    load_average,
    new_workstation,
    outbox_by_kind,
    patient_ids,
    profiled,
    table_counts,
    update_patients,
    work_dir,
)

TARGET_ROWS_PER_S = 5_000
INSERT_SHARE, POLICY_SHARE = 0.7, 0.1


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from medtrack_desktop.sync.join import join_clinic
    from medtrack_desktop.sync.round import sync_round

    changes = scale or 100_000
    inserts = max(1, round(changes * INSERT_SHARE))
    policies = min(inserts, round(changes * POLICY_SHARE))
    updates = min(inserts, max(0, changes - inserts - policies - PAYERS))
    if repeat != 1:
        note("sync-push runs once per process (--repeat ignored)")
    with work_dir("sync-push-", workdir) as root, clinic_server(root) as server:
        desk = first_workstation(root, server, "desk")
        exam = None
        try:
            sync_round(desk.store.engine, desk.server)  # the clinic's set-up rows
            clinic_id = clinic_of(desk.store)
            exam = new_workstation(root, server, clinic_id, "exam")
            join_clinic(exam.store.engine, exam.server, workstation_name="exam",
                        field_key=field_key_of(desk.store, clinic_id))
            start = time.perf_counter()
            generate_s = generate(desk.store, inserts)
            captured = outbox_by_kind(desk.store).get("patients.insert", 0)
            if captured == inserts:
                capture = ("the generator's raw INSERTs fired the capture triggers; payers, "
                           "policies and edits through SQLAlchemy Core")
            elif captured == 0:
                capture_generated(desk.store)
                capture = ("the generator keeps capture silent, so its patients were inserted "
                           "again through SQLAlchemy Core (triggers fired); payers, policies "
                           "and edits through Core too")
            else:
                raise RuntimeError(f"{captured} of {inserts} generated patients captured")
            payers = add_payers(desk.store)
            ids = patient_ids(desk.store)
            rng = random.Random(SEED)
            add_policies(desk.store, rng.sample(ids, policies), payers)
            update_patients(desk.store, rng.sample(ids, updates))
            make_s = time.perf_counter() - start
            pending = outbox_by_kind(desk.store)
            if pending.get("patients.insert") != inserts:
                raise RuntimeError(f"the outbox holds {pending.get('patients.insert')} patient "
                                   f"inserts for {inserts} generated patients")
            total = sum(pending.values())
            note(f"{total:,} pending changes made in {make_s:.1f} s: {pending}")

            load_before = load_average()
            server_cpu_before = server.cpu_seconds()
            phases = Phases()
            snapshot: dict[str, int] = {}
            server_cpu: list[float] = []
            with counting(desk.server) as server_calls, \
                    counting(desk.store.engine) as local_calls, profiled("sync-push"):
                def progress(phase: str, done: int, of: int) -> None:
                    phases(phase, done, of)
                    if phase == "push" and done >= of:
                        snapshot.update(server=server_calls.calls, local=local_calls.calls)
                        server_cpu.append(server.cpu_seconds() - server_cpu_before)
                summary = sync_round(desk.store.engine, desk.server, progress=progress)
            round_s = time.perf_counter() - phases.start
            push_s = (phases.push_end or time.perf_counter()) - phases.start
            note(f"pushed {summary.pushed:,} in {push_s:.1f} s; round {round_s:.1f} s "
                 f"(pulled back {summary.pulled:,})")

            pull_phases = Phases()
            with counting(exam.server) as pull_server, \
                    counting(exam.store.engine) as pull_local, profiled("sync-push-pull"):
                pulled = sync_round(exam.store.engine, exam.server, progress=pull_phases)
            pull_s = time.perf_counter() - pull_phases.start
            load_after = load_average()
            note(f"second workstation pulled {pulled.pulled:,} in {pull_s:.1f} s")

            tables = ("patients", "patient_insurance", "insurance_companies")
            mine, theirs = table_counts(desk.store, tables), table_counts(exam.store, tables)
            if mine != theirs:
                raise RuntimeError(f"the workstations differ after the pull: {mine} != {theirs}")
        finally:
            desk.close()
            if exam is not None:
                exam.close()

    push_rate = rate(summary.pushed, push_s * 1000)
    server_push_calls = snapshot.get("server", server_calls.calls)
    return Result(
        scenario="sync-push", scale=changes,
        metrics={
            "pushed": summary.pushed, "push_s": round(push_s, 2),
            "push_rows_per_s": push_rate, "rows_per_s": push_rate,
            "push_cpu_s": round(phases.push_cpu or 0.0, 2),
            "push_server_cpu_s": round(server_cpu[0], 2) if server_cpu else None,
            "outcomes": summary.outcomes,
            "round_s": round(round_s, 2), "round_pulled_back": summary.pulled,
            "pulled": pulled.pulled, "pull_s": round(pull_s, 2),
            "pull_rows_per_s": rate(pulled.pulled, pull_s * 1000),
            "pending": pending, "make_changes_s": round(make_s, 1),
            "generate_s": round(generate_s, 1),
            "capture": capture,
            "server_push_statements": server_push_calls,
            "server_push_statements_per_row": round(server_push_calls / summary.pushed, 2),
            **server_calls.report(summary.pushed + summary.pulled, "server_round_"),
            **local_calls.report(summary.pushed + summary.pulled, "local_round_"),
            **pull_server.report(max(pulled.pulled, 1), "server_pull_"),
            **pull_local.report(max(pulled.pulled, 1), "local_pull_"),
            "workstation_rows": theirs,
            "load_before": load_before, "load_after": load_after,
        },
        target=f"push_rows_per_s >= {TARGET_ROWS_PER_S} (at 100,000 changes)",
        meets_target=push_rate >= TARGET_ROWS_PER_S,
    )


SCENARIO = Scenario(
    name="sync-push",
    summary="N captured changes pushed by sync_round, then pulled by a second workstation",
    default_scale=100_000,
    default_repeat=1,
    run=run,
)
