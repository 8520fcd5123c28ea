"""The encrypted workstation database: a SQLAlchemy engine over SQLCipher 4 with a raw key.

Every connection is keyed and checked before anything can write to the file, so a wrong key or a
foreign file is reported without touching a byte. Pragmas follow DESIGN §4: temp files in memory,
secure delete, WAL with full fsync, foreign keys enforced.

Where SQLCipher's cost goes, and the settings chosen for it (benchmarks/cipher_overhead, 100,000
patient rows, figures in its README):

* Every page read from the file is decrypted (AES-256-CBC) and its HMAC-SHA512 checked; a page
  in SQLite's page cache is not. Plain SQLite barely needs that cache (the OS file cache serves
  it at memcpy speed); SQLCipher's page cache is the only place plaintext pages stay. Hence a
  large cache per connection (``_CACHE_KIB``, filled only as pages are read) and a pool that
  hands out the connection used last (LIFO), so one warm cache serves most units of work instead
  of each pooled connection decrypting the same pages into a cache of its own.
* The first read of each page (a newly opened connection) pays decrypt and HMAC in full: a
  select pass on a new connection takes 2-3 times plain SQLite's time with the same settings,
  however large the cache. Only weaker protection removes that: ``cipher_use_hmac = OFF`` (no
  tamper detection) or a cheaper HMAC (a new file format for every existing database).
* Key derivation costs nothing per connection: the key is raw (``key_pragma``), so
  ``kdf_iter`` does not apply (SQLCipher derives only the HMAC key, with its 2-round fast KDF).
* ``cipher_memory_security`` (zeroing and locking every allocation SQLCipher frees) stays OFF,
  SQLCipher's default since 4.5, pinned here so a build with another default cannot change it
  unnoticed. ON made inserts three times slower (7.3 -> 22.8 s for 100,000 rows). What DESIGN
  §4 protects is the data at rest (a stolen disk or laptop, a copied file or backup): that is
  what the encryption covers. Wiping freed buffers would not keep PHI from a reader of this
  process's memory, who finds the decrypted pages in the page cache, the rows in Python objects
  and the key itself there.
* No ``mmap_size``: SQLCipher reads an encrypted file through its codec, never by mmap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from medtrack_desktop.store.errors import (
    DatabaseMissing,
    ForeignDatabase,
    PlaintextDatabase,
    WrongKey,
)

SQLITE_PLAINTEXT_HEADER = b"SQLite format 3\x00"
_READ_ONLY = "medtrack_read_only"
#: Decrypted pages kept per connection, at most (allocated as pages are read). 64 MiB holds
#: the patients table and its indexes at 100,000 patients: a repeated select pass took 206 ms
#: with 32 MiB (pages evicted and decrypted again), 147 ms with 64 MiB, 104-117 ms on plain
#: SQLite (load ~3 on 2 cores). With the LIFO pool mostly one connection grows that large.
_CACHE_KIB = 64 * 1024
_SESSION_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA secure_delete = ON",
    "PRAGMA busy_timeout = 15000",
    f"PRAGMA cache_size = -{_CACHE_KIB}",
)
_WRITER_PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                   "PRAGMA wal_autocheckpoint = 1000")
#: SQLCipher's own settings (the key and page size come first, in ``_keyed``); see the module
#: docstring for why memory security is off.
_CIPHER_PRAGMAS = ("PRAGMA cipher_memory_security = OFF",)
#: A bulk load (a workstation joining its clinic): a large cache, for inserts at random places
#: of indexes larger than the usual one otherwise write, evict and decrypt the same pages again
#: and again; a committed transaction need not reach the disk at once (the file stays whole,
#: and the loader goes on from what it committed last); one checkpoint at the end.
_BULK_PRAGMAS = ("PRAGMA cache_size = -524288", "PRAGMA synchronous = NORMAL",
                 "PRAGMA wal_autocheckpoint = 0")


def connection_pragmas(*, writable: bool = True) -> tuple[str, ...]:
    """The SQLite settings every connection of the app runs with, after the key (none of
    SQLCipher's own): for benchmarks that hold a plain SQLite file to the same settings."""
    return _SESSION_PRAGMAS + (_WRITER_PRAGMAS if writable else ())


def key_pragma(key: bytes) -> str:
    """``PRAGMA key`` with a raw 256-bit key: no passphrase derivation, the key is used as is."""
    return f"PRAGMA key = \"x'{key.hex()}'\""


@contextmanager
def bulk_loading(connection: Connection) -> Iterator[None]:
    """``_BULK_PRAGMAS`` on this connection (outside a transaction) for the block; then the
    usual settings again and the log checkpointed into the file."""
    if connection.in_transaction():
        connection.commit()
    driver = connection.connection.driver_connection  # outside any transaction: no BEGIN
    try:
        for pragma in _BULK_PRAGMAS:
            driver.execute(pragma).fetchall()  # type: ignore[union-attr]
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        for pragma in (*connection_pragmas(), "PRAGMA wal_checkpoint(TRUNCATE)"):
            driver.execute(pragma).fetchall()  # type: ignore[union-attr]


def check_file_is_encrypted(path: Path) -> None:
    """Refuse a plaintext SQLite file (or an empty one) before SQLCipher ever opens it."""
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_PLAINTEXT_HEADER))
    if header == SQLITE_PLAINTEXT_HEADER:
        raise PlaintextDatabase(
            f"{path.name} is an unencrypted SQLite database. MedTrack will not use or overwrite it."
        )
    if not header:
        raise ForeignDatabase(f"{path.name} is empty; it is not a MedTrack database.")


# SQLCipher encrypts and authenticates every page on its own: larger pages cost less per byte
# read (benchmarks/cipher_overhead, 100,000 patients, cold: full scan 158 -> 73 ms, all selects
# 505 -> 325 ms, point lookups unchanged). New files get PAGE_SIZE; files made before it
# (SQLCipher's default 4 KiB) still open: their size is found when the key is tried.
PAGE_SIZE = 16384
_PAGE_SIZES = (PAGE_SIZE, 4096)


def page_size_pragma(page_size: int, schema: str | None = None) -> str:
    prefix = f"{schema}." if schema else ""
    return f"PRAGMA {prefix}cipher_page_size = {page_size}"


def _keyed(
    connect: Callable[[], sqlcipher3.Connection], key: bytes, page_size: int
) -> sqlcipher3.Connection | None:
    """A connection keyed for ``page_size`` that decrypts the file's first page, or None
    (closed) if the key and page size do not open the file.

    ``PRAGMA schema_version`` reads page 1, whose HMAC fails for a wrong key or page size, as
    the usual ``SELECT count(*) FROM sqlite_master`` does; but that one also parses the whole
    schema (over 300 tables, indexes and triggers: ~11 ms), on every connection, probes
    included. The schema is parsed once, by the first statement that needs it."""
    connection = connect()
    try:
        # SQLCipher would log each failed HMAC check to stderr; the caller reports it instead.
        connection.execute("PRAGMA cipher_log_level = NONE")
        connection.execute(key_pragma(key))
        connection.execute(page_size_pragma(page_size))
        connection.execute("PRAGMA schema_version").fetchone()
    except sqlcipher3.DatabaseError:
        connection.close()
        return None
    return connection


def _wrong_key(path: Path) -> WrongKey:
    return WrongKey(
        f"The key does not open {path.name}: it is the wrong key, or the file is not a "
        "MedTrack database. The file was not changed."
    )


def connect_raw(path: Path, key: bytes, *, writable: bool = True) -> sqlcipher3.Connection:
    """A keyed DB-API connection, verified before any pragma that could write to the file.

    ``writable=False`` leaves the journal mode alone, for reading a backup without changing it.
    """
    path = Path(path)
    page_size = PAGE_SIZE
    if path.exists():
        # Try the key on read-only connections first: a read-write connection that fails to
        # decrypt still checkpoints a leftover -wal into the file (and deletes it) on close.
        def read_only() -> sqlcipher3.Connection:
            return sqlcipher3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                      check_same_thread=False, isolation_level=None,
                                      timeout=15.0)

        for page_size in _PAGE_SIZES:  # the size that opened the file is used below
            probe = _keyed(read_only, key, page_size)
            if probe is not None:
                probe.close()
                break
        else:
            raise _wrong_key(path)
    connection = _keyed(
        lambda: sqlcipher3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=15.0),
        key, page_size,
    )
    if connection is None:
        raise _wrong_key(path)
    for pragma in _CIPHER_PRAGMAS + connection_pragmas(writable=writable):
        connection.execute(pragma)
    return connection


def open_engine(path: Path, key: bytes, *, create: bool = False) -> Engine:
    """An engine over an encrypted database file; ``create`` allows a new, empty file."""
    path = Path(path)
    if path.exists():
        check_file_is_encrypted(path)
    elif not create:
        raise DatabaseMissing(f"There is no database at {path}.")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    connect_raw(path, key).close()  # fail early, in the caller's thread, on a wrong key

    engine = create_engine(
        "sqlite://",
        module=sqlcipher3.dbapi2,
        creator=lambda: connect_raw(path, key),
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=4,
        pool_use_lifo=True,  # the warmest page cache first (module docstring)
    )

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        # Writers take the write lock up front (no deadlock on lock upgrade); readers in WAL
        # mode read a snapshot and never block the writer.
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def reading(engine: Engine) -> Engine:
    """``engine`` for reads only: its transactions begin plainly and read a snapshot, never
    holding the write lock a writer would wait for (every other transaction takes it up
    front, ``BEGIN IMMEDIATE``)."""
    return engine.execution_options(**{_READ_ONLY: True})


class Store:
    """An open workstation database: hands out units of work; the caller owns their scope."""

    def __init__(self, engine: Engine, *, path: Path | None = None) -> None:
        self.engine = engine
        self.path = path
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            bind=reading(engine), expire_on_commit=False
        )

    @classmethod
    def open(cls, path: Path, key: bytes, *, create: bool = False) -> Store:
        return cls(open_engine(path, key, create=create), path=Path(path))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work that may write: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only snapshot; never blocks a writer."""
        with self._read_sessions() as session, session.begin():
            yield session

    def cipher_version(self) -> str:
        """SQLCipher's version, shown to administrators (proof the file is encrypted)."""
        with self.engine.connect() as connection:
            return str(connection.exec_driver_sql("PRAGMA cipher_version").scalar())

    def analyze(self) -> None:
        """Gather the query planner's statistics (after bulk loads: the demo, imports), sampled
        so it stays quick on millions of rows. Without them SQLite may walk an index where a
        plain scan is twice as fast."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
            connection.exec_driver_sql("ANALYZE")
            connection.commit()

    def close(self) -> None:
        """Refresh the statistics of tables that changed much (SQLite's advice for a closing
        connection), then close every connection."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
                connection.exec_driver_sql("PRAGMA optimize")
        self.engine.dispose()
