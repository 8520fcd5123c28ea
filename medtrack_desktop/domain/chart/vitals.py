"""Recording vital signs and reading them back: sets, the latest set, one vital over time.

A set is typed as text with the unit chosen for each measure and stored in the canonical units
of ``vital_measures`` (70 in is kept as 177.8 cm); results carry canonical values and
``format_vital`` shows them in whatever unit the user prefers. BMI is never typed: it is
computed from the set's height and weight, or, for an adult weighed without being measured,
from their latest height of the past year (the result says which height it used — children
grow too fast for that).

Plausibility is judged for the patient's age on the day the set was taken. A *refused* value
cannot be saved (a per-field message says why); a *warning* needs the user's confirmation:
the first call raises ``VitalsNeedConfirmation`` with the warnings, the UI asks "Save anyway?"
and calls again with ``confirm_warnings=True``. The audit entry names the measures taken and
the warnings confirmed, never the values.

Sets are not edited: a wrong one is removed (a tombstone, "entered in error") and taken again.
Nothing of a signed encounter changes: the service says so before the database triggers would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from medtrack_desktop.domain.chart.access import (
    audit,
    chart_patient,
    encounter_for_entry,
    older_than,
    owned_row,
    refuse_if_signed,
    tombstone,
)
from medtrack_desktop.domain.chart.models import VitalSigns
from medtrack_desktop.domain.chart.vital_measures import (
    ADULT_BMI_FROM_AGE,
    SPECS,
    Level,
    Plausibility,
    Unit,
    Vital,
    VitalInvalid,
    bmi,
    check,
    check_set,
    cm_to_feet_inches,
    feet_inches_to_cm,
    from_canonical,
    kg_to_lb_oz,
    lb_oz_to_kg,
    to_canonical,
    unit_symbol,
)
from medtrack_desktop.domain.fields import FieldsInvalid
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.patients.demographics import clean_text
from medtrack_desktop.store.base import bind_actor, utcnow

# Two-part entry units (height 5 ft 10 in, infant weight 7 lb 9.5 oz): the first part goes in
# the measure's own field, the rest in ``height_inches`` / ``weight_ounces``.
FEET_INCHES = "ft+in"
POUNDS_OUNCES = "lb+oz"
# A workstation clock a little ahead of the one that stamped taken_at is not "the future".
FUTURE_SLACK = timedelta(minutes=5)
# How old a height may be to compute an adult's BMI from a weight taken alone.
HEIGHT_CARRIED_FOR = timedelta(days=365)
NOTE_LIMIT = 500

# Where each vital lives in ``vital_signs``.
COLUMNS: dict[Vital, InstrumentedAttribute[Any]] = {
    Vital.HEIGHT: VitalSigns.height_cm,
    Vital.WEIGHT: VitalSigns.weight_kg,
    Vital.BMI: VitalSigns.bmi,
    Vital.TEMPERATURE: VitalSigns.temperature_c,
    Vital.PULSE: VitalSigns.pulse,
    Vital.RESPIRATION: VitalSigns.respiration,
    Vital.SYSTOLIC: VitalSigns.systolic,
    Vital.DIASTOLIC: VitalSigns.diastolic,
    Vital.SPO2: VitalSigns.spo2,
    Vital.HEAD_CIRCUMFERENCE: VitalSigns.head_circumference_cm,
    Vital.WAIST_CIRCUMFERENCE: VitalSigns.waist_circumference_cm,
    Vital.PAIN: VitalSigns.pain,
}
_TYPED = tuple(kind for kind in Vital if not SPECS[kind].computed)


class VitalsInvalid(FieldsInvalid):
    """A set that cannot be saved: errors keyed by the ``VitalsInput`` field (the vital's
    value, e.g. "bp_systolic"), "taken_at", "note", "encounter_id", "bmi" (a computed BMI
    that is impossible) or "vitals" (nothing was measured)."""


class VitalsNeedConfirmation(Exception):
    """Some values are possible but unusual; save only after the user confirms them."""

    def __init__(self, warnings: tuple[Plausibility, ...]) -> None:
        super().__init__("Some values are unusual: "
                         + " ".join(warning.message for warning in warnings) + " Save anyway?")
        self.warnings = warnings

    @property
    def messages(self) -> dict[str, str]:
        """One message per field, to show beside each value in question."""
        return {warning.kind.value: warning.message for warning in self.warnings}


@dataclass(frozen=True)
class VitalsInput:
    """A set as typed: text per measure ("" = not measured) and the unit of each.

    Field names are the ``Vital`` values, so an error's key names the field. Units are the
    ``Unit`` codes a measure offers (``SPECS``), or ``FEET_INCHES`` for height (feet here,
    inches in ``height_inches``) and ``POUNDS_OUNCES`` for weight (pounds here, ounces in
    ``weight_ounces``).
    """

    height: str = ""
    height_unit: str = Unit.CM.value
    height_inches: str = ""
    weight: str = ""
    weight_unit: str = Unit.KG.value
    weight_ounces: str = ""
    temperature: str = ""
    temperature_unit: str = Unit.CELSIUS.value
    pulse: str = ""
    respiration: str = ""
    bp_systolic: str = ""
    bp_diastolic: str = ""
    spo2: str = ""
    head_circumference: str = ""
    head_circumference_unit: str = Unit.CM.value
    waist_circumference: str = ""
    waist_circumference_unit: str = Unit.CM.value
    pain: str = ""
    note: str = ""


@dataclass(frozen=True)
class VitalSet:
    """One stored set, every value in its canonical unit (``vital_measures``), None when not
    measured."""

    id: uuid.UUID
    version: int
    patient_id: uuid.UUID
    encounter_id: uuid.UUID | None
    taken_at: datetime
    height_cm: Decimal | None
    weight_kg: Decimal | None
    bmi: Decimal | None
    temperature_c: Decimal | None
    pulse: Decimal | None
    respiration: Decimal | None
    systolic: Decimal | None
    diastolic: Decimal | None
    spo2: Decimal | None
    head_circumference_cm: Decimal | None
    waist_circumference_cm: Decimal | None
    pain: Decimal | None
    note: str | None
    recorded_at: datetime
    recorded_by: uuid.UUID | None

    def value(self, kind: Vital | str) -> Decimal | None:
        return getattr(self, COLUMNS[Vital(kind)].key)

    @property
    def bmi_from_earlier_height(self) -> bool:
        """BMI without a height in the set: computed from an earlier one."""
        return self.bmi is not None and self.height_cm is None

    @property
    def cursor(self) -> tuple[datetime, uuid.UUID]:
        """Where the next page of ``vital_sets`` starts (``before=``)."""
        return self.taken_at, self.id


@dataclass(frozen=True)
class EarlierHeight:
    """The height an adult's BMI was computed from when the set had none."""

    height_cm: Decimal
    taken_at: datetime


@dataclass(frozen=True)
class RecordedVitals:
    vitals: VitalSet
    # Set when BMI came from an earlier height rather than this set's own.
    bmi_height: EarlierHeight | None
    # The warnings the user confirmed by saving anyway.
    confirmed: tuple[Plausibility, ...]


def _decimal(value: Decimal | int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _vital_set(row: VitalSigns) -> VitalSet:
    values = {column.key: _decimal(getattr(row, column.key)) for column in COLUMNS.values()}
    return VitalSet(id=row.id, version=row.version, patient_id=row.patient_id,
                    encounter_id=row.encounter_id, taken_at=row.taken_at, note=row.note,
                    recorded_at=row.created_at, recorded_by=row.created_by, **values)


# -- reading what was typed -------------------------------------------------------------------


_UNIT_FIELDS = {
    Vital.HEIGHT: "height_unit", Vital.WEIGHT: "weight_unit",
    Vital.TEMPERATURE: "temperature_unit",
    Vital.HEAD_CIRCUMFERENCE: "head_circumference_unit",
    Vital.WAIST_CIRCUMFERENCE: "waist_circumference_unit",
}
_TWO_PART = {Vital.HEIGHT: (FEET_INCHES, "height_inches", Unit.IN, feet_inches_to_cm),
             Vital.WEIGHT: (POUNDS_OUNCES, "weight_ounces", Unit.LB, lb_oz_to_kg)}


def _read_one(entered: VitalsInput, kind: Vital) -> tuple[Decimal, Unit] | None:
    """The canonical value of one typed measure and the unit its messages are worded in;
    None when not measured. Raises VitalInvalid."""
    text = getattr(entered, kind.value).strip()
    spec = SPECS[kind]
    unit_code = getattr(entered, _UNIT_FIELDS[kind]) if kind in _UNIT_FIELDS \
        else spec.canonical.value
    if kind in _TWO_PART and unit_code == _TWO_PART[kind][0]:
        _code, rest_field, message_unit, combine = _TWO_PART[kind]
        rest = getattr(entered, rest_field).strip()
        if not text and not rest:
            return None
        return combine(text or "0", rest or "0"), message_unit
    if not text:
        return None
    unit = _offered_unit(kind, unit_code)
    if unit is None:
        raise VitalInvalid(kind, f"{spec.label}: choose a unit.")
    return to_canonical(kind, text, unit), unit


def _offered_unit(kind: Vital, code: str) -> Unit | None:
    """The unit a measure offers under this code or symbol ("degF" or "°F")."""
    for candidate, _step in SPECS[kind].units:
        if code in (candidate.value, unit_symbol(candidate)):
            return candidate
    return None


def read_entered(entered: VitalsInput) -> tuple[dict[Vital, Decimal], dict[Vital, Unit]]:
    """Every typed measure in canonical units, with the unit each was typed in; VitalsInvalid
    with a message per field that cannot be read."""
    values: dict[Vital, Decimal] = {}
    units: dict[Vital, Unit] = {}
    errors: dict[str, str] = {}
    for kind in _TYPED:
        try:
            found = _read_one(entered, kind)
        except VitalInvalid as invalid:
            errors[kind.value] = invalid.message
            continue
        if found is not None:
            values[kind], units[kind] = found
    if errors:
        raise VitalsInvalid(errors)
    return values, units


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _earlier_height(
    session: Session, patient_id: uuid.UUID, taken_at: datetime
) -> EarlierHeight | None:
    row = session.execute(
        select(VitalSigns.height_cm, VitalSigns.taken_at)
        .where(VitalSigns.patient_id == patient_id, VitalSigns.deleted_at.is_(None),
               VitalSigns.height_cm.is_not(None), VitalSigns.taken_at <= taken_at,
               VitalSigns.taken_at >= taken_at - HEIGHT_CARRIED_FOR)
        .order_by(VitalSigns.taken_at.desc(), VitalSigns.id.desc()).limit(1)
    ).first()
    return None if row is None else EarlierHeight(Decimal(row.height_cm), row.taken_at)


# -- services ---------------------------------------------------------------------------------


def record_vitals(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, taken_at: datetime,
    entered: VitalsInput, encounter_id: uuid.UUID | None = None,
    confirm_warnings: bool = False, now: datetime | None = None,
) -> RecordedVitals:
    """Save one set of vital signs taken at ``taken_at`` (timezone-aware).

    Refuses (VitalsInvalid) a set with nothing measured, a value that cannot be read or is
    impossible, a time in the future (``FUTURE_SLACK`` allowed; ``now`` defaults to the clock)
    or before the patient's birth; raises VitalsNeedConfirmation for unusual values unless
    ``confirm_warnings``.
    """
    if taken_at.tzinfo is None:
        raise ValueError("taken_at must be timezone-aware")
    patient = chart_patient(session, actor, patient_id, write=True)
    if encounter_id is not None:
        encounter_for_entry(session, patient_id=patient_id, encounter_id=encounter_id,
                            errors_as=VitalsInvalid)
    errors: dict[str, str] = {}
    try:
        values, units = read_entered(entered)
    except VitalsInvalid as invalid:
        values, units = {}, {}
        errors |= invalid.errors
    note = clean_text(entered.note, "Note", NOTE_LIMIT, errors, "note")
    day = taken_at.astimezone(ZoneInfo(actor.seat.clinic_timezone)).date()
    if taken_at > (now or utcnow()) + FUTURE_SLACK:
        errors["taken_at"] = "Taken at: cannot be in the future."
    elif day < patient.date_of_birth:
        errors["taken_at"] = "Taken at: cannot be before the patient's date of birth."
    if not values and not errors:
        errors["vitals"] = "Enter at least one measurement."
    if errors:
        raise VitalsInvalid(errors)

    age = _age_on(patient.date_of_birth, day)
    verdicts = check_set(values, age_years=age, units=units)
    computed = bmi(values.get(Vital.WEIGHT), values.get(Vital.HEIGHT))
    earlier = None
    if (computed is None and Vital.WEIGHT in values and Vital.HEIGHT not in values
            and age >= ADULT_BMI_FROM_AGE):
        earlier = _earlier_height(session, patient_id, taken_at)
        if earlier is not None:
            computed = bmi(values[Vital.WEIGHT], earlier.height_cm)
            verdict = check(Vital.BMI, computed, age_years=age)
            if verdict.level is Level.REFUSED:
                shown = format_vital(Vital.HEIGHT, earlier.height_cm,
                                     Unit.IN if units[Vital.WEIGHT] is Unit.LB else Unit.CM)
                verdict = Plausibility(Vital.WEIGHT, Level.REFUSED,
                                       f"With the last height ({shown}), BMI would be "
                                       f"{computed}, which is not possible: check the weight.")
            verdicts.append(verdict)
    refused = {v.kind.value: v.message for v in verdicts if v.level is Level.REFUSED}
    if refused:
        raise VitalsInvalid(refused)
    warnings = tuple(v for v in verdicts if v.level is Level.WARNING)
    if warnings and not confirm_warnings:
        raise VitalsNeedConfirmation(warnings)

    bind_actor(session, actor.user_id)
    row = VitalSigns(clinic_id=patient.clinic_id, patient_id=patient_id,
                     encounter_id=encounter_id, taken_at=taken_at, note=note, bmi=computed)
    for kind, value in values.items():
        setattr(row, COLUMNS[kind].key, int(value) if SPECS[kind].whole else value)
    session.add(row)
    session.flush()
    changes: dict[str, Any] = {"fields": [kind.value for kind in _TYPED if kind in values]}
    if computed is not None:
        changes["bmi"] = "earlier height" if earlier else "this set"
    if warnings:
        changes["confirmed"] = sorted({warning.kind.value for warning in warnings})
    audit(session, actor, action="chart.write", patient_id=patient_id,
          resource_type="vital_signs", resource_id=row.id, changes=changes)
    return RecordedVitals(_vital_set(row), earlier, warnings)


def _live(patient_id: uuid.UUID) -> Any:
    return and_(VitalSigns.patient_id == patient_id, VitalSigns.deleted_at.is_(None))


def vital_sets(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, limit: int | None = None,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[VitalSet]:
    """The patient's sets, newest first; ``limit`` a page, ``before`` the previous page's last
    ``cursor`` (keyset paging on (taken_at, id): a set taken at the same moment as another is
    neither skipped nor repeated)."""
    chart_patient(session, actor, patient_id)
    statement = select(VitalSigns).where(_live(patient_id))
    if before is not None:
        statement = statement.where(older_than(VitalSigns.taken_at, VitalSigns.id, before))
    statement = statement.order_by(VitalSigns.taken_at.desc(), VitalSigns.id.desc())
    if limit is not None:
        statement = statement.limit(limit)
    found = [_vital_set(row) for row in session.scalars(statement)]
    audit(session, actor, action="chart.read", patient_id=patient_id,
          resource_type="vital_signs", reason="list", changes={"count": len(found)})
    return found


def latest_vitals(session: Session, actor: Actor, *, patient_id: uuid.UUID) -> VitalSet | None:
    """The newest set (None: no vitals yet)."""
    chart_patient(session, actor, patient_id)
    row = session.scalars(
        select(VitalSigns).where(_live(patient_id))
        .order_by(VitalSigns.taken_at.desc(), VitalSigns.id.desc()).limit(1)
    ).first()
    audit(session, actor, action="chart.read", patient_id=patient_id,
          resource_type="vital_signs", resource_id=None if row is None else row.id,
          reason="latest")
    return None if row is None else _vital_set(row)


def vital_series(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, kind: Vital | str
) -> list[tuple[datetime, Decimal]]:
    """One vital over time for a trend plot, oldest first, canonical unit: one query reading
    only that column and the time."""
    kind = Vital(kind)
    column = COLUMNS[kind]
    chart_patient(session, actor, patient_id)
    rows = session.execute(
        select(VitalSigns.taken_at, column)
        .where(_live(patient_id), column.is_not(None))
        .order_by(VitalSigns.taken_at, VitalSigns.id)
    ).all()
    audit(session, actor, action="chart.read", patient_id=patient_id,
          resource_type="vital_signs", reason="series",
          changes={"kind": kind.value, "count": len(rows)})
    return [(taken_at, Decimal(value)) for taken_at, value in rows]


def remove_vitals(
    session: Session, actor: Actor, *, patient_id: uuid.UUID, vitals_id: uuid.UUID,
    version: int,
) -> None:
    """Take a set entered in error off the chart (a tombstone; the values stay in the
    database). Refused for a set of a signed encounter: that needs an amendment."""
    chart_patient(session, actor, patient_id, write=True)
    row = owned_row(session, VitalSigns, vitals_id, patient_id, "This set of vital signs")
    refuse_if_signed(session, row.encounter_id)
    tombstone(session, actor, row, patient_id=patient_id, resource_type="vital_signs",
              version=version, audit_fields=False)


# -- display ----------------------------------------------------------------------------------


def format_vital(kind: Vital | str, value: Decimal, unit: str | None = None) -> str:
    """A stored value as shown in ``unit`` (canonical when None; ``FEET_INCHES`` and
    ``POUNDS_OUNCES`` too): "177.8 cm", "5 ft 10.0 in", "98.7 °F", "72 /min", "97 %"."""
    kind = Vital(kind)
    if kind is Vital.HEIGHT and unit == FEET_INCHES:
        feet, inches = cm_to_feet_inches(value)
        return f"{feet} ft {inches} in"
    if kind is Vital.WEIGHT and unit == POUNDS_OUNCES:
        pounds, ounces = kg_to_lb_oz(value)
        return f"{pounds} lb {ounces} oz"
    shown_unit = SPECS[kind].canonical if unit is None else _offered_unit(kind, unit)
    if shown_unit is None:
        raise ValueError(f"{unit!r} is not a unit for {kind.value}")
    shown = from_canonical(kind, value, shown_unit)
    if shown_unit is Unit.SCORE:
        return f"{shown}/10"
    symbol = unit_symbol(shown_unit)
    return f"{shown} {symbol}"
