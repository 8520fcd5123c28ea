"""Vital-sign units, storage rounding, BMI and plausibility (Qt-free, no database)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrack_desktop.domain.chart.vital_measures import (
    AGE_BANDS,
    EXPECTED_RANGES,
    HARD_RANGES,
    SPECS,
    BmiCategory,
    Level,
    Unit,
    Vital,
    VitalInvalid,
    bmi,
    bmi_category,
    check,
    check_set,
    cm_to_feet_inches,
    feet_inches_to_cm,
    from_canonical,
    kg_to_lb_oz,
    lb_oz_to_kg,
    to_canonical,
    worst,
)
from medtrack_desktop.domain.fields import FieldsInvalid

D = Decimal
PROPERTY = settings(max_examples=300, deadline=None, database=None)
# Exact size of one unit in the canonical unit, written out independently of the module.
UNIT_IN_CANONICAL = {
    Unit.IN: Fraction(254, 100),
    Unit.LB: Fraction(45359237, 10**8),
    Unit.G: Fraction(1, 1000),
    Unit.FAHRENHEIT: Fraction(5, 9),
}
KIND_UNITS = [(kind, unit) for kind, spec in SPECS.items() for unit, _step in spec.units]


def _scale(unit: Unit) -> Fraction:
    return UNIT_IN_CANONICAL.get(unit, Fraction(1))


@st.composite
def displayed_values(draw: st.DrawFn) -> tuple[Vital, Unit, Decimal]:
    """A kind, one of its units, and a value typed at that unit's display step."""
    kind, unit = draw(st.sampled_from(KIND_UNITS))
    step = SPECS[kind].display_step(unit)
    return kind, unit, draw(st.integers(0, 10**6)) * step


@st.composite
def stored_values(draw: st.DrawFn) -> tuple[Vital, Unit, Decimal]:
    """A kind, one of its units, and a stored value inside the kind's hard range."""
    kind, unit = draw(st.sampled_from(KIND_UNITS))
    spec, hard = SPECS[kind], HARD_RANGES[kind]
    steps = draw(st.integers(int(hard.low / spec.storage_step),
                             int(hard.high / spec.storage_step)))
    return kind, unit, steps * spec.storage_step


# --- The table -----------------------------------------------------------------------------


def test_every_kind_has_units_precision_and_ranges() -> None:
    assert set(SPECS) == set(HARD_RANGES) == set(EXPECTED_RANGES) == set(Vital)
    for kind, spec in SPECS.items():
        assert spec.units[0][0] is spec.canonical
        assert len(EXPECTED_RANGES[kind]) == len(AGE_BANDS)
        hard = HARD_RANGES[kind]
        for expected in EXPECTED_RANGES[kind]:
            assert hard.low <= expected.low < expected.high <= hard.high, kind


def test_canonical_units_and_storage_steps() -> None:
    assert {kind: (spec.canonical, spec.storage_step) for kind, spec in SPECS.items()} == {
        Vital.HEIGHT: (Unit.CM, D("0.1")),
        Vital.WEIGHT: (Unit.KG, D("0.001")),
        Vital.BMI: (Unit.KG_M2, D("0.1")),
        Vital.TEMPERATURE: (Unit.CELSIUS, D("0.01")),
        Vital.PULSE: (Unit.PER_MIN, D("1")),
        Vital.RESPIRATION: (Unit.PER_MIN, D("1")),
        Vital.SYSTOLIC: (Unit.MMHG, D("1")),
        Vital.DIASTOLIC: (Unit.MMHG, D("1")),
        Vital.SPO2: (Unit.PERCENT, D("1")),
        Vital.HEAD_CIRCUMFERENCE: (Unit.CM, D("0.1")),
        Vital.WAIST_CIRCUMFERENCE: (Unit.CM, D("0.1")),
        Vital.PAIN: (Unit.SCORE, D("1")),
    }


# --- Known conversions ---------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "text", "unit", "stored"), [
    (Vital.HEIGHT, "70", "in", D("177.8")),
    (Vital.HEIGHT, "177.8", "cm", D("177.8")),
    (Vital.HEIGHT, "177.84", "cm", D("177.8")),
    (Vital.HEIGHT, "177.85", "cm", D("177.9")),          # half up
    (Vital.WEIGHT, "154", "lb", D("69.853")),
    (Vital.WEIGHT, "1", "lb", D("0.454")),
    (Vital.WEIGHT, "3455", "g", D("3.455")),
    (Vital.WEIGHT, " 70.5 ", "kg", D("70.500")),
    (Vital.WEIGHT, ".5", "kg", D("0.500")),
    (Vital.WEIGHT, "70.", "kg", D("70.000")),
    (Vital.TEMPERATURE, "98.6", "degF", D("37.00")),
    (Vital.TEMPERATURE, "98.6", "°F", D("37.00")),        # the on-screen symbol works too
    (Vital.TEMPERATURE, "98.7", "degF", D("37.06")),
    (Vital.TEMPERATURE, "212", "degF", D("100.00")),
    (Vital.TEMPERATURE, "32", "degF", D("0.00")),
    (Vital.TEMPERATURE, "37.0", "degC", D("37.00")),
    (Vital.PULSE, "72", "/min", D("72")),
    (Vital.PULSE, "72.0", "/min", D("72")),
    (Vital.WAIST_CIRCUMFERENCE, "40", "in", D("101.6")),
    (Vital.PAIN, "0", "score", D("0")),
])
def test_known_conversions(kind: Vital, text: str, unit: str, stored: Decimal) -> None:
    result = to_canonical(kind, text, unit)
    assert result == stored
    assert str(result) == str(stored)                      # the storage step, not just the value


def test_known_values_shown() -> None:
    assert from_canonical(Vital.WEIGHT, D("69.853"), "kg") == D("69.85")
    assert from_canonical(Vital.WEIGHT, D("69.853"), "lb") == D("154.0")
    assert from_canonical(Vital.TEMPERATURE, D("37.00"), "degC") == D("37.0")
    assert from_canonical(Vital.TEMPERATURE, D("37.00"), "degF") == D("98.6")
    assert from_canonical(Vital.TEMPERATURE, D("37.06"), "degF") == D("98.7")
    assert from_canonical(Vital.HEIGHT, D("177.8"), "in") == D("70.0")
    assert str(from_canonical(Vital.TEMPERATURE, D("-17.78"), "degF")) == "0.0"   # never -0.0


def test_feet_inches_and_pounds_ounces() -> None:
    assert feet_inches_to_cm(5, 10) == D("177.8")
    assert feet_inches_to_cm("5", "10.5") == D("179.1")
    assert cm_to_feet_inches(D("177.8")) == (5, D("10.0"))
    assert cm_to_feet_inches(D("182.8")) == (6, D("0.0"))   # 71.97 in rounds up to 6 ft 0 in
    assert lb_oz_to_kg(7, "9.5") == D("3.444")
    assert lb_oz_to_kg(0, 15) == D("0.425")
    assert kg_to_lb_oz(D("3.444")) == (7, D("9.5"))
    with pytest.raises(VitalInvalid, match="Inches must be less than 12"):
        feet_inches_to_cm(5, 12)
    with pytest.raises(VitalInvalid, match="Feet must be a whole number"):
        feet_inches_to_cm("5.5", 0)
    with pytest.raises(VitalInvalid, match="Ounces must be less than 16"):
        lb_oz_to_kg(7, 16)
    with pytest.raises(VitalInvalid, match="Weight must be a number in oz"):
        lb_oz_to_kg(7, "nine")


def test_a_wrong_unit_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a unit for weight"):
        to_canonical(Vital.WEIGHT, "70", "cm")
    with pytest.raises(ValueError, match="not a unit for pulse"):
        from_canonical(Vital.PULSE, D("70"), "in")


# --- Conversion properties -----------------------------------------------------------------


@PROPERTY
@given(displayed_values())
def test_a_value_typed_at_display_precision_shows_back_unchanged(
        case: tuple[Vital, Unit, Decimal]) -> None:
    """The storage steps are fine enough that no unit loses what was typed in it."""
    kind, unit, typed = case
    stored = to_canonical(kind, str(typed), unit)
    assert from_canonical(kind, stored, unit) == typed
    assert to_canonical(kind, typed, unit) == stored        # Decimal in, same as text in


@PROPERTY
@given(stored_values())
def test_showing_and_saving_again_stays_within_display_precision_and_is_stable(
        case: tuple[Vital, Unit, Decimal]) -> None:
    kind, unit, stored = case
    spec = SPECS[kind]
    shown = from_canonical(kind, stored, unit)
    assert shown == shown.quantize(spec.display_step(unit))
    again = to_canonical(kind, shown, unit)
    tolerance = (Fraction(spec.display_step(unit)) * _scale(unit) + Fraction(spec.storage_step)) / 2
    assert abs(Fraction(again) - Fraction(stored)) <= tolerance
    assert to_canonical(kind, from_canonical(kind, again, unit), unit) == again
    if unit is spec.canonical and spec.display_step(unit) == spec.storage_step:
        assert again == stored


@PROPERTY
@given(stored_values())
def test_conversion_matches_exact_arithmetic(case: tuple[Vital, Unit, Decimal]) -> None:
    kind, unit, stored = case
    offset = Fraction(32) if unit is Unit.FAHRENHEIT else Fraction(0)
    exact = Fraction(stored) / _scale(unit) + offset
    shown = from_canonical(kind, stored, unit)
    assert abs(Fraction(shown) - exact) <= Fraction(SPECS[kind].display_step(unit)) / 2


@PROPERTY
@given(st.integers(0, 9), st.integers(0, 119).map(lambda tenths: D(tenths) / 10))
def test_feet_inches_round_trip(feet: int, inches: Decimal) -> None:
    assert cm_to_feet_inches(feet_inches_to_cm(feet, inches)) == (feet, inches)


@PROPERTY
@given(st.integers(0, 30), st.integers(0, 159).map(lambda tenths: D(tenths) / 10))
def test_pounds_ounces_round_trip(pounds: int, ounces: Decimal) -> None:
    assert kg_to_lb_oz(lb_oz_to_kg(pounds, ounces)) == (pounds, ounces)


# --- Bad input -----------------------------------------------------------------------------

NOT_A_NUMBER = ["abc", "NaN", "nan", "sNaN", "inf", "-inf", "Infinity", "1e400", "1E5", "1e-3",
                "0x10", "1_000", "+5", "5-", "5..0", "1.2.3", "70 kg", "7 0", ".", "½", "٣",
                "\uff11\uff12", "\x00", "x" * 10_000, "9" * 10_000, "1" + "0" * 40]


@pytest.mark.parametrize("text", NOT_A_NUMBER)
def test_junk_is_not_a_number(text: str) -> None:
    with pytest.raises(VitalInvalid) as caught:
        to_canonical(Vital.WEIGHT, text, "lb")
    assert caught.value.message == "Weight must be a number in lb."
    assert caught.value.errors == {"weight": "Weight must be a number in lb."}
    assert caught.value.kind is Vital.WEIGHT
    assert isinstance(caught.value, FieldsInvalid)


@pytest.mark.parametrize(("kind", "text", "unit", "message"), [
    (Vital.WEIGHT, "", "lb", "Enter the weight in lb."),
    (Vital.WEIGHT, "   \t", "kg", "Enter the weight in kg."),
    (Vital.HEIGHT, "", "in", "Enter the height in inches."),
    (Vital.HEIGHT, "tall", "in", "Height must be a number in inches."),
    (Vital.PULSE, "", "/min", "Enter the pulse."),
    (Vital.SPO2, "", "%", "Enter the SpO2."),
    (Vital.SYSTOLIC, "", "mmHg", "Enter the systolic BP."),
    (Vital.PAIN, "ten", "score", "Pain score must be a number."),
    (Vital.WEIGHT, "-5", "lb", "Weight cannot be negative."),
    (Vital.WEIGHT, " - 5.5", "lb", "Weight cannot be negative."),
    (Vital.TEMPERATURE, "\u22125", "degF", "Temperature cannot be negative."),
    (Vital.WEIGHT, "70,5", "kg", "Weight must be typed without commas, e.g. 70.5."),
    (Vital.WEIGHT, "3,450", "g", "Weight must be typed without commas, e.g. 70.5."),
    (Vital.WEIGHT, "12345678", "g", "Weight is too large to be a measurement."),
    (Vital.PULSE, "72.5", "/min", "Pulse must be a whole number."),
    (Vital.PAIN, "3.5", "score", "Pain score must be a whole number."),
])
def test_bad_input_messages(kind: Vital, text: str, unit: str, message: str) -> None:
    with pytest.raises(VitalInvalid) as caught:
        to_canonical(kind, text, unit)
    assert caught.value.message == message
    assert str(caught.value) == message


@pytest.mark.parametrize("value", [D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity")])
def test_non_finite_decimals_are_refused(value: Decimal) -> None:
    with pytest.raises(VitalInvalid, match="Temperature must be a number in °C"):
        to_canonical(Vital.TEMPERATURE, value, "degC")


def test_negative_and_huge_decimals_are_refused() -> None:
    with pytest.raises(VitalInvalid, match="cannot be negative"):
        to_canonical(Vital.HEIGHT, D("-0.1"), "cm")
    with pytest.raises(VitalInvalid, match="too large"):
        to_canonical(Vital.HEIGHT, D("1E+400"), "cm")
    with pytest.raises(TypeError):
        to_canonical(Vital.HEIGHT, 170.5, "cm")  # type: ignore[arg-type]


@PROPERTY
@given(st.sampled_from(KIND_UNITS), st.text(max_size=40))
def test_any_text_gives_a_stored_value_or_a_field_message(case: tuple[Vital, Unit],
                                                          text: str) -> None:
    kind, unit = case
    try:
        stored = to_canonical(kind, text, unit)
    except VitalInvalid as error:
        assert error.kind is kind
        assert error.message.endswith(".")
        assert len(error.message) <= 60                     # fits under a form field
    else:  # the typed number is never negative; 0-31 °F are below 0 °C (check refuses them)
        assert stored.is_finite() and (stored >= 0 or unit is Unit.FAHRENHEIT)
        assert stored == stored.quantize(SPECS[kind].storage_step)


def test_a_temperature_typed_below_freezing_in_fahrenheit_is_stored_then_refused_by_check(
        ) -> None:
    stored = to_canonical(Vital.TEMPERATURE, "0", Unit.FAHRENHEIT)
    assert stored == D("-17.78")                             # a number, converted exactly
    verdict = check(Vital.TEMPERATURE, stored, age_years=40, unit=Unit.FAHRENHEIT)
    assert verdict.level is Level.REFUSED and "°F" in verdict.message


# --- BMI -----------------------------------------------------------------------------------


def test_bmi_known_values_and_missing_measures() -> None:
    assert bmi(D("80"), D("180")) == D("24.7")
    assert str(bmi(D("80"), D("180"))) == "24.7"
    assert bmi(D("69.853"), D("177.8")) == D("22.1")
    assert bmi(D("3.455"), D("50.0")) == D("13.8")
    assert bmi(D("72.9"), D("180")) == D("22.5")             # 22.50 exactly: half up
    assert bmi(None, D("180")) is None
    assert bmi(D("80"), None) is None
    assert bmi(D("0"), D("180")) is None
    assert bmi(D("80"), D("0.0")) is None


weights = st.integers(200, 650_000).map(lambda grams: D(grams) / 1000)
heights = st.integers(200, 2750).map(lambda mm: D(mm) / 10)


@PROPERTY
@given(weights, weights, heights)
def test_bmi_rises_with_weight(w1: Decimal, w2: Decimal, height: Decimal) -> None:
    low, high = sorted((w1, w2))
    assert bmi(low, height) <= bmi(high, height)


@PROPERTY
@given(weights, heights, heights)
def test_bmi_falls_with_height(weight: Decimal, h1: Decimal, h2: Decimal) -> None:
    short, tall = sorted((h1, h2))
    assert bmi(weight, short) >= bmi(weight, tall)


@PROPERTY
@given(weights, heights)
def test_bmi_is_kg_per_square_metre(weight: Decimal, height: Decimal) -> None:
    value = bmi(weight, height)
    exact = Fraction(weight) / (Fraction(height) / 100) ** 2
    assert value == value.quantize(D("0.1"))
    assert abs(Fraction(value) - exact) <= Fraction(1, 20)


@pytest.mark.parametrize(("value", "category"), [
    ("10.0", BmiCategory.UNDERWEIGHT), ("18.4", BmiCategory.UNDERWEIGHT),
    ("18.5", BmiCategory.NORMAL), ("24.9", BmiCategory.NORMAL),
    ("25.0", BmiCategory.OVERWEIGHT), ("29.9", BmiCategory.OVERWEIGHT),
    ("30.0", BmiCategory.OBESE), ("55.0", BmiCategory.OBESE),
])
def test_adult_bmi_category(value: str, category: BmiCategory) -> None:
    assert bmi_category(D(value), age_years=20) is category
    assert bmi_category(D(value), age_years=85) is category


def test_no_bmi_category_for_children_or_unknown_age() -> None:
    assert bmi_category(D("31.0"), age_years=19) is None
    assert bmi_category(D("31.0"), age_years=0) is None
    assert bmi_category(D("31.0"), age_years=None) is None
    assert bmi_category(None, age_years=40) is None


# --- Plausibility --------------------------------------------------------------------------

OK, WARN, REFUSED = Level.OK, Level.WARNING, Level.REFUSED


@pytest.mark.parametrize(("kind", "value", "level"), [
    (Vital.TEMPERATURE, "24.99", REFUSED), (Vital.TEMPERATURE, "25.00", WARN),
    (Vital.TEMPERATURE, "35.00", WARN), (Vital.TEMPERATURE, "35.01", OK),
    (Vital.TEMPERATURE, "37.00", OK), (Vital.TEMPERATURE, "39.99", OK),
    (Vital.TEMPERATURE, "40.00", WARN), (Vital.TEMPERATURE, "45.00", WARN),
    (Vital.TEMPERATURE, "45.01", REFUSED),
    (Vital.PULSE, "9", REFUSED), (Vital.PULSE, "10", WARN), (Vital.PULSE, "39", WARN),
    (Vital.PULSE, "40", OK), (Vital.PULSE, "150", OK), (Vital.PULSE, "151", WARN),
    (Vital.PULSE, "350", WARN), (Vital.PULSE, "351", REFUSED),
    (Vital.RESPIRATION, "0", REFUSED), (Vital.RESPIRATION, "7", WARN),
    (Vital.RESPIRATION, "8", OK), (Vital.RESPIRATION, "30", OK), (Vital.RESPIRATION, "31", WARN),
    (Vital.RESPIRATION, "150", WARN), (Vital.RESPIRATION, "151", REFUSED),
    (Vital.SPO2, "19", REFUSED), (Vital.SPO2, "89", WARN), (Vital.SPO2, "90", OK),
    (Vital.SPO2, "100", OK), (Vital.SPO2, "101", REFUSED),
    (Vital.SYSTOLIC, "19", REFUSED), (Vital.SYSTOLIC, "79", WARN), (Vital.SYSTOLIC, "80", OK),
    (Vital.SYSTOLIC, "179", OK), (Vital.SYSTOLIC, "180", WARN), (Vital.SYSTOLIC, "300", WARN),
    (Vital.SYSTOLIC, "301", REFUSED),
    (Vital.DIASTOLIC, "0", WARN), (Vital.DIASTOLIC, "39", WARN), (Vital.DIASTOLIC, "40", OK),
    (Vital.DIASTOLIC, "119", OK), (Vital.DIASTOLIC, "120", WARN),
    (Vital.DIASTOLIC, "250", WARN), (Vital.DIASTOLIC, "251", REFUSED),
    (Vital.HEIGHT, "19.9", REFUSED), (Vital.HEIGHT, "129.9", WARN), (Vital.HEIGHT, "130.0", OK),
    (Vital.HEIGHT, "210.0", OK), (Vital.HEIGHT, "210.1", WARN), (Vital.HEIGHT, "275.0", WARN),
    (Vital.HEIGHT, "275.1", REFUSED),
    (Vital.WEIGHT, "0.199", REFUSED), (Vital.WEIGHT, "29.999", WARN), (Vital.WEIGHT, "30", OK),
    (Vital.WEIGHT, "250.000", OK), (Vital.WEIGHT, "250.001", WARN), (Vital.WEIGHT, "650", WARN),
    (Vital.WEIGHT, "650.001", REFUSED),
    (Vital.BMI, "4.9", REFUSED), (Vital.BMI, "14.9", WARN), (Vital.BMI, "15.0", OK),
    (Vital.BMI, "60.0", OK), (Vital.BMI, "60.1", WARN), (Vital.BMI, "200.1", REFUSED),
    (Vital.HEAD_CIRCUMFERENCE, "14.9", REFUSED), (Vital.HEAD_CIRCUMFERENCE, "57.0", OK),
    (Vital.HEAD_CIRCUMFERENCE, "100.1", REFUSED),
    (Vital.WAIST_CIRCUMFERENCE, "54.9", WARN), (Vital.WAIST_CIRCUMFERENCE, "90.0", OK),
    (Vital.WAIST_CIRCUMFERENCE, "300.1", REFUSED),
    (Vital.PAIN, "0", OK), (Vital.PAIN, "10", OK), (Vital.PAIN, "11", REFUSED),
])
def test_adult_boundaries(kind: Vital, value: str, level: Level) -> None:
    result = check(kind, D(value), age_years=40)
    assert result.level is level, result
    assert result.kind is kind
    assert (result.message == "") == (level is OK)
    assert check(kind, D(value), age_years=None).level is level   # unknown age: adult ranges


@pytest.mark.parametrize("kind", list(Vital))
@pytest.mark.parametrize("age", [0, 3, 8, 40])
def test_every_table_bound_is_just_inside_and_outside(kind: Vital, age: int) -> None:
    """Whatever the numbers, a value one storage step past a bound changes level."""
    step = SPECS[kind].storage_step
    hard = HARD_RANGES[kind]
    band = next(i for i in reversed(range(len(AGE_BANDS))) if age >= AGE_BANDS[i][0])
    expected = EXPECTED_RANGES[kind][band]
    assert check(kind, hard.low - step, age_years=age).level is REFUSED
    assert check(kind, hard.high + step, age_years=age).level is REFUSED
    low_in = expected.low + step if expected.low_open else expected.low
    high_in = expected.high - step if expected.high_open else expected.high
    assert check(kind, low_in, age_years=age).level is OK
    assert check(kind, high_in, age_years=age).level is OK
    if low_in - step >= hard.low:
        assert check(kind, low_in - step, age_years=age).level is WARN
    if high_in + step <= hard.high:
        assert check(kind, high_in + step, age_years=age).level is WARN


@pytest.mark.parametrize(("age", "pulse", "level"), [
    (0, 89, WARN), (0, 90, OK), (0, 150, OK), (0, 205, OK), (0, 206, WARN),
    (3, 69, WARN), (3, 70, OK), (3, 165, OK), (3, 170, OK), (3, 171, WARN),
    (8, 54, WARN), (8, 55, OK), (8, 150, OK), (8, 151, WARN),
    (12, 39, WARN), (12, 40, OK), (12, 150, OK), (12, 151, WARN),
    (40, 39, WARN), (40, 165, WARN), (90, 85, OK), (None, 165, WARN),
])
def test_pulse_depends_on_age(age: int | None, pulse: int, level: Level) -> None:
    assert check(Vital.PULSE, D(pulse), age_years=age).level is level


@pytest.mark.parametrize(("age", "rate", "level"), [
    (0, 24, WARN), (0, 50, OK), (0, 59, OK), (0, 60, WARN),
    (2, 19, WARN), (2, 39, OK), (2, 40, WARN),
    (7, 13, WARN), (7, 30, OK), (7, 31, WARN),
    (40, 7, WARN), (40, 50, WARN),
])
def test_respiration_depends_on_age(age: int, rate: int, level: Level) -> None:
    assert check(Vital.RESPIRATION, D(rate), age_years=age).level is level


def test_messages_name_the_bound_in_the_fields_unit() -> None:
    refused = check(Vital.TEMPERATURE, D("2.78"), age_years=30, unit="degF")
    assert refused.message == "Temperature must be between 77.0 °F and 113.0 °F."
    assert check(Vital.TEMPERATURE, D("24.9"), age_years=30).message == (
        "Temperature must be between 25.0 °C and 45.0 °C.")
    assert check(Vital.TEMPERATURE, D("35.00"), age_years=30, unit="°F").message == (
        "Temperature at or below 95.0 °F is unusual: confirm.")
    assert check(Vital.PULSE, D("151"), age_years=30).message == (
        "Pulse above 150 /min is unusual: confirm.")
    assert check(Vital.PULSE, D("89"), age_years=0).message == (
        "Pulse below 90 /min is unusual for this age: confirm.")
    assert check(Vital.PAIN, D("11"), age_years=30).message == (
        "Pain score must be between 0 and 10.")
    assert check(Vital.WEIGHT, D("700"), age_years=30, unit="lb").message == (
        "Weight must be between 0.4 lb and 1433.0 lb.")


def test_check_rejects_non_numbers_and_negative_ages() -> None:
    assert check(Vital.PULSE, D("NaN"), age_years=30).level is REFUSED
    assert check(Vital.PULSE, 72, age_years=30).level is OK
    with pytest.raises(ValueError, match="age cannot be negative"):
        check(Vital.PULSE, D("72"), age_years=-1)


# --- A set of vitals -----------------------------------------------------------------------


def test_check_set_adds_bmi_and_keeps_table_order() -> None:
    results = check_set({Vital.PULSE: D("72"), Vital.WEIGHT: D("80.000"),
                         Vital.HEIGHT: D("180.0"), Vital.TEMPERATURE: None}, age_years=40)
    assert [r.kind for r in results] == [Vital.HEIGHT, Vital.WEIGHT, Vital.BMI, Vital.PULSE]
    assert all(r.ok for r in results)
    assert worst(results) is OK


def test_systolic_must_exceed_diastolic() -> None:
    for systolic, diastolic in ((D("80"), D("80")), (D("80"), D("90"))):
        results = check_set({Vital.SYSTOLIC: systolic, Vital.DIASTOLIC: diastolic},
                            age_years=40)
        pair = results[-1]
        assert (pair.kind, pair.other, pair.level) == (Vital.SYSTOLIC, Vital.DIASTOLIC, REFUSED)
        assert pair.message == "Systolic BP must be higher than diastolic."
        assert worst(results) is REFUSED
    fine = check_set({Vital.SYSTOLIC: D("81"), Vital.DIASTOLIC: D("80")}, age_years=40)
    assert [r.level for r in fine] == [OK, OK]
    # A value refused on its own is not compared again.
    alone = check_set({Vital.SYSTOLIC: D("10"), Vital.DIASTOLIC: D("80")}, age_years=40)
    assert [(r.kind, r.level) for r in alone] == [(Vital.SYSTOLIC, REFUSED), (Vital.DIASTOLIC, OK)]


def test_bmi_from_the_set_is_judged() -> None:
    # Height typed in inches into a cm field: each value passes alone, BMI does not.
    slip = check_set({Vital.WEIGHT: D("150.000"), Vital.HEIGHT: D("25.0")}, age_years=40)
    bmi_result = next(r for r in slip if r.kind is Vital.BMI)
    assert bmi_result.level is REFUSED
    assert bmi_result.message == "BMI 2400.0 is not possible: check height and weight."
    unusual = check_set({Vital.WEIGHT: D("40.000"), Vital.HEIGHT: D("180.0")}, age_years=40)
    assert next(r for r in unusual if r.kind is Vital.BMI).level is WARN   # BMI 12.3
    assert worst(unusual) is WARN
    # A computed BMI replaces a passed one; a refused measure means no BMI.
    given_bmi = check_set({Vital.WEIGHT: D("80"), Vital.HEIGHT: D("180"), Vital.BMI: D("300")},
                          age_years=40)
    assert next(r for r in given_bmi if r.kind is Vital.BMI).level is OK
    refused_height = check_set({Vital.WEIGHT: D("80"), Vital.HEIGHT: D("300")}, age_years=40)
    assert [r.kind for r in refused_height] == [Vital.HEIGHT, Vital.WEIGHT]


def test_a_newborn_set_is_plausible() -> None:
    newborn = {Vital.WEIGHT: to_canonical(Vital.WEIGHT, "3455", "g"),
               Vital.HEIGHT: D("50.5"), Vital.HEAD_CIRCUMFERENCE: D("34.5"),
               Vital.PULSE: D("150"), Vital.RESPIRATION: D("45"),
               Vital.TEMPERATURE: to_canonical(Vital.TEMPERATURE, "98.2", "degF"),
               Vital.SPO2: D("98")}
    assert worst(check_set(newborn, age_years=0)) is OK
    assert worst(check_set(newborn, age_years=30)) is WARN
