"""sync: ``sync_own_changes``, a workstation's own changes the server applied as sent (number and
row): its pull no longer fetches them back when another workstation's change sits among them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sync_own_changes',
    sa.Column('server_seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('row_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('server_seq', name=op.f('pk_sync_own_changes'))
    )


def downgrade() -> None:
    op.drop_table('sync_own_changes')
