"""How names, phones and MRNs become search terms, the same way for the index and the query.

Text is transliterated to ASCII (``anyascii``: "García" → "garcia", "Nguyễn" → "nguyen",
"Straße" → "strasse") and lower-cased; apostrophes join ("O'Brien" → "obrien", also "brien"),
other punctuation and spaces split. A name of several words is also indexed joined
("van der Berg" → "vanderberg", "García-Márquez" → "garciamarquez"), so whatever way the
front desk types it, a prefix of some term matches. Phones index their 10 digits and their
last 7; the MRN indexes as is. Terms hold only ``[a-z0-9]``, which sort byte-wise on both
engines — except the ``full`` terms: every name term of the last name with the first (or
preferred) name joined, and the other way round, separated by a space ("garcia maria",
"maria garcia"). Typed "garcia mar" or "maria garcia" is then one range of them, however many
Garcías and Marias the clinic has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from anyascii import anyascii

TERM_MAX = 64
# Bump when the rules below change: the index is rebuilt from the patients on next start.
TERMS_VERSION = "2"

_APOSTROPHES = re.compile(r"['`]")  # after anyascii, curly and modifier apostrophes are ' or `
_SPLIT = re.compile(r"[^a-z0-9]+")
_CHUNKS = re.compile(r"[^a-z0-9'`]+")  # words with their apostrophes (after anyascii)
_NON_DIGITS = re.compile(r"\D+")


def fold(text: str) -> str:
    """ASCII, lower case, apostrophes removed: the form every term and query word takes."""
    return _APOSTROPHES.sub("", anyascii(text).lower())


def words(text: str) -> list[str]:
    """The words of ``text`` once folded ("  O'Brien-Smith " → ["obrien", "smith"])."""
    return [word[:TERM_MAX] for word in _SPLIT.split(fold(text)) if word]


def name_terms(text: str | None) -> set[str]:
    """Every term a name part is found by (see module doc)."""
    if not text:
        return set()
    found = set(words(text))
    if len(found) > 1:
        found.add("".join(words(text))[:TERM_MAX])
    for chunk in _CHUNKS.split(anyascii(text).lower()):
        pieces = _APOSTROPHES.split(chunk)
        if len(pieces) > 1:
            found.update(piece[:TERM_MAX] for piece in pieces if len(piece) > 1)
    return found


def phone_digits(text: str | None) -> str:
    """The national digits of a phone number ("+1 (512) 555-0123" → "5125550123")."""
    digits = _NON_DIGITS.sub("", text or "")
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def phone_terms(phones: Iterable[str | None]) -> set[str]:
    found: set[str] = set()
    for phone in phones:
        digits = phone_digits(phone)
        if len(digits) >= 7:
            found.update({digits[:TERM_MAX], digits[-7:]})
    return found


def patient_terms(
    *, first_name: str, middle_name: str | None, last_name: str, preferred_name: str | None,
    mrn: str, phones: Iterable[str | None],
) -> set[tuple[str, str]]:
    """The (term, field) pairs of one patient in the search index."""
    pairs = {(term, "last") for term in name_terms(last_name)}
    pairs |= {(term, "first") for term in name_terms(first_name)}
    pairs |= {(term, "middle") for term in name_terms(middle_name)}
    pairs |= {(term, "preferred") for term in name_terms(preferred_name)}
    pairs |= {(term, "phone") for term in phone_terms(phones)}
    pairs |= {(term, "mrn") for term in words(mrn)}
    pairs |= {(term, "full") for term in full_terms(last_name, (first_name, preferred_name))}
    return pairs


def full_terms(last_name: str, given_names: Iterable[str | None]) -> set[str]:
    """Each term of the last name with each given name joined, in both orders."""
    lasts = name_terms(last_name)
    givens = {"".join(words(name))[:TERM_MAX] for name in given_names if name}
    givens.discard("")
    return {f"{a} {b}"[:TERM_MAX] for last in lasts for given in givens
            for a, b in ((last, given), (given, last))}
