"""``sync-latency``: how long an edit on one workstation takes to show on another when both run
background sync with the app's default settings (target: p95 < 3 s).

The run's own PostgreSQL (pgserver) is set up as ``server init`` does; workstation A makes the
clinic and pushes it, B joins. Each then runs a ``sync.background.SyncRunner`` with the default
``Timing`` (10 s timer, outbox watched every 0.5 s, LISTEN/NOTIFY), as the signed-in app does.
Then, --scale times (default 40), A changes its clinic's phone number (a Core UPDATE the capture
triggers record, as any write) and the clock runs until B's database holds the new value (B read
every 10 ms). Edits are spaced by a random 0.3 to 1.2 s (fixed seed) so they fall at every phase of
A's outbox watch and B's listener.

The path measured: A's outbox watch sees the entry (≤ 0.5 s) → A's round pushes it → the
server's NOTIFY wakes B's listener → B's round (after a 0.15 s pause that gathers a burst)
pulls it. ``rounds_*`` count the rounds each runner ran during the edits.
"""

from __future__ import annotations

import random
import time

from benchmarks.common import Result, Scenario, latency, note
from benchmarks.sync_world import (
    clinic_of,
    clinic_server,
    field_key_of,
    first_workstation,
    load_average,
    new_workstation,
    work_dir,
)

TARGET_P95_MS = 3000.0
SEED = 20261127
POLL_S = 0.01


def _wait_online(runners: list, timeout: float = 60.0) -> None:  # type: ignore[type-arg]
    start = time.monotonic()
    while not all(runner.status.state == "online" for runner in runners):
        if time.monotonic() - start > timeout:
            states = [runner.status.state for runner in runners]
            raise RuntimeError(f"the runners are not online ({states})")
        time.sleep(0.05)


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    import sqlalchemy as sa

    from medtrack_desktop.domain.identity.models import Clinic
    from medtrack_desktop.sync.background import SyncRunner, Timing
    from medtrack_desktop.sync.join import join_clinic
    from medtrack_desktop.sync.round import sync_round

    edits = (scale or 40) * repeat
    pace = random.Random(SEED)
    samples: list[float] = []
    timing = Timing()
    with work_dir("medtrack-bench-sync-latency-", workdir) as root, \
            clinic_server(root) as server:
        a = first_workstation(root, server, "a")
        sync_round(a.store.engine, a.server)
        clinic_id = clinic_of(a.store)
        b = new_workstation(root, server, clinic_id, "b")
        join_clinic(b.store.engine, b.server, workstation_name="b",
                    field_key=field_key_of(a.store, clinic_id))
        runners = [SyncRunner(ws.store.engine, lambda ws=ws: ws.server,
                              on_status=lambda _status: None, timing=timing) for ws in (a, b)]
        try:
            for runner in runners:
                runner.start()
            _wait_online(runners)
            time.sleep(2.0)  # both listeners up, their first rounds over
            rounds = [runner.rounds for runner in runners]
            load_before = load_average()
            clinics = Clinic.__table__
            for index in range(edits):
                phone = f"555-{index:04d}"
                time.sleep(pace.uniform(0.3, 1.2))
                start = time.perf_counter()
                with a.store.engine.begin() as connection:
                    connection.execute(sa.update(clinics).values(
                        phone=phone, version=clinics.c.version + 1))
                while True:
                    with b.store.engine.connect() as connection:
                        seen = connection.execute(sa.select(clinics.c.phone)).scalar_one()
                    if seen == phone:
                        break
                    if time.perf_counter() - start > 30:
                        raise RuntimeError(f"edit {index} not on B after 30 s")
                    time.sleep(POLL_S)
                samples.append((time.perf_counter() - start) * 1000.0)
                if (index + 1) % 10 == 0:
                    note(f"{index + 1}/{edits} edits, last {samples[-1]:.0f} ms")
            rounds = [runner.rounds - before for runner, before in zip(runners, rounds,
                                                                        strict=True)]
            load_after = load_average()
        finally:
            for runner in runners:
                runner.stop()
            a.close()
            b.close()
    metrics = latency(samples)
    return Result(
        scenario="sync-latency", scale=edits, metrics=metrics,
        target=f"p95_ms < {TARGET_P95_MS:.0f}",
        meets_target=metrics["p95_ms"] < TARGET_P95_MS,
        extra={"rounds_a": rounds[0], "rounds_b": rounds[1],
               "timing": {"interval_s": timing.interval, "outbox_poll_s": timing.outbox_poll,
                          "debounce_s": timing.debounce, "listen_poll_s": timing.listen_poll},
               "load_before": load_before, "load_after": load_after},
    )


SCENARIO = Scenario(
    name="sync-latency",
    summary="an edit on workstation A visible on B, both syncing in the background (p95 < 3 s)",
    default_scale=40,
    default_repeat=1,
    run=run,
)
