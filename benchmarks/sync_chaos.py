"""``sync-chaos``: the sync fault-injection state machine of ``tests/sync/chaos_machine.py`` run
long (issue 6, Benchmarks): three workstations editing offline while pushes and pulls are cut,
acknowledgements lost, processes killed before the outbox delete, batches duplicated and
replayed late and the server restarted; then healed, two quiet rounds, and the invariants
counted instead of asserted.

- ``--scale N``: steps per run (default 200); ``--repeat R``: random runs (default 2), each on a
  fresh copy of the clinic. Hypothesis first makes its simplest run (registrations only), which
  is counted too (``runs`` = R + 1); each random run enables a random subset of the rules (swarm
  testing), so a fault kind may be missing from one run: ``faults`` says which ran.
- The seed is random and printed (stderr and ``seed`` in the JSON); ``MEDTRACK_CHAOS_SEED=S``
  runs that seed again.
- ``lost``: edits neither on the server nor in ``sync_conflicts``; ``duplicated``: ledger or
  natural-key duplicates; ``unconverged``: workstation/server differences and outbox entries
  left after two quiet rounds; ``seq_gaps``: skipped ``server_seq``; ``faults_injected`` (and
  ``faults`` by kind); ``failure``: an error a rule or the healing raised (the run stops there).

Its own PostgreSQL (pgserver) runs in a new ``sync-chaos-*`` directory of the work dir, deleted
at the end. The machine lives with the tests, which are put on ``sys.path`` for it.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Metrics, Result, Scenario, note

_TESTS = Path(__file__).resolve().parent.parent / "tests"


def run(scale: int | None, repeat: int, workdir: str | None) -> Result:
    for folder in (_TESTS, _TESTS / "sync"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    from chaos import PrivateServer, Report, build_template
    from chaos_machine import machine
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis import seed as seeded
    from hypothesis.stateful import run_state_machine_as_test

    steps = scale or 200
    seed = int(os.environ.get("MEDTRACK_CHAOS_SEED") or random.SystemRandom().randrange(2**32))
    note(f"sync-chaos: seed {seed} (MEDTRACK_CHAOS_SEED={seed} runs it again), {steps} steps, "
         f"{repeat} run(s)")
    reports: list[Report] = []
    failure = None
    with tempfile.TemporaryDirectory(prefix="sync-chaos-", dir=workdir) as tmp:
        server = PrivateServer(Path(tmp) / "pgdata")
        try:
            start = time.perf_counter()
            template = build_template(server, Path(tmp) / "template")
            note(f"sync-chaos: clinic and three workstations ready in "
                 f"{time.perf_counter() - start:.1f} s")
            start = time.perf_counter()
            factory = seeded(seed)(machine(server, template, Path(tmp), reports, strict=False))
            try:
                run_state_machine_as_test(factory, settings=settings(
                    max_examples=repeat + 1, stateful_step_count=steps, derandomize=False,
                    database=None, deadline=None, phases=(Phase.generate,),
                    suppress_health_check=list(HealthCheck), print_blob=False),
                    _min_steps=steps)
            except Exception as exc:  # a rule or the healing raised: counted, reported
                failure = f"{type(exc).__name__}: {str(exc)[:2000]}"
                note(f"sync-chaos: the run stopped: {failure}")
            elapsed = time.perf_counter() - start
        finally:
            server.cleanup()
    faults: dict[str, int] = {}
    for report in reports:
        for kind, count in report.faults.items():
            faults[kind] = faults.get(kind, 0) + count
    counts = {key: sum(report.counts()[key] for report in reports)
              for key in ("lost", "duplicated", "unconverged", "seq_gaps")}
    metrics: Metrics = {
        **counts, "faults_injected": sum(faults.values()), "faults": faults,
        "mutations": sum(report.mutations for report in reports), "runs": len(reports),
        "steps": steps, "steps_run": sum(report.steps for report in reports), "seed": seed,
        "run_s": round(elapsed, 1), "failure": failure}
    problems = [problem for report in reports for problem in report.problems()]
    for problem in problems[:20]:
        note(f"sync-chaos: {problem}")
    clean = failure is None and not any(counts.values())
    return Result("sync-chaos", steps, metrics,
                  target="lost == duplicated == unconverged == seq_gaps == 0, no failure",
                  meets_target=clean, extra={"problems": problems[:50]})


SCENARIO = Scenario("sync-chaos", "sync fault injection, --scale steps (lost/duplicated/"
                    "unconverged counts; target all 0)", 200, 2, run)
