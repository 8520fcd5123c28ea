"""Field-level encryption for the most sensitive values (SSN, insurance member ids; DESIGN §4).

On top of the database's own encryption: a value is sealed with AES-256-GCM under a key
derived from the clinic's field key, and bound to where it lives (the row and field), so a
ciphertext copied onto another row does not open. Exact look-up goes through a *blind index*:
a keyed HMAC of the value (and of parts such as an SSN's last 4 digits), never the plaintext.
The sealing and the index use separate keys derived with HKDF, so one never helps against the
other.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
_FORMAT = b"\x01"  # first byte of every sealed value: the scheme, so it can change later
_NONCE_BYTES = 12


class FieldDecryptionError(ValueError):
    """A sealed value did not open (wrong clinic key, altered bytes, or another row's value)."""


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


class FieldCipher:
    """Seals, opens and blind-indexes field values under one clinic's field key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a field key has 32 bytes")
        self._aead = AESGCM(_derive(key, b"medtrack field seal v1"))
        self._index_key = _derive(key, b"medtrack blind index v1")

    def seal(self, value: str, *, bound_to: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), bound_to.encode("utf-8"))
        return _FORMAT + nonce + sealed

    def open(self, blob: bytes, *, bound_to: str) -> str:
        if blob[:1] != _FORMAT or len(blob) < 1 + _NONCE_BYTES + 16:
            raise FieldDecryptionError("not a sealed field value")
        nonce, sealed = blob[1:1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, sealed, bound_to.encode("utf-8")).decode("utf-8")
        except InvalidTag:
            raise FieldDecryptionError("a sealed field value did not open") from None

    def digest(self, value: str, *, purpose: str) -> str:
        """The blind-index entry of ``value`` for one kind of look-up (e.g. ``ssn-last4``)."""
        message = purpose.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()
