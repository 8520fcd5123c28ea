"""patient privacy: restricted records and the care team that opens them without breaking the glass

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.alter_column("restricted", server_default=None,
                              existing_type=sa.Boolean(), existing_nullable=False)

    op.create_table('patient_care_team',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_patient_care_team_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_care_team_patient_id_patients'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patient_care_team_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_care_team')),
    sa.UniqueConstraint('patient_id', 'user_id', name=op.f('uq_patient_care_team_patient_id_user_id'))
    )
    with op.batch_alter_table('patient_care_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_care_team_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_care_team_patient_id'), ['patient_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('patient_care_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_care_team_patient_id'))
        batch_op.drop_index(batch_op.f('ix_patient_care_team_clinic_id'))
    op.drop_table('patient_care_team')
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("restricted")
