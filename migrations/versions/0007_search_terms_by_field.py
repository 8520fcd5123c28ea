"""search terms keyed by field first, with a "full" field for last + first names together

The index is derived data (rebuilt from ``patients`` when its rules change), so the table is
made again rather than altered: SQLite cannot change a primary key in place anyway.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIELDS_BEFORE = ("last", "first", "middle", "preferred", "phone", "mrn")


def _create(fields: Sequence[str], key: Sequence[str]) -> None:
    op.create_table('patient_search_terms',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('term', sa.String(length=64).with_variant(sa.String(length=64, collation='C'), 'postgresql'), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('field', sa.String(length=10), nullable=False),
    sa.CheckConstraint(f"field IN ({', '.join(repr(f) for f in fields)})", name=op.f('ck_patient_search_terms_field_allowed')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_search_terms_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint(*key, name=op.f('pk_patient_search_terms')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('patient_search_terms', schema=None) as batch_op:
        batch_op.create_index('ix_patient_search_terms_patient_id_term', ['patient_id', 'term'], unique=False)


def _drop() -> None:
    with op.batch_alter_table('patient_search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_patient_search_terms_patient_id_term')
    op.drop_table('patient_search_terms')


def upgrade() -> None:
    _drop()
    _create((*_FIELDS_BEFORE, "full"), ("clinic_id", "field", "term", "patient_id"))


def downgrade() -> None:
    _drop()
    _create(_FIELDS_BEFORE, ("clinic_id", "term", "patient_id", "field"))
