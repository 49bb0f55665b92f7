"""The SQLite store: schema, migrations and every query the server makes.

One file, WAL mode, one connection per thread. The schema version is ``PRAGMA
user_version``; each entry of ``MIGRATIONS`` moves it up by one. Rows come back as
plain dicts with their JSON columns decoded, so callers never see sqlite3 types.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mockprock.errors import Conflict

MIGRATIONS: list[str] = [
    # 1: the provider's whole state.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE exams (
        id TEXT PRIMARY KEY,
        client_id TEXT NOT NULL,
        lms_exam_id INTEGER,
        course_id TEXT NOT NULL DEFAULT '',
        content_id TEXT NOT NULL DEFAULT '',
        exam_name TEXT NOT NULL DEFAULT '',
        time_limit_mins INTEGER,
        is_proctored INTEGER NOT NULL DEFAULT 1,
        is_practice_exam INTEGER NOT NULL DEFAULT 0,
        is_active INTEGER NOT NULL DEFAULT 1,
        due_date TEXT,
        hide_after_due INTEGER NOT NULL DEFAULT 0,
        backend TEXT,
        rules TEXT NOT NULL DEFAULT '{}',
        payload TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX exams_by_lms_exam ON exams (client_id, lms_exam_id, content_id);
    CREATE INDEX exams_by_course ON exams (course_id);

    CREATE TABLE attempts (
        id TEXT PRIMARY KEY,
        exam_id TEXT NOT NULL REFERENCES exams (id),
        user_id TEXT NOT NULL DEFAULT '',
        full_name TEXT,
        email TEXT,
        lms_host TEXT NOT NULL DEFAULT '',
        time_limit_mins INTEGER,
        is_sample_attempt INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        review_policy TEXT,
        review_policy_exception TEXT,
        payload TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX attempts_by_exam ON attempts (exam_id);
    CREATE INDEX attempts_by_user ON attempts (user_id);

    -- Everything that happened to an attempt, in order: the timeline.
    CREATE TABLE attempt_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        attempt_id TEXT NOT NULL,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX attempt_events_by_attempt ON attempt_events (attempt_id, at);

    CREATE TABLE onboarding_profiles (
        user_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        course_id TEXT,
        expiration_date TEXT,
        updated_at REAL NOT NULL
    );
    CREATE INDEX onboarding_profiles_by_status ON onboarding_profiles (status);

    -- The outbox: callbacks to the LMS, sent by one dispatcher thread when due.
    CREATE TABLE callbacks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        attempt_id TEXT NOT NULL,
        url TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '{}',
        state TEXT NOT NULL,
        due_at REAL NOT NULL,
        tries INTEGER NOT NULL DEFAULT 0,
        first_try_at REAL,
        last_status INTEGER,
        last_body TEXT,
        last_error TEXT,
        -- 'auto' (the server decided it) or 'decision' (a verdict someone queued).
        source TEXT NOT NULL DEFAULT 'auto',
        delivered_at REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX callbacks_due ON callbacks (state, due_at);
    CREATE INDEX callbacks_by_attempt ON callbacks (attempt_id);

    -- A verdict the developer queued for an attempt (console, control API, CLI).
    CREATE TABLE review_decisions (
        attempt_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        comments TEXT NOT NULL DEFAULT '[]',
        reviewed_by TEXT,
        delay_seconds REAL,
        source TEXT,
        -- The reviewed callback carrying this decision, once there is one.
        callback_id INTEGER,
        created_at REAL NOT NULL
    );

    -- The learner's desktop application, one per attempt, and its heartbeats.
    -- state is the developer's fault (running, crashed, not_installed); upload_done_at is
    -- when the upload after a stop completes (a due time, no thread waits for it);
    -- crashes is a JSON list of [start, stop or null].
    CREATE TABLE desktop_sessions (
        attempt_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        latency_ms INTEGER NOT NULL DEFAULT 0,
        started_at REAL,
        stopped_at REAL,
        upload_done_at REAL,
        upload_noted INTEGER NOT NULL DEFAULT 0,
        crashes TEXT NOT NULL DEFAULT '[]',
        updated_at REAL NOT NULL
    );
    CREATE INDEX desktop_sessions_by_start ON desktop_sessions (started_at);
    CREATE INDEX desktop_sessions_uploading ON desktop_sessions (upload_noted, upload_done_at);
    CREATE TABLE heartbeats (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        attempt_id TEXT NOT NULL,
        at REAL NOT NULL,
        ok INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX heartbeats_by_attempt ON heartbeats (attempt_id, at);

    -- Simulation knobs changed at run time (control API); values are JSON.
    CREATE TABLE settings_overrides (name TEXT PRIMARY KEY, value TEXT NOT NULL);

    -- Provider-API requests, newest last, trimmed to the configured size.
    CREATE TABLE journal (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        status INTEGER NOT NULL,
        client_id TEXT,
        request TEXT NOT NULL DEFAULT '{}',
        response TEXT NOT NULL DEFAULT ''
    );
    """,
]

JSON_COLUMNS = {"rules", "payload", "detail", "request", "comments"}
# Tables whose rows belong to one attempt: they go when the attempt goes.
ATTEMPT_TABLES = (
    "attempt_events",
    "callbacks",
    "review_decisions",
    "desktop_sessions",
    "heartbeats",
)
BOOL_COLUMNS = {
    "is_proctored",
    "is_practice_exam",
    "is_active",
    "hide_after_due",
    "is_sample_attempt",
}


def _statements(script: str) -> list[str]:
    """The statements of a migration script (``executescript`` would commit mid-migration)."""
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith("--"))
    return [statement for statement in code.split(";") if statement.strip()]


def new_id() -> str:
    return uuid.uuid4().hex


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out: dict[str, Any] = {}
    for key in row.keys():  # noqa: SIM118 (sqlite3.Row is not a mapping)
        value = row[key]
        if key in JSON_COLUMNS and isinstance(value, str):
            value = json.loads(value)
        elif key in BOOL_COLUMNS and value is not None:
            value = bool(value)
        out[key] = value
    return out


def _rows(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    return [_row(r) for r in rows]  # type: ignore[misc]


class Store:
    """All of the provider's state, in one SQLite file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._signing_key: str | None = None
        self.migrate()

    # -- connections ----------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(
        self, on_commit: Callable[[], None] | None = None
    ) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it or none of it. Nested calls join the outer one.

        ``on_commit`` runs once after the outermost transaction commits (the same
        callable given twice runs once), never after a rollback."""
        db = self.db
        if db.in_transaction:
            hooks = getattr(self._local, "on_commit", None)
            if on_commit is not None and hooks is not None and on_commit not in hooks:
                hooks.append(on_commit)
            yield db
            return
        self._local.on_commit = [on_commit] if on_commit is not None else []
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            self._local.on_commit = None
            raise
        db.execute("COMMIT")
        hooks, self._local.on_commit = self._local.on_commit, None
        for hook in hooks:
            hook()

    def release(self) -> None:
        """Close this thread's connection. The HTTP server runs each request on a new
        thread, so a connection kept past its request would only pile up."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            with self._lock:
                self._connections.remove(conn)
            conn.close()

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                # A connection of another thread may already be closed.
                with contextlib.suppress(sqlite3.ProgrammingError):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.path} has schema version {version}, newer than this mockprock knows "
                    f"({len(MIGRATIONS)}); upgrade mockprock or use another --db"
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in _statements(script):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    # -- meta -----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def signing_key(self) -> str:
        """The provider's token-signing key, made once and kept: tokens survive a restart.

        Every authenticated request needs it, and it never changes (a reset keeps it), so
        it is read once rather than under a write lock per request."""
        if self._signing_key is None:
            with self.transaction():
                key = self.get_meta("signing_key")
                if key is None:
                    key = secrets.token_urlsafe(48)
                    self.set_meta("signing_key", key)
            self._signing_key = key
        return self._signing_key

    # -- exams ----------------------------------------------------------------------

    def find_exam_id(self, client_id: str, lms_exam_id: Any, content_id: str) -> str | None:
        row = self.db.execute(
            "SELECT id FROM exams WHERE client_id = ? AND lms_exam_id IS ? AND content_id = ?",
            (client_id, lms_exam_id, content_id),
        ).fetchone()
        return row[0] if row else None

    def save_exam(self, exam_id: str, client_id: str, exam: dict[str, Any], payload: dict) -> bool:
        """Insert or update the exam ``exam_id``; True when it was new."""
        now = time.time()
        with self.transaction() as db:
            lms_exam_id, content_id = exam.get("lms_exam_id"), exam.get("content_id") or ""
            taken = self.find_exam_id(client_id, lms_exam_id, content_id)
            if taken is not None and taken != exam_id:
                raise Conflict(f"another exam already holds LMS exam {lms_exam_id}")
            existed = db.execute("SELECT 1 FROM exams WHERE id = ?", (exam_id,)).fetchone()
            values = (
                client_id,
                exam.get("lms_exam_id"),
                exam.get("course_id") or "",
                exam.get("content_id") or "",
                exam.get("exam_name") or "",
                exam.get("time_limit_mins"),
                int(bool(exam.get("is_proctored", True))),
                int(bool(exam.get("is_practice_exam", False))),
                int(bool(exam.get("is_active", True))),
                exam.get("due_date"),
                int(bool(exam.get("hide_after_due", False))),
                exam.get("backend"),
                json.dumps(exam.get("rules") or {}),
                json.dumps(payload),
            )
            if existed:
                db.execute(
                    "UPDATE exams SET client_id=?, lms_exam_id=?, course_id=?, content_id=?, "
                    "exam_name=?, time_limit_mins=?, is_proctored=?, is_practice_exam=?, "
                    "is_active=?, due_date=?, hide_after_due=?, backend=?, rules=?, payload=?, "
                    "updated_at=? WHERE id=?",
                    (*values, now, exam_id),
                )
            else:
                db.execute(
                    "INSERT INTO exams (client_id, lms_exam_id, course_id, content_id, exam_name, "
                    "time_limit_mins, is_proctored, is_practice_exam, is_active, due_date, "
                    "hide_after_due, backend, rules, payload, created_at, updated_at, id) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*values, now, now, exam_id),
                )
        return not existed

    def get_exam(self, exam_id: str) -> dict[str, Any] | None:
        return _row(self.db.execute("SELECT * FROM exams WHERE id = ?", (exam_id,)).fetchone())

    def list_exams(self, course_id: str | None = None) -> list[dict[str, Any]]:
        if course_id is None:
            rows = self.db.execute("SELECT * FROM exams ORDER BY created_at").fetchall()
        else:
            rows = self.db.execute(
                "SELECT * FROM exams WHERE course_id = ? ORDER BY created_at", (course_id,)
            ).fetchall()
        return _rows(rows)

    # -- attempts -------------------------------------------------------------------

    def create_attempt(self, exam_id: str, attempt: dict[str, Any], payload: dict) -> str:
        attempt_id = new_id()
        now = time.time()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO attempts (id, exam_id, user_id, full_name, email, lms_host, "
                "time_limit_mins, is_sample_attempt, status, review_policy, "
                "review_policy_exception, payload, created_at, updated_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    attempt_id,
                    exam_id,
                    str(attempt.get("user_id") or ""),
                    attempt.get("full_name"),
                    attempt.get("email"),
                    attempt.get("lms_host") or "",
                    attempt.get("time_limit_mins"),
                    int(bool(attempt.get("is_sample_attempt"))),
                    attempt.get("status") or "created",
                    attempt.get("review_policy"),
                    attempt.get("review_policy_exception"),
                    json.dumps(payload),
                    now,
                    now,
                ),
            )
            self.add_event(attempt_id, "registered", {"status": "created"})
        return attempt_id

    def get_attempt(self, attempt_id: str, exam_id: str | None = None) -> dict[str, Any] | None:
        """The attempt; with ``exam_id``, only if it belongs to that exam."""
        if exam_id is None:
            row = self.db.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,))
        else:
            row = self.db.execute(
                "SELECT * FROM attempts WHERE id = ? AND exam_id = ?", (attempt_id, exam_id)
            )
        return _row(row.fetchone())

    def list_attempts(
        self, exam_id: str | None = None, user_id: str | None = None
    ) -> list[dict[str, Any]]:
        clauses, args = [], []
        if exam_id is not None:
            clauses.append("exam_id = ?")
            args.append(exam_id)
        if user_id is not None:
            clauses.append("user_id = ?")
            args.append(user_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return _rows(
            self.db.execute(f"SELECT * FROM attempts {where} ORDER BY created_at", args).fetchall()
        )

    def set_attempt_status(self, attempt_id: str, status: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE attempts SET status = ?, updated_at = ? WHERE id = ?",
                (status, time.time(), attempt_id),
            )
            self.add_event(attempt_id, "status", {"status": status})

    def delete_attempt(self, attempt_id: str) -> bool:
        with self.transaction() as db:
            deleted = db.execute("DELETE FROM attempts WHERE id = ?", (attempt_id,)).rowcount
            for table in ATTEMPT_TABLES:
                db.execute(f"DELETE FROM {table} WHERE attempt_id = ?", (attempt_id,))
        return bool(deleted)

    def add_event(self, attempt_id: str, kind: str, detail: dict[str, Any] | None = None) -> None:
        self.db.execute(
            "INSERT INTO attempt_events (attempt_id, at, kind, detail) VALUES (?, ?, ?, ?)",
            (attempt_id, time.time(), kind, json.dumps(detail or {})),
        )

    def list_events(self, attempt_id: str) -> list[dict[str, Any]]:
        return _rows(
            self.db.execute(
                "SELECT at, kind, detail FROM attempt_events WHERE attempt_id = ? ORDER BY id",
                (attempt_id,),
            ).fetchall()
        )

    # -- desktop application ----------------------------------------------------------

    def get_desktop_session(self, attempt_id: str) -> dict[str, Any] | None:
        session = _row(
            self.db.execute(
                "SELECT * FROM desktop_sessions WHERE attempt_id = ?", (attempt_id,)
            ).fetchone()
        )
        if session is not None:
            session["crashes"] = json.loads(session["crashes"])
            session["upload_noted"] = bool(session["upload_noted"])
        return session

    def save_desktop_session(self, session: dict[str, Any], now: float) -> None:
        self.db.execute(
            "INSERT INTO desktop_sessions (attempt_id, state, latency_ms, started_at, "
            "stopped_at, upload_done_at, upload_noted, crashes, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (attempt_id) DO UPDATE SET "
            "state = excluded.state, latency_ms = excluded.latency_ms, "
            "started_at = excluded.started_at, stopped_at = excluded.stopped_at, "
            "upload_done_at = excluded.upload_done_at, upload_noted = excluded.upload_noted, "
            "crashes = excluded.crashes, updated_at = excluded.updated_at",
            (
                session["attempt_id"],
                session["state"],
                session["latency_ms"],
                session["started_at"],
                session["stopped_at"],
                session["upload_done_at"],
                int(session["upload_noted"]),
                json.dumps(session["crashes"]),
                now,
            ),
        )

    def desktop_uploads_due(self, now: float) -> list[dict[str, Any]]:
        """Sessions whose upload is done by ``now`` but not yet on the timeline."""
        return _rows(
            self.db.execute(
                "SELECT attempt_id, upload_done_at FROM desktop_sessions "
                "WHERE upload_noted = 0 AND upload_done_at <= ?",
                (now,),
            ).fetchall()
        )

    def mark_desktop_upload_noted(self, attempt_id: str) -> bool:
        """True for the one caller that marks it (concurrent requests may race here)."""
        return bool(
            self.db.execute(
                "UPDATE desktop_sessions SET upload_noted = 1 "
                "WHERE attempt_id = ? AND upload_noted = 0",
                (attempt_id,),
            ).rowcount
        )

    def add_heartbeat(self, attempt_id: str, at: float, ok: bool) -> None:
        self.db.execute(
            "INSERT INTO heartbeats (attempt_id, at, ok) VALUES (?, ?, ?)",
            (attempt_id, at, int(ok)),
        )

    def list_heartbeats(self, attempt_id: str) -> list[dict[str, Any]]:
        rows = _rows(
            self.db.execute(
                "SELECT at, ok FROM heartbeats WHERE attempt_id = ? ORDER BY at, id",
                (attempt_id,),
            ).fetchall()
        )
        return [{"at": r["at"], "ok": bool(r["ok"])} for r in rows]

    def latest_attempt_id(self) -> str | None:
        """The attempt registered last (where a desktop start without an id goes)."""
        row = self.db.execute(
            "SELECT id FROM attempts ORDER BY created_at DESC, rowid DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    def latest_desktop_attempt_id(self) -> str | None:
        """The attempt whose application was started last (pings and stops without an id)."""
        row = self.db.execute(
            "SELECT attempt_id FROM desktop_sessions WHERE started_at IS NOT NULL "
            "ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    # -- learners -------------------------------------------------------------------

    def delete_user(self, user_id: str) -> bool:
        """Remove everything about a learner (attempts, their timelines, the onboarding
        profile); True when anything was there."""
        with self.transaction() as db:
            ids = [
                r[0] for r in db.execute("SELECT id FROM attempts WHERE user_id = ?", (user_id,))
            ]
            for attempt_id in ids:
                self.delete_attempt(attempt_id)
            profiles = db.execute(
                "DELETE FROM onboarding_profiles WHERE user_id = ?", (user_id,)
            ).rowcount
        return bool(ids) or bool(profiles)

    def get_onboarding_profile(self, user_id: str) -> dict[str, Any] | None:
        return _row(
            self.db.execute(
                "SELECT * FROM onboarding_profiles WHERE user_id = ?", (user_id,)
            ).fetchone()
        )

    def save_onboarding_profile(
        self, user_id: str, status: str, course_id: str | None, expiration_date: str | None
    ) -> None:
        self.db.execute(
            "INSERT INTO onboarding_profiles (user_id, status, course_id, expiration_date, "
            "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
            "status = excluded.status, course_id = excluded.course_id, "
            "expiration_date = excluded.expiration_date, updated_at = excluded.updated_at",
            (user_id, status, course_id, expiration_date, time.time()),
        )

    def delete_onboarding_profile(self, user_id: str) -> bool:
        return bool(
            self.db.execute(
                "DELETE FROM onboarding_profiles WHERE user_id = ?", (user_id,)
            ).rowcount
        )

    def list_onboarding_profiles(self) -> list[dict[str, Any]]:
        return _rows(
            self.db.execute("SELECT * FROM onboarding_profiles ORDER BY user_id").fetchall()
        )

    def learners_in_course(self, course_id: str) -> list[str]:
        """Every learner with an attempt on one of the course's exams."""
        rows = self.db.execute(
            "SELECT DISTINCT a.user_id FROM attempts a JOIN exams e ON e.id = a.exam_id "
            "WHERE e.course_id = ? AND a.user_id != '' ORDER BY a.user_id",
            (course_id,),
        ).fetchall()
        return [r[0] for r in rows]

    # -- journal --------------------------------------------------------------------

    def journal_request(
        self,
        method: str,
        path: str,
        status: int,
        client_id: str | None,
        request: dict[str, Any],
        response: str,
        keep: int,
    ) -> None:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO journal (at, method, path, status, client_id, request, response) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), method, path, status, client_id, json.dumps(request), response),
            )
            db.execute("DELETE FROM journal WHERE id <= ?", (cursor.lastrowid - keep,))

    def list_journal(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT * FROM journal ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return _rows(rows)[::-1]

    # -- callbacks (the outbox), review decisions, settings overrides ---------------

    def insert_callback(
        self,
        kind: str,
        attempt_id: str,
        url: str,
        payload: dict[str, Any],
        state: str,
        due_at: float,
        source: str = "auto",
    ) -> int:
        now = time.time()
        cursor = self.db.execute(
            "INSERT INTO callbacks (kind, attempt_id, url, payload, state, due_at, source, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, attempt_id, url, json.dumps(payload), state, due_at, source, now, now),
        )
        return int(cursor.lastrowid)

    def get_callback(self, callback_id: int) -> dict[str, Any] | None:
        return _row(
            self.db.execute("SELECT * FROM callbacks WHERE id = ?", (callback_id,)).fetchone()
        )

    def list_callbacks(
        self,
        attempt_id: str | None = None,
        kind: str | None = None,
        states: tuple[str, ...] = (),
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        clauses, args = [], []
        if attempt_id is not None:
            clauses.append("attempt_id = ?")
            args.append(attempt_id)
        if kind is not None:
            clauses.append("kind = ?")
            args.append(kind)
        if states:
            clauses.append(f"state IN ({','.join('?' * len(states))})")
            args.extend(states)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(
            f"SELECT * FROM callbacks {where} ORDER BY id DESC LIMIT ?", (*args, limit)
        ).fetchall()
        return _rows(rows)[::-1]

    def due_callbacks(self, now: float, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT * FROM callbacks WHERE state = 'pending' AND due_at <= ? "
            "ORDER BY due_at, id LIMIT ?",
            (now, limit),
        ).fetchall()
        return _rows(rows)

    def next_callback_due_at(self) -> float | None:
        row = self.db.execute("SELECT MIN(due_at) FROM callbacks WHERE state = 'pending'")
        return row.fetchone()[0]

    def update_callback(
        self, callback_id: int, only_if_state: tuple[str, ...] = (), **fields: Any
    ) -> bool:
        """Set ``fields`` on a callback (only while in one of ``only_if_state``, when given);
        True when the row was changed. The state guard is how the dispatcher claims a row
        and how a request thread avoids touching one that is being sent."""
        fields["updated_at"] = time.time()
        if "payload" in fields:
            fields["payload"] = json.dumps(fields["payload"])
        assignments = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE callbacks SET {assignments} WHERE id = ?"
        args: list[Any] = [*fields.values(), callback_id]
        if only_if_state:
            sql += f" AND state IN ({','.join('?' * len(only_if_state))})"
            args.extend(only_if_state)
        return bool(self.db.execute(sql, args).rowcount)

    def move_callbacks(self, from_state: str, to_state: str) -> int:
        """Move every callback in ``from_state`` to ``to_state``; how many moved."""
        return self.db.execute(
            "UPDATE callbacks SET state = ?, updated_at = ? WHERE state = ?",
            (to_state, time.time(), from_state),
        ).rowcount

    def get_review_decision(self, attempt_id: str) -> dict[str, Any] | None:
        return _row(
            self.db.execute(
                "SELECT * FROM review_decisions WHERE attempt_id = ?", (attempt_id,)
            ).fetchone()
        )

    def save_review_decision(
        self,
        attempt_id: str,
        status: str,
        comments: list[dict[str, Any]],
        reviewed_by: str | None,
        delay_seconds: float | None,
        source: str,
    ) -> None:
        """Queue a verdict for an attempt, replacing any earlier one."""
        self.db.execute(
            "INSERT OR REPLACE INTO review_decisions (attempt_id, status, comments, reviewed_by, "
            "delay_seconds, source, callback_id, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
            (
                attempt_id,
                status,
                json.dumps(comments),
                reviewed_by,
                delay_seconds,
                source,
                time.time(),
            ),
        )

    def link_review_decision(self, attempt_id: str, callback_id: int) -> None:
        self.db.execute(
            "UPDATE review_decisions SET callback_id = ? WHERE attempt_id = ?",
            (callback_id, attempt_id),
        )

    def journal_mentioning(self, text: str, limit: int = 200) -> list[dict[str, Any]]:
        """The journal's requests whose path holds ``text`` (an attempt's id), oldest first."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.execute(
            "SELECT * FROM journal WHERE path LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
            (pattern, limit),
        ).fetchall()
        return _rows(rows)[::-1]

    def settings_overrides(self) -> dict[str, Any]:
        rows = self.db.execute("SELECT name, value FROM settings_overrides").fetchall()
        return {name: json.loads(value) for name, value in rows}

    def save_settings_overrides(self, values: dict[str, Any]) -> None:
        with self.transaction() as db:
            for name, value in values.items():
                db.execute(
                    "INSERT INTO settings_overrides (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (name, json.dumps(value)),
                )

    # -- everything -----------------------------------------------------------------

    def reset(self) -> None:
        """Wipe the simulation's state; the signing key stays so issued tokens keep working."""
        with self.transaction() as db:
            # Tables go in any order; the references are checked once all are empty.
            db.execute("PRAGMA defer_foreign_keys = ON")
            for (table,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT IN ('meta', 'sqlite_sequence')"
            ).fetchall():
                db.execute(f"DELETE FROM {table}")

    # -- queries added by archrules --

    def attempt_counts_by_exam(self, course_id: str) -> dict[str, int]:
        """How many attempts each exam of the course has (exams without any are absent)."""
        rows = self.db.execute(
            "SELECT a.exam_id, COUNT(*) FROM attempts a JOIN exams e ON e.id = a.exam_id "
            "WHERE e.course_id = ? GROUP BY a.exam_id",
            (course_id,),
        ).fetchall()
        return {exam_id: count for exam_id, count in rows}
