"""State snapshots: a client's whole state as one JSON document (``GET
/mockprock/api/state``, ``mockprock state save``), and a document put back in its place
(``PUT``, ``mockprock state load``). Plain Python; no Flask.

The document::

    {"mockprock_state": 1, "mockprock_version": "2.0.0",
     "exported_at": "2026-12-02T07:30:00+00:00", "client_id": "abcd",
     "exams": [...], "attempts": [... each with its events, desktop_session, heartbeats
     and review_decision], "callbacks": [...], "onboarding_profiles": [...],
     "scenarios": [... the client's own scenario, if it has one], "settings": null}

Rows are the store's columns as it keeps them (``store.snapshots`` says which tables are
in and why the others are not: the journal is history, the server's settings and keys
are not the client's). ``settings`` is a guest client's own settings, those a guest may
change itself (never where its callbacks go, nor any secret); null for any other client,
whose settings are the server's. No secret is in a document: client secrets, the LMS
secret, the signing key and the session secret live in the settings and ``meta``, and
tokens are not kept at all.

A load checks the whole document first (the format, every key and type, the statuses'
vocabularies, that each row belongs to the calling client and to the document, and that
no id is another client's) and refuses a bad one with a 400 naming the field, changing
nothing; then it replaces the client's rows in one transaction. A callback pending at
save time is pending again (due when it was, so an overdue one goes at once); a
delivered one stays delivered; one caught mid-send (``sending``) goes again, as after a
restart.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from typing import Any

from mockprock import __version__, statuses, trust
from mockprock.callbacks.lms import LmsCredentials
from mockprock.callbacks.outbox import Outbox
from mockprock.clock import Clock
from mockprock.errors import ProviderError, bad_request
from mockprock.provider import runtime_settings, scenario_file
from mockprock.provider.guests import Guests
from mockprock.store import Store
from mockprock.store.database import BOOL_COLUMNS, JSON_COLUMNS
from mockprock.store.snapshots import NESTED, Column

log = logging.getLogger(__name__)

FORMAT = 1
TOP_LEVEL = (
    "mockprock_state",
    "mockprock_version",
    "exported_at",
    "client_id",
    "exams",
    "attempts",
    "callbacks",
    "onboarding_profiles",
    "scenarios",
    "settings",
)
LISTS = ("exams", "attempts", "callbacks", "onboarding_profiles", "scenarios")
# A guest client's settings a document holds: those it may change itself.
GUEST_SETTINGS = tuple(
    n for n in runtime_settings.RUNTIME_SETTINGS if n not in trust.SECRET_ROUTING
)
# What the rules read in a JSON column: its shape.
JSON_SHAPES = {"rules": dict, "payload": dict, "detail": dict, "comments": list, "crashes": list}
# The values a column may take, where a vocabulary spells them.
VOCABULARY: dict[tuple[str, str], Any] = {
    ("attempts", "status"): statuses.ATTEMPT_STATUSES,
    ("callbacks", "state"): statuses.CALLBACK_STATES,
    ("callbacks", "kind"): (statuses.READY, statuses.REVIEWED),
    ("callbacks", "source"): statuses.CALLBACK_SOURCES,
    ("desktop_sessions", "state"): statuses.DESKTOP_STATES,
    ("review_decisions", "status"): statuses.REVIEW_STATUSES,
    ("onboarding_profiles", "status"): tuple(
        s for s in statuses.PROFILE_SETTINGS if s != statuses.PROFILE_NONE
    ),
}


def refused(where: str, reason: str) -> ProviderError:
    """The 400 of a bad document: the field, and what is wrong with it."""
    return bad_request(f"field '{where}' {reason}; nothing was changed", error="invalid_state")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _items_complaint(name: str, items: list[Any]) -> str | None:
    """What is wrong with the items of a JSON list the rules walk (None: nothing)."""
    if name == "crashes" and not all(
        isinstance(c, list) and len(c) == 2 and _number(c[0]) and (c[1] is None or _number(c[1]))
        for c in items
    ):
        return "must be a list of [start, stop or null] pairs of times"
    if name == "comments" and not all(isinstance(c, dict) for c in items):
        return "must be a list of objects"
    return None


def _cell_complaint(column: Column, value: Any) -> str | None:
    """What is wrong with ``value`` for ``column`` (None: nothing)."""
    if value is None:
        return "must not be null" if column.required else None
    if column.name in JSON_COLUMNS:
        shape = JSON_SHAPES.get(column.name)
        if shape is not None and not isinstance(value, shape):
            return f"must be {'an object' if shape is dict else 'a list'}"
        return _items_complaint(column.name, value) if shape is list else None
    if column.name in BOOL_COLUMNS:
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(value, bool):
        return f"must be {'an integer' if column.type == 'INTEGER' else 'a number'}"
    if column.type == "INTEGER":
        return None if isinstance(value, int) else "must be an integer"
    if column.type == "REAL":
        return None if _number(value) else "must be a number"
    return None if isinstance(value, str) else "must be a string"


class Snapshots:
    """A client's state out as a document, and a document in as its state."""

    def __init__(self, store: Store, outbox: Outbox, guests: Guests, clock: Clock) -> None:
        self.store = store
        self.outbox = outbox
        self.guests = guests
        self.clock = clock

    def export(self, client_id: str) -> dict[str, Any]:
        """The client's whole state, as one JSON-ready document."""
        rows = self.store.snapshots.export_client(client_id)
        moment = datetime.fromtimestamp(self.clock.now(), timezone.utc)
        return {
            "mockprock_state": FORMAT,
            "mockprock_version": __version__,
            "exported_at": moment.isoformat(timespec="seconds"),
            "client_id": client_id,
            **rows,
            "settings": self._guest_settings(client_id),
        }

    def load(self, client_id: str, document: Any) -> dict[str, Any]:
        """Replace the client's state with ``document``'s (checked first: a bad one is a
        400 and changes nothing); the state as it now is."""
        state, settings = self.checked(client_id, document)
        # Woken once, after the commit: the loaded pending callbacks are due.
        self.store.snapshots.replace_client(client_id, state, on_commit=self.outbox.dispatcher.wake)
        if settings is not None:
            self.guests.change(client_id, settings)
        log.info(
            "state of client %s loaded: %d exam(s), %d attempt(s), %d callback(s)",
            client_id,
            len(state["exams"]),
            len(state["attempts"]),
            len(state["callbacks"]),
        )
        return self.export(client_id)

    def _guest_settings(self, client_id: str) -> dict[str, Any] | None:
        if not self.guests.is_guest(client_id):
            return None
        settings = self.guests.settings_of(client_id, None)  # type: ignore[arg-type]
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name in GUEST_SETTINGS
            for value in [getattr(settings, name)]
        }

    # -- checking a document ------------------------------------------------------------

    def checked(
        self, client_id: str, document: Any
    ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any] | None]:
        """The document's rows (callbacks caught mid-send made pending, and held ones too
        when the client's callbacks now have LMS credentials) and a guest's settings, once
        everything in it is right; else the 400 naming the first fault."""
        if not isinstance(document, dict):
            raise bad_request("a state is a JSON object", error="invalid_state")
        if "mockprock_state" not in document:
            raise refused("mockprock_state", "is missing: this is not a mockprock state")
        version = document["mockprock_state"]
        if version != FORMAT or isinstance(version, bool):
            raise refused("mockprock_state", f"must be {FORMAT} (this mockprock's format)")
        self._keys("the state", document, TOP_LEVEL, "")
        for name in ("mockprock_version", "exported_at", "client_id"):
            if not isinstance(document[name], str):
                raise refused(name, "must be a string")
        self._owner("client_id", document["client_id"], client_id)
        for name in LISTS:
            if not isinstance(document[name], list):
                raise refused(name, "must be a list")
        self._exams(client_id, document["exams"])
        callbacks = self._callbacks(document)
        self._attempts(client_id, document, callbacks)
        users: set[str] = set()
        for n, profile in enumerate(document["onboarding_profiles"]):
            where = f"onboarding_profiles[{n}]"
            self._row("onboarding_profiles", where, profile)
            self._owner(f"{where}.client_id", profile["client_id"], client_id)
            self._unique(f"{where}.user_id", profile["user_id"], users)
        self._scenarios(client_id, document["scenarios"])
        state = {name: document[name] for name in LISTS}
        # A held callback was saved where the server had no LMS credentials: where this
        # client's callbacks have them, it goes when due, as credentials set at run time
        # release the held ones (Dispatcher.release_held).
        again = {statuses.CALLBACK_SENDING}
        if self._has_lms_credentials(client_id):
            again.add(statuses.CALLBACK_HELD)
        state["callbacks"] = [
            {**c, "state": statuses.CALLBACK_PENDING} if c["state"] in again else c
            for c in document["callbacks"]
        ]
        return state, self._settings(client_id, document["settings"])

    def _has_lms_credentials(self, client_id: str) -> bool:
        settings = self.guests.settings_of(client_id, self.outbox.dispatcher.settings())
        return LmsCredentials.from_settings(settings) is not None

    def _exams(self, client_id: str, exams: list[Any]) -> None:
        ids: set[str] = set()
        keys: set[tuple[Any, str]] = set()
        for n, exam in enumerate(exams):
            where = f"exams[{n}]"
            self._row("exams", where, exam)
            self._owner(f"{where}.client_id", exam["client_id"], client_id)
            self._unique(f"{where}.id", exam["id"], ids)
            if exam["lms_exam_id"] is not None:
                key = (exam["lms_exam_id"], exam["content_id"])
                self._unique(f"{where}.lms_exam_id", key, keys, "another exam of the state has")
        self._not_others(client_id, "exams", exams)

    def _callbacks(self, document: dict[str, Any]) -> dict[int, str]:
        """Each callback's attempt, by the callback's id."""
        found: dict[int, str] = {}
        ids: set[int] = set()
        attempt_ids = {
            a["id"]
            for a in document["attempts"]
            if isinstance(a, dict) and isinstance(a.get("id"), str)
        }
        for n, callback in enumerate(document["callbacks"]):
            where = f"callbacks[{n}]"
            self._row("callbacks", where, callback)
            self._unique(f"{where}.id", callback["id"], ids)
            if callback["attempt_id"] not in attempt_ids:
                raise refused(f"{where}.attempt_id", "names no attempt of the state")
            found[callback["id"]] = callback["attempt_id"]
        return found

    def _attempts(self, client_id: str, document: dict[str, Any], callbacks: dict) -> None:
        exam_ids = {exam["id"] for exam in document["exams"]}
        ids: set[str] = set()
        extra = tuple(nested.key for nested in NESTED)
        for n, attempt in enumerate(document["attempts"]):
            where = f"attempts[{n}]"
            self._row("attempts", where, attempt, extra=extra)
            self._unique(f"{where}.id", attempt["id"], ids)
            if attempt["exam_id"] not in exam_ids:
                raise refused(f"{where}.exam_id", "names no exam of the state")
            for nested in NESTED:
                found = attempt[nested.key]
                place = f"{where}.{nested.key}"
                if nested.one:
                    if found is not None:
                        self._row(nested.table, place, found, omit=nested.omit)
                    continue
                if not isinstance(found, list):
                    raise refused(place, "must be a list")
                for m, row in enumerate(found):
                    self._row(nested.table, f"{place}[{m}]", row, omit=nested.omit)
            decision = attempt["review_decision"]
            linked = decision["callback_id"] if decision else None
            if linked is not None and callbacks.get(linked) != attempt["id"]:
                raise refused(
                    f"{where}.review_decision.callback_id", "names no callback of the attempt"
                )
        self._not_others(client_id, "attempts", document["attempts"])

    def _scenarios(self, client_id: str, rows: list[Any]) -> None:
        """At most one row, the client's, its document a scenario the client could load
        (or null: the client cleared it)."""
        if len(rows) > 1:
            raise refused("scenarios", "must hold at most the client's one scenario")
        for n, row in enumerate(rows):
            where = f"scenarios[{n}]"
            self._row("scenarios", where, row)
            self._owner(f"{where}.client_id", row["client_id"], client_id)
            if row["document"] is None:
                continue
            try:
                scenario_file.parse(json.loads(row["document"]))
            except ValueError as exc:  # ScenarioError, or text that is not JSON
                raise refused(f"{where}.document", f"is not a scenario: {exc}") from None

    def _settings(self, client_id: str, settings: Any) -> dict[str, Any] | None:
        if settings is None:
            return None
        if not self.guests.is_guest(client_id):
            raise refused(
                "settings",
                "must be null: only a guest client's state holds settings (this client "
                "goes by the server's)",
            )
        if not isinstance(settings, dict):
            raise refused("settings", "must be an object or null")
        unknown = sorted(set(settings) - set(GUEST_SETTINGS))
        if unknown:
            raise refused(f"settings.{unknown[0]}", "is not a setting a state holds")
        if settings:
            current = self.guests.settings_of(client_id, None)  # type: ignore[arg-type]
            runtime_settings.changed(current, settings, is_admin=False)  # checked only
        return settings or None

    # -- the checks ---------------------------------------------------------------------

    def _row(
        self,
        table: str,
        where: str,
        row: Any,
        omit: tuple[str, ...] = (),
        extra: tuple[str, ...] = (),
    ) -> None:
        """``row`` has exactly the table's columns (less ``omit``, plus ``extra``), each
        of its type and in its vocabulary."""
        if not isinstance(row, dict):
            raise refused(where, "must be an object")
        columns = self.store.snapshots.columns(table, omit)
        self._keys(where, row, [c.name for c in columns] + list(extra), f"{where}.")
        for column in columns:
            value = row[column.name]
            complaint = _cell_complaint(column, value)
            if complaint:
                raise refused(f"{where}.{column.name}", complaint)
            allowed = VOCABULARY.get((table, column.name))
            if allowed is not None and value not in allowed:
                raise refused(
                    f"{where}.{column.name}", f"must be one of {', '.join(sorted(allowed))}"
                )

    @staticmethod
    def _keys(what: str, found: dict[str, Any], expected: Any, prefix: str) -> None:
        missing = [k for k in expected if k not in found]
        if missing:
            raise refused(prefix + missing[0], f"is missing from {what}")
        unknown = [k for k in found if k not in expected]
        if unknown:
            raise refused(prefix + unknown[0], f"is not a key of {what}")

    @staticmethod
    def _owner(where: str, named: Any, client_id: str) -> None:
        if named != client_id:
            raise refused(
                where,
                f"names client {named!r}: client {client_id!r} loads only a state of its own",
            )

    @staticmethod
    def _unique(where: str, value: Any, seen: set, reason: str = "another row has") -> None:
        if value in seen:
            raise refused(where, f"is {value!r}, which {reason} too")
        seen.add(value)

    def _not_others(self, client_id: str, table: str, rows: list[dict[str, Any]]) -> None:
        ids = [row["id"] for row in rows]
        taken = set(self.store.snapshots.ids_of_others(client_id, table, ids))
        for n, ident in enumerate(ids):
            if ident in taken:
                raise refused(f"{table}[{n}].id", f"is {ident!r}, which another client holds")
