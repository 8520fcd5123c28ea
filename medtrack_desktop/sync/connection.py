"""Where a workstation's clinic server is, and how its login's password is kept.

The server's address — a ``postgresql://ROLE@HOST[:PORT]/DB[?sslmode=…]`` URL *without* a
password — lives in the workstation database's ``local_settings`` (``sync.server_url``), which
never syncs. The login's password never goes there in clear:

1. ``MEDTRACK_SYNC_PASSWORD`` (automation, services) overrides everything and is never stored.
2. The OS keyring, service ``MedTrack sync``, user ``ROLE@HOST:PORT/DB``.
3. Where no keyring backend exists (headless Linux): the password is sealed (AES-GCM,
   ``store.field_crypto``) under a random key that is itself wrapped with a passphrase
   (Argon2id + AES-GCM, the ``WrappedKey`` of ``store.keys`` that protects database key files);
   both go into ``local_settings``. The passphrase is asked for to open it.

The engine ``open_clinic_server`` returns is built from the URL and the password; its URL
renders with the password hidden, and no message here ever quotes a password.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, pool, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from medtrack_desktop.store.errors import PassphraseRequired, StoreError
from medtrack_desktop.store.field_crypto import FieldCipher, FieldDecryptionError
from medtrack_desktop.store.keys import KeyStore, WrappedKey

if TYPE_CHECKING:
    import keyring.backend

PASSWORD_ENV = "MEDTRACK_SYNC_PASSWORD"
KEYRING_SERVICE = "MedTrack sync"
URL_SETTING = "sync.server_url"
_SEALED_SETTING = "sync.server_password"  # {"key": wrapped key JSON, "sealed": hex}
CONNECT_TIMEOUT_S = 5
_DEFAULT_PORT = 5432
_SECRET_QUERY_KEYS = {"password", "passfile"}


class ServerConnectionError(StoreError):
    """The clinic server's settings cannot be used as given; the message never holds a secret."""


# -- the address --------------------------------------------------------------------------------


def parse_server_url(url: str) -> URL:
    """A clinic server's address, checked: PostgreSQL, a host (or a socket directory as
    ``?host=``), a database and a login role, and no password. Returned with the plain
    ``postgresql`` scheme (the driver is chosen when connecting)."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ServerConnectionError(
            "The server address is not a database URL (postgresql://ROLE@HOST/DB).") from None
    if parsed.get_backend_name() != "postgresql":
        raise ServerConnectionError(
            "The server address must be a PostgreSQL URL (postgresql://ROLE@HOST/DB).")
    if parsed.password or _SECRET_QUERY_KEYS & set(parsed.query):
        raise ServerConnectionError(
            "The server address must not carry the password; it is given separately.")
    if not (parsed.host or _socket_dir(parsed)):
        raise ServerConnectionError(
            "The server address needs a host (postgresql://ROLE@HOST/DB) or a socket "
            "directory (postgresql://ROLE@/DB?host=/run/postgresql).")
    if not parsed.database:
        raise ServerConnectionError("The server address must name the clinic's database.")
    if not parsed.username:
        raise ServerConnectionError(
            "The server address must name the workstation's login (postgresql://ROLE@…).")
    return without_password(parsed)


def without_password(url: URL) -> URL:
    """``url`` with the plain ``postgresql`` scheme and no password at all (``URL.set`` cannot
    take one away)."""
    return URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                      database=url.database, query=url.query)


def _socket_dir(url: URL) -> str | None:
    value = url.query.get("host")
    return value if isinstance(value, str) and value else None


def shown_url(url: URL | str) -> str:
    """The address as it may be shown (a password, if one slipped in, hidden)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def keyring_user(url: URL) -> str:
    """The keyring entry's user name: ``ROLE@HOST:PORT/DB`` (a socket directory as host)."""
    return f"{url.username}@{url.host or _socket_dir(url)}:{url.port or _DEFAULT_PORT}/" \
           f"{url.database}"


def server_url_of(local_engine: Engine) -> str | None:
    """The saved server address (no password in it), or None when none is configured."""
    with local_engine.connect() as connection:
        value = connection.execute(text("SELECT value FROM local_settings WHERE key = :key"),
                                   {"key": URL_SETTING}).scalar()
    return str(value) if value else None


# -- saving and forgetting ----------------------------------------------------------------------


def save_server_connection(local_engine: Engine, url: str, password: str,
                           keys: KeyStore | None = None, *, passphrase: str | None = None,
                           keep_password: bool = True) -> None:
    """Save the server's address in the workstation database and the password in the OS
    keyring, else sealed under ``passphrase`` (``PassphraseRequired`` when there is no
    keyring and no passphrase). ``keep_password=False`` keeps the address only (the password
    then comes from ``MEDTRACK_SYNC_PASSWORD``)."""
    parsed = parse_server_url(url)
    if not password:
        raise ServerConnectionError("The server login's password is empty.")
    keys = keys or KeyStore()
    sealed: str | None = None
    if keep_password and not _keyring_set(keys, parsed, password):
        if not passphrase:
            raise PassphraseRequired(
                "No OS keyring is available: a passphrase is needed to protect the server "
                "login's password.")
        sealed = _seal(password, passphrase, parsed)
    with local_engine.begin() as connection:
        _put(connection, URL_SETTING, parsed.render_as_string(hide_password=True))
        if sealed is not None:
            _put(connection, _SEALED_SETTING, sealed)
        else:
            connection.execute(text("DELETE FROM local_settings WHERE key = :key"),
                               {"key": _SEALED_SETTING})


def forget_server_connection(local_engine: Engine, keys: KeyStore | None = None) -> None:
    """Remove the saved address and its password (keyring entry and sealed copy). The outbox
    is untouched: unsynced changes wait for the next server."""
    url = server_url_of(local_engine)
    if url is not None:
        _keyring_delete(keys or KeyStore(), make_url(url))
    with local_engine.begin() as connection:
        connection.execute(text("DELETE FROM local_settings WHERE key IN (:url, :sealed)"),
                           {"url": URL_SETTING, "sealed": _SEALED_SETTING})


def _put(connection: Connection, key: str, value: str) -> None:
    connection.execute(
        text("INSERT INTO local_settings (key, value) VALUES (:key, :value) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
        {"key": key, "value": value})


# -- opening ------------------------------------------------------------------------------------


def clinic_server_engine(url: str | URL, password: str | None) -> Engine:
    """An engine for a workstation login: psycopg 3, no pool kept between rounds, a short
    connect timeout; ``sslmode`` and any other query setting kept from the URL."""
    parsed = make_url(url) if isinstance(url, str) else url
    query = dict(parsed.query)
    query.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
    full = parsed.set(drivername="postgresql+psycopg", password=password or None, query=query)
    return create_engine(full, poolclass=pool.NullPool)


def open_clinic_server(local_engine: Engine, keys: KeyStore | None = None, *,
                       passphrase: str | None = None) -> Engine | None:
    """The clinic server's engine for this workstation, or None when no server is
    configured. ``PassphraseRequired`` when the password is sealed and no ``passphrase`` was
    given; ``ServerConnectionError`` when no password is found at all."""
    saved = server_url_of(local_engine)
    if saved is None:
        return None
    url = parse_server_url(saved)
    return clinic_server_engine(url, server_password(local_engine, url, keys,
                                                     passphrase=passphrase))


def server_password(local_engine: Engine, url: URL, keys: KeyStore | None = None, *,
                    passphrase: str | None = None) -> str:
    """The login's password: environment, keyring, then the sealed copy."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    found = _keyring_get(keys or KeyStore(), url)
    if found:
        return found
    with local_engine.connect() as connection:
        sealed = connection.execute(text("SELECT value FROM local_settings WHERE key = :key"),
                                    {"key": _SEALED_SETTING}).scalar()
    if not sealed:
        raise ServerConnectionError(
            f"No password for the clinic server login is kept here (keyring or database); "
            f"set {PASSWORD_ENV} or run 'medtrack-admin sync connect' again.")
    if not passphrase:
        raise PassphraseRequired("The server login's password is protected by a passphrase.")
    return _open_sealed(str(sealed), passphrase, url)


def needs_passphrase(local_engine: Engine, keys: KeyStore | None = None) -> bool:
    """True when opening the server needs a passphrase (no environment or keyring password)."""
    saved = server_url_of(local_engine)
    if saved is None or os.environ.get(PASSWORD_ENV):
        return False
    return _keyring_get(keys or KeyStore(), parse_server_url(saved)) is None


# -- the sealed copy: KeyStore's wrapping around a random key, that key seals the password ------


def _seal(password: str, passphrase: str, url: URL) -> str:
    key = secrets.token_bytes(32)
    wrapped = WrappedKey.wrap(key, passphrase)
    sealed = FieldCipher(key).seal(password, bound_to=keyring_user(url))
    return json.dumps({"key": json.loads(wrapped.to_json()), "sealed": sealed.hex()})


def _open_sealed(stored: str, passphrase: str, url: URL) -> str:
    try:
        data = json.loads(stored)
        wrapped = WrappedKey.from_json(json.dumps(data["key"]))
        sealed = bytes.fromhex(data["sealed"])
    except (ValueError, KeyError, TypeError):
        raise ServerConnectionError(
            "The kept server password is damaged; run 'medtrack-admin sync connect' "
            "again.") from None
    key = wrapped.unwrap(passphrase)  # WrongPassphrase (a StoreError) on a wrong one
    try:
        return FieldCipher(key).open(sealed, bound_to=keyring_user(url))
    except FieldDecryptionError:
        raise ServerConnectionError(
            "The kept server password belongs to another address; run "
            "'medtrack-admin sync connect' again.") from None


# -- the OS keyring, through the KeyStore's backend ---------------------------------------------


def _backend(keys: KeyStore) -> keyring.backend.KeyringBackend | None:
    # the same keyring as the database keys (KeyStore chooses it, tests inject it)
    return keys.keyring_backend()


def _keyring_get(keys: KeyStore, url: URL) -> str | None:
    backend = _backend(keys)
    if backend is None:
        return None
    from keyring.errors import KeyringError

    try:
        return backend.get_password(KEYRING_SERVICE, keyring_user(url))
    except KeyringError:
        return None


def _keyring_set(keys: KeyStore, url: URL, password: str) -> bool:
    backend = _backend(keys)
    if backend is None:
        return False
    from keyring.errors import KeyringError

    try:
        backend.set_password(KEYRING_SERVICE, keyring_user(url), password)
    except KeyringError:
        return False
    return True


def _keyring_delete(keys: KeyStore, url: URL) -> None:
    backend = _backend(keys)
    if backend is None:
        return
    from keyring.errors import KeyringError

    with contextlib.suppress(KeyringError):
        backend.delete_password(KEYRING_SERVICE, keyring_user(url))
