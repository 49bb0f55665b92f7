"""The sending half of the outbox: one dispatcher thread per store and its senders.

The dispatcher claims due callbacks (``pending`` → ``sending``), once, and hands them to
a bounded pool of ``SENDERS`` threads that post them over kept-alive connections; an
attempt has at most one callback in flight, and its callbacks go in the order they fall
due. Network errors, timeouts, 429 and 5xx are retried with exponential backoff (capped
near 60 s) for ``callback_retry_seconds``; a 401/403 the LMS client could not cure with a
new token holds the callback until credentials change; another 4xx fails it (retryable
by hand). :class:`mockprock.callbacks.outbox.Outbox` queues them and holds the dispatcher. No
Flask here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from mockprock.callbacks import callback_states
from mockprock.callbacks.callback_states import answer_outcome
from mockprock.callbacks.lms import LmsClient, LmsCredentials, LmsCredentialsRefused, LmsError
from mockprock.config import Settings
from mockprock.statuses import (
    CALLBACK_DELIVERED,
    CALLBACK_FAILED,
    CALLBACK_HELD,
    CALLBACK_PENDING,
    CALLBACK_SENDING,
)
from mockprock.store import Store
from mockprock.trust import callback_refusal

log = logging.getLogger(__name__)

# The dispatcher wakes at least this often even with nothing due (a safety net: every
# change that makes something due also wakes it at once).
IDLE_WAIT_SECONDS = 30.0
BATCH = 50
# How long the request journal's entries may wait in memory for a request's transaction
# while callbacks keep the dispatcher busy.
JOURNAL_WAIT_SECONDS = 1.0
# Callbacks in flight at once. The 2.0 dispatcher sent one at a time and fell seconds
# behind a class submitting at once; more than a few only queue at the LMS.
SENDERS = 8


# -- what the dispatcher is handed ------------------------------------------------------


class Bodies(Protocol):
    """What the dispatcher asks of the rules, downward: a callback's body just before it
    goes (None: as stored), whether this try is to fail unsent (a scenario's simulated
    failure: why, or None), and what follows a delivery. The provider hands it
    :class:`mockprock.provider.callback_bodies.CallbackBodies`."""

    def body_for(self, row: dict[str, Any], settings: Settings) -> dict[str, Any] | None: ...

    def simulated_failure(self, row: dict[str, Any]) -> str | None: ...

    def after_delivery(self, row: dict[str, Any], settings: Settings) -> None: ...


class AsStored:
    """Each callback goes as stored, and nothing follows a delivery (an outbox alone)."""

    def body_for(self, row: dict[str, Any], settings: Settings) -> dict[str, Any] | None:
        return None

    def simulated_failure(self, row: dict[str, Any]) -> str | None:
        return None

    def after_delivery(self, row: dict[str, Any], settings: Settings) -> None:
        return None


class ClientSettings(Protocol):
    """The settings of an attempt's own client, where it has them (``guests.Guests``)."""

    def __bool__(self) -> bool: ...

    def settings_for_attempt(self, attempt_id: str, default: Settings) -> Settings: ...


# -- the dispatcher ---------------------------------------------------------------------


class Dispatcher:
    """Sends due callbacks; ``start()`` runs the dispatcher thread and its senders.

    ``settings`` is called for the server's current settings at each use (they change at
    run time); ``guests`` gives a guest client's attempts their client's own (its LMS).
    ``bodies`` is asked for a callback's body just before it goes (a review is composed
    as late as possible) and told of each delivery: the dispatcher calls down into it,
    never back up into the provider.
    """

    def __init__(
        self,
        store: Store,
        settings: Callable[[], Settings],
        lms: LmsClient | None = None,
        bodies: Bodies | None = None,
        guests: ClientSettings | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.guests = guests
        self.lms = lms or LmsClient()
        self.bodies = bodies or AsStored()
        # The server's clock (epoch seconds, wall clock or a test's manual one): due times
        # are stored, so they must survive a restart.
        self.clock: Callable[[], float] = clock or store.clock.now
        # Notified after each try of a callback (``Outbox.send_due_now`` waits on it).
        self.tried = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._senders: ThreadPoolExecutor | None = None
        # Attempts with a callback being sent (dispatcher and senders only).
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()

    def has_guests(self) -> bool:
        return bool(self.guests)

    def settings_for(self, attempt_id: str) -> Settings:
        """The settings the attempt's callbacks go by (its guest client's, if any)."""
        if not self.guests:
            return self.settings()
        return self.guests.settings_for_attempt(attempt_id, self.settings())

    def credentials(self, attempt_id: str | None = None) -> LmsCredentials | None:
        """The server's LMS credentials, or those an attempt's callbacks go with."""
        settings = self.settings() if attempt_id is None else self.settings_for(attempt_id)
        return LmsCredentials.from_settings(settings)

    def release_held(self) -> int:
        """Credentials are set: every held callback goes out when due (most are overdue;
        one whose attempt still has none is held again when it falls due)."""
        if not self.credentials() and not self.has_guests():
            return 0
        with self.store.database.transaction(on_commit=self.wake):
            released = callback_states.move_all(self.store, CALLBACK_HELD, CALLBACK_PENDING)
        if released:
            log.info("%d held callback(s) released: the server has LMS credentials", released)
        return released

    def wake(self) -> None:
        # Every commit that queues or changes a callback wakes the dispatcher: while it
        # has not cleared the last wake-up (it clears before it looks), another is not
        # needed, and Event.set takes a lock and notifies.
        if not self._wake.is_set():
            self._wake.set()

    # -- sending (the dispatcher thread, or a test calling run_due) --------------------

    def run_due(self, senders: ThreadPoolExecutor | None = None) -> int:
        """Claim the callbacks due now and send them: in this thread, or on ``senders``
        (the dispatcher's pool, as many as it has free threads). How many were claimed."""
        now = self.clock()
        credentials = self.credentials()
        if credentials is None and not self.has_guests():
            # Credentials were taken away at run time: make the wait visible.
            with self.store.database.transaction():
                callback_states.move_all(self.store, CALLBACK_PENDING, CALLBACK_HELD)
            return 0
        with self._in_flight_lock:
            busy = set(self._in_flight)
        room = SENDERS - len(busy) if senders is not None else BATCH
        chosen: list[dict[str, Any]] = []
        for row in self.store.callbacks.due_callbacks(now, BATCH):
            if len(chosen) >= room or self._stop.is_set():
                break
            if row["attempt_id"] in busy:
                continue  # one at a time per attempt, in the order they fall due
            busy.add(row["attempt_id"])
            chosen.append(row)
        if not chosen:
            return 0
        # With guest clients, each attempt's callbacks go with its client's credentials.
        going = {
            row["id"]: credentials if not self.has_guests() else self.credentials(row["attempt_id"])
            for row in chosen
        }
        with self.store.database.transaction():
            # Claimed once, here: a request thread may have changed a row since it was read.
            # A row whose attempt has no credentials waits for them (held).
            claimed = [
                row
                for row in chosen
                if callback_states.claim(
                    self.store, row["id"], CALLBACK_SENDING if going[row["id"]] else CALLBACK_HELD
                )
                and going[row["id"]]
            ]
        for row in claimed:
            if senders is None:
                self._send_or_put_back(row, going[row["id"]])
                continue
            with self._in_flight_lock:
                self._in_flight.add(row["attempt_id"])
            senders.submit(self._send_and_release, row, going[row["id"]])
        return len(claimed)

    def _send_and_release(self, row: dict[str, Any], credentials: LmsCredentials) -> None:
        try:
            self._send_or_put_back(row, credentials)
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(row["attempt_id"])
            self.wake()  # the attempt's next callback, and a free sender
            with self.tried:
                self.tried.notify_all()

    def _send_or_put_back(self, row: dict[str, Any], credentials: LmsCredentials) -> None:
        """Send ``row``; a fault while sending puts it back (pending with the reason, or
        failed once its retry window is over), never left ``sending`` until a restart."""
        try:
            self._send(row, credentials)
        except Exception as exc:
            log.exception("sending callback %s failed", row["id"])
            error = f"sending the callback failed ({type(exc).__name__}: {exc})"
            first_try_at = row["first_try_at"] or self.clock()
            try:
                self._after_failure(
                    row,
                    row["tries"] + 1,
                    first_try_at,
                    None,
                    None,
                    error,
                    self.settings_for(row["attempt_id"]),
                )
            except Exception:
                log.exception("callback %s goes again after a restart", row["id"])

    def _busy(self) -> bool:
        with self._in_flight_lock:
            return bool(self._in_flight)

    def _send(self, row: dict[str, Any], credentials: LmsCredentials) -> None:
        settings = self.settings_for(row["attempt_id"])
        # Checked again as it goes: the allowed origins may have changed since it was queued.
        refusal = callback_refusal(row["url"], settings)
        if refusal:
            self._finish(
                row,
                CALLBACK_FAILED,
                row["tries"],
                row["first_try_at"] or self.clock(),
                None,
                None,
                refusal,
            )
            return
        try:
            payload = self.bodies.body_for(row, settings)
        except Exception as exc:
            # Never an empty or stale body: the callback waits, failed and retryable.
            log.exception("could not compose callback %s", row["id"])
            error = f"could not compose the callback ({type(exc).__name__}); retry it"
            first_try_at = row["first_try_at"] or self.clock()
            self._finish(row, CALLBACK_FAILED, row["tries"], first_try_at, None, None, error)
            return
        if payload is not None and payload != row["payload"]:
            row["payload"] = payload
            with self.store.database.transaction():
                callback_states.set_payload(self.store, row["id"], payload)
        now = self.clock()
        first_try_at = row["first_try_at"] or now
        tries = row["tries"] + 1
        simulated = self.bodies.simulated_failure(row)
        if simulated:
            # Kept and retried as a failed try is, so a test sees the retries; never sent.
            self._after_failure(row, tries, first_try_at, None, None, simulated, settings)
            return
        try:
            answer = self.lms.post(row["url"], row["payload"], credentials)
        except LmsCredentialsRefused as exc:
            self._finish(row, CALLBACK_HELD, tries, first_try_at, exc.status, None, str(exc))
            return
        except LmsError as exc:
            self._after_failure(row, tries, first_try_at, exc.status, None, str(exc), settings)
            return
        outcome = answer_outcome(answer.status)
        if outcome == CALLBACK_DELIVERED:
            self._finish(
                row, CALLBACK_DELIVERED, tries, first_try_at, answer.status, answer.body, None
            )
            try:
                self.bodies.after_delivery(row, settings)
            except Exception:
                log.exception("after delivering callback %s", row["id"])
        elif outcome == CALLBACK_FAILED:
            error = answer.refusal or f"the LMS refused the callback ({answer.status})"
            self._finish(
                row, CALLBACK_FAILED, tries, first_try_at, answer.status, answer.body, error
            )
        else:
            error = f"the LMS answered {answer.status}"
            self._after_failure(
                row, tries, first_try_at, answer.status, answer.body, error, settings
            )

    def _finish(self, row: dict[str, Any], state: str, *outcome: Any) -> None:
        callback_states.finish(self.store, row, state, *outcome, now=self.clock())

    def _after_failure(self, row: dict[str, Any], *outcome: Any) -> None:
        callback_states.failed_try(self.store, row, *outcome, now=self.clock())

    # -- the dispatcher thread -----------------------------------------------------------

    def seconds_until_due(self) -> float | None:
        due_at = self.store.callbacks.next_callback_due_at()
        if due_at is None:
            return None
        return max(0.0, due_at - self.clock())

    def recover(self) -> None:
        """After a restart: a row caught mid-send goes again; held rows go if they can."""
        with self.store.database.transaction():
            moved = callback_states.move_all(self.store, CALLBACK_SENDING, CALLBACK_PENDING)
        if moved:
            log.info("%d callback(s) interrupted mid-send will be sent again", moved)
        self.release_held()

    @property
    def running(self) -> bool:
        """Whether the dispatcher thread sends (else a caller sends with :meth:`run_due`)."""
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            return
        self.recover()
        self._stop.clear()
        self._senders = ThreadPoolExecutor(SENDERS, thread_name_prefix="mockprock-callback")
        self._thread = threading.Thread(target=self._run, name="mockprock-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self._thread = None
        if self._senders is not None:
            # Only claimed rows were handed over, each to a free sender: this waits for
            # the posts under way (each bounded by the LMS client's timeout).
            self._senders.shutdown(wait=True)
            self._senders = None

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.run_due(self._senders)
                    wait = self.seconds_until_due()
                    # The request journal's entries wait for a write; a quiet server
                    # writes them here. A busy one writes them with its requests' own
                    # transactions: a turn (every commit that queues a callback, every
                    # send) then writes only what has waited a while.
                    quiet = wait is None or wait >= JOURNAL_WAIT_SECONDS
                    self.store.journal.flush_journal(0.0 if quiet else JOURNAL_WAIT_SECONDS)
                except Exception:
                    log.exception("the callback dispatcher hit an error; trying again shortly")
                    wait = 1.0
                if (self.credentials() is None and not self.has_guests()) or wait is None:
                    wait = IDLE_WAIT_SECONDS
                elif wait == 0 and self._busy():
                    # Due rows wait for a sender or for their attempt's callback in
                    # flight: a finished send wakes the dispatcher.
                    wait = IDLE_WAIT_SECONDS
                self._wake.wait(min(wait, IDLE_WAIT_SECONDS))
        finally:
            self.store.database.release()
