"""Where a database key comes from (environment > OS keyring > key file) and how it is kept."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import keyring.backend
import pytest
from keyring.backends import fail

from medtrack_desktop.store.errors import (
    KeyUnavailable,
    PassphraseRequired,
    StoreError,
    WrongPassphrase,
)
from medtrack_desktop.store.keys import (
    ENV_KEY,
    KEYRING_SERVICE,
    KeyStore,
    WrappedKey,
    key_file_path,
    key_fingerprint,
    parse_hex_key,
)

PASSPHRASE = "correct horse battery staple"
KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))
KEY_C = bytes(range(64, 96))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a new database will be (the key store never reads the database itself)."""
    return tmp_path / "workstation.db"


@pytest.fixture(scope="module")
def wrapped_json() -> dict[str, Any]:
    """One wrapped KEY_A (Argon2id is slow on purpose: wrap once per module)."""
    return json.loads(WrappedKey.wrap(KEY_A, PASSPHRASE).to_json())


def no_keyring() -> KeyStore:
    return KeyStore(keyring_backend=fail.Keyring(), environ={})


# -- order of the sources ---------------------------------------------------------------------


def test_environment_beats_keyring_beats_key_file(
    db_path: Path, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    WrappedKey.wrap(KEY_C, PASSPHRASE).write(key_file_path(db_path))
    KeyStore(keyring_backend=memory_keyring, environ={}).remember(db_path, KEY_B)

    everything = KeyStore(keyring_backend=memory_keyring, environ={ENV_KEY: KEY_A.hex()})
    assert everything.source_of(db_path) == "environment"
    assert everything.load(db_path) == KEY_A

    keyring_and_file = KeyStore(keyring_backend=memory_keyring, environ={})
    assert keyring_and_file.source_of(db_path) == "keyring"
    assert keyring_and_file.load(db_path) == KEY_B

    file_only = no_keyring()
    assert file_only.source_of(db_path) == "key file"
    with pytest.raises(PassphraseRequired):
        file_only.load(db_path)
    assert file_only.load(db_path, passphrase=PASSPHRASE) == KEY_C


def test_no_source_at_all_is_reported(db_path: Path) -> None:
    store = no_keyring()
    assert store.source_of(db_path) is None
    with pytest.raises(KeyUnavailable, match="recovery copy") as raised:
        store.load(db_path)
    assert not isinstance(raised.value, PassphraseRequired)


def test_keyring_holds_the_hex_key_under_the_resolved_path(
    tmp_path: Path, db_path: Path, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    store = KeyStore(keyring_backend=memory_keyring, environ={})
    assert store.keyring_available()

    key = store.create(db_path)

    assert len(key) == 32
    assert memory_keyring.secrets == {  # type: ignore[attr-defined]
        (KEYRING_SERVICE, f"db:{db_path.resolve()}"): key.hex()
    }
    assert not key_file_path(db_path).exists()
    # Another spelling of the same path finds the same entry.
    other_spelling = tmp_path / "sub" / ".." / "workstation.db"
    (tmp_path / "sub").mkdir()
    assert KeyStore(keyring_backend=memory_keyring, environ={}).load(other_spelling) == key


def test_each_database_gets_its_own_random_key(
    tmp_path: Path, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    store = KeyStore(keyring_backend=memory_keyring, environ={})
    first = store.create(tmp_path / "one.db")
    second = store.create(tmp_path / "two.db")
    assert first != second
    assert store.load(tmp_path / "one.db") == first
    assert store.load(tmp_path / "two.db") == second


def test_environment_key_is_used_for_create_and_never_stored(
    db_path: Path, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    store = KeyStore(keyring_backend=memory_keyring, environ={ENV_KEY: KEY_A.hex()})
    assert store.create(db_path) == KEY_A
    assert memory_keyring.secrets == {}  # type: ignore[attr-defined]
    assert [call[0] for call in memory_keyring.calls] == []  # type: ignore[attr-defined]
    assert not key_file_path(db_path).exists()


def test_create_never_replaces_the_key_of_an_existing_database(
    db_path: Path, memory_keyring: keyring.backend.KeyringBackend
) -> None:
    store = KeyStore(keyring_backend=memory_keyring, environ={})
    key = store.create(db_path)
    db_path.write_bytes(b"an encrypted database made with that key")

    with pytest.raises(StoreError, match="exists already"):
        store.create(db_path)
    assert store.load(db_path) == key


# -- no keyring: passphrase-wrapped key file -------------------------------------------------


def test_without_keyring_create_needs_a_passphrase(db_path: Path) -> None:
    store = no_keyring()
    assert not store.keyring_available()
    with pytest.raises(PassphraseRequired, match="passphrase"):
        store.create(db_path)
    assert not key_file_path(db_path).exists()


def test_without_keyring_the_key_is_wrapped_in_an_owner_only_key_file(db_path: Path) -> None:
    store = no_keyring()
    key = store.create(db_path, passphrase=PASSPHRASE)

    key_file = key_file_path(db_path)
    assert key_file == db_path.with_name("workstation.db.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    content = key_file.read_text(encoding="utf-8")
    assert key.hex() not in content
    assert json.loads(content)["key_fingerprint"] == key_fingerprint(key)
    assert not key_file.with_name(key_file.name + ".tmp").exists()

    with pytest.raises(PassphraseRequired):
        store.load(db_path)
    with pytest.raises(WrongPassphrase, match="passphrase is not correct"):
        store.load(db_path, passphrase="Correct horse battery staple")
    assert store.load(db_path, passphrase=PASSPHRASE) == key


def test_a_keyring_that_refuses_to_store_falls_back_to_the_key_file(
    db_path: Path, refusing_keyring: keyring.backend.KeyringBackend
) -> None:
    store = KeyStore(keyring_backend=refusing_keyring, environ={})
    with pytest.raises(PassphraseRequired):
        store.create(db_path)
    key = store.create(db_path, passphrase=PASSPHRASE)
    assert ("set", KEYRING_SERVICE, f"db:{db_path.resolve()}") in refusing_keyring.calls  # type: ignore[attr-defined]
    assert store.source_of(db_path) == "key file"
    assert store.load(db_path, passphrase=PASSPHRASE) == key


def _damage(data: dict[str, Any], path: str, value: Any) -> str:
    damaged = json.loads(json.dumps(data))
    target = damaged
    *parents, leaf = path.split(".")
    for parent in parents:
        target = target[parent]
    if value is _DELETE:
        del target[leaf]
    else:
        target[leaf] = value
    return json.dumps(damaged)


_DELETE = object()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("format", "someone-elses-format/1"),
        ("nonce", _DELETE),
        ("kdf.salt", ""),
        ("kdf.salt", "not base64!"),
        ("nonce", "AAAA"),
        ("ciphertext", "AAAA"),
        ("kdf.time_cost", 0),
        ("kdf.time_cost", "three"),
        ("kdf.parallelism", 0),
        ("kdf.memory_cost_kib", 2**40),
        ("kdf", "argon2id"),
    ],
)
def test_damaged_key_file_fields_are_reported_as_damage(
    db_path: Path, wrapped_json: dict[str, Any], field: str, value: Any
) -> None:
    key_file_path(db_path).write_text(_damage(wrapped_json, field, value), encoding="utf-8")
    with pytest.raises(StoreError, match="damaged or not a MedTrack key file") as raised:
        no_keyring().load(db_path, passphrase=PASSPHRASE)
    assert type(raised.value) is StoreError


@pytest.mark.parametrize("content", ["", "not json at all", "[1, 2]", "null", '{"format": 1'])
def test_key_file_that_is_not_a_key_file_is_reported(db_path: Path, content: str) -> None:
    key_file_path(db_path).write_text(content, encoding="utf-8")
    with pytest.raises(StoreError, match="damaged or not a MedTrack key file") as raised:
        no_keyring().load(db_path, passphrase=PASSPHRASE)
    assert type(raised.value) is StoreError


def test_unreadable_key_file_is_reported(db_path: Path) -> None:
    key_file_path(db_path).mkdir()  # a directory where the key file should be
    with pytest.raises(StoreError, match="key file cannot be read"):
        no_keyring().load(db_path, passphrase=PASSPHRASE)


def test_valid_key_file_from_the_fixture_loads(
    db_path: Path, wrapped_json: dict[str, Any]
) -> None:
    """Control for the damage tests: the undamaged JSON does load."""
    key_file_path(db_path).write_text(json.dumps(wrapped_json), encoding="utf-8")
    assert no_keyring().load(db_path, passphrase=PASSPHRASE) == KEY_A


# -- environment key validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ab" * 31, "64 hex characters"),
        ("ab" * 33, "64 hex characters"),
        ("ab" * 32 + "0", "64 hex characters"),
        ("zz" * 32, "only hex digits"),
        ("ab" * 31 + "g1", "only hex digits"),
        ("ab" * 15 + "  " + "ab" * 16, "only hex digits"),  # 64 chars, only 62 of them hex
        ("0x" + "ab" * 31, "only hex digits"),
    ],
)
def test_malformed_environment_key_is_refused_with_a_clear_message(
    db_path: Path, value: str, message: str
) -> None:
    store = KeyStore(keyring_backend=fail.Keyring(), environ={ENV_KEY: value})
    with pytest.raises(KeyUnavailable, match=message) as raised:
        store.load(db_path)
    assert value.strip() not in str(raised.value)
    with pytest.raises(KeyUnavailable, match=message):
        store.create(db_path)


@pytest.mark.parametrize("spelling", [KEY_A.hex(), KEY_A.hex().upper(), f"  {KEY_A.hex()}\n"])
def test_environment_key_spellings_that_are_accepted(db_path: Path, spelling: str) -> None:
    assert KeyStore(keyring_backend=fail.Keyring(), environ={ENV_KEY: spelling}).load(db_path) == (
        KEY_A
    )
    assert parse_hex_key(spelling) == KEY_A


# -- the wrapped key format --------------------------------------------------------------------


def test_wrapped_key_json_round_trip() -> None:
    wrapped = WrappedKey.wrap(KEY_B, PASSPHRASE)
    text = wrapped.to_json()
    data = json.loads(text)

    assert data["format"] == "medtrack-wrapped-key/1"
    assert data["kdf"]["name"] == "argon2id"
    assert data["cipher"] == "aes-256-gcm"
    assert data["key_fingerprint"] == key_fingerprint(KEY_B)
    assert KEY_B.hex() not in text

    again = WrappedKey.from_json(text)
    assert again == wrapped
    assert again.unwrap(PASSPHRASE) == KEY_B
    with pytest.raises(WrongPassphrase):
        again.unwrap(PASSPHRASE + " ")


def test_wrapping_twice_gives_different_files_for_the_same_key() -> None:
    first, second = WrappedKey.wrap(KEY_A, PASSPHRASE), WrappedKey.wrap(KEY_A, PASSPHRASE)
    assert first.salt != second.salt and first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext
    assert first.fingerprint == second.fingerprint


def test_tampered_ciphertext_does_not_unwrap(wrapped_json: dict[str, Any]) -> None:
    wrapped = WrappedKey.from_json(json.dumps(wrapped_json))
    flipped = bytes([wrapped.ciphertext[0] ^ 1]) + wrapped.ciphertext[1:]
    tampered = WrappedKey(**{**wrapped.__dict__, "ciphertext": flipped})
    with pytest.raises(WrongPassphrase):
        tampered.unwrap(PASSPHRASE)


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(StoreError, match="must not be empty"):
        WrappedKey.wrap(KEY_A, "")


def test_key_fingerprint_is_stable_short_and_distinct() -> None:
    # Pinned: a recovery copy made by this version must still match its database later.
    assert key_fingerprint(KEY_A) == "8019454419fae62f"
    assert key_fingerprint(KEY_A) == key_fingerprint(bytes(KEY_A))
    assert key_fingerprint(KEY_B) != key_fingerprint(KEY_A)
    fingerprint = key_fingerprint(KEY_C)
    assert len(fingerprint) == 16 and all(ch in "0123456789abcdef" for ch in fingerprint)
    assert fingerprint not in KEY_C.hex()
