"""Every ORM model, imported once so the metadata is complete (for Alembic and tests)."""

from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.chart.models import (
    Allergy,
    AllergyReview,
    ClinicalNote,
    Document,
    DocumentContent,
    Encounter,
    EncounterAmendment,
    Immunization,
    Medication,
    MedicationChange,
    Problem,
    Procedure,
    Signature,
    VitalSigns,
)
from medtrack_desktop.domain.identity.models import (
    Clinic,
    LocalSetting,
    MfaRecoveryCode,
    Role,
    User,
    UserRole,
    Workstation,
)
from medtrack_desktop.domain.patients.models import (
    CareTeamMember,
    DemographicChange,
    Guarantor,
    InsuranceCompany,
    Patient,
    PatientConsent,
    PatientInsurance,
    PatientMerge,
    PatientSearchTerm,
)
from medtrack_desktop.store.base import Base

metadata = Base.metadata

__all__ = [
    "Allergy",
    "AllergyReview",
    "AuditEntry",
    "CareTeamMember",
    "Clinic",
    "ClinicalNote",
    "DemographicChange",
    "Document",
    "DocumentContent",
    "Encounter",
    "EncounterAmendment",
    "Guarantor",
    "Immunization",
    "InsuranceCompany",
    "LocalSetting",
    "Medication",
    "MedicationChange",
    "MfaRecoveryCode",
    "Patient",
    "PatientConsent",
    "PatientInsurance",
    "PatientMerge",
    "PatientSearchTerm",
    "Problem",
    "Procedure",
    "Role",
    "Signature",
    "User",
    "UserRole",
    "VitalSigns",
    "Workstation",
    "metadata",
]
