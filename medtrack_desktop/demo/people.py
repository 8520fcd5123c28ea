"""Synthetic, realistic-looking patients for the demo clinic and the benchmarks.

Deterministic for a seed. Ages are stratified over 0-100 so any N spans the whole range.
"""

from __future__ import annotations

import random
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from medtrack_desktop.paths import resource

MAX_AGE_YEARS = 100


@cache
def _lists() -> dict[str, Any]:
    return tomllib.loads(resource("seed", "demo_people.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class SyntheticPerson:
    first_name: str
    middle_name: str | None
    last_name: str
    date_of_birth: date
    sex: str
    address_line1: str
    address_line2: str | None
    city: str
    state: str
    postal_code: str
    phone_home: str | None
    phone_mobile: str | None
    email: str | None
    preferred_language: str
    ssn: str | None
    race: str | None
    ethnicity: str | None
    marital_status: str | None
    emergency_contact_name: str | None
    emergency_contact_phone: str | None
    emergency_contact_relation: str | None


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _phone(rng: random.Random, area_code: str) -> str:
    return f"({area_code}) {rng.randint(201, 989)}-{rng.randint(0, 9999):04d}"


# Rough US proportions, enough to make the registry's statistics look like a real clinic's.
_RACES = (("white", 58), ("black_african_american", 12), ("asian", 6), ("multiple", 4),
          ("american_indian_alaska_native", 1), ("native_hawaiian_pacific_islander", 1),
          ("other", 6), ("declined", 4), (None, 8))
_ETHNICITIES = (("not_hispanic_latino", 60), ("hispanic_latino", 30), ("declined", 4), (None, 6))
_RELATIONS = ("Spouse", "Mother", "Father", "Daughter", "Son", "Sister", "Brother", "Friend")


def _weighted(rng: random.Random, choices: tuple[tuple[str | None, int], ...]) -> str | None:
    return rng.choices([value for value, _ in choices], [weight for _, weight in choices])[0]


_SSN_AREAS = tuple(n for n in range(1, 900) if n != 666)


def _ssn(rng: random.Random) -> str:
    """A well-formed SSN (area 001-899 but not 666, group and serial not zero)."""
    area = rng.choice(_SSN_AREAS)
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def synthetic_people(count: int, *, today: date, seed: int = 2026) -> Iterator[SyntheticPerson]:
    """``count`` fictional people, ages spread over 0-100 years as of ``today``."""
    rng = random.Random(seed)
    # Registry details draw from their own stream, so names, ages and addresses stay what
    # they were before these fields existed (tests and screenshots rely on them).
    more = random.Random(seed + 1)
    data = _lists()
    strata = [(index * (MAX_AGE_YEARS + 1)) // count for index in range(count)]
    rng.shuffle(strata)
    for stratum in strata:
        age_days = stratum * 365 + rng.randint(0, 364)
        born = today - timedelta(days=min(age_days, MAX_AGE_YEARS * 365 + 24))
        roll = rng.random()
        if roll < 0.51:
            sex, first = "female", rng.choice(data["female_first"])
        elif roll < 0.99:
            sex, first = "male", rng.choice(data["male_first"])
        else:
            sex, first = rng.choice(("other", "unknown")), rng.choice(data["neutral_first"])
        last = rng.choice(data["last"])
        if rng.random() < 0.08:
            last = f"{last}-{rng.choice(data['last'])}"
        city, state, postal_code, area_code = rng.choice(data["places"])
        adult = (today - born).days >= 18 * 365
        contact_last = more.choice(data["last"])
        yield SyntheticPerson(
            first_name=first,
            middle_name=rng.choice(data["middle"]) if rng.random() < 0.4 else None,
            last_name=last,
            date_of_birth=born,
            sex=sex,
            address_line1=f"{rng.randint(1, 19999)} {rng.choice(data['streets'])}",
            address_line2=rng.choice(data["units"]) if rng.random() < 0.2 else None,
            city=city,
            state=state,
            postal_code=postal_code,
            phone_home=_phone(rng, area_code) if rng.random() < 0.45 else None,
            phone_mobile=_phone(rng, area_code) if adult or rng.random() < 0.2 else None,
            email=(
                f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@example.com"
                if adult and rng.random() < 0.7
                else None
            ),
            preferred_language=rng.choice(data["languages"]),
            ssn=_ssn(more) if more.random() < 0.7 else None,
            race=_weighted(more, _RACES),
            ethnicity=_weighted(more, _ETHNICITIES),
            marital_status=(more.choice(("single", "married", "married", "divorced", "widowed"))
                            if adult else "single"),
            emergency_contact_name=(f"{more.choice(data['female_first'] + data['male_first'])} "
                                    f"{contact_last}"),
            emergency_contact_phone=_phone(more, area_code),
            emergency_contact_relation=more.choice(_RELATIONS if adult else ("Mother", "Father")),
        )
