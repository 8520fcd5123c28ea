"""Likely duplicates of a patient being registered (or imported), before a second chart is born.

Three signals, each found through an index, never by scanning the patients:

- **the same SSN** — the blind index of its 9 digits;
- **the same date of birth with a similar name** — the patients born that day (or with day and
  month swapped, a US/European mix-up), compared in Python;
- **the same phone** — the 10-digit phone terms of the search index, any of the three phones.

Names compare folded (accents, case, apostrophes ignored: ``search_terms.fold``) and word by
word, so "García-Márquez" meets "Garcia", "van der Berg" meets "Vanderberg", first and last
names swapped are caught, and a typo is forgiven: one edit (a transposition counts as one) in a
name of 4 to 7 letters, two in a longer one, none in a shorter one ("Li" is not "Lu"). A first
name may also be an initial, a shortened form ("J", "Chris" for "Christopher"), or the other
record's middle or preferred name. What proves nothing on its own: name particles ("de", "van",
"la" …) and two alike middle names (the common ones repeat). Same-day twins of different sexes
are told apart unless their names are the same.

A shared phone alone is a household (a parent registering a second child), not a duplicate:
it counts when the date of birth is the same or the first names are alike — which is what
catches a duplicate whose date of birth was mistyped.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.field_keys import clinic_cipher
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.demographics import (
    MAX_AGE_YEARS,
    Demographics,
    clean_ssn,
    format_phone,
)
from medtrack_desktop.domain.patients.models import Patient, PatientSearchTerm
from medtrack_desktop.domain.patients.search_terms import phone_digits, words
from medtrack_desktop.store.field_crypto import FieldCipher

MAX_CANDIDATES = 20
# Rows read per date of birth or phone: a placeholder date or a clinic's own number shared by
# thousands of records must not turn one check into a scan.
_PER_KEY = 200
_CHUNK = 500  # people checked per round of queries (bound parameters stay well below limits)
_PHONE_COLUMNS = ("phone_home", "phone_mobile", "phone_work")
_DEFINITE_SEXES = frozenset({"female", "male"})
_PARTICLES = frozenset({
    "al", "bin", "da", "das", "de", "del", "della", "der", "des", "di", "do", "dos", "du", "el",
    "la", "las", "le", "les", "los", "st", "ten", "ter", "van", "von", "y",
})
_CANDIDATE_COLUMNS = (
    Patient.id, Patient.mrn, Patient.first_name, Patient.middle_name, Patient.last_name,
    Patient.preferred_name, Patient.date_of_birth, Patient.sex, Patient.phone_home,
    Patient.phone_mobile, Patient.phone_work, Patient.ssn_digest,
)

# Strengths order the reasons and the candidates (their sum); the phrases are what users read.
_SAME_SSN = (100, "same SSN")
_SAME_NAME_AND_BIRTH = (90, "same name and date of birth")
_SIMILAR_NAME_SAME_BIRTH = (80, "same date of birth and similar name")
_SWAPPED_NAME_SAME_BIRTH = (80, "same date of birth, first and last names swapped")
_BIRTH_DAY_MONTH_SWAPPED = (60, "similar name, day and month of birth swapped")
_PHONE = 40
_SAME_BIRTH = (30, "same date of birth")
_SAME_NAME = (25, "same name")
_SIMILAR_NAME = (20, "similar name")


@dataclass(frozen=True)
class DuplicateCandidate:
    """A registered patient who may be the person being registered, and why (strongest first)."""

    id: uuid.UUID
    mrn: str
    display_name: str
    date_of_birth: date
    sex: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    """What a duplicate is judged on: folded name words, date of birth, sex, phones as
    (digits, as shown), and the SSN's blind-index digest."""

    last: tuple[str, ...]
    first: tuple[str, ...]
    others: tuple[str, ...]  # middle and preferred names: either may be the one a person uses
    date_of_birth: date | None
    sex: str
    phones: tuple[tuple[str, str], ...]
    ssn_digest: str | None


def person(
    values: Mapping[str, Any], *, ssn_digest: str | None, today: date | None = None
) -> Person:
    """A ``Person`` from demographic column values (phones as they should be shown). With
    ``today``, an impossible date of birth (future, or older than anyone) is left out rather
    than matched."""
    born = values.get("date_of_birth")
    if born is not None and today is not None and (
        born > today or today.year - born.year > MAX_AGE_YEARS
    ):
        born = None
    first = tuple(words(values.get("first_name") or ""))
    phones: dict[str, str] = {}
    for column in _PHONE_COLUMNS:
        shown = (values.get(column) or "").strip()
        digits = phone_digits(shown)
        if len(digits) >= 10:
            phones.setdefault(digits, shown)
    return Person(
        last=tuple(words(values.get("last_name") or "")),
        first=first,
        others=tuple(words(values.get("middle_name") or ""))
        + tuple(words(values.get("preferred_name") or "")),
        date_of_birth=born,
        sex=values.get("sex") or "unknown",
        phones=tuple(phones.items()),
        ssn_digest=ssn_digest,
    )


def ssn_digest(cipher: FieldCipher, typed: str | None) -> str | None:
    """The blind-index digest of a typed SSN, or None when it is not a valid one."""
    try:
        return cipher.digest(clean_ssn(typed), purpose="ssn") if typed else None
    except ValueError:
        return None


def _shown_phone(typed: str) -> str:
    try:
        return format_phone(typed)
    except ValueError:
        return typed


# -- judging two people ---------------------------------------------------------------------------


def _edits_within(a: str, b: str, limit: int) -> bool:
    """Whether the optimal-string-alignment distance (Damerau-Levenshtein with adjacent
    transpositions, as in "Jhon") between ``a`` and ``b`` is at most ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return False
        before, previous = previous, current
    return previous[-1] <= limit


def _similar_word(a: str, b: str, *, given: bool) -> bool:
    if a == b:
        return True
    if given:
        short, long = sorted((a, b), key=len)
        if (len(short) == 1 or len(short) >= 3) and long.startswith(short):
            return True  # an initial, or "Chris" for "Christopher"
    longest = max(len(a), len(b))
    allowed = 0 if longest <= 3 else 1 if longest <= 7 else 2
    return allowed > 0 and _edits_within(a, b, allowed)


def _significant(name: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(word for word in name if word not in _PARTICLES) or name


def _similar_part(a: tuple[str, ...], b: tuple[str, ...], *, given: bool = False) -> bool:
    if not a or not b:
        return False
    joined_a, joined_b = "".join(a), "".join(b)
    if (len(a) > 1 or len(b) > 1) and _similar_word(joined_a, joined_b, given=False):
        return True  # "van der Berg" / "Vandenberg"
    return any(_similar_word(x, y, given=given)
               for x in _significant(a) for y in _significant(b))


def _similar_given(a: Person, b: Person) -> bool:
    """Alike first names, or one person's whole first name is the other's middle or preferred
    name ("Ann" for Mary Ann). Two middle names alike prove nothing: the common ones repeat."""
    return (_similar_part(a.first, b.first, given=True)
            or any(_similar_word("".join(x.first), other, given=True)
                   for x, y in ((a, b), (b, a)) if x.first for other in y.others))


def _name_relation(a: Person, b: Person) -> str | None:
    """"same", "similar", "swapped" (first and last), or None."""
    if "".join(a.last) == "".join(b.last) and "".join(a.first) == "".join(b.first):
        return "same"
    if not a.first or not b.first:  # someone known by one name
        return "similar" if _similar_part(a.last + a.first, b.last + b.first) else None
    if _similar_part(a.last, b.last) and _similar_given(a, b):
        return "similar"
    if _similar_part(a.first, b.last) and _similar_part(a.last, b.first):
        return "swapped"
    return None


def swapped_day_month(day: date) -> date | None:
    """The date with day and month swapped (3 April for 4 March), if there is one."""
    if day.day > 12 or day.day == day.month:
        return None
    return day.replace(month=day.day, day=day.month)


def _reasons(a: Person, b: Person) -> list[tuple[int, str]]:
    """(strength, phrase) of each reason ``b`` is probably ``a`` again, strongest first."""
    found = [_SAME_SSN] if a.ssn_digest is not None and a.ssn_digest == b.ssn_digest else []
    relation = _name_relation(a, b)
    if (relation not in (None, "same") and a.sex in _DEFINITE_SEXES
            and b.sex in _DEFINITE_SEXES and a.sex != b.sex):
        relation = None  # twins: Daniel and Daniela
    same_birth = a.date_of_birth is not None and a.date_of_birth == b.date_of_birth
    if same_birth and relation is not None:
        found.append({"same": _SAME_NAME_AND_BIRTH, "similar": _SIMILAR_NAME_SAME_BIRTH,
                      "swapped": _SWAPPED_NAME_SAME_BIRTH}[relation])
    elif (relation in ("same", "similar") and a.date_of_birth is not None
          and b.date_of_birth is not None
          and swapped_day_month(a.date_of_birth) == b.date_of_birth):
        found.append(_BIRTH_DAY_MONTH_SWAPPED)
    theirs = {digits for digits, _ in b.phones}
    shared = [shown for digits, shown in a.phones if digits in theirs]
    if shared and (found or same_birth or relation is not None
                   or _similar_given(a, b)):
        found.append((_PHONE, f"same phone {shared[0]}"))
        if same_birth and relation is None:
            found.append(_SAME_BIRTH)
        elif relation is not None and not same_birth:
            found.append(_SAME_NAME if relation == "same" else _SIMILAR_NAME)
    return sorted(found, key=lambda reason: -reason[0])


def likely_same(a: Person, b: Person) -> tuple[str, ...]:
    """Why ``b`` is probably ``a`` again, strongest reason first; empty when it is not."""
    return tuple(phrase for _, phrase in _reasons(a, b))


# -- looking people up in the registry ----------------------------------------------------------


class DuplicateFinder:
    """Checks people against one clinic's registry, a chunk at a time (three indexed queries
    per chunk), so that a file of thousands of patients costs a few dozen queries. No
    permission check or audit: the services that use it do both."""

    def __init__(self, session: Session, clinic_id: uuid.UUID) -> None:
        self._session = session
        self._clinic_id = clinic_id
        self.cipher = clinic_cipher(session, clinic_id)

    def find(
        self, people: Sequence[Person], *, exclude_id: uuid.UUID | None = None
    ) -> list[list[DuplicateCandidate]]:
        """The likely duplicates of each person (best first, at most ``MAX_CANDIDATES``)."""
        found: list[list[DuplicateCandidate]] = []
        for start in range(0, len(people), _CHUNK):
            found.extend(self._find_chunk(people[start:start + _CHUNK], exclude_id))
        return found

    def _find_chunk(
        self, people: Sequence[Person], exclude_id: uuid.UUID | None
    ) -> list[list[DuplicateCandidate]]:
        dates = {day for p in people if p.date_of_birth is not None
                 for day in (p.date_of_birth, swapped_day_month(p.date_of_birth)) if day}
        phones = {digits for p in people for digits, _ in p.phones}
        digests = {p.ssn_digest for p in people if p.ssn_digest is not None}
        live = select(*_CANDIDATE_COLUMNS).where(Patient.clinic_id == self._clinic_id,
                                                 Patient.deleted_at.is_(None))
        rows: dict[uuid.UUID, Mapping[str, Any]] = {}
        by_date = self._grouped(rows, dates, live.add_columns(
            Patient.date_of_birth.label("key")).where(Patient.date_of_birth.in_(dates)))
        by_phone = self._grouped(rows, phones, live.add_columns(PatientSearchTerm.term.label(
            "key")).join(PatientSearchTerm, PatientSearchTerm.patient_id == Patient.id).where(
            PatientSearchTerm.clinic_id == self._clinic_id, PatientSearchTerm.field == "phone",
            PatientSearchTerm.term.in_(phones)))
        by_ssn = self._grouped(rows, digests, live.add_columns(
            Patient.ssn_digest.label("key")).where(Patient.ssn_digest.in_(digests)))
        known = {pid: person(row, ssn_digest=row["ssn_digest"]) for pid, row in rows.items()}

        found = []
        for someone in people:
            keys = [(by_phone, digits) for digits, _ in someone.phones]
            keys.append((by_ssn, someone.ssn_digest))
            if someone.date_of_birth is not None:
                keys += [(by_date, someone.date_of_birth),
                         (by_date, swapped_day_month(someone.date_of_birth))]
            ids = dict.fromkeys(pid for index, key in keys for pid in index.get(key, ())
                                if pid != exclude_id)
            scored = []
            for pid in ids:
                reasons = _reasons(someone, known[pid])
                if reasons:
                    scored.append((-sum(strength for strength, _ in reasons),
                                   _candidate(rows[pid], reasons)))
            scored.sort(key=lambda item: (item[0], item[1].display_name.casefold()))
            found.append([candidate for _, candidate in scored[:MAX_CANDIDATES]])
        return found

    def _grouped(
        self, rows: dict[uuid.UUID, Mapping[str, Any]], values: set[Any], statement: Select[Any]
    ) -> dict[Any, list[uuid.UUID]]:
        """Run ``statement`` (skipped when there are no ``values``): the patients' ids by the
        value matched (at most ``_PER_KEY`` each); their columns go into ``rows``."""
        ids: dict[Any, list[uuid.UUID]] = defaultdict(list)
        if not values:
            return ids
        for row in self._session.execute(statement).mappings():
            kept = ids[row["key"]]
            if len(kept) < _PER_KEY:
                kept.append(row["id"])
                rows.setdefault(row["id"], row)
        return ids


def _candidate(row: Mapping[str, Any], reasons: list[tuple[int, str]]) -> DuplicateCandidate:
    name = f"{row['last_name']}, {row['first_name']}" if row["first_name"] else row["last_name"]
    return DuplicateCandidate(id=row["id"], mrn=row["mrn"], display_name=name,
                              date_of_birth=row["date_of_birth"], sex=row["sex"],
                              reasons=tuple(phrase for _, phrase in reasons))


def find_duplicates(
    session: Session, actor: Actor, *, demographics: Demographics, today: date,
    exclude_id: uuid.UUID | None = None,
) -> list[DuplicateCandidate]:
    """Registered patients who are likely the one being entered (best first); ``exclude_id``
    is the record being edited. Audited as a search with how many were shown, never what was
    typed."""
    require(actor, "patient.read")
    finder = DuplicateFinder(session, actor.seat.clinic_id)
    entered = asdict(demographics)
    entered.update((column, _shown_phone(entered[column])) for column in _PHONE_COLUMNS)
    someone = person(entered, ssn_digest=ssn_digest(finder.cipher, demographics.ssn),
                     today=today)
    found = finder.find([someone], exclude_id=exclude_id)[0]
    trail.record(session, seat=actor.seat, actor=actor, action="patient.search",
                 resource_type="patient", reason="duplicates", changes={"results": len(found)})
    return found
