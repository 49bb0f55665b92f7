-- Schema version 1: the provider's whole state (mockprock 2.0).
--
-- Applied once to a new store; a later change is a numbered file in migrations/
-- (0002_*.sql, ...), each moving PRAGMA user_version up by one. This file never
-- changes again: stores made by 2.0 are at version 1 and must keep opening.

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
    -- statuses.CALLBACK_SOURCES: 'auto' (the rules queued it), 'decision' (a verdict
    -- someone queued) or 'control' (a ready callback sent by hand).
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
