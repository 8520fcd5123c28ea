"""Every ORM model, imported once so the metadata is complete (for Alembic and tests)."""

from medtrack_desktop.domain.audit.models import AuditEntry
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
    "AuditEntry",
    "CareTeamMember",
    "Clinic",
    "DemographicChange",
    "Guarantor",
    "InsuranceCompany",
    "LocalSetting",
    "MfaRecoveryCode",
    "Patient",
    "PatientConsent",
    "PatientInsurance",
    "PatientMerge",
    "PatientSearchTerm",
    "Role",
    "User",
    "UserRole",
    "Workstation",
    "metadata",
]
