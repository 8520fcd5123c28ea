"""How long a patient's record is kept (the seed documents' rule, after Texas law): adults 10
years after the last treatment; minors until the later of their 20th birthday and 10 years
after the last treatment. Both numbers are clinic settings."""

from __future__ import annotations

from datetime import date


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def retention_until(
    *, born: date, last_treatment: date, years: int = 10, minor_until_age: int = 20
) -> date:
    """The first day the record may be destroyed under the retention rule."""
    after_treatment = _years_after(last_treatment, years)
    adult_on = _years_after(born, 18)
    if last_treatment >= adult_on:
        return after_treatment
    return max(after_treatment, _years_after(born, minor_until_age))
