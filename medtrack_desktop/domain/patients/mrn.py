"""Medical record numbers: the clinic's prefix, a serial number and a Luhn check digit, so a
mistyped MRN is caught at the counter. MRNs carried over from another system are accepted as
they are (letters, digits, hyphens) when unique in the clinic."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import luhn

from medtrack_desktop.domain.identity.models import Clinic
from medtrack_desktop.domain.patients.models import Patient

_MANUAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")


class MrnError(ValueError):
    """The MRN cannot be used; the message names the field."""


def mrn_with_check_digit(number: int, *, width: int = 7, prefix: str = "") -> str:
    """``prefix``, then ``number`` zero-padded to ``width`` digits, then its Luhn digit."""
    body = f"{number:0{width}d}"
    return prefix + body + luhn.calc_check_digit(body)


def is_valid_mrn(mrn: str, *, prefix: str = "") -> bool:
    """True when ``mrn`` is one this clinic generated (prefix + digits with a good check)."""
    body = mrn.removeprefix(prefix) if prefix else mrn
    return mrn.startswith(prefix) and body.isdigit() and luhn.is_valid(body)


def next_mrn(session: Session, clinic: Clinic) -> str:
    """The next MRN in the clinic's format: one more than the highest generated so far.

    Several workstations registering offline could each take the same next number; the clinic
    server's unique constraint turns that into a sync conflict (sync issue).
    """
    prefix, width = clinic.mrn_prefix, clinic.mrn_digits
    highest = session.scalar(
        select(func.max(Patient.mrn)).where(
            Patient.clinic_id == clinic.id,
            Patient.mrn >= prefix + "0" * (width + 1),
            Patient.mrn <= prefix + "9" * (width + 1),
            func.length(Patient.mrn) == len(prefix) + width + 1,
        )
    )
    number = int(highest[len(prefix):-1]) + 1 if highest else 1
    if number >= 10 ** width:
        raise MrnError(f"MRN: the clinic's {width}-digit numbers are used up; widen the format.")
    return mrn_with_check_digit(number, width=width, prefix=prefix)


def check_manual_mrn(session: Session, clinic: Clinic, mrn: str) -> str:
    """A typed MRN, trimmed, if well formed and not already taken in the clinic."""
    wanted = mrn.strip()
    if not _MANUAL.match(wanted):
        raise MrnError("MRN: letters, digits and hyphens only, at most 32.")
    if wanted.startswith(clinic.mrn_prefix) and wanted.removeprefix(clinic.mrn_prefix).isdigit() \
            and not is_valid_mrn(wanted, prefix=clinic.mrn_prefix):
        raise MrnError("MRN: the check digit is wrong (mistyped?).")
    taken = session.scalar(select(Patient.id).where(
        Patient.clinic_id == clinic.id, Patient.mrn == wanted))
    if taken is not None:
        raise MrnError(f"MRN: {wanted} is already used by another patient.")
    return wanted
