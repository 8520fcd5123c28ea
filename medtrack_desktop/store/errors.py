"""Errors of the storage layer. Their messages are safe to show a user: no PHI, no key material."""


class StoreError(Exception):
    """Base class for every storage failure the app reports to a person."""


class KeyUnavailable(StoreError):
    """No key source holds the key of this database."""


class PassphraseRequired(KeyUnavailable):
    """The key is wrapped in a key file; the caller must ask the user for its passphrase."""


class WrongPassphrase(StoreError):
    """The passphrase does not unwrap the key file."""


class WrongKey(StoreError):
    """The key does not decrypt the database (or the file is not a SQLCipher database at all)."""


class PlaintextDatabase(StoreError):
    """The file is an unencrypted SQLite database; MedTrack refuses to use or overwrite it."""


class ForeignDatabase(StoreError):
    """The file decrypts but holds no MedTrack schema; it is left as it is."""


class DatabaseMissing(StoreError):
    """The database file does not exist (and the caller did not ask to create it)."""


class SchemaTooNew(StoreError):
    """The database was migrated by a newer MedTrack; this version must not write to it."""
