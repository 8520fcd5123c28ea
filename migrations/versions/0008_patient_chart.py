"""patient chart: encounters with SOAP and review of systems, clinical notes, signatures,
amendments, vital signs, problems, allergies, medications with their history, immunizations,
procedures, documents; signed records locked and signatures append-only by triggers (dropping
a table drops its triggers)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from medtrack_desktop.store.triggers import (
    create_append_only,
    create_encounter_lock,
    create_signed_lock,
    drop_lock_functions,
)

# Append-only; the first two hold a patient, and a merge re-files them (store.triggers).
_APPEND_ONLY = ("signatures", "medication_history", "document_contents")
_SIGNED = ("encounters", "encounter_amendments")
_IN_ENCOUNTER = ("clinical_notes", "vital_signs", "documents")

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('allergies',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('allergen', sa.String(length=200), nullable=False),
    sa.Column('allergen_type', sa.String(length=16), nullable=False),
    sa.Column('reaction', sa.String(length=300), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=True),
    sa.Column('onset_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("allergen_type IN ('drug', 'food', 'environmental', 'other')", name=op.f('ck_allergies_allergen_type_allowed')),
    sa.CheckConstraint("severity IN ('mild', 'moderate', 'severe')", name=op.f('ck_allergies_severity_allowed')),
    sa.CheckConstraint("status IN ('active', 'inactive', 'resolved')", name=op.f('ck_allergies_status_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_allergies_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_allergies_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allergies'))
    )
    with op.batch_alter_table('allergies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allergies_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allergies_patient_id'), ['patient_id'], unique=False)

    op.create_table('allergy_reviews',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('no_known_allergies', sa.Boolean(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_allergy_reviews_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_allergy_reviews_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allergy_reviews')),
    sa.UniqueConstraint('patient_id', name=op.f('uq_allergy_reviews_patient_id'))
    )
    with op.batch_alter_table('allergy_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allergy_reviews_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('encounters',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('provider_id', sa.Uuid(), nullable=False),
    sa.Column('encounter_type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('facility', sa.String(length=200), nullable=True),
    sa.Column('specialty', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('subjective', sa.Text(), nullable=False),
    sa.Column('objective', sa.Text(), nullable=False),
    sa.Column('assessment', sa.Text(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('review_of_systems', sa.JSON(), nullable=False),
    sa.Column('cancelled_reason', sa.String(length=500), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("encounter_type IN ('office', 'follow_up', 'new_patient', 'annual_physical', 'telehealth', 'procedure', 'emergency', 'home_visit', 'other')", name=op.f('ck_encounters_encounter_type_allowed')),
    sa.CheckConstraint("status IN ('draft', 'in_progress', 'signed', 'cancelled')", name=op.f('ck_encounters_status_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_encounters_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_encounters_patient_id_patients'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['provider_id'], ['users.id'], name=op.f('fk_encounters_provider_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encounters'))
    )
    with op.batch_alter_table('encounters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encounters_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_encounters_patient_id_starts_at', ['patient_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounters_provider_id'), ['provider_id'], unique=False)

    op.create_table('signatures',
    sa.Column('record_type', sa.String(length=12), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('signer_id', sa.Uuid(), nullable=False),
    sa.Column('printed_name', sa.String(length=200), nullable=False),
    sa.Column('meaning', sa.String(length=12), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('canonical_version', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("meaning IN ('authorship', 'review', 'approval')", name=op.f('ck_signatures_meaning_allowed')),
    sa.CheckConstraint("record_type IN ('encounter', 'amendment')", name=op.f('ck_signatures_record_type_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_signatures_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_signatures_patient_id_patients'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['signer_id'], ['users.id'], name=op.f('fk_signatures_signer_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatures'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signatures_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_signatures_record_type_record_id', ['record_type', 'record_id'], unique=False)

    op.create_table('clinical_notes',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('encounter_id', sa.Uuid(), nullable=False),
    sa.Column('note_type', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("note_type IN ('progress', 'nursing', 'procedure', 'telephone', 'consult', 'letter', 'other')", name=op.f('ck_clinical_notes_note_type_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_clinical_notes_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_clinical_notes_encounter_id_encounters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_clinical_notes_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinical_notes'))
    )
    with op.batch_alter_table('clinical_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clinical_notes_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clinical_notes_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clinical_notes_patient_id'), ['patient_id'], unique=False)

    op.create_table('documents',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('encounter_id', sa.Uuid(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("category IN ('lab_report', 'imaging_report', 'referral', 'consult_letter', 'consent_form', 'insurance_card', 'identification', 'correspondence', 'other')", name=op.f('ck_documents_category_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_documents_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_documents_encounter_id_encounters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_documents_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_patient_id'), ['patient_id'], unique=False)

    op.create_table('encounter_amendments',
    sa.Column('encounter_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('subjective', sa.Text(), nullable=False),
    sa.Column('objective', sa.Text(), nullable=False),
    sa.Column('assessment', sa.Text(), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'signed')", name=op.f('ck_encounter_amendments_status_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_encounter_amendments_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_encounter_amendments_encounter_id_encounters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_encounter_amendments_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encounter_amendments')),
    sa.UniqueConstraint('encounter_id', 'sequence', name=op.f('uq_encounter_amendments_encounter_id_sequence'))
    )
    with op.batch_alter_table('encounter_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encounter_amendments_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounter_amendments_patient_id'), ['patient_id'], unique=False)

    op.create_table('immunizations',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('encounter_id', sa.Uuid(), nullable=True),
    sa.Column('cvx_code', sa.String(length=4), nullable=False),
    sa.Column('vaccine', sa.String(length=200), nullable=False),
    sa.Column('administered_on', sa.Date(), nullable=False),
    sa.Column('lot_number', sa.String(length=40), nullable=True),
    sa.Column('manufacturer', sa.String(length=100), nullable=True),
    sa.Column('route', sa.String(length=14), nullable=True),
    sa.Column('site', sa.String(length=14), nullable=True),
    sa.Column('administered_by_id', sa.Uuid(), nullable=True),
    sa.Column('administered_by', sa.String(length=200), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("route IN ('intramuscular', 'subcutaneous', 'intradermal', 'oral', 'intranasal')", name=op.f('ck_immunizations_route_allowed')),
    sa.CheckConstraint("site IN ('left_deltoid', 'right_deltoid', 'left_thigh', 'right_thigh', 'left_arm', 'right_arm', 'mouth', 'nose', 'other')", name=op.f('ck_immunizations_site_allowed')),
    sa.ForeignKeyConstraint(['administered_by_id'], ['users.id'], name=op.f('fk_immunizations_administered_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_immunizations_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_immunizations_encounter_id_encounters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_immunizations_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_immunizations'))
    )
    with op.batch_alter_table('immunizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_immunizations_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_immunizations_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_immunizations_patient_id'), ['patient_id'], unique=False)

    op.create_table('medications',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('encounter_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('dose', sa.Numeric(precision=10, scale=3), nullable=True),
    sa.Column('dose_unit', sa.String(length=20), nullable=True),
    sa.Column('route', sa.String(length=16), nullable=True),
    sa.Column('frequency', sa.String(length=60), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('prescriber_id', sa.Uuid(), nullable=True),
    sa.Column('prescriber_name', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=14), nullable=False),
    sa.Column('status_reason', sa.String(length=300), nullable=True),
    sa.Column('instructions', sa.Text(), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("route IN ('oral', 'sublingual', 'buccal', 'topical', 'transdermal', 'inhaled', 'intranasal', 'ophthalmic', 'otic', 'rectal', 'vaginal', 'subcutaneous', 'intramuscular', 'intravenous', 'other')", name=op.f('ck_medications_route_allowed')),
    sa.CheckConstraint("status IN ('active', 'discontinued', 'completed')", name=op.f('ck_medications_status_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_medications_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_medications_encounter_id_encounters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_medications_patient_id_patients'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['prescriber_id'], ['users.id'], name=op.f('fk_medications_prescriber_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medications'))
    )
    with op.batch_alter_table('medications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medications_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_medications_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_medications_patient_id'), ['patient_id'], unique=False)

    op.create_table('problems',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('encounter_id', sa.Uuid(), nullable=True),
    sa.Column('code_system', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('onset_on', sa.Date(), nullable=True),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('active', 'chronic', 'inactive', 'resolved')", name=op.f('ck_problems_status_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_problems_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_problems_encounter_id_encounters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_problems_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_problems'))
    )
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_problems_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_problems_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_problems_patient_id'), ['patient_id'], unique=False)

    op.create_table('procedures',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('encounter_id', sa.Uuid(), nullable=True),
    sa.Column('code_system', sa.String(length=12), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('performed_on', sa.Date(), nullable=False),
    sa.Column('performer_id', sa.Uuid(), nullable=True),
    sa.Column('performer_name', sa.String(length=200), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("code_system IN ('CPT', 'HCPCS', 'ICD-10-PCS', 'SNOMED-CT')", name=op.f('ck_procedures_code_system_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_procedures_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_procedures_encounter_id_encounters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_procedures_patient_id_patients'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['performer_id'], ['users.id'], name=op.f('fk_procedures_performer_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedures'))
    )
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procedures_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_procedures_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_procedures_patient_id'), ['patient_id'], unique=False)

    op.create_table('vital_signs',
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('encounter_id', sa.Uuid(), nullable=True),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('height_cm', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('weight_kg', sa.Numeric(precision=7, scale=3), nullable=True),
    sa.Column('bmi', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('temperature_c', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('pulse', sa.Integer(), nullable=True),
    sa.Column('respiration', sa.Integer(), nullable=True),
    sa.Column('systolic', sa.Integer(), nullable=True),
    sa.Column('diastolic', sa.Integer(), nullable=True),
    sa.Column('spo2', sa.Integer(), nullable=True),
    sa.Column('head_circumference_cm', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('waist_circumference_cm', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('pain', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_vital_signs_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_vital_signs_encounter_id_encounters'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_vital_signs_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vital_signs'))
    )
    with op.batch_alter_table('vital_signs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vital_signs_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vital_signs_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index('ix_vital_signs_patient_id_taken_at', ['patient_id', 'taken_at'], unique=False)

    op.create_table('document_contents',
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_document_contents_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_contents_document_id_documents'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_contents')),
    sa.UniqueConstraint('document_id', name=op.f('uq_document_contents_document_id'))
    )
    with op.batch_alter_table('document_contents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_contents_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('medication_history',
    sa.Column('medication_id', sa.Uuid(), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('change', sa.String(length=14), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('clinic_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_by', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("change IN ('started', 'changed', 'discontinued', 'completed')", name=op.f('ck_medication_history_change_allowed')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_medication_history_clinic_id_clinics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['medication_id'], ['medications.id'], name=op.f('fk_medication_history_medication_id_medications'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_medication_history_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication_history'))
    )
    with op.batch_alter_table('medication_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medication_history_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_medication_history_medication_id'), ['medication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_medication_history_patient_id'), ['patient_id'], unique=False)
    connection = op.get_bind()
    for table in _APPEND_ONLY:
        create_append_only(connection, table, refiled=table != "document_contents")
    for table in _SIGNED:
        create_signed_lock(connection, table)
    for table in _IN_ENCOUNTER:
        create_encounter_lock(connection, table)


def downgrade() -> None:
    with op.batch_alter_table('medication_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medication_history_patient_id'))
        batch_op.drop_index(batch_op.f('ix_medication_history_medication_id'))
        batch_op.drop_index(batch_op.f('ix_medication_history_clinic_id'))

    op.drop_table('medication_history')
    with op.batch_alter_table('document_contents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_contents_clinic_id'))

    op.drop_table('document_contents')
    with op.batch_alter_table('vital_signs', schema=None) as batch_op:
        batch_op.drop_index('ix_vital_signs_patient_id_taken_at')
        batch_op.drop_index(batch_op.f('ix_vital_signs_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_vital_signs_clinic_id'))

    op.drop_table('vital_signs')
    with op.batch_alter_table('procedures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procedures_patient_id'))
        batch_op.drop_index(batch_op.f('ix_procedures_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_procedures_clinic_id'))

    op.drop_table('procedures')
    with op.batch_alter_table('problems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_problems_patient_id'))
        batch_op.drop_index(batch_op.f('ix_problems_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_problems_clinic_id'))

    op.drop_table('problems')
    with op.batch_alter_table('medications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medications_patient_id'))
        batch_op.drop_index(batch_op.f('ix_medications_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_medications_clinic_id'))

    op.drop_table('medications')
    with op.batch_alter_table('immunizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_immunizations_patient_id'))
        batch_op.drop_index(batch_op.f('ix_immunizations_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_immunizations_clinic_id'))

    op.drop_table('immunizations')
    with op.batch_alter_table('encounter_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_encounter_amendments_patient_id'))
        batch_op.drop_index(batch_op.f('ix_encounter_amendments_clinic_id'))

    op.drop_table('encounter_amendments')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_patient_id'))
        batch_op.drop_index(batch_op.f('ix_documents_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_documents_clinic_id'))

    op.drop_table('documents')
    with op.batch_alter_table('clinical_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinical_notes_patient_id'))
        batch_op.drop_index(batch_op.f('ix_clinical_notes_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_clinical_notes_clinic_id'))

    op.drop_table('clinical_notes')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_signatures_record_type_record_id')
        batch_op.drop_index(batch_op.f('ix_signatures_patient_id'))
        batch_op.drop_index(batch_op.f('ix_signatures_clinic_id'))

    op.drop_table('signatures')
    with op.batch_alter_table('encounters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_encounters_provider_id'))
        batch_op.drop_index('ix_encounters_patient_id_starts_at')
        batch_op.drop_index(batch_op.f('ix_encounters_clinic_id'))

    op.drop_table('encounters')
    with op.batch_alter_table('allergy_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allergy_reviews_clinic_id'))

    op.drop_table('allergy_reviews')
    with op.batch_alter_table('allergies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allergies_patient_id'))
        batch_op.drop_index(batch_op.f('ix_allergies_clinic_id'))

    op.drop_table('allergies')
    drop_lock_functions(op.get_bind())
