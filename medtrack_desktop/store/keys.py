"""Where a workstation database's 256-bit key comes from, and how it is kept.

Key sources, tried in this order (DESIGN §4):

1. ``MEDTRACK_DB_KEY`` — 64 hex characters, for automation and tests. Never stored by us.
2. The OS keyring (``keyring``), one entry per database file.
3. A key file next to the database (``<db>.key``) holding the key wrapped with a passphrase:
   Argon2id derives a key-encryption key, AES-256-GCM wraps the database key. Used where no
   keyring backend exists (headless Linux); the app asks for the passphrase.

The same wrapping serves the administrator's recovery copy (escrow), so a broken keyring never
locks a clinic out of its data.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from medtrack_desktop.store.errors import (
    KeyUnavailable,
    PassphraseRequired,
    StoreError,
    WrongPassphrase,
)

if TYPE_CHECKING:
    import keyring.backend

KEY_BYTES = 32
ENV_KEY = "MEDTRACK_DB_KEY"
KEYRING_SERVICE = "medtrack-desktop"
_WRAP_FORMAT = "medtrack-wrapped-key/1"
_WRAP_AAD = b"medtrack-wrapped-key/1"


def generate_key() -> bytes:
    """A fresh random 256-bit database key."""
    return secrets.token_bytes(KEY_BYTES)


def parse_hex_key(text: str) -> bytes:
    """Decode a 64-hex-character key, with a message that says what is wrong."""
    cleaned = text.strip()
    if len(cleaned) != KEY_BYTES * 2:
        raise KeyUnavailable(f"A database key must be {KEY_BYTES * 2} hex characters.")
    # Not bytes.fromhex alone: it skips inner whitespace, which would yield a shorter key.
    if not all(ch in string.hexdigits for ch in cleaned):
        raise KeyUnavailable("A database key may contain only hex digits 0-9 and a-f.")
    return bytes.fromhex(cleaned)


def key_fingerprint(key: bytes) -> str:
    """A short, non-secret identifier of a key, to match a recovery copy with its database."""
    return hashlib.sha256(b"medtrack-key-id" + key).hexdigest()[:16]


@dataclass(frozen=True)
class WrappedKey:
    """A database key encrypted under a passphrase (Argon2id + AES-256-GCM)."""

    salt: bytes
    nonce: bytes
    ciphertext: bytes
    fingerprint: str
    time_cost: int = 3
    memory_cost_kib: int = 64 * 1024
    parallelism: int = 2

    @classmethod
    def wrap(cls, key: bytes, passphrase: str) -> WrappedKey:
        if not passphrase:
            raise StoreError("The passphrase must not be empty.")
        salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
        params = cls(salt=salt, nonce=nonce, ciphertext=b"", fingerprint=key_fingerprint(key))
        ciphertext = AESGCM(params._kek(passphrase)).encrypt(nonce, key, _WRAP_AAD)
        return cls(salt=salt, nonce=nonce, ciphertext=ciphertext, fingerprint=params.fingerprint)

    def unwrap(self, passphrase: str) -> bytes:
        try:
            return AESGCM(self._kek(passphrase)).decrypt(self.nonce, self.ciphertext, _WRAP_AAD)
        except InvalidTag:
            raise WrongPassphrase("The passphrase is not correct.") from None

    def _kek(self, passphrase: str) -> bytes:
        return hash_secret_raw(
            passphrase.encode("utf-8"),
            self.salt,
            time_cost=self.time_cost,
            memory_cost=self.memory_cost_kib,
            parallelism=self.parallelism,
            hash_len=KEY_BYTES,
            type=Type.ID,
        )

    def to_json(self) -> str:
        b64 = base64.b64encode
        return json.dumps(
            {
                "format": _WRAP_FORMAT,
                "kdf": {
                    "name": "argon2id",
                    "salt": b64(self.salt).decode(),
                    "time_cost": self.time_cost,
                    "memory_cost_kib": self.memory_cost_kib,
                    "parallelism": self.parallelism,
                },
                "cipher": "aes-256-gcm",
                "nonce": b64(self.nonce).decode(),
                "ciphertext": b64(self.ciphertext).decode(),
                "key_fingerprint": self.fingerprint,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> WrappedKey:
        try:
            data: dict[str, Any] = json.loads(text)
            if data.get("format") != _WRAP_FORMAT:
                raise ValueError("format")
            kdf = data["kdf"]
            b64d = base64.b64decode
            wrapped = cls(
                salt=b64d(kdf["salt"]),
                nonce=b64d(data["nonce"]),
                ciphertext=b64d(data["ciphertext"]),
                fingerprint=str(data["key_fingerprint"]),
                time_cost=int(kdf["time_cost"]),
                memory_cost_kib=int(kdf["memory_cost_kib"]),
                parallelism=int(kdf["parallelism"]),
            )
            # Parameters Argon2/AES-GCM would reject (or that would exhaust memory) = damage.
            if not (
                len(wrapped.salt) >= 16
                and len(wrapped.nonce) == 12
                and len(wrapped.ciphertext) == KEY_BYTES + 16
                and 1 <= wrapped.time_cost <= 64
                and 1 <= wrapped.parallelism <= 64
                and 8 * wrapped.parallelism <= wrapped.memory_cost_kib <= 4 * 1024 * 1024
            ):
                raise ValueError("parameters")
            return wrapped
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StoreError("The key file is damaged or not a MedTrack key file.") from None

    @classmethod
    def read(cls, path: Path) -> WrappedKey:
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise StoreError(f"The key file cannot be read ({exc.strerror}).") from None

    def write(self, path: Path) -> None:
        """Write atomically with owner-only permissions; never half a key file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)


def key_file_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".key")


class KeyStore:
    """Finds and keeps database keys. The keyring backend is injectable for tests of the OS side."""

    def __init__(
        self,
        *,
        keyring_backend: keyring.backend.KeyringBackend | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._backend = keyring_backend
        self._environ = os.environ if environ is None else environ

    @property
    def _keyring(self) -> keyring.backend.KeyringBackend:
        # Imported and found on first use: importing keyring (~0.13 s) and scanning the installed
        # backends (~0.1 s) are what a start with MEDTRACK_DB_KEY never needs.
        if self._backend is None:
            import keyring

            self._backend = keyring.get_keyring()
        return self._backend

    # -- sources -------------------------------------------------------------------------

    def keyring_backend(self) -> keyring.backend.KeyringBackend | None:
        """The OS keyring this key store uses, for other secrets of the workstation (the sync
        login's password); None when there is no usable one."""
        return self._keyring if self.keyring_available() else None

    def keyring_available(self) -> bool:
        """True when an OS keyring backend that can store secrets is present."""
        priority = getattr(self._keyring, "priority", 0)
        return priority > 0 and type(self._keyring).__module__ != "keyring.backends.fail"

    def source_of(self, db_path: Path) -> str | None:
        """Which source would provide this database's key: environment, keyring, key file."""
        if self._environ.get(ENV_KEY):
            return "environment"
        if self._keyring_get(db_path) is not None:
            return "keyring"
        if key_file_path(db_path).exists():
            return "key file"
        return None

    def load(self, db_path: Path, *, passphrase: str | None = None) -> bytes:
        """The key of an existing database, from the first source that has it."""
        env_value = self._environ.get(ENV_KEY)
        if env_value:
            return parse_hex_key(env_value)
        stored = self._keyring_get(db_path)
        if stored is not None:
            return parse_hex_key(stored)
        wrapped_path = key_file_path(db_path)
        if wrapped_path.exists():
            if passphrase is None:
                raise PassphraseRequired("This database's key is protected by a passphrase.")
            return WrappedKey.read(wrapped_path).unwrap(passphrase)
        raise KeyUnavailable(
            "No key for this database was found (environment, keyring or key file). "
            "An administrator can restore it from the recovery copy."
        )

    def create(self, db_path: Path, *, passphrase: str | None = None) -> bytes:
        """Make and keep the key of a new database; the environment key wins when it is set.

        Refused when the database file exists: its key must never be replaced.
        """
        if db_path.exists():
            raise StoreError(f"{db_path.name} exists already; its key is not replaced.")
        env_value = self._environ.get(ENV_KEY)
        if env_value:
            return parse_hex_key(env_value)
        key = generate_key()
        self.remember(db_path, key, passphrase=passphrase)
        return key

    def remember(self, db_path: Path, key: bytes, *, passphrase: str | None = None) -> None:
        """Keep a key for this database: in the keyring, else wrapped in a key file."""
        if self._keyring_set(db_path, key):
            return
        if passphrase is None:
            raise PassphraseRequired(
                "No OS keyring is available: choose a passphrase to protect this database's key."
            )
        WrappedKey.wrap(key, passphrase).write(key_file_path(db_path))

    # -- keyring helpers -----------------------------------------------------------------

    @staticmethod
    def _entry(db_path: Path) -> str:
        return f"db:{db_path.resolve()}"

    def _keyring_get(self, db_path: Path) -> str | None:
        if not self.keyring_available():
            return None
        from keyring.errors import KeyringError

        try:
            return self._keyring.get_password(KEYRING_SERVICE, self._entry(db_path))
        except KeyringError:
            return None

    def _keyring_set(self, db_path: Path, key: bytes) -> bool:
        if not self.keyring_available():
            return False
        from keyring.errors import KeyringError

        try:
            self._keyring.set_password(KEYRING_SERVICE, self._entry(db_path), key.hex())
        except KeyringError:
            return False
        return True
