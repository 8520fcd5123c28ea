"""Vital signs as numbers: entry units, the one canonical unit each is stored in, BMI, and
whether a value is plausible.

Staff type vitals in metric or US units; the chart stores every vital in one canonical unit as
a ``Decimal`` quantised to a fixed step, so a value never changes by being re-saved and two
workstations never disagree about the same reading. The storage steps are chosen so that a
value typed at a unit's display precision comes back unchanged in that unit (98.7 °F is stored
as 37.06 °C, not 37.1 °C, which would show as 98.8 °F):

=====================  ========  ==============  ================================
vital                  stored    storage step    entry units (display step)
=====================  ========  ==============  ================================
height                 cm        0.1             cm (0.1), in (0.1), ft+in helper
weight                 kg        0.001 (1 g)     kg (0.01), g (1), lb (0.1), lb+oz helper
BMI (computed)         kg/m²     0.1             kg/m² (0.1)
temperature            °C        0.01            °C (0.1), °F (0.1)
pulse, respiration     /min      1               /min
systolic, diastolic    mmHg      1               mmHg
SpO2                   %         1               % (oximeters show whole percent)
head, waist circ.      cm        0.1             cm (0.1), in (0.1)
pain                   0-10      1               score
=====================  ========  ==============  ================================

Weight keeps grams because newborn weights are read in grams and their daily change (weight
loss from birth weight, 20-30 g/day gain) is smaller than 10 g steps describe well.

Text entry accepts plain decimals with a point ("70.5", ".5", "70."). A comma is refused rather
than guessed: "3,450" is a thousands separator to a US user and a decimal comma to others.
Exponents, NaN, infinity, signs and non-ASCII digits are refused. Rounding is ROUND_HALF_UP
everywhere, as clinicians round by hand.

Plausibility has two levels on the canonical value: outside the *hard* range a value is
refused (impossible for a patient measured in a clinic, usually a unit or typing slip);
outside the *expected* range for the patient's age it is a warning that needs confirmation.
These are data-entry checks, not clinical alerts. See ``HARD_RANGES`` and ``EXPECTED_RANGES``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum

from medtrack_desktop.domain.fields import FieldsInvalid

# Enough digits that no intermediate step rounds before the final quantize.
_EXACT = Context(prec=60, rounding=ROUND_HALF_UP)
_MAX_TEXT = 32           # longer input is not a typed measurement
_MAX_INTEGER_DIGITS = 7  # nothing we measure reaches 10 000 000 in any unit
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)
_NEGATIVE = re.compile(r"[-\u2212]\s*(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class Vital(StrEnum):
    """The kinds of vital sign the chart records (the strings are stored)."""

    HEIGHT = "height"
    WEIGHT = "weight"
    BMI = "bmi"
    TEMPERATURE = "temperature"
    PULSE = "pulse"
    RESPIRATION = "respiration"
    SYSTOLIC = "bp_systolic"
    DIASTOLIC = "bp_diastolic"
    SPO2 = "spo2"
    HEAD_CIRCUMFERENCE = "head_circumference"
    WAIST_CIRCUMFERENCE = "waist_circumference"
    PAIN = "pain"


class Unit(StrEnum):
    """Units as stored (ASCII, fit a CHECK constraint); ``UNIT_SYMBOLS`` has what is shown."""

    CM = "cm"
    IN = "in"
    KG = "kg"
    G = "g"
    LB = "lb"
    KG_M2 = "kg/m2"
    CELSIUS = "degC"
    FAHRENHEIT = "degF"
    PER_MIN = "/min"
    MMHG = "mmHg"
    PERCENT = "%"
    SCORE = "score"


UNIT_SYMBOLS: dict[Unit, str] = {
    Unit.KG_M2: "kg/m²",
    Unit.CELSIUS: "°C",
    Unit.FAHRENHEIT: "°F",
}


def unit_symbol(unit: Unit) -> str:
    """How a unit is written on screen and in messages."""
    return UNIT_SYMBOLS.get(unit, unit.value)


@dataclass(frozen=True)
class _Conversion:
    """canonical = (value - zero) * num / den, kept as exact integers so only the final
    quantize rounds (1 in = 2.54 cm, 1 lb = 0.45359237 kg, °C = (°F - 32) * 5/9)."""

    num: int = 1
    den: int = 1
    zero: int = 0


_CONVERSIONS: dict[Unit, _Conversion] = {
    Unit.IN: _Conversion(254, 100),
    Unit.G: _Conversion(1, 1000),
    Unit.LB: _Conversion(45359237, 100000000),
    Unit.FAHRENHEIT: _Conversion(5, 9, 32),
}
_IDENTITY = _Conversion()


@dataclass(frozen=True)
class VitalSpec:
    """What the chart knows about one kind of vital: label, units, precision."""

    kind: Vital
    label: str
    canonical: Unit
    storage_step: Decimal
    # Entry units, canonical first, each with the step it is shown at.
    units: tuple[tuple[Unit, Decimal], ...]
    computed: bool = False

    @property
    def whole(self) -> bool:
        """Counted vitals (beats, breaths, mmHg, score) are whole numbers."""
        return self.storage_step == 1

    def display_step(self, unit: Unit) -> Decimal:
        """The step a value is shown at in ``unit`` (finer steps would show noise)."""
        for candidate, step in self.units:
            if candidate == unit:
                return step
        raise ValueError(f"{unit.value!r} is not a unit for {self.kind.value}")


_TENTH, _HUNDREDTH, _ONE = Decimal("0.1"), Decimal("0.01"), Decimal("1")
_LENGTH_UNITS = ((Unit.CM, _TENTH), (Unit.IN, _TENTH))

SPECS: dict[Vital, VitalSpec] = {spec.kind: spec for spec in (
    VitalSpec(Vital.HEIGHT, "Height", Unit.CM, _TENTH, _LENGTH_UNITS),
    VitalSpec(Vital.WEIGHT, "Weight", Unit.KG, Decimal("0.001"),
              ((Unit.KG, _HUNDREDTH), (Unit.G, _ONE), (Unit.LB, _TENTH))),
    VitalSpec(Vital.BMI, "BMI", Unit.KG_M2, _TENTH, ((Unit.KG_M2, _TENTH),), computed=True),
    VitalSpec(Vital.TEMPERATURE, "Temperature", Unit.CELSIUS, _HUNDREDTH,
              ((Unit.CELSIUS, _TENTH), (Unit.FAHRENHEIT, _TENTH))),
    VitalSpec(Vital.PULSE, "Pulse", Unit.PER_MIN, _ONE, ((Unit.PER_MIN, _ONE),)),
    VitalSpec(Vital.RESPIRATION, "Respiration", Unit.PER_MIN, _ONE, ((Unit.PER_MIN, _ONE),)),
    VitalSpec(Vital.SYSTOLIC, "Systolic BP", Unit.MMHG, _ONE, ((Unit.MMHG, _ONE),)),
    VitalSpec(Vital.DIASTOLIC, "Diastolic BP", Unit.MMHG, _ONE, ((Unit.MMHG, _ONE),)),
    VitalSpec(Vital.SPO2, "SpO2", Unit.PERCENT, _ONE, ((Unit.PERCENT, _ONE),)),
    VitalSpec(Vital.HEAD_CIRCUMFERENCE, "Head circumference", Unit.CM, _TENTH, _LENGTH_UNITS),
    VitalSpec(Vital.WAIST_CIRCUMFERENCE, "Waist circumference", Unit.CM, _TENTH, _LENGTH_UNITS),
    VitalSpec(Vital.PAIN, "Pain score", Unit.SCORE, _ONE, ((Unit.SCORE, _ONE),)),
)}


class VitalInvalid(FieldsInvalid):
    """A vital that cannot be read as typed; the message fits under the form field."""

    def __init__(self, kind: Vital, message: str) -> None:
        super().__init__({kind.value: message})
        self.kind = kind
        self.message = message


def _unit(spec: VitalSpec, unit: str) -> Unit:
    """The Unit for a stored code or an on-screen symbol; a wrong unit is a programming error
    (units come from a fixed list, not from typing), hence ValueError, not VitalInvalid."""
    for candidate, _step in spec.units:
        if unit in (candidate.value, unit_symbol(candidate)):
            return candidate
    raise ValueError(f"{unit!r} is not a unit for {spec.kind.value}")


def _quantize(value: Decimal, step: Decimal) -> Decimal:
    """Rounded half up to ``step``; a result of zero is +0 (no "-0.0 °F" on screen)."""
    rounded = value.quantize(step, rounding=ROUND_HALF_UP, context=_EXACT)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _read(spec: VitalSpec, value: Decimal | int | str, unit_words: str | None) -> Decimal:
    """A finite, non-negative number of bounded size, or VitalInvalid worded for the form
    ("Weight must be a number in lb."); ``unit_words`` names the unit when there is a choice."""
    label = spec.label
    in_unit = f" in {unit_words}" if unit_words else ""
    not_a_number = VitalInvalid(spec.kind, f"{label} must be a number{in_unit}.")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise VitalInvalid(spec.kind, f"Enter the {_in_sentence(label)}{in_unit}.")
        if len(text) > _MAX_TEXT:
            raise not_a_number
        if "," in text:
            raise VitalInvalid(spec.kind, f"{label} must be typed without commas, e.g. 70.5.")
        if _NEGATIVE.fullmatch(text):
            raise VitalInvalid(spec.kind, f"{label} cannot be negative.")
        if not _NUMBER.fullmatch(text):
            raise not_a_number
        number = Decimal(text)
    elif isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"a vital is a Decimal, int or str, not {type(value).__name__}")
    else:
        number = Decimal(value)
        if not number.is_finite():
            raise not_a_number
        if number < 0:
            raise VitalInvalid(spec.kind, f"{label} cannot be negative.")
    if number.adjusted() >= _MAX_INTEGER_DIGITS:
        raise VitalInvalid(spec.kind, f"{label} is too large to be a measurement.")
    if spec.whole and number != number.to_integral_value():
        raise VitalInvalid(spec.kind, f"{label} must be a whole number.")
    return number


def _in_sentence(label: str) -> str:
    """"Systolic BP" -> "systolic BP"; "SpO2" and "BMI" keep their capitals."""
    first = label.split()[0]
    return label if any(c.isupper() for c in first[1:]) else label[0].lower() + label[1:]


def _unit_words(spec: VitalSpec, unit: Unit) -> str | None:
    """The unit as a message names it, only when the field offers a choice of units."""
    if len(spec.units) == 1:
        return None
    return "inches" if unit is Unit.IN else unit_symbol(unit)


def to_canonical(kind: Vital, value: Decimal | int | str, unit: str) -> Decimal:
    """A typed or imported value in ``unit`` as stored: canonical unit, storage step.

    Raises VitalInvalid for anything that is not a plain non-negative number; whether the
    number is plausible is ``check``'s business.
    """
    spec = SPECS[Vital(kind)]
    entry_unit = _unit(spec, unit)
    number = _read(spec, value, _unit_words(spec, entry_unit))
    conv = _CONVERSIONS.get(entry_unit, _IDENTITY)
    with localcontext(_EXACT):
        canonical = (number - conv.zero) * conv.num / conv.den
    return _quantize(canonical, spec.storage_step)


def from_canonical(kind: Vital, value: Decimal, unit: str) -> Decimal:
    """A stored value shown in ``unit``, rounded to that unit's display step."""
    spec = SPECS[Vital(kind)]
    shown_unit = _unit(spec, unit)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"a stored {kind} is a finite Decimal, not {value!r}")
    conv = _CONVERSIONS.get(shown_unit, _IDENTITY)
    with localcontext(_EXACT):
        shown = value * conv.den / conv.num + conv.zero
    return _quantize(shown, spec.display_step(shown_unit))


def feet_inches_to_cm(feet: Decimal | int | str, inches: Decimal | int | str) -> Decimal:
    """Height typed as 5 ft 10 in, stored in cm; inches must be under 12."""
    spec = SPECS[Vital.HEIGHT]
    whole_feet = _read(spec, feet, "feet")
    rest = _read(spec, inches, "inches")
    if whole_feet != whole_feet.to_integral_value():
        raise VitalInvalid(Vital.HEIGHT, "Feet must be a whole number; put the rest in inches.")
    if rest >= 12:
        raise VitalInvalid(Vital.HEIGHT, "Inches must be less than 12.")
    with localcontext(_EXACT):
        total = whole_feet * 12 + rest
    return to_canonical(Vital.HEIGHT, total, Unit.IN)


def cm_to_feet_inches(cm: Decimal) -> tuple[int, Decimal]:
    """A stored height as (feet, inches to 0.1), carrying 11.96 in up to the next foot."""
    total = from_canonical(Vital.HEIGHT, cm, Unit.IN)
    feet, inches = divmod(total, 12)
    return int(feet), inches


def lb_oz_to_kg(pounds: Decimal | int | str, ounces: Decimal | int | str) -> Decimal:
    """Infant weight typed as 7 lb 9.5 oz, stored in kg; ounces must be under 16."""
    spec = SPECS[Vital.WEIGHT]
    whole_pounds = _read(spec, pounds, "lb")
    rest = _read(spec, ounces, "oz")
    if whole_pounds != whole_pounds.to_integral_value():
        raise VitalInvalid(Vital.WEIGHT, "Pounds must be a whole number; put the rest in ounces.")
    if rest >= 16:
        raise VitalInvalid(Vital.WEIGHT, "Ounces must be less than 16.")
    with localcontext(_EXACT):
        kg = (whole_pounds * 16 + rest) * _CONVERSIONS[Unit.LB].num / (
            16 * _CONVERSIONS[Unit.LB].den)
    return _quantize(kg, spec.storage_step)


def kg_to_lb_oz(kg: Decimal) -> tuple[int, Decimal]:
    """A stored weight as (pounds, ounces to 0.1), the way US nurseries say it."""
    conv = _CONVERSIONS[Unit.LB]
    with localcontext(_EXACT):
        ounces = _quantize(kg * conv.den * 16 / conv.num, _TENTH)
    pounds, rest = divmod(ounces, 16)
    return int(pounds), rest


# --- BMI ---------------------------------------------------------------------------------


class BmiCategory(StrEnum):
    """WHO / CDC adult weight status."""

    UNDERWEIGHT = "underweight"
    NORMAL = "normal"
    OVERWEIGHT = "overweight"
    OBESE = "obese"


ADULT_BMI_FROM_AGE = 20  # CDC: under 20, weight status is a BMI-for-age percentile


def bmi(weight_kg: Decimal | None, height_cm: Decimal | None) -> Decimal | None:
    """kg/m² to 0.1 (half up), or None when either measure is missing or not positive."""
    if weight_kg is None or height_cm is None or weight_kg <= 0 or height_cm <= 0:
        return None
    with localcontext(_EXACT):
        value = weight_kg * 10000 / (height_cm * height_cm)
    return _quantize(value, _TENTH)


def bmi_category(value: Decimal | None, *, age_years: int | None) -> BmiCategory | None:
    """Adult category for a BMI; None for children and unknown age, whose weight status needs
    a BMI-for-age percentile (CDC growth charts) that a bare BMI cannot give."""
    if value is None or age_years is None or age_years < ADULT_BMI_FROM_AGE:
        return None
    if value < Decimal("18.5"):
        return BmiCategory.UNDERWEIGHT
    if value < 25:
        return BmiCategory.NORMAL
    if value < 30:
        return BmiCategory.OVERWEIGHT
    return BmiCategory.OBESE


# --- Plausibility ------------------------------------------------------------------------


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"   # possible but unusual: the user confirms before saving
    REFUSED = "refused"   # not a value a patient in a clinic can have: cannot be saved


@dataclass(frozen=True)
class Plausibility:
    """The verdict on one vital (or a pair): ``kind`` is the field the message goes under,
    ``other`` the second field a cross-field rule concerns."""

    kind: Vital
    level: Level
    message: str = ""
    other: Vital | None = None

    @property
    def ok(self) -> bool:
        return self.level is Level.OK


@dataclass(frozen=True)
class Range:
    """Closed range [low, high] unless a bound is marked open."""

    low: Decimal
    high: Decimal
    low_open: bool = False
    high_open: bool = False

    def below(self, value: Decimal) -> bool:
        return value <= self.low if self.low_open else value < self.low

    def above(self, value: Decimal) -> bool:
        return value >= self.high if self.high_open else value > self.high


def _r(low: str, high: str, *, low_open: bool = False, high_open: bool = False) -> Range:
    return Range(Decimal(low), Decimal(high), low_open, high_open)


# Refused outside these (canonical units). Beyond the records of living people, or a reading
# that is really "no signal" (leave the field empty). Temperature 25-45 °C also catches a
# Celsius reading typed as °F (37 °F = 2.8 °C). Diastolic 0 is allowed: Korotkoff sounds can
# persist to zero in children, pregnancy and aortic regurgitation.
HARD_RANGES: dict[Vital, Range] = {
    Vital.HEIGHT: _r("20", "275"),            # tallest recorded person 272 cm
    Vital.WEIGHT: _r("0.2", "650"),           # smallest surviving newborns ~0.21 kg; max 635 kg
    Vital.BMI: _r("5", "200"),
    Vital.TEMPERATURE: _r("25", "45"),
    Vital.PULSE: _r("10", "350"),
    Vital.RESPIRATION: _r("1", "150"),
    Vital.SYSTOLIC: _r("20", "300"),
    Vital.DIASTOLIC: _r("0", "250"),
    Vital.SPO2: _r("20", "100"),
    Vital.HEAD_CIRCUMFERENCE: _r("15", "100"),
    Vital.WAIST_CIRCUMFERENCE: _r("15", "300"),
    Vital.PAIN: _r("0", "10"),
}

# Age bands: under 1 year, 1-4, 5-11, 12 and over (adolescents have adult-like pulse and
# breathing ranges; unknown age is treated as 12+).
AGE_BANDS: tuple[tuple[int, str], ...] = ((0, "infant"), (1, "young child"), (5, "child"),
                                          (12, "adult"))

# A warning outside these. Wider than textbook normals so that only values worth a second look
# ask for confirmation. Sources: pulse/respiration/BP from AHA PALS 2020 normal ranges (neonate
# pulse up to 205 awake) widened; respiration caps at the WHO fast-breathing thresholds (>= 60
# under 2 months, >= 40 at 1-4 years); adult pulse 40-150, respiration 8-30, systolic 80-179 and
# diastolic < 120 (ACC/AHA 2017: >= 180 / >= 120 is a hypertensive crisis), SpO2 >= 90 %,
# temperature 35-40 °C exclusive (hypothermia < 35; >= 40 is high fever). Height, weight, head
# and waist bands are coarse envelopes: children's values need growth-chart percentiles.
EXPECTED_RANGES: dict[Vital, tuple[Range, Range, Range, Range]] = {
    Vital.HEIGHT: (_r("40", "90"), _r("65", "125"), _r("95", "185"), _r("130", "210")),
    Vital.WEIGHT: (_r("2", "15"), _r("7", "30"), _r("14", "90"), _r("30", "250")),
    Vital.BMI: (_r("9", "22"), _r("12", "22"), _r("12", "35"), _r("15", "60")),
    Vital.TEMPERATURE: (_r("35", "40", low_open=True, high_open=True),) * 4,
    Vital.PULSE: (_r("90", "205"), _r("70", "170"), _r("55", "150"), _r("40", "150")),
    Vital.RESPIRATION: (_r("25", "59"), _r("20", "39"), _r("14", "30"), _r("8", "30")),
    Vital.SYSTOLIC: (_r("60", "120"), _r("70", "130"), _r("80", "150"), _r("80", "179")),
    Vital.DIASTOLIC: (_r("30", "80"), _r("35", "90"), _r("40", "100"), _r("40", "119")),
    Vital.SPO2: (_r("90", "100"),) * 4,
    Vital.HEAD_CIRCUMFERENCE: (_r("30", "52"), _r("42", "56"), _r("46", "60"), _r("50", "64")),
    Vital.WAIST_CIRCUMFERENCE: (_r("30", "60"), _r("40", "75"), _r("45", "110"),
                                _r("55", "160")),
    Vital.PAIN: (_r("0", "10"),) * 4,
}


def age_band(age_years: int | None) -> int:
    """Index into ``AGE_BANDS`` / ``EXPECTED_RANGES`` for an age in whole years."""
    if age_years is None:
        return len(AGE_BANDS) - 1
    if age_years < 0:
        raise ValueError(f"age cannot be negative: {age_years}")
    return max(i for i, (start, _name) in enumerate(AGE_BANDS) if age_years >= start)


def _bound(kind: Vital, bound: Decimal, unit: Unit) -> str:
    shown = from_canonical(kind, bound, unit)
    return f"{shown} {unit_symbol(unit)}" if unit is not Unit.SCORE else str(shown)


def check(kind: Vital, value: Decimal | int, *, age_years: int | None,
          unit: str | None = None) -> Plausibility:
    """Whether a stored (canonical) value is plausible for a patient of this age.

    ``unit`` only words the message in the unit the form shows (so a °F field says 77.0 °F,
    not 25 °C).
    """
    kind = Vital(kind)
    spec = SPECS[kind]
    shown = spec.canonical if unit is None else _unit(spec, unit)
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        return Plausibility(kind, Level.REFUSED, f"{spec.label} must be a number.")
    hard = HARD_RANGES[kind]
    if hard.below(value) or hard.above(value):
        low, high = _bound(kind, hard.low, shown), _bound(kind, hard.high, shown)
        return Plausibility(kind, Level.REFUSED,
                            f"{spec.label} must be between {low} and {high}.")
    band = age_band(age_years)
    expected = EXPECTED_RANGES[kind][band]
    for_age = "" if band == len(AGE_BANDS) - 1 else " for this age"
    if expected.below(value):
        edge = "at or below" if expected.low_open else "below"
        return Plausibility(kind, Level.WARNING, f"{spec.label} {edge} "
                            f"{_bound(kind, expected.low, shown)} is unusual{for_age}: confirm.")
    if expected.above(value):
        edge = "at or above" if expected.high_open else "above"
        return Plausibility(kind, Level.WARNING, f"{spec.label} {edge} "
                            f"{_bound(kind, expected.high, shown)} is unusual{for_age}: confirm.")
    return Plausibility(kind, Level.OK)


def check_set(values: Mapping[Vital, Decimal | None], *, age_years: int | None,
              units: Mapping[Vital, str] | None = None) -> list[Plausibility]:
    """One verdict per given vital (in ``Vital`` order; None means not measured), then the
    cross-field rules that fire.

    The pair rule refuses systolic <= diastolic. When weight and height are both given (and
    not refused) BMI is computed from them and judged; it replaces any BMI passed in, since BMI
    is never typed. A refused BMI means one of the two measures is wrong (often a unit slip).
    """
    units = units or {}
    present = {Vital(kind): value for kind, value in values.items() if value is not None}
    weight, height = present.get(Vital.WEIGHT), present.get(Vital.HEIGHT)
    results: dict[Vital, Plausibility] = {
        kind: check(kind, present[kind], age_years=age_years, unit=units.get(kind))
        for kind in Vital if kind in present and kind is not Vital.BMI}
    usable = {kind for kind, result in results.items() if result.level is not Level.REFUSED}
    computed = bmi(weight, height) if {Vital.WEIGHT, Vital.HEIGHT} <= usable else None
    if computed is not None:
        found = check(Vital.BMI, computed, age_years=age_years)
        if found.level is Level.REFUSED:
            found = Plausibility(Vital.BMI, Level.REFUSED,
                                 f"BMI {computed} is not possible: check height and weight.")
        results[Vital.BMI] = found
    elif Vital.BMI in present:
        results[Vital.BMI] = check(Vital.BMI, present[Vital.BMI], age_years=age_years)
    ordered = [results[kind] for kind in Vital if kind in results]
    if {Vital.SYSTOLIC, Vital.DIASTOLIC} <= usable and (
            present[Vital.SYSTOLIC] <= present[Vital.DIASTOLIC]):
        ordered.append(Plausibility(Vital.SYSTOLIC, Level.REFUSED,
                                    "Systolic BP must be higher than diastolic.",
                                    other=Vital.DIASTOLIC))
    return ordered


def worst(results: list[Plausibility]) -> Level:
    """The level that decides whether a set can be saved as is."""
    levels = {result.level for result in results}
    for level in (Level.REFUSED, Level.WARNING):
        if level in levels:
            return level
    return Level.OK
