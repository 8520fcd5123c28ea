"""mfa: TOTP secret and replay guard on users, MFA requirement per role, hashed recovery codes

``users.mfa_secret`` holds the TOTP secret as is: the workstation database is SQLCipher-encrypted
at rest (DESIGN §4). Recovery codes are stored only as Argon2 hashes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mfa_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("mfa_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("mfa_failed_attempts", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mfa_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The defaults served only to fill existing rows; the application sets every value.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("mfa_failed_attempts", server_default=None,
                              existing_nullable=False, existing_type=sa.Integer())
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.alter_column("mfa_required", server_default=None,
                              existing_nullable=False, existing_type=sa.Boolean())

    op.create_table('mfa_recovery_codes',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sa.Text(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_mfa_recovery_codes_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mfa_recovery_codes_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_recovery_codes'))
    )
    with op.batch_alter_table('mfa_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_recovery_codes_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_recovery_codes_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mfa_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_recovery_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_mfa_recovery_codes_clinic_id'))
    op.drop_table('mfa_recovery_codes')
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_column("mfa_required")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("mfa_failed_attempts")
        batch_op.drop_column("mfa_last_step")
        batch_op.drop_column("mfa_secret")
