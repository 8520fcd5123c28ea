"""Audit trail costs (identity issue): write overhead per service call, ``audit verify`` over a
large chain, and a log-in including Argon2id.

- ``audit_write``: ``trail.record`` as a service call makes it: the first entry of a unit of work
  (which reads the chain head) and a second one (target p50 < 1 ms for the first).
- ``audit_verify``: builds --scale entries (default 1,000,000) on one workstation's chain, then
  times ``verify_database`` over them, as ``medtrack-admin audit verify`` runs it: the chain cut
  in stretches checked on every core (target < 10 s); ``one_process_ms`` is the same check in one
  process (``verify_trail``).
- ``login``: ``authenticate`` with the right password, per call (target p50 < 500 ms).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import Result, Scenario, latency, note, now_ms, rate

PASSWORD = "Bench!Passw0rd"


@contextmanager
def _clinic(workdir: str | None) -> Iterator[tuple[object, object, bytes]]:
    """A fresh encrypted workstation database with one clinic and one admin: (store, seat,
    key); the key lets a scenario open the file again from other processes."""
    from medtrack_desktop.domain.identity.accounts import add_user
    from medtrack_desktop.domain.identity.actor import Actor
    from medtrack_desktop.domain.identity.workstation import initialize_workstation
    from medtrack_desktop.store.engine import Store
    from medtrack_desktop.store.keys import generate_key
    from medtrack_desktop.store.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="medtrack-bench-audit-", dir=workdir) as tmp:
        key = generate_key()
        store = Store.open(Path(tmp) / "audit.db", key, create=True)
        upgrade(store.engine)
        with store.session() as session:
            seat = initialize_workstation(session, clinic_name="Bench", workstation_name="W")
            add_user(session, Actor.system(seat), username="admin", password=PASSWORD,
                     first_name="A", last_name="B", roles=("admin",))
        try:
            yield store, seat, key
        finally:
            store.close()


def run_write(scale: int | None, repeat: int, workdir: str | None) -> Result:
    """Each service call is one unit of work that writes its own change, then its audit entry,
    the first of which reads the chain head (later ones in the same unit do not). Timed:
    ``p50_ms`` & co., the first entry after the service's own write (the per-call overhead,
    the target), and ``next_*``, a second entry. The service's write (which begins the
    transaction and takes the write lock) and the commit (fsync) are not the audit's cost and
    are not timed."""
    import uuid

    from sqlalchemy import update

    from medtrack_desktop.domain.audit import trail
    from medtrack_desktop.domain.identity.actor import Actor
    from medtrack_desktop.domain.identity.models import Clinic

    calls = scale or 5000
    first: list[float] = []
    later: list[float] = []
    with _clinic(workdir) as (store, seat, _key):
        actor = Actor.system(seat)  # type: ignore[arg-type]
        for _ in range(repeat):
            for index in range(calls):
                with store.session() as session:  # type: ignore[attr-defined]
                    session.execute(update(Clinic).values(version=Clinic.version + 1))
                    for samples in (first, later):
                        start = now_ms()
                        trail.record(session, seat=seat, actor=actor,  # type: ignore[arg-type]
                                     action="patient.open", resource_type="patient",
                                     resource_id=str(index), patient_id=uuid.uuid4())
                        samples.append(now_ms() - start)
    metrics = latency(first)
    metrics.update({f"next_{key}": value for key, value in latency(later).items()})
    return Result("audit_write", calls, metrics, target="p50_ms < 1",
                  meets_target=metrics["p50_ms"] < 1)


def run_verify(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from medtrack_desktop.domain.audit import trail
    from medtrack_desktop.domain.audit.verify_all import verify_database
    from medtrack_desktop.domain.identity.actor import Actor

    entries = scale or 1_000_000
    batch = 20_000
    samples: list[float] = []
    with _clinic(workdir) as (store, seat, key):
        actor = Actor.system(seat)  # type: ignore[arg-type]
        start = now_ms()
        written = 2  # initialize_workstation and add_user wrote these
        while written < entries:
            size = min(batch, entries - written)
            with store.session() as session:  # type: ignore[attr-defined]
                trail.record_many(session, seat=seat, actor=actor, events=[  # type: ignore[arg-type]
                    {"action": "patient.read", "resource_type": "patient",
                     "resource_id": str(written + i)} for i in range(size)])
            written += size
            note(f"{written}/{entries} entries written")
        build_ms = now_ms() - start
        for _ in range(repeat):
            # What `medtrack-admin audit verify` runs: every core, each with its own connection.
            start = now_ms()
            checks = verify_database(store.path, key, actor)  # type: ignore[attr-defined]
            samples.append(now_ms() - start)
            if not all(check.intact for check in checks):
                raise RuntimeError("the benchmark chain does not verify")
        with store.read_session() as session:  # type: ignore[attr-defined]
            start = now_ms()
            single = trail.verify_trail(session, actor)  # type: ignore[arg-type]
            one_process_ms = now_ms() - start
        if not all(check.intact for check in single):
            raise RuntimeError("the benchmark chain does not verify")
    metrics = {**latency(samples), "entries_per_s": rate(entries, min(samples)),
               "one_process_ms": round(one_process_ms, 1), "build_s": round(build_ms / 1000, 1)}
    return Result("audit_verify", entries, metrics, target="p50_ms < 10000",
                  meets_target=metrics["p50_ms"] < 10_000)


def run_login(scale: int | None, repeat: int, workdir: str | None) -> Result:
    from medtrack_desktop.domain.identity.accounts import authenticate

    tries = scale or 20
    samples: list[float] = []
    with _clinic(workdir) as (store, seat, _key):
        for _ in range(tries * repeat):
            start = now_ms()
            with store.session() as session:  # type: ignore[attr-defined]
                outcome = authenticate(session, seat=seat, username="admin",  # type: ignore[arg-type]
                                       password=PASSWORD)
            samples.append(now_ms() - start)
            if not outcome.ok:
                raise RuntimeError("the benchmark log-in failed")
    metrics = latency(samples)
    return Result("login", tries, metrics, target="p50_ms < 500",
                  meets_target=metrics["p50_ms"] < 500)


WRITE = Scenario("audit_write", "trail.record per service call (target p50 < 1 ms)", 5000, 1,
                 run_write)
VERIFY = Scenario("audit_verify", "verify a chain of --scale entries (target < 10 s)",
                  1_000_000, 1, run_verify)
LOGIN = Scenario("login", "authenticate incl. Argon2id (target p50 < 500 ms)", 20, 1, run_login)
