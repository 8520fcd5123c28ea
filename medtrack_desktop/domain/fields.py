"""The error every form-backed service raises: one message per field, worded for the person
who typed it, keyed by the field so the form shows each beside its widget."""

from __future__ import annotations


class FieldsInvalid(ValueError):
    """Some fields are wrong; ``errors`` maps each field to a message naming it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
