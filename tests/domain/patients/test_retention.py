"""Record retention: adults 10 years after the last treatment; minors until the later of their
20th birthday and 10 years after the last treatment; both numbers are the clinic's."""

from __future__ import annotations

from datetime import date

from medtrack_desktop.domain.patients.retention import retention_until


def test_an_adult_is_kept_ten_years_after_the_last_treatment() -> None:
    assert retention_until(born=date(1960, 5, 1), last_treatment=date(2026, 3, 2)) == date(
        2036, 3, 2)


def test_a_young_child_is_kept_until_the_20th_birthday() -> None:
    assert retention_until(born=date(2020, 6, 1), last_treatment=date(2021, 1, 1)) == date(
        2040, 6, 1)


def test_a_teenager_is_kept_ten_years_after_treatment_when_that_is_later() -> None:
    assert retention_until(born=date(2009, 6, 1), last_treatment=date(2026, 1, 1)) == date(
        2036, 1, 1)


def test_the_clinic_may_keep_longer() -> None:
    assert retention_until(born=date(2020, 6, 1), last_treatment=date(2021, 1, 1), years=15,
                           minor_until_age=25) == date(2045, 6, 1)


def test_a_leap_day_moves_to_the_28th() -> None:
    assert retention_until(born=date(1970, 1, 1), last_treatment=date(2024, 2, 29)) == date(
        2034, 2, 28)
