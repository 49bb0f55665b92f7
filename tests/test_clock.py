"""The clock a test controls (``--clock manual``): the rules that follow it, the control
API that shows and moves it, and its refusals. Apps over the test client, no LMS: the
callbacks' LMS is a closed loopback port, so every try fails fast and is retried."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockprock.callbacks.outbox import Outbox
from mockprock.clock import LATEST, Clock, ManualClock, clock_for
from mockprock.config import Settings, SettingsError
from mockprock.dashboard_link import DEFAULT_INSTRUCTOR, dashboard_claims, dashboard_url
from mockprock.errors import ProviderError
from mockprock.provider.clock_control import MAX_ADVANCE_SECONDS, ClockControl
from mockprock.store import Store
from tests.helpers import ATTEMPT, EXAM, app_on, basic, get_token

COURSE = EXAM["course_id"]


def closed_port() -> int:
    """A loopback port nothing listens on (a try there fails at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """An app on a manual clock, its test client, and the calls the tests make."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.services = app.extensions["mockprock"]

    @property
    def now(self) -> float:
        return self.services.provider.clock.now()

    def auth(self) -> dict[str, str]:
        """A fresh provider token (one issued before an advance may have expired)."""
        return {"Authorization": f"JWT {get_token(self.client)}"}

    def advance(self, seconds: Any) -> Any:
        return self.client.post(
            "/mockprock/api/clock", json={"advance_seconds": seconds}, headers=basic()
        )

    def advanced(self, seconds: float) -> dict[str, Any]:
        response = self.advance(seconds)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.open(
            f"/mockprock/api{path}", method=method, headers=basic(), **kwargs
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def attempt(self, exam: dict[str, Any] = EXAM, **fields: Any) -> str:
        auth = self.auth()
        exam_id = self.client.post("/api/v1/exam/", json=exam, headers=auth).get_json()["id"]
        answer = self.client.post(
            f"/api/v1/exam/{exam_id}/attempt/", json={**ATTEMPT, **fields}, headers=auth
        ).get_json()
        self.exam_id = exam_id
        return answer.get("id") or answer["status"]

    def set_status(self, attempt_id: str, status: str) -> None:
        response = self.client.patch(
            f"/api/v1/exam/{self.exam_id}/attempt/{attempt_id}/",
            json={"status": status},
            headers=self.auth(),
        )
        assert response.status_code == 200, response.get_json()

    def callbacks(self, attempt_id: str) -> list[dict[str, Any]]:
        return self.control("GET", "/callbacks", query_string={"attempt": attempt_id})


@contextmanager
def unreachable_lms_server(tmp_path: Path, **settings: Any) -> Iterator[Server]:
    """A server on a manual clock whose callbacks' LMS answers nothing (a closed port), so
    every try fails at once and waits for its retry."""
    lms = f"http://127.0.0.1:{closed_port()}"
    with app_on(
        tmp_path,
        clock="manual",
        lms_url=lms,
        lms_client_id="lms-client",
        lms_client_secret="lms-secret",
        **settings,
    ) as app:
        server = Server(app)
        server.lms = lms
        yield server


@pytest.fixture
def manual(tmp_path: Path) -> Iterator[Server]:
    """A server on a manual clock whose callbacks' LMS answers nothing (a closed port)."""
    with unreachable_lms_server(
        tmp_path, review_delay_seconds=60, ready_delay_seconds=10, callback_backoff_seconds=5
    ) as server:
        yield server


# -- the clock and its setting ---------------------------------------------------------


def test_a_manual_clock_stands_still_until_advanced() -> None:
    clock = ManualClock(start=1000.0)
    assert clock.now() == clock.now() == 1000.0
    assert clock.advance(60) == 1060.0 == clock.now()
    assert clock.advance(0) == 1060.0


def test_a_manual_clock_never_goes_back_nor_past_the_year_3000() -> None:
    clock = ManualClock(start=LATEST - 10)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="3000-01-01"):
        clock.advance(11)
    assert clock.now() == LATEST - 10
    assert clock.advance(10) == LATEST


def test_the_clock_setting_picks_the_clock() -> None:
    assert isinstance(clock_for("manual"), ManualClock)
    assert not isinstance(clock_for("system"), ManualClock)
    assert Settings.load({}, environ={}).clock == "system"
    assert Settings.load({"clock": "manual"}, environ={}).clock == "manual"
    assert Settings.load({}, environ={"MOCKPROCK_CLOCK": "manual"}).clock == "manual"
    with pytest.raises(SettingsError, match="clock must be one of system, manual"):
        Settings.load({"clock": "sundial"}, environ={})


def test_the_clock_is_chosen_at_start_not_at_run_time(manual: Server) -> None:
    response = manual.client.patch(
        "/mockprock/api/settings", json={"clock": "system"}, headers=basic()
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_setting"
    assert manual.control("GET", "/settings")["clock"] == "manual"
    assert manual.control("GET", "/clock")["mode"] == "manual"


def test_the_server_tells_its_time(manual: Server) -> None:
    told = manual.control("GET", "/clock")
    assert told == {"mode": "manual", "now": manual.now, "now_iso": told["now_iso"]}
    assert told["now_iso"].endswith("+00:00")
    assert manual.control("GET", "/clock") == told  # it stands still


def test_the_system_clock_tells_the_time_and_refuses_an_advance(tmp_path: Path) -> None:
    with app_on(tmp_path) as app:
        client = app.test_client()
        before = time.time()
        told = client.get("/mockprock/api/clock", headers=basic()).get_json()
        assert told["mode"] == "system"
        assert before <= told["now"] <= time.time()
        response = client.post(
            "/mockprock/api/clock", json={"advance_seconds": 60}, headers=basic()
        )
        assert response.status_code == 409
        assert response.get_json()["error"] == "clock_not_manual"
        assert "--clock manual" in response.get_json()["detail"]


def test_the_clock_routes_need_an_accepted_client(manual: Server) -> None:
    response = manual.client.post(
        "/mockprock/api/clock", json={"advance_seconds": 60}, headers=basic("abcd", "wrong")
    )
    assert response.status_code == 401
    assert manual.client.get("/mockprock/api/clock").status_code == 401


def test_any_accepted_client_moves_the_servers_one_clock(manual: Server) -> None:
    start = manual.now
    response = manual.client.post(
        "/mockprock/api/clock", json={"advance_seconds": 5}, headers=basic("other")
    )
    assert response.status_code == 200
    assert manual.now == start + 5 == manual.control("GET", "/clock")["now"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "missing required field 'advance_seconds'"),
        ({"advance_seconds": None}, "missing required field 'advance_seconds'"),
        ({"advance_seconds": "60"}, "must be integer or number"),
        ({"advance_seconds": True}, "must be integer or number"),
        ({"advance_seconds": [60]}, "must be integer or number"),
        ({"advance_seconds": -1}, "from 0 to"),
        ({"advance_seconds": -0.001}, "from 0 to"),
        ({"advance_seconds": MAX_ADVANCE_SECONDS + 1}, "ten years"),
        ({"advance_seconds": 1e30}, "ten years"),
        ({"advance_seconds": 10**30}, "must be an integer between"),
        (b'{"advance_seconds": NaN}', "NaN is not a JSON number"),
        (b'{"advance_seconds": Infinity}', "Infinity is not a JSON number"),
        (b'{"advance_seconds": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"advance_seconds": 1e400}', "must be a finite number"),
        (b"[60]", "must be an object"),
        (b"", "needs a JSON object body"),
    ],
)
def test_bad_advances_are_refused_and_the_clock_stays(manual: Server, body: Any, says: str) -> None:
    start = manual.now
    if isinstance(body, bytes):
        response = manual.client.post(
            "/mockprock/api/clock",
            data=body,
            content_type="application/json",
            headers=basic(),
        )
    else:
        response = manual.client.post("/mockprock/api/clock", json=body, headers=basic())
    assert response.status_code == 400, response.get_json()
    answer = response.get_json()
    assert set(answer) == {"error", "detail"}
    assert says in answer["detail"]
    assert manual.now == start


def test_ten_years_at_once_is_the_longest_step(manual: Server) -> None:
    start = manual.now
    assert manual.advanced(MAX_ADVANCE_SECONDS)["now"] == start + MAX_ADVANCE_SECONDS


def test_an_advance_past_the_year_3000_is_refused(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.sqlite"), clock=ManualClock(start=LATEST - 5))
    try:
        control = ClockControl(store.clock, store, Outbox(store, Settings))
        with pytest.raises(ProviderError) as refused:
            control.advance("abcd", {"advance_seconds": 10})
        assert refused.value.status == 400
        assert "3000-01-01" in refused.value.detail
        assert store.clock.now() == LATEST - 5
        assert control.advance("abcd", {"advance_seconds": 5})["now"] == LATEST
    finally:
        store.close()


def test_only_a_manual_clock_is_advanced(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "s.sqlite"))
    try:
        control = ClockControl(Clock(), store, Outbox(store, Settings))
        with pytest.raises(ProviderError) as refused:
            control.advance("abcd", {"advance_seconds": 1})
        assert (refused.value.status, refused.value.error) == (409, "clock_not_manual")
    finally:
        store.close()


# -- what follows the clock ------------------------------------------------------------


def test_the_store_records_times_by_the_servers_clock(manual: Server) -> None:
    manual.advanced(3600)
    attempt_id = manual.attempt()
    detail = manual.control("GET", f"/attempts/{attempt_id}")
    assert detail["created_at"] == manual.now
    assert {event["at"] for event in detail["timeline"]} == {manual.now}


def test_a_provider_token_expires_when_the_clock_passes_its_lifetime(tmp_path: Path) -> None:
    with app_on(tmp_path, clock="manual", token_lifetime_seconds=60) as app:
        server = Server(app)
        auth = server.auth()
        assert server.client.get("/api/v1/config/", headers=auth).status_code == 200
        server.advanced(59)
        assert server.client.get("/api/v1/config/", headers=auth).status_code == 200
        server.advanced(1)
        expired = server.client.get("/api/v1/config/", headers=auth)
        assert expired.status_code == 401
        assert expired.get_json()["detail"] == "token expired"
        # The control API takes a provider token too: the same clock decides.
        assert server.client.get("/mockprock/api/clock", headers=auth).status_code == 401
        # A token issued on the clock now, a day ahead of the system's, is good.
        server.advanced(24 * 3600)
        assert server.client.get("/api/v1/config/", headers=server.auth()).status_code == 200


def test_an_approved_onboarding_profile_expires_after_an_advance(tmp_path: Path) -> None:
    with app_on(tmp_path, clock="manual", onboarding="required", onboarding_valid_days=1) as app:
        server = Server(app)
        user = ATTEMPT["user_id"]
        server.control(
            "PUT", f"/users/{user}/onboarding", json={"status": "approved", "course_id": COURSE}
        )

        def status() -> str:
            path = f"/api/v1/courses/{COURSE}/onboarding_statuses"
            answer = server.client.get(path, query_string={"user_id": user}, headers=server.auth())
            return answer.get_json()["status"]

        assert status() == "approved-in-course"
        server.advanced(24 * 3600 - 1)
        assert status() == "approved-in-course"
        server.advanced(1)
        assert status() == "expired"
        assert server.attempt() == "onboarding_expired"  # the gate is closed again
        listed = server.control("GET", f"/users/{user}/onboarding")
        assert listed["profile"]["status"] == "approved"  # as set; expired by the date


def test_a_review_delay_holds_the_callback_until_the_clock_passes_it(manual: Server) -> None:
    attempt_id = manual.attempt(lms_host=manual.lms)
    manual.set_status(attempt_id, "started")
    manual.set_status(attempt_id, "submitted")
    submitted = manual.now
    (review,) = manual.callbacks(attempt_id)
    assert (review["kind"], review["state"], review["due_at"]) == (
        "reviewed",
        "pending",
        submitted + 60,
    )
    early = manual.advanced(59.5)
    assert early["callbacks"] == {
        "due": 0,
        "attempted": 0,
        "delivered": 0,
        "still_sending": 0,
        "pending": 1,
        "next_due_at": submitted + 60,
        "next_due_iso": early["callbacks"]["next_due_iso"],
    }
    assert manual.callbacks(attempt_id)[0]["tries"] == 0
    due = manual.advanced(0.5)["callbacks"]
    # Tried before the answer (in this thread: no dispatcher runs under the test client);
    # the LMS is unreachable, so it waits for its retry, the backoff later on the clock.
    assert (due["due"], due["attempted"], due["delivered"], due["pending"]) == (1, 1, 0, 1)
    (tried,) = manual.callbacks(attempt_id)
    assert (tried["state"], tried["tries"], tried["due_at"]) == ("pending", 1, manual.now + 5)
    assert due["next_due_at"] == manual.now + 5


def test_the_retry_schedule_follows_the_clock(manual: Server) -> None:
    attempt_id = manual.attempt(lms_host=manual.lms)
    manual.client.get(f"/download?attempt={attempt_id}&exam={manual.exam_id}")
    assert manual.advanced(10)["callbacks"]["attempted"] == 1  # the ready delay
    first_retry = manual.callbacks(attempt_id)[0]["due_at"]
    assert first_retry == manual.now + 5
    assert manual.advanced(4.9)["callbacks"]["attempted"] == 0
    assert manual.advanced(0.1)["callbacks"]["attempted"] == 1
    (ready,) = manual.callbacks(attempt_id)
    assert (ready["tries"], ready["due_at"]) == (2, manual.now + 10)  # the backoff doubles
    assert "failed" in ready["last_error"]


def test_a_callback_gives_up_when_the_clock_passes_its_retry_window(tmp_path: Path) -> None:
    with unreachable_lms_server(
        tmp_path, ready_delay_seconds=0, callback_backoff_seconds=10, callback_retry_seconds=25
    ) as server:
        attempt_id = server.attempt(lms_host=server.lms)
        server.client.get(f"/download?attempt={attempt_id}&exam={server.exam_id}")
        assert server.advanced(0)["callbacks"]["attempted"] == 1  # due at once: tries 1
        assert server.advanced(10)["callbacks"]["attempted"] == 1  # tries 2, next in 20 s
        (ready,) = server.callbacks(attempt_id)
        assert (ready["state"], ready["tries"]) == ("failed", 2)
        assert "gave up after 2 tries over 10s" in ready["last_error"]


def test_a_zero_backoff_retries_once_each_time_the_clock_moves_never_in_a_loop(
    tmp_path: Path,
) -> None:
    # The dispatcher of a live server would otherwise find the failed callback due again at
    # once, for ever: the instant of a manual clock lasts until the test moves it.
    with unreachable_lms_server(
        tmp_path, ready_delay_seconds=0, callback_backoff_seconds=0
    ) as server:
        attempt_id = server.attempt(lms_host=server.lms)
        server.client.get(f"/download?attempt={attempt_id}&exam={server.exam_id}")
        assert server.advanced(0)["callbacks"]["attempted"] == 1
        (ready,) = server.callbacks(attempt_id)
        assert ready["state"] == "pending" and ready["due_at"] > server.now
        assert server.advanced(0)["callbacks"]["attempted"] == 0  # the clock did not move
        assert server.advanced(1)["callbacks"]["attempted"] == 1
        assert server.callbacks(attempt_id)[0]["tries"] == 2


def test_a_heartbeat_gap_appears_in_the_review_after_an_advance(tmp_path: Path) -> None:
    with app_on(
        tmp_path, clock="manual", review_delay_seconds=3600, verdict_from_session=True
    ) as app:
        server = Server(app)
        attempt_id = server.attempt()
        desktop = f"?attempt={attempt_id}"
        assert server.client.post("/desktop/start" + desktop).status_code == 200
        server.set_status(attempt_id, "started")
        server.advanced(60)
        assert server.client.get("/desktop/ping" + desktop).status_code == 200
        server.advanced(200)  # no ping for 200 s: over 2.5 ping intervals (60 s)
        assert server.client.get("/desktop/ping" + desktop).status_code == 200
        assert server.client.post("/desktop/stop" + desktop).status_code == 200
        server.set_status(attempt_id, "submitted")
        (review,) = [c for c in server.callbacks(attempt_id) if c["kind"] == "reviewed"]
        payload = review["payload"]
        assert payload["status"] == "suspicious"
        gaps = [c for c in payload["comments"] if "No heartbeat" in c["comment"]]
        assert gaps == [
            {
                "comment": "No heartbeat from the proctoring application for 200 s.",
                "status": "suspicious",
                "start": 60,
                "stop": 260,
                "duration": 200,
            }
        ]
        beats = server.control("GET", f"/attempts/{attempt_id}/desktop")["heartbeats"]
        assert len(beats) == 2


def test_the_upload_after_stop_is_done_when_the_clock_passes_it(tmp_path: Path) -> None:
    with app_on(tmp_path, clock="manual", upload_delay_seconds=30) as app:
        server = Server(app)
        attempt_id = server.attempt()
        server.client.post(f"/desktop/start?attempt={attempt_id}")
        stopped = server.client.post(f"/desktop/stop?attempt={attempt_id}").get_json()
        assert stopped["status"] == "uploading"
        server.advanced(29)
        assert server.control("GET", f"/attempts/{attempt_id}/desktop")["status"] == "uploading"
        server.advanced(1)
        assert server.control("GET", f"/attempts/{attempt_id}/desktop")["status"] == "uploaded"
        timeline = server.control("GET", f"/attempts/{attempt_id}")["timeline"]
        assert "desktop_upload_done" in [event["kind"] for event in timeline]


def test_a_dashboard_link_expires_by_the_servers_clock(manual: Server) -> None:
    manual.attempt()
    claims = dashboard_claims("abcd", COURSE, DEFAULT_INSTRUCTOR, now=manual.now)
    link = dashboard_url("", "abcd", "abcdsecret", claims)
    assert manual.client.get(link).status_code == 200
    manual.advanced(24 * 3600 - 1)
    assert manual.client.get(link).status_code == 200
    assert manual.client.get("/api/v1/instructor/abcd/").status_code == 200  # its session
    manual.advanced(1)
    for url in (link, "/api/v1/instructor/abcd/"):
        refused = manual.client.get(url)
        assert refused.status_code == 403
        assert "expired" in refused.get_data(as_text=True)


def test_the_clock_answers_are_finite_numbers(manual: Server) -> None:
    answer = manual.advanced(1.25)
    assert answer["advanced_seconds"] == 1.25
    assert math.isfinite(answer["now"])
    assert answer["callbacks"]["next_due_at"] is None
