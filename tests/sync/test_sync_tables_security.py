"""The sync protocol's own server tables keep each workstation inside its clinic, like the
clinic tables: the change log, the idempotency ledger and the audit anchors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from server_data import ClinicServer
from sqlalchemy.exc import DBAPIError

from medtrack_desktop.sync.server_apply import read_changes

_CHANGE = ("INSERT INTO medtrack_server.changes (clinic_id, server_seq, table_name, row_id, "
           "row_data) VALUES (:clinic, :seq, 'patients', gen_random_uuid(), '{}'::jsonb)")
_LEDGER = ("INSERT INTO medtrack_server.ledger (workstation_role, mutation_id, clinic_id, "
           "outcome) VALUES (:role, gen_random_uuid(), :clinic, 'applied')")


def test_a_workstation_reads_and_writes_only_its_clinics_sync_rows(
        clinic_server: ClinicServer, as_a: sa.Engine) -> None:
    server = clinic_server
    with server.admin.begin() as admin:
        for seq in (1, 2):
            admin.execute(sa.text(_CHANGE), {"clinic": server.clinic_b, "seq": seq})
        admin.execute(sa.text(_CHANGE), {"clinic": server.clinic_a, "seq": 1})
        admin.execute(sa.text(_LEDGER), {"role": server.login_b.role,
                                         "clinic": server.clinic_b})
        admin.execute(sa.text(
            "INSERT INTO medtrack_server.audit_anchors (workstation_id, clinic_id, seq, "
            "entry_hash) VALUES (gen_random_uuid(), :clinic, 1, :hash)"),
            {"clinic": server.clinic_b, "hash": "0" * 64})
    with as_a.connect() as connection:
        # hand-written SQL sees nothing of clinic B
        for table in ("changes", "ledger", "audit_anchors"):
            assert connection.execute(sa.text(
                f"SELECT count(*) FROM medtrack_server.{table} WHERE clinic_id = :b"),
                {"b": server.clinic_b}).scalar_one() == 0
        assert [seq for seq, *_ in read_changes(connection, clinic_id=server.clinic_b,
                                                after=0, limit=10)] == []
        assert [seq for seq, *_ in read_changes(connection, clinic_id=server.clinic_a,
                                                after=0, limit=10)] == [1]
    for statement, values in (
            (_CHANGE, {"clinic": server.clinic_b, "seq": 3}),
            # another workstation's ledger entry, even in its own clinic
            (_LEDGER, {"role": server.login_b.role, "clinic": server.clinic_a}),
            ("UPDATE medtrack_server.changes SET row_data = '{}'::jsonb", {}),
            ("DELETE FROM medtrack_server.changes", {}),
            ("SELECT * FROM medtrack_server.server_info FOR UPDATE", {}),
            ("UPDATE medtrack_server.workstations SET clinic_id = :clinic",
             {"clinic": server.clinic_b})):
        with pytest.raises(DBAPIError), as_a.begin() as connection:
            connection.execute(sa.text(statement), values)
