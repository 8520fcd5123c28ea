"""The one patient search box: names in any order, DOB, MRN, phone, SSN (whole or last 4).

A query is read word by word: a word that is a date ("03/04/1970", "1970-03-04", "3/4/70") is
a date of birth; a whole query shaped like an SSN ("123-45-6789") or of 4 digits also looks the
SSN up through its blind index; every other word must prefix some search term of the patient
(name parts, phone digits, MRN) — so "garcia mar", "mar garcia" and "(512) 555" all work. A
few dozen candidates come from range scans of ``patient_search_terms`` (the same plain SQL on
SQLCipher and PostgreSQL; see ``_term_candidates``), then rank in Python: exact words before
prefixes, last names before first, then by name. Restricted records are listed (name, DOB,
MRN only); opening one is governed by ``access.open_patient``. Each search is audited with how
many records it showed, never with the query (which may hold an SSN).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Row,
    String,
    and_,
    bindparam,
    exists,
    func,
    intersect,
    literal,
    literal_column,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from medtrack_desktop.domain.audit import trail
from medtrack_desktop.domain.audit.models import AuditEntry
from medtrack_desktop.domain.identity.actor import Actor
from medtrack_desktop.domain.identity.field_keys import clinic_cipher
from medtrack_desktop.domain.identity.permissions import require
from medtrack_desktop.domain.patients.demographics import MAX_AGE_YEARS
from medtrack_desktop.domain.patients.models import Patient, PatientSearchTerm
from medtrack_desktop.domain.patients.search_index import term_prefix
from medtrack_desktop.domain.patients.search_terms import (
    TERM_MAX,
    name_terms,
    phone_digits,
    phone_terms,
    words,
)

DEFAULT_LIMIT = 25
MAX_QUERY = 200
MAX_WORDS = 6
_CANDIDATES = 50  # patients read and ranked per search (more when more lines are asked for)
# The fields a typed word is looked for in, in ranking order (``full`` is searched apart).
_SEARCHED = ("last", "mrn", "first", "preferred", "phone", "middle")
# What a result line and its ranking need: read as plain rows, not whole records.
_LISTED = (
    Patient.id, Patient.mrn, Patient.last_name, Patient.first_name, Patient.middle_name,
    Patient.preferred_name, Patient.date_of_birth, Patient.sex, Patient.phone_home,
    Patient.phone_mobile, Patient.phone_work, Patient.restricted, Patient.deceased,
)
_GROUPED_UP_TO = 20_000  # index rows a word may cover for the grouped plan (see below)
# The same when whole-name matches were found already: the rest only fills the list below them,
# and two ranges of thousands of rows ("maria garcia" at a million patients: ~10,000 each)
# took 40-200 ms to count and intersect for those few lower lines.
_FILLED_UP_TO = 2_000
# Rows of the narrowest word the joined plan walks at most: two broad, partly typed words
# that meet rarely ("rob tyr" among a million patients) list what the first few thousand of
# the narrower word's patients hold, rather than probing every one of them (seconds).
_WALKED_AT_MOST = 4_000
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
# month/day/year with slashes, hyphens or dots; a 2-digit year only with slashes ("3/4/70")
_US_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|(?<=/)\d{2})$")
_SSN_SHAPE = re.compile(r"^\d{3}-?\d{2}-?\d{4}$")
_NUMBER = re.compile(r"[\d\s()+.-]*\d[\d\s()+.-]*")
_FIELD_WEIGHT = {"last": 4, "mrn": 4, "first": 3, "preferred": 2, "phone": 2, "middle": 1}


@dataclass(frozen=True)
class PatientMatch:
    """One line of the result list: enough to pick the right person, nothing clinical."""

    id: uuid.UUID
    mrn: str
    last_name: str
    first_name: str
    middle_name: str | None
    preferred_name: str | None
    date_of_birth: date
    sex: str
    phone: str | None
    restricted: bool
    deceased: bool
    matched_on: str  # "name", "dob", "mrn", "phone", "ssn"

    @property
    def display_name(self) -> str:
        return f"{self.last_name}, {self.first_name}" if self.first_name else self.last_name


@dataclass(frozen=True)
class ParsedQuery:
    words: tuple[str, ...]
    birth_date: date | None
    ssn_digits: str | None  # 9 digits, or 4 for "last 4"


def parse_birth_date(text: str, *, today: date) -> date | None:
    """A typed date of birth in a usual US or ISO form, or None. Two-digit years are the most
    recent past year that fits ("3/4/70" → 1970, "1/2/19" → 2019 in 2026)."""
    text = text.strip()
    if _ISO_DATE.match(text):
        year, month, day = (int(part) for part in text.split("-"))
    elif match := _US_DATE.match(text):
        month, day, year = int(match[1]), int(match[3]), int(match[4])
        if len(match[4]) == 2:
            year += today.year // 100 * 100
            if (year, month, day) > (today.year, today.month, today.day):
                year -= 100
    else:
        return None
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    if born > today or today.year - born.year > MAX_AGE_YEARS:
        return None
    return born


def parse_query(text: str, *, today: date) -> ParsedQuery:
    text = text.strip()[:MAX_QUERY]
    compact = text.replace(" ", "")
    ssn = None
    if _SSN_SHAPE.match(compact):
        ssn = compact.replace("-", "")
    elif re.fullmatch(r"\d{4}", compact):
        ssn = compact
    birth_date, kept = None, []
    for chunk in re.split(r"[\s,;]+", text):
        day = parse_birth_date(chunk, today=today) if chunk else None
        if day is not None and birth_date is None:
            birth_date = day
        elif chunk:
            kept.append(chunk)
    joined = " ".join(kept)
    if _NUMBER.fullmatch(joined):  # "(512) 555-0147", "10000012": one word of digits
        found = [phone_digits(joined)]
    else:
        found = [word for chunk in kept for word in words(chunk)]
    return ParsedQuery(words=tuple(dict.fromkeys(w[:TERM_MAX] for w in found))[:MAX_WORDS],
                       birth_date=birth_date, ssn_digits=ssn)


def _word_match(terms: Any, word: str) -> Any:
    """A term of one of the searched fields starts with ``word`` (an index range per field)."""
    return and_(terms.field.in_(_SEARCHED), term_prefix(terms.term, word))


def _range_size(session: Session, actor: Actor, word: str, cap: int) -> int:
    """How many index rows start with ``word``, counted up to just past ``cap`` (a scan of
    the covering index, stopped early)."""
    capped = select(literal(1)).where(
        PatientSearchTerm.clinic_id == actor.seat.clinic_id,
        _word_match(PatientSearchTerm, word)).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def _one_word_statement(fields: tuple[str, ...]) -> CompoundSelect:
    """Each field's first ``:wanted`` patients whose term starts with ``:word``, tagged with the
    field's place in ``fields``: one statement for all fields (built once per set of fields),
    not one round trip and one freshly built statement per field, which cost more than the
    reading (an MRN typed at a million patients: 17 -> 1 ms, best of 30)."""
    terms = PatientSearchTerm.__table__
    word = bindparam("word", type_=String)
    branches = []
    for rank, field in enumerate(fields):
        found = select(terms.c.patient_id).where(
            terms.c.clinic_id == bindparam("clinic_id"), terms.c.field == field,
            term_prefix(terms.c.term, word)).distinct().limit(bindparam("wanted")).subquery()
        branches.append(select(literal_column(str(rank)).label("rank"), found.c.patient_id))
    return union_all(*branches)


# Phone terms hold digits only (``phone_digits``), so a word with anything else cannot start
# one. Names are not skipped for digits: nothing stops a name from holding some ("Henry 3rd").
_DIGITS = re.compile(r"\d+")
_ALL_FIELDS = _one_word_statement(_SEARCHED)
_NOT_PHONE = tuple(field for field in _SEARCHED if field != "phone")
_NOT_PHONE_FIELDS = _one_word_statement(_NOT_PHONE)


def _one_word(session: Session, actor: Actor, word: str, wanted: int) -> list[uuid.UUID]:
    """Patients with a term starting with ``word``, field by field in ranking order (last
    names, MRNs, first names …) until ``wanted`` are found: "g" lists people whose last name
    starts with G, not the first ``wanted`` Gabrielas. Each field gives at most what was still
    wanted after the fields before it (its first rows, as when it was asked alone)."""
    fields, statement = ((_SEARCHED, _ALL_FIELDS) if _DIGITS.fullmatch(word)
                         else (_NOT_PHONE, _NOT_PHONE_FIELDS))
    by_field: dict[int, list[uuid.UUID]] = {rank: [] for rank in range(len(fields))}
    for rank, patient_id in session.connection().execute(statement, {
            "word": word, "clinic_id": actor.seat.clinic_id, "wanted": wanted}):
        by_field[int(rank)].append(patient_id)
    found: dict[uuid.UUID, None] = {}
    for rank in range(len(fields)):
        found.update(dict.fromkeys(by_field[rank][:wanted - len(found)]))
        if len(found) >= wanted:
            break
    return list(found)


def _full_names(session: Session, actor: Actor, query: ParsedQuery,
                wanted: int) -> list[uuid.UUID]:
    """Patients found through the ``full`` terms: one typed word a whole last (or given) name,
    another the start of the given (or last) name, in either order; any further word must
    match some other term of theirs."""
    terms = PatientSearchTerm
    pairs = [f"{a} {b}" for a in query.words for b in query.words if a != b]
    # One indexed range per pair, joined by UNION: OR-ed ranges (six for three words) made
    # SQLite scan every "full" term instead (3 s at a million patients).
    found = union(*(select(terms.patient_id).where(
        terms.clinic_id == actor.seat.clinic_id, terms.field == "full",
        term_prefix(terms.term, pair)) for pair in pairs)).subquery()
    statement = select(found.c.patient_id)
    if len(query.words) > 2:
        other = aliased(terms)
        statement = statement.where(*(
            exists().where(other.patient_id == found.c.patient_id, term_prefix(other.term, word))
            for word in query.words))
    return list(session.scalars(statement.limit(wanted)))


def _term_candidates(
    session: Session, actor: Actor, query: ParsedQuery, wanted: int, enough: int
) -> list[uuid.UUID]:
    """Patients with a term starting with each word (at most ``wanted``). One word: field by
    field. Several: first through the ``full`` terms (a typed last and first name, however
    common each is); when those find fewer than ``enough``, the general way, in one of two
    plans chosen by how many index rows the words cover: when every word is narrow, read each
    word's rows once and keep the patients that have them all (grouped); when one is broad
    ("smit j"), walk the narrowest word and look each patient's other words up (joined),
    which stops at the first ``wanted`` found or after ``_WALKED_AT_MOST`` rows. A join
    driven by a narrow word whose matches are rare would probe every one of its rows; a
    grouping over a broad word would read all of it. When the ``full`` terms found some
    patients and a word is broad (here: past ``_FILLED_UP_TO`` rows), they are the answer:
    the rest would rank below them."""
    terms = PatientSearchTerm
    if query.birth_date is not None:  # a date of birth narrows most: check its few patients
        return list(session.scalars(select(Patient.id).where(
            Patient.clinic_id == actor.seat.clinic_id, Patient.deleted_at.is_(None),
            Patient.date_of_birth == query.birth_date,
            *(exists().where(terms.patient_id == Patient.id, term_prefix(terms.term, word))
              for word in query.words)).limit(wanted)))
    if len(query.words) == 1:
        return _one_word(session, actor, query.words[0], wanted)
    found = _full_names(session, actor, query, wanted)
    if len(found) >= enough:
        return found
    cap = _FILLED_UP_TO if found else _GROUPED_UP_TO
    sizes = {word: _range_size(session, actor, word, cap) for word in query.words}
    ordered = sorted(query.words, key=lambda word: (sizes[word], -len(word)))
    broad = max(sizes.values()) > cap
    if found and broad:
        # Whole-name matches outrank whatever else the words prefix; reading a broad word
        # for the rest would probe thousands of rows for a few lower lines.
        return found
    if not broad:
        # INTERSECT, not one GROUP BY over the OR of the ranges with a HAVING per word: the
        # same patients (in the same patient_id order on SQLite), but SQLite grouped the ~34k
        # rows of three narrow words ("wilson singh walter", 1M patients) in 440 ms and
        # intersects them in 79 (one run each on a loaded machine).
        both = intersect(*(select(terms.patient_id).where(
            terms.clinic_id == actor.seat.clinic_id, _word_match(terms, word))
            for word in ordered)).subquery()
        statement = select(both.c.patient_id)
    else:
        driving = aliased(terms)
        walked = select(driving.patient_id.label("patient_id")).where(
            driving.clinic_id == actor.seat.clinic_id, _word_match(driving, ordered[0])
        ).limit(_WALKED_AT_MOST).subquery()
        statement = select(walked.c.patient_id)
        for word in ordered[1:]:
            other = aliased(terms)
            statement = statement.join(other, and_(other.patient_id == walked.c.patient_id,
                                                   term_prefix(other.term, word)))
    return list(dict.fromkeys([*found, *session.scalars(statement.distinct().limit(wanted))]))


def _ssn_candidates(session: Session, actor: Actor, digits: str,
                    wanted: int) -> list[uuid.UUID]:
    cipher = clinic_cipher(session, actor.seat.clinic_id)
    column, purpose = ((Patient.ssn_digest, "ssn") if len(digits) == 9
                       else (Patient.ssn_last4_digest, "ssn-last4"))
    return list(session.scalars(select(Patient.id).where(
        Patient.clinic_id == actor.seat.clinic_id, Patient.deleted_at.is_(None),
        column == cipher.digest(digits, purpose=purpose)).limit(wanted)))


@lru_cache(maxsize=8192)
def _folded_name(name: str | None) -> tuple[frozenset[str], str]:
    """A name's terms and the whole name folded into one word. Remembered: the same names
    come back search after search, and folding 200 of them (transliteration included) was a
    third of a search's time."""
    return frozenset(name_terms(name)), "".join(words(name or ""))


def _score(patient: Row[Any], query: ParsedQuery, ssn_ids: set[uuid.UUID]) -> tuple[int, str]:
    """Higher is better; the second item says what matched (for the result list)."""
    if patient.id in ssn_ids:
        return 100, "ssn"
    if not query.words:
        return 50, "dob"
    phones = (patient.phone_home, patient.phone_mobile, patient.phone_work)
    fields = {  # field -> (its terms, the whole field folded into one word)
        "last": _folded_name(patient.last_name),
        "first": _folded_name(patient.first_name),
        "preferred": _folded_name(patient.preferred_name),
        "middle": _folded_name(patient.middle_name),
        "phone": (phone_terms(phones), ""),
        "mrn": (set(words(patient.mrn)), ""),
    }
    total, best_field = 0, "name"
    for word in query.words:
        best = 0
        for field, (terms, whole) in fields.items():
            weight = _FIELD_WEIGHT[field]
            if word in terms:  # a whole word: "garcia"; more if it begins the field
                points = weight * (4 if whole.startswith(word) else 3)
            elif whole.startswith(word):
                points = weight * 2  # the start of the field: "o'b" for O'Brien
            elif any(term.startswith(word) for term in terms):
                points = weight  # the start of a later word: "o'b" for Hernández-O'Brien
            else:
                continue
            if points > best:
                best = points
                if field in ("mrn", "phone"):
                    best_field = field
        total += best
    return total, best_field


def search_patients(
    session: Session, actor: Actor, *, query: str, today: date, limit: int = DEFAULT_LIMIT,
) -> list[PatientMatch]:
    """The best ``limit`` matches for what was typed, best first (see module doc)."""
    require(actor, "patient.read")
    parsed = parse_query(query, today=today)
    wanted = max(_CANDIDATES, 2 * limit)
    ids: list[uuid.UUID] = []
    ssn_ids: set[uuid.UUID] = set()
    if parsed.ssn_digits is not None:
        ssn_ids = set(_ssn_candidates(session, actor, parsed.ssn_digits, wanted))
        ids.extend(ssn_ids)
    # SSN matches rank first: with a page of them, phones or MRNs that merely start with the
    # same digits would never show, so they are not looked for.
    crowded = len(ssn_ids) >= limit
    if parsed.words and not crowded:
        ids.extend(_term_candidates(session, actor, parsed, wanted, limit))
    elif parsed.birth_date is not None and not parsed.words:
        ids.extend(session.scalars(select(Patient.id).where(
            Patient.clinic_id == actor.seat.clinic_id, Patient.deleted_at.is_(None),
            Patient.date_of_birth == parsed.birth_date).limit(wanted)))
    if not ids:
        matches: list[PatientMatch] = []
    else:
        patients = session.execute(select(*_LISTED).where(
            Patient.id.in_(set(ids)), Patient.deleted_at.is_(None))).all()
        scored = [(_score(p, parsed, ssn_ids), p) for p in patients]
        scored.sort(key=lambda item: (-item[0][0], item[1].last_name.casefold(),
                                      item[1].first_name.casefold(), item[1].date_of_birth))
        matches = [_match(patient, matched_on) for (_, matched_on), patient in scored[:limit]]
    trail.record(session, seat=actor.seat, actor=actor, action="patient.search",
                 resource_type="patient", changes={"results": len(matches)})
    return matches


def _match(patient: Row[Any], matched_on: str) -> PatientMatch:
    return PatientMatch(
        id=patient.id, mrn=patient.mrn, last_name=patient.last_name,
        first_name=patient.first_name, middle_name=patient.middle_name,
        preferred_name=patient.preferred_name, date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        phone=None if patient.restricted else (
            patient.phone_mobile or patient.phone_home or patient.phone_work),
        restricted=patient.restricted, deceased=patient.deceased, matched_on=matched_on,
    )


def recent_patients(
    session: Session, actor: Actor, *, limit: int = 10
) -> list[PatientMatch]:
    """The patients this user opened most recently (for the empty search box), newest first;
    showing them is a PHI read, audited like a search."""
    require(actor, "patient.read")
    if actor.user_id is None:
        return []
    opened = session.scalars(
        select(AuditEntry.patient_id)
        .where(AuditEntry.user_id == actor.user_id, AuditEntry.action == "patient.open",
               AuditEntry.clinic_id == actor.seat.clinic_id)
        .order_by(AuditEntry.occurred_at.desc()).limit(400)
    )
    ordered = list(dict.fromkeys(pid for pid in opened if pid is not None))[: limit * 2]
    if not ordered:
        return []
    patients = {p.id: p for p in session.execute(select(*_LISTED).where(
        Patient.id.in_(ordered), Patient.deleted_at.is_(None)))}
    recent = [_match(patients[pid], "recent") for pid in ordered if pid in patients][:limit]
    trail.record(session, seat=actor.seat, actor=actor, action="patient.search",
                 resource_type="patient", reason="recent", changes={"results": len(recent)})
    return recent
