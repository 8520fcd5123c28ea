"""Medical record numbers with a Luhn check digit, so a mistyped MRN is caught at the counter."""

from __future__ import annotations

from stdnum import luhn


def mrn_with_check_digit(number: int, *, width: int = 7) -> str:
    """``number`` zero-padded to ``width`` digits followed by its Luhn check digit."""
    body = f"{number:0{width}d}"
    return body + luhn.calc_check_digit(body)


def is_valid_mrn(mrn: str) -> bool:
    return mrn.isdigit() and luhn.is_valid(mrn)
