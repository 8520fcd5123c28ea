"""Sync under faults (DESIGN §5, last bullet; issue 6, Tests): three workstations (separate
SQLCipher files) against a PostgreSQL of the test's own, which it can restart.

``test_sync_survives_faults``: the hypothesis state machine of ``chaos_machine`` with a fixed
seed, a few short runs. ``test_concurrent_pushes_from_three_processes``: each workstation
pushes from a process of its own at the same moment, one of them killed between the server's
commit and its outbox delete. After healing and two quiet rounds the invariants of
``chaos.check`` hold: every workstation equals the server, every local edit is on the server or
in ``sync_conflicts``, nothing is duplicated, no ``server_seq`` is skipped.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from chaos import NAMES, PrivateServer, Report, Template, build_template, sync_in_process
from chaos_machine import machine
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

pytestmark = pytest.mark.postgres

CI = settings(max_examples=5, stateful_step_count=10, derandomize=True, database=None,
              deadline=None, phases=(Phase.explicit, Phase.generate),
              suppress_health_check=list(HealthCheck), print_blob=False)


@pytest.fixture(scope="module")
def chaos_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateServer]:
    """A PostgreSQL of this module's own: the faults restart it."""
    pytest.importorskip("pgserver")
    server = PrivateServer(tmp_path_factory.mktemp("chaos-pgdata"))
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def template(chaos_server: PrivateServer, tmp_path_factory: pytest.TempPathFactory
             ) -> Template:
    return build_template(chaos_server, tmp_path_factory.mktemp("chaos-template"))


def test_sync_survives_faults(chaos_server: PrivateServer, template: Template,
                              tmp_path: Path) -> None:
    reports: list[Report] = []
    run_state_machine_as_test(machine(chaos_server, template, tmp_path, reports),
                              settings=CI)
    assert reports
    assert sum(sum(report.faults.values()) for report in reports) > 0


def test_concurrent_pushes_from_three_processes(chaos_server: PrivateServer,
                                                template: Template, tmp_path: Path) -> None:
    """Offline edits on all three (the same field of one patient, other fields of another, new
    patients, the same slot booked three times); then each syncs from a process of its own at
    the same moment, in small batches; ``c`` dies between the server's commit of its first
    batch and its outbox delete."""
    reports: list[Report] = []
    chaos = machine(chaos_server, template, tmp_path, reports)()
    world = chaos.world
    chaos.offline_start(field="city", choice=1, slot=2)
    chaos.edit_on_several(["a", "b", "c"], 1, True, "email", 0)
    chaos.edit_on_several(["a", "b", "c"], 2, False, "notes", 2)
    chaos.double_book(["a", "b", "c"], 0, 5)
    for station in world.stations.values():
        chaos.written.record(station)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(NAMES))
    processes = {}
    for name in NAMES:
        path, key, role, password = world.seat(name)
        world.stations[name].store.close()
        processes[name] = context.Process(
            target=sync_in_process, name=f"workstation-{name}",
            args=(name, path, key, world.url, role, password, start, 3, name == "c"))
    for process in processes.values():
        process.start()
    for process in processes.values():
        process.join(timeout=180)
    assert {name: process.exitcode for name, process in processes.items()} == {
        "a": 0, "b": 0, "c": -signal.SIGKILL}
    for name in NAMES:
        world.reopen(name)
    chaos.teardown()  # heals, two quiet rounds, checks the invariants, closes the world
    assert reports[0].mutations > 0


def test_every_fault_once(chaos_server: PrivateServer, template: Template,
                          tmp_path: Path) -> None:
    """Each fault of the machine once, in a fixed order, over offline edits on all three (the
    random runs above choose a subset of the rules each: this one covers them all)."""
    reports: list[Report] = []
    chaos = machine(chaos_server, template, tmp_path, reports)()
    chaos.offline_start(field="notes", choice=0, slot=6)
    chaos.edit_on_several(["a", "b", "c"], 3, False, "city", 1)
    chaos.cut_connection("a", "push", 3, push_batch=2, pull_page=2000)
    chaos.cut_connection("b", "commit", 1, push_batch=2, pull_page=2000)
    chaos.sync("a", push_batch=500, pull_page=2000)
    chaos.cut_connection("c", "audit", 0, push_batch=500, pull_page=2000)
    chaos.cut_connection("c", "pull", 1, push_batch=500, pull_page=2)
    chaos.acknowledgement_lost("b", 3)
    chaos.killed_before_outbox_delete("b", 3)
    chaos.duplicated_batch("b", 3)
    chaos.double_book(["a", "c"], 2, 7)
    chaos.register("c")
    chaos.replayed_late_batch("b", 0)
    chaos.restart_mid_round("a", "push", 1)
    chaos.restart_server()
    chaos.teardown()
    assert set(reports[0].faults) == {
        "terminate_push", "terminate_commit", "terminate_pull", "terminate_audit", "ack_lost",
        "killed_before_delete", "duplicated", "replayed", "restart_push",
        "restart_between_rounds"}, reports[0].faults
