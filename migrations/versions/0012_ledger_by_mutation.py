"""The idempotency ledger keyed by mutation first: a push looks its batch up by mutation ids,
and row-level security compares the login with ``session_user`` (a ``name``), which no index
on the role column serves; with the role first, each lookup read the whole ledger.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _primary_key(columns: str) -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":  # the ledger lives on the clinic server only
        connection.exec_driver_sql(
            "ALTER TABLE medtrack_server.ledger DROP CONSTRAINT pk_ledger, "
            f"ADD CONSTRAINT pk_ledger PRIMARY KEY ({columns})")


def upgrade() -> None:
    _primary_key("mutation_id, workstation_role")


def downgrade() -> None:
    _primary_key("workstation_role, mutation_id")
