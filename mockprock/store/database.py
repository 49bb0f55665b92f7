"""The SQLite file under the store: connections, transactions, the schema's version, rows.

One file in WAL mode, one connection per thread. The schema is SQL in this package:
``schema.sql`` is version 1, and each later change is a numbered file
``migrations/NNNN_*.sql`` moving ``PRAGMA user_version`` up by one. Rows come back as
plain dicts with their JSON and boolean columns decoded, so callers never see sqlite3
types.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import stat
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any

from mockprock.errors import StoreFull

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

log = logging.getLogger(__name__)

# Columns holding JSON text, and INTEGER columns that are flags, in any table.
JSON_COLUMNS = {"rules", "payload", "detail", "request", "comments", "crashes"}
BOOL_COLUMNS = {
    "is_proctored",
    "is_practice_exam",
    "is_active",
    "hide_after_due",
    "is_sample_attempt",
    "upload_noted",
    "ok",
}


def new_id() -> str:
    return uuid.uuid4().hex


# Either kind, to find in one set operation the few columns of a row that need work.
_SPECIAL_COLUMNS = frozenset(JSON_COLUMNS | BOOL_COLUMNS)


def decode(row: sqlite3.Row | None) -> dict[str, Any] | None:
    """A row as a dict, its JSON columns parsed and its flags as bools."""
    if row is None:
        return None
    # Built in C, then only the row's JSON and flag columns looked at (most have one or
    # two): this runs for every row every request reads.
    out = dict(zip(row.keys(), row, strict=True))
    for key in _SPECIAL_COLUMNS.intersection(out):
        value = out[key]
        if key in JSON_COLUMNS:
            if isinstance(value, str):
                out[key] = json.loads(value)
        elif value is not None:
            out[key] = bool(value)
    return out


def decode_all(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    return [decode(r) for r in rows]  # type: ignore[misc]


def where(*conditions: tuple[str, Any]) -> tuple[str, list[Any]]:
    """The one WHERE builder: ``(sql, value)`` pairs joined by AND, each with its ``?``;
    a pair whose value is None (or an empty tuple) is left out, and ``IN ?`` with a tuple
    gets one placeholder per item. ``("", [])`` when nothing is left."""
    clauses: list[str] = []
    args: list[Any] = []
    for sql, value in conditions:
        if value is None or value == ():
            continue
        if isinstance(value, tuple):
            sql = sql.replace("IN ?", f"IN ({','.join('?' * len(value))})")
            args.extend(value)
        else:
            args.append(value)
        clauses.append(sql)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), args


# -- the schema ----------------------------------------------------------------------


def load_migrations(folder: Traversable | None = None) -> list[str]:
    """The scripts building the schema, in order: entry N - 1 takes a store to version N.

    ``folder`` holds ``schema.sql`` (version 1) and maybe ``migrations/`` with
    ``0002_*.sql``, ``0003_*.sql``, ...; a gap or a stray number is refused, since it
    would silently skip or reorder a change."""
    folder = folder or resources.files(__package__)
    scripts = [(folder / "schema.sql").read_text(encoding="utf-8")]
    later = folder / "migrations"
    if later.is_dir():
        files = sorted(
            (f for f in later.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name
        )
        for number, script in enumerate(files, start=2):
            if not script.name.startswith(f"{number:04d}_"):
                raise RuntimeError(
                    f"store migration {script.name} is out of sequence: "
                    f"expected {number:04d}_<name>.sql"
                )
            scripts.append(script.read_text(encoding="utf-8"))
    return scripts


MIGRATIONS: list[str] = load_migrations()


def _one_step(script: str, version: int) -> str:
    """``script`` as one transaction taking a store from ``version`` to ``version + 1``.

    ``executescript`` commits whatever is open before it runs, so the transaction is in
    the script's own text. It first checks, holding the write lock, that the store is
    still at ``version`` (a CHECK constraint is SQL's only assertion): when two processes
    open a new store at once, the second one's check fails and nothing is applied twice."""
    return (
        "BEGIN IMMEDIATE;\n"
        f"CREATE TEMP TABLE migration_check (found INTEGER CHECK (found = {version}));\n"
        "INSERT INTO migration_check SELECT user_version FROM pragma_user_version;\n"
        "DROP TABLE temp.migration_check;\n"
        f"{script}\n;\n"
        f"PRAGMA user_version = {version + 1};\n"
        "COMMIT;\n"
    )


def user_version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite3.Connection, scripts: list[str], path: str) -> None:
    """Bring the store at ``path`` up to ``len(scripts)``; refuse one that is newer."""
    while True:
        version = user_version(db)
        if version > len(scripts):
            raise RuntimeError(
                f"{path} has schema version {version}, newer than this mockprock knows "
                f"({len(scripts)}); upgrade mockprock or use another --db"
            )
        if version == len(scripts):
            return
        try:
            db.executescript(_one_step(scripts[version], version))
        except BaseException as error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            # Only another process migrating meanwhile is worth another look.
            if not isinstance(error, sqlite3.Error) or user_version(db) == version:
                raise


# How long a new connection waits for another one turning a new file to WAL: as long as
# a writer waits for another's lock (the connections' busy timeout).
BUSY_TIMEOUT_SECONDS = 30.0


def use_wal(conn: sqlite3.Connection) -> None:
    """Put the connection's file in WAL mode. While another connection turns a new file
    to WAL, SQLite answers "database is locked" at once (its busy handler is not asked),
    so the change is tried again until that one is done."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    pause = 0.001
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def is_full(error: BaseException) -> bool:
    """True for SQLite's "database or disk is full" (SQLITE_FULL)."""
    return isinstance(error, sqlite3.OperationalError) and "is full" in str(error)


def is_read_only(error: BaseException) -> bool:
    """True for SQLite's "attempt to write a readonly database" (SQLITE_READONLY)."""
    return isinstance(error, sqlite3.OperationalError) and "readonly" in str(error)


# -- the file's privacy ----------------------------------------------------------------

# The store holds the token-signing key and any LMS secret set at run time: its owner
# alone may read it. SQLite gives the -wal and -shm files the database file's mode.
PRIVATE_MODE = 0o600
STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def make_private(path: str) -> None:
    """Create the store file ``0600`` if it is new; tighten it (and its -wal, -shm) when
    it exists with looser bits, and say so in the log."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE))
    except OSError:
        return  # sqlite3 says what is wrong with the path when it opens it
    for suffix in STORE_SUFFIXES:
        name = path + suffix
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except OSError:
            continue
        if mode & ~PRIVATE_MODE:
            os.chmod(name, PRIVATE_MODE)
            log.warning(
                "%s was readable by others (mode %o); made it private (%o): it holds the "
                "token-signing key",
                name,
                mode,
                PRIVATE_MODE,
            )


# -- connections and transactions ------------------------------------------------------


class _ThreadConnection:
    """One thread's connection. It lives as long as the thread: the HTTP server's workers
    are a fixed pool, so a connection (and its PRAGMAs) is opened once per worker, not
    once per request; when a thread ends its locals go, and this closes the connection."""

    def __init__(self, conn: sqlite3.Connection, owners: weakref.WeakSet) -> None:
        self.conn = conn
        self.owners = owners
        owners.add(self)

    def close(self) -> None:
        self.owners.discard(self)
        # Another thread's connection refuses to be closed here; it closes with its thread.
        with contextlib.suppress(sqlite3.ProgrammingError):
            self.conn.close()

    def __del__(self) -> None:
        self.close()


class Database:
    """One SQLite file: a connection per thread, transactions, the schema's version.

    Writers of this process queue for one lock before ``BEGIN IMMEDIATE``: SQLite's own
    busy handler polls with sleeps of up to 100 ms, which under load was most of a
    request's time (issue 11's profile); a lock hands the turn over at once. The busy
    timeout still covers another process writing the same file."""

    def __init__(
        self,
        path: str,
        migrations: list[str] | None = None,
        before_commit: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        self.path = path
        # Runs last in every write transaction, just before its COMMIT (the journal
        # writes what waits, so its entries cost no commit of their own).
        self.before_commit = before_commit
        self.migrations = MIGRATIONS if migrations is None else migrations
        self._local = threading.local()
        self._connections: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._write_lock = threading.Lock()
        make_private(path)
        try:
            self.migrate()
            self.check_writable()
        except BaseException:
            self.close()  # a refused store keeps no file open
            raise

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        held = getattr(self._local, "connection", None)
        if held is None:
            # timeout: how long a writer waits for another process's lock (busy timeout).
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            conn.row_factory = sqlite3.Row
            use_wal(conn)
            # WAL with NORMAL: a commit survives a crash of the process; only a power
            # failure may lose the last commits, never corrupt the file.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            held = self._local.connection = _ThreadConnection(conn, self._connections)
        return held.conn

    @property
    def in_transaction(self) -> bool:
        """True inside :meth:`transaction` on this thread."""
        return getattr(self._local, "hooks", None) is not None

    @contextmanager
    def transaction(
        self, on_commit: Callable[[], None] | None = None
    ) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it or none of it.

        Nested calls join the outermost one. Each ``on_commit`` given to any of them runs
        once (the same callable given twice runs once), after the outermost COMMIT, and
        never after a ROLLBACK: what it tells others about is then there to be read."""
        db = self.db
        hooks: list[Callable[[], None]] | None = getattr(self._local, "hooks", None)
        if hooks is not None:
            if on_commit is not None and on_commit not in hooks:
                hooks.append(on_commit)
            yield db
            return
        hooks = [] if on_commit is None else [on_commit]
        with self._write_lock:
            db.execute("BEGIN IMMEDIATE")
            self._local.hooks = hooks
            try:
                yield db
                if self.before_commit is not None:
                    self.before_commit(db)
                db.execute("COMMIT")
            except BaseException as error:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if is_full(error):
                    raise StoreFull() from error
                raise
            finally:
                self._local.hooks = None
        for hook in hooks:
            try:
                hook()
            except Exception:
                # The change is committed; a hook only tells others about it, and its
                # failure must not report the change itself as failed.
                log.exception("after-commit hook %r failed", hook)

    def release(self) -> None:
        """Close this thread's connection now (a thread about to end or idle for long)."""
        held = getattr(self._local, "connection", None)
        if held is not None:
            self._local.connection = None
            held.close()

    def close(self) -> None:
        for held in list(self._connections):
            held.close()
        self._local = threading.local()

    def check_writable(self) -> None:
        """Refuse a store that cannot be written now, at open, rather than at its first
        change (SQLite opens and reads a store on a read-only filesystem, and fails only
        when it writes). The check rewrites the schema's version as it is."""
        with self.transaction() as db:
            db.execute(f"PRAGMA user_version = {user_version(db)}")

    @property
    def schema_version(self) -> int:
        return user_version(self.db)

    def migrate(self) -> None:
        migrate(self.db, self.migrations, self.path)
