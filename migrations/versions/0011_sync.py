"""sync: the workstation's outbox and sync state, the shared conflict table, and on the server
the change log (``medtrack_server.changes``: every applied change numbered per clinic without
gaps, with the row as it became), the idempotency ledger and the audit chain anchors

The capture triggers that fill the outbox are made after every migration by ``migrations/env.py``
(``sync.capture``), so they always list the tables' current columns.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from medtrack_desktop.sync.capture import drop_capture

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SERVER = (
    """CREATE TABLE medtrack_server.changes (
        clinic_id uuid NOT NULL REFERENCES public.clinics (id) ON DELETE RESTRICT,
        server_seq bigint NOT NULL,
        table_name varchar(64) NOT NULL,
        row_id uuid NOT NULL,
        row_data jsonb NOT NULL,
        committed_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_changes PRIMARY KEY (clinic_id, server_seq)
    )""",
    """CREATE TABLE medtrack_server.ledger (
        workstation_role varchar(63) NOT NULL DEFAULT session_user,
        mutation_id uuid NOT NULL,
        clinic_id uuid NOT NULL REFERENCES public.clinics (id) ON DELETE RESTRICT,
        outcome varchar(16) NOT NULL,
        server_seq bigint,
        conflict_id uuid,
        applied_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_ledger PRIMARY KEY (workstation_role, mutation_id)
    )""",
    """CREATE TABLE medtrack_server.audit_anchors (
        workstation_id uuid NOT NULL,
        clinic_id uuid NOT NULL REFERENCES public.clinics (id) ON DELETE RESTRICT,
        seq bigint NOT NULL,
        entry_hash varchar(64) NOT NULL,
        anchored_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_audit_anchors PRIMARY KEY (workstation_id, seq)
    )""",
    """CREATE TABLE medtrack_server.server_info (
        key varchar(64) NOT NULL,
        value text NOT NULL,
        CONSTRAINT pk_server_info PRIMARY KEY (key)
    )""",
)


def upgrade() -> None:
    op.create_table('sync_outbox',
    sa.Column('local_seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('mutation_id', sa.Uuid(), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.Uuid(), nullable=False),
    sa.Column('operation', sa.String(length=8), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('old_values', sa.Text(), nullable=True),
    sa.Column('new_values', sa.Text(), nullable=False),
    sa.Column('schema_revision', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("operation IN ('insert', 'update')", name=op.f('ck_sync_outbox_operation_allowed')),
    sa.PrimaryKeyConstraint('local_seq', name=op.f('pk_sync_outbox')),
    sa.UniqueConstraint('mutation_id', name=op.f('uq_sync_outbox_mutation_id'))
    )
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_outbox_row_id'), ['row_id'], unique=False)

    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pulled_seq', sa.BigInteger(), nullable=False),
    sa.Column('audit_pushed_seq', sa.BigInteger(), nullable=False),
    sa.Column('applying', sa.Boolean(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_state'))
    )
    op.create_table('sync_conflicts',
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('row_id', sa.Uuid(), nullable=False),
    sa.Column('mutation_id', sa.Uuid(), nullable=False),
    sa.Column('operation', sa.String(length=8), nullable=False),
    sa.Column('origin_workstation_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('base_values', sa.JSON(), nullable=True),
    sa.Column('local_values', sa.JSON(), nullable=False),
    sa.Column('server_values', sa.JSON(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Uuid(), nullable=True),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("operation IN ('insert', 'update')", name=op.f('ck_sync_conflicts_operation_allowed')),
    sa.CheckConstraint("reason IN ('changed', 'missing', 'signed', 'double_booking', 'refused')", name=op.f('ck_sync_conflicts_reason_allowed')),
    sa.CheckConstraint("resolution IN ('kept_server', 'kept_local', 'merged')", name=op.f('ck_sync_conflicts_resolution_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_sync_conflicts_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflicts'))
    )
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflicts_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_conflicts_row_id'), ['row_id'], unique=False)

    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for statement in _SERVER:
            connection.exec_driver_sql(statement)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for table in ("server_info", "audit_anchors", "ledger", "changes"):
            connection.exec_driver_sql(f"DROP TABLE medtrack_server.{table}")
    drop_capture(connection)
    op.drop_table('sync_conflicts')
    op.drop_table('sync_state')
    op.drop_table('sync_outbox')
