"""clinic security policy: password length and expiry, lockout threshold and duration

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("password_min_length", sa.Integer(), False, "8"),
    ("password_max_age_days", sa.Integer(), True, None),
    ("lockout_threshold", sa.Integer(), False, "5"),
    ("lockout_minutes", sa.Integer(), False, "15"),
)


def upgrade() -> None:
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        for name, type_, nullable, default in _COLUMNS:
            batch_op.add_column(
                sa.Column(name, type_, nullable=nullable, server_default=default)
            )
    # The defaults served only to fill existing rows; the application sets every value.
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        for name, _type, nullable, default in _COLUMNS:
            if default is not None:
                batch_op.alter_column(name, server_default=None, existing_nullable=nullable,
                                      existing_type=sa.Integer())


def downgrade() -> None:
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        for name, *_rest in reversed(_COLUMNS):
            batch_op.drop_column(name)
