"""patient registry: demographics, field-encrypted SSN, insurance, guarantor, consent, history, merges, search index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_CLINIC_SETTINGS = (
    ("mrn_prefix", sa.String(length=8), ""),
    ("mrn_digits", sa.Integer(), "7"),
    ("retention_years", sa.Integer(), "10"),
    ("retention_minor_until_age", sa.Integer(), "20"),
)
# Frozen copies of the enumerations as of this revision (a migration never imports the models).
_PATIENT_CHOICES = (
    ("gender_identity", ("female", "male", "transgender_female", "transgender_male",
                         "non_binary", "other", "not_disclosed")),
    ("race", ("american_indian_alaska_native", "asian", "black_african_american",
              "native_hawaiian_pacific_islander", "white", "multiple", "other", "declined")),
    ("ethnicity", ("hispanic_latino", "not_hispanic_latino", "declined")),
    ("marital_status", ("single", "married", "domestic_partner", "divorced", "separated",
                        "widowed", "unknown")),
)


def upgrade() -> None:
    op.create_table('insurance_companies',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('payer_id', sa.String(length=20), nullable=True),
    sa.Column('address_line1', sa.String(length=200), nullable=True),
    sa.Column('address_line2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=50), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_insurance_companies_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_companies'))
    )
    with op.batch_alter_table('insurance_companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insurance_companies_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_insurance_companies_clinic_id_name', ['clinic_id', 'name'], unique=False)

    op.create_table('patient_consents',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('granted_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('disclosure_to', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('treatment', 'phi_disclosure')", name=op.f('ck_patient_consents_kind_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_patient_consents_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_consents_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_consents'))
    )
    with op.batch_alter_table('patient_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_consents_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_consents_patient_id'), ['patient_id'], unique=False)

    op.create_table('patient_guarantors',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('relation', sa.String(length=20), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('address_line1', sa.String(length=200), nullable=True),
    sa.Column('address_line2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=50), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("relation IN ('self', 'parent', 'spouse', 'legal_guardian', 'other')", name=op.f('ck_patient_guarantors_relation_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_patient_guarantors_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_guarantors_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_guarantors')),
    sa.UniqueConstraint('patient_id', name=op.f('uq_patient_guarantors_patient_id'))
    )
    with op.batch_alter_table('patient_guarantors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_guarantors_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('patient_history',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_patient_history_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_history_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_history'))
    )
    with op.batch_alter_table('patient_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_history_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_history_patient_id'), ['patient_id'], unique=False)

    op.create_table('patient_insurance',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('company_id', sa.Uuid(), nullable=False),
    sa.Column('rank', sa.String(length=16), nullable=False),
    sa.Column('plan_name', sa.String(length=200), nullable=True),
    sa.Column('member_id_cipher', sa.LargeBinary(), nullable=False),
    sa.Column('member_id_digest', sa.String(length=64), nullable=False),
    sa.Column('group_number', sa.String(length=50), nullable=True),
    sa.Column('subscriber_relation', sa.String(length=16), nullable=False),
    sa.Column('subscriber_first_name', sa.String(length=100), nullable=True),
    sa.Column('subscriber_last_name', sa.String(length=100), nullable=True),
    sa.Column('subscriber_date_of_birth', sa.Date(), nullable=True),
    sa.Column('copay', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("rank IN ('primary', 'secondary', 'tertiary')", name=op.f('ck_patient_insurance_rank_allowed')),
    sa.CheckConstraint("subscriber_relation IN ('self', 'spouse', 'child', 'other')", name=op.f('ck_patient_insurance_subscriber_relation_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_patient_insurance_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['company_id'], ['insurance_companies.id'], name=op.f('fk_patient_insurance_company_id_insurance_companies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_insurance_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_insurance'))
    )
    with op.batch_alter_table('patient_insurance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_insurance_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_patient_insurance_clinic_id_member_id_digest', ['clinic_id', 'member_id_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_insurance_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('uq_patient_insurance_live_rank', ['patient_id', 'rank'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))

    op.create_table('patient_merges',
    sa.Column('survivor_id', sa.Uuid(), nullable=False),
    sa.Column('merged_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_patient_merges_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['merged_id'], ['patients.id'], name=op.f('fk_patient_merges_merged_id_patients'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['survivor_id'], ['patients.id'], name=op.f('fk_patient_merges_survivor_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_merges')),
    sa.UniqueConstraint('merged_id', name=op.f('uq_patient_merges_merged_id'))
    )
    with op.batch_alter_table('patient_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_merges_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_merges_survivor_id'), ['survivor_id'], unique=False)

    op.create_table('patient_search_terms',
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('term', sa.String(length=64).with_variant(sa.String(length=64, collation='C'), 'postgresql'), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('field', sa.String(length=10), nullable=False),
    sa.CheckConstraint("field IN ('last', 'first', 'middle', 'preferred', 'phone', 'mrn')", name=op.f('ck_patient_search_terms_field_allowed')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_search_terms_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('clinic_id', 'term', 'patient_id', 'field', name=op.f('pk_patient_search_terms')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('patient_search_terms', schema=None) as batch_op:
        batch_op.create_index('ix_patient_search_terms_patient_id_term', ['patient_id', 'term'], unique=False)

    # The server defaults only fill existing rows; the application sets every value.
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        for name, type_, default in _CLINIC_SETTINGS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=default))
    with op.batch_alter_table("clinics", schema=None) as batch_op:
        for name, type_, _default in _CLINIC_SETTINGS:
            batch_op.alter_column(name, server_default=None, existing_type=type_,
                                  existing_nullable=False)

    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gender_identity', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('race', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('ethnicity', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('marital_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('ssn_cipher', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('ssn_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('ssn_last4_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('emergency_contact_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('emergency_contact_phone', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('emergency_contact_relation', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('employer_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('photo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('deceased', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('deceased_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('last_treatment_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Uuid(), nullable=True))
        batch_op.create_index('ix_patients_clinic_id_created_at', ['clinic_id', 'created_at'], unique=False)
        batch_op.create_index('ix_patients_clinic_id_ssn_digest', ['clinic_id', 'ssn_digest'], unique=False)
        batch_op.create_index('ix_patients_clinic_id_ssn_last4_digest', ['clinic_id', 'ssn_last4_digest'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_patients_merged_into_id_patients'), 'patients', ['merged_into_id'], ['id'], ondelete='RESTRICT')
        for column, values in _PATIENT_CHOICES:
            allowed = ", ".join(f"'{value}'" for value in values)
            batch_op.create_check_constraint(f"{column}_allowed", f"{column} IN ({allowed})")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        for name in ("deceased", "active"):
            batch_op.alter_column(name, server_default=None, existing_type=sa.Boolean(),
                                  existing_nullable=False)



def downgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        for column, _values in reversed(_PATIENT_CHOICES):
            batch_op.drop_constraint(op.f(f"ck_patients_{column}_allowed"), type_="check")
        batch_op.drop_constraint(batch_op.f('fk_patients_merged_into_id_patients'), type_='foreignkey')
        batch_op.drop_index('ix_patients_clinic_id_ssn_last4_digest')
        batch_op.drop_index('ix_patients_clinic_id_ssn_digest')
        batch_op.drop_index('ix_patients_clinic_id_created_at')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('last_treatment_on')
        batch_op.drop_column('notes')
        batch_op.drop_column('active')
        batch_op.drop_column('deceased_on')
        batch_op.drop_column('deceased')
        batch_op.drop_column('photo')
        batch_op.drop_column('employer_name')
        batch_op.drop_column('emergency_contact_relation')
        batch_op.drop_column('emergency_contact_phone')
        batch_op.drop_column('emergency_contact_name')
        batch_op.drop_column('ssn_last4_digest')
        batch_op.drop_column('ssn_digest')
        batch_op.drop_column('ssn_cipher')
        batch_op.drop_column('marital_status')
        batch_op.drop_column('ethnicity')
        batch_op.drop_column('race')
        batch_op.drop_column('gender_identity')

    with op.batch_alter_table("clinics", schema=None) as batch_op:
        for name, _type, _default in reversed(_CLINIC_SETTINGS):
            batch_op.drop_column(name)

    with op.batch_alter_table('patient_search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_patient_search_terms_patient_id_term')

    op.drop_table('patient_search_terms')
    with op.batch_alter_table('patient_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_merges_survivor_id'))
        batch_op.drop_index(batch_op.f('ix_patient_merges_clinic_id'))

    op.drop_table('patient_merges')
    with op.batch_alter_table('patient_insurance', schema=None) as batch_op:
        batch_op.drop_index('uq_patient_insurance_live_rank', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_patient_insurance_patient_id'))
        batch_op.drop_index('ix_patient_insurance_clinic_id_member_id_digest')
        batch_op.drop_index(batch_op.f('ix_patient_insurance_clinic_id'))

    op.drop_table('patient_insurance')
    with op.batch_alter_table('patient_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_history_patient_id'))
        batch_op.drop_index(batch_op.f('ix_patient_history_clinic_id'))

    op.drop_table('patient_history')
    with op.batch_alter_table('patient_guarantors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_guarantors_clinic_id'))

    op.drop_table('patient_guarantors')
    with op.batch_alter_table('patient_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_consents_patient_id'))
        batch_op.drop_index(batch_op.f('ix_patient_consents_clinic_id'))

    op.drop_table('patient_consents')
    with op.batch_alter_table('insurance_companies', schema=None) as batch_op:
        batch_op.drop_index('ix_insurance_companies_clinic_id_name')
        batch_op.drop_index(batch_op.f('ix_insurance_companies_clinic_id'))

    op.drop_table('insurance_companies')
