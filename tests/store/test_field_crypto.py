"""Field-level sealing and the blind index (SSN, member ids)."""

from __future__ import annotations

import secrets

import pytest

from medtrack_desktop.store.field_crypto import FieldCipher, FieldDecryptionError


def test_a_sealed_value_opens_only_where_it_was_bound() -> None:
    cipher = FieldCipher(secrets.token_bytes(32))
    sealed = cipher.seal("123456789", bound_to="patients.ssn:a")
    assert b"123456789" not in sealed
    assert cipher.open(sealed, bound_to="patients.ssn:a") == "123456789"
    with pytest.raises(FieldDecryptionError):
        cipher.open(sealed, bound_to="patients.ssn:b")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(FieldDecryptionError):
        cipher.open(tampered, bound_to="patients.ssn:a")
    with pytest.raises(FieldDecryptionError):
        cipher.open(b"\x02junk", bound_to="patients.ssn:a")
    with pytest.raises(FieldDecryptionError):
        FieldCipher(secrets.token_bytes(32)).open(sealed, bound_to="patients.ssn:a")


def test_sealing_twice_gives_different_bytes() -> None:
    cipher = FieldCipher(secrets.token_bytes(32))
    assert cipher.seal("6789", bound_to="x") != cipher.seal("6789", bound_to="x")


def test_the_blind_index_is_stable_keyed_and_per_purpose() -> None:
    key = secrets.token_bytes(32)
    one, same = FieldCipher(key), FieldCipher(key)
    assert one.digest("6789", purpose="ssn-last4") == same.digest("6789", purpose="ssn-last4")
    assert one.digest("6789", purpose="ssn-last4") != one.digest("6789", purpose="member-id")
    other = FieldCipher(secrets.token_bytes(32))
    assert one.digest("6789", purpose="ssn-last4") != other.digest("6789", purpose="ssn-last4")


def test_a_key_must_have_32_bytes() -> None:
    with pytest.raises(ValueError):
        FieldCipher(b"short")
