"""Checks of what the provider sends the LMS (received by the stand-in), of the desktop
application routes the learner's browser calls, and of the time every call took."""

from __future__ import annotations

import json
from typing import Any

from mockprock.conformance import shapes
from mockprock.conformance.context import Context, expect, json_object
from mockprock.conformance.model import CheckFailed, CheckSkipped, Exchange
from mockprock.conformance.registry import check
from mockprock.lms_stub import CALLBACK_PREFIX

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
WORKER_ORIGIN = "http://localhost:2000"  # the learning MFE's origin in development
SETTLED = ("delivered", "failed")
# How long the kit listens after a callback for a second one nobody asked for.
QUIET_SECONDS = 1.0


def _callbacks(ctx: Context, kind: str, attempt_id: str) -> list[dict[str, Any]]:
    return ctx.stand_in.client.callbacks(kind, attempt_id)


def _accepted(ctx: Context, kind: str, attempt_id: str) -> list[dict[str, Any]]:
    return [c for c in _callbacks(ctx, kind, attempt_id) if c["answer_status"] == 200]


def _wait_accepted(ctx: Context, kind: str, attempt_id: str, after: str) -> dict[str, Any]:
    """The first callback of ``kind`` the stand-in accepted, or a failure saying what
    arrived instead."""

    def arrived() -> Any:
        # Accepted; else refused for good (4xx) or sent somewhere else: no need to wait on.
        calls = _callbacks(ctx, kind, attempt_id)
        accepted = [c for c in calls if c["answer_status"] == 200]
        return (
            accepted
            or any(400 <= c["answer_status"] < 500 for c in calls)
            or _stray(ctx, attempt_id)
        )

    ctx.wait(arrived, f"the {kind} callback")
    accepted = _accepted(ctx, kind, attempt_id)
    if accepted:
        return accepted[0]
    path = f"{CALLBACK_PREFIX}/{attempt_id}/{kind}"
    refused = _callbacks(ctx, kind, attempt_id)
    _record(ctx, refused)
    if refused:
        last = refused[-1]
        hint = (
            f"a token from the LMS's /oauth2/access_token (client {ctx.stand_in.client_id}) "
            "sent as 'Authorization: JWT <token>'"
            if last["answer_status"] == 403
            else "a body the LMS accepts"
        )
        raise CheckFailed(
            f"{hint}; the LMS answered POST {path} with {last['answer_status']} "
            f"{last['answer']!r} (body sent: {last['json']!r})"
        )
    stray = _stray(ctx, attempt_id)
    if stray:
        went = ", ".join(f"{s['method']} {s['path']}" for s in stray)
        raise CheckFailed(f"POST {path}; the callback went to {went}")
    raise CheckFailed(
        f"POST {path} within {ctx.options.callback_wait:g} s {after}; nothing arrived"
    )


def _record(ctx: Context, calls: list[dict[str, Any]]) -> None:
    """Show the callbacks that arrived in the check's report, as LMS-side exchanges."""
    for call in calls:
        path = f"{CALLBACK_PREFIX}/{call['attempt_id']}/{call['kind']}"
        answer = json.dumps(call["answer"])
        ctx.exchanges.append(
            Exchange("POST", ctx.stand_in.url + path, call["json"], call["answer_status"], answer)
        )


def _stray(ctx: Context, attempt_id: str) -> list[dict[str, Any]]:
    return [s for s in ctx.stand_in.stray_requests() if attempt_id in s["path"]]


@check("callbacks.ready", "opening the download page sends 'ready' with the LMS's token")
def callbacks_ready(ctx: Context) -> str:
    exam_id, attempt_id = ctx.new_attempt()
    answer = json_object(ctx.api("GET", f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/"))
    download_url = answer.get("download_url")
    if not download_url:
        raise CheckSkipped("the attempt has no download_url (see attempts.get)")
    page = ctx.http("GET", download_url, headers=BROWSER)
    expect(200 <= page.status_code < 300, "the download page opens (2xx) for the learner")
    callback = _wait_accepted(ctx, "ready", attempt_id, "of the download page")
    expect(
        callback["json"] == {"status": "ready"},
        f'the body {{"status": "ready"}} (sent: {callback["json"]!r})',
    )
    return f"ready arrived, attempt {attempt_id}"


def _preflight(ctx: Context) -> Any:
    """The browser's CORS preflight of the worker's start; a 404 or 405: no such route."""
    return ctx.http(
        "OPTIONS",
        "/desktop/start",
        headers={"Origin": WORKER_ORIGIN, "Access-Control-Request-Method": "POST"},
    )


@check("desktop.start_sends_ready", "the desktop app's start sends 'ready' (CORS open)")
def desktop_start(ctx: Context) -> str:
    preflight = _preflight(ctx)
    if preflight.status_code in (404, 405):
        raise CheckSkipped("the provider has no /desktop/ routes for the browser worker")
    expect(
        preflight.status_code < 300 and "Access-Control-Allow-Origin" in preflight.headers,
        "a 2xx CORS preflight answer with Access-Control-Allow-Origin: the worker runs in "
        "the learner's page, on the LMS's or the learning MFE's origin",
    )
    _, attempt_id = ctx.new_attempt()
    headers = {"Origin": WORKER_ORIGIN, **shapes.JSON_HEADERS}
    started = ctx.http("POST", f"/desktop/start?attempt={attempt_id}", headers=headers, json={})
    expect(
        200 <= started.status_code < 300
        and started.headers.get("Access-Control-Allow-Origin") in ("*", WORKER_ORIGIN),
        "2xx with Access-Control-Allow-Origin for the worker's origin",
    )
    _wait_accepted(ctx, "ready", attempt_id, "of the desktop start")
    ping = ctx.http("GET", f"/desktop/ping?attempt={attempt_id}", headers={"Origin": WORKER_ORIGIN})
    expect(
        200 <= ping.status_code < 300,
        "2xx to a ping while the application runs: a failed ping puts the attempt in error",
    )
    return f"ready arrived, attempt {attempt_id}"


def _submit(ctx: Context, exam_id: str, attempt_id: str) -> None:
    for status in ("started", "submitted"):
        response = ctx.patch_status(exam_id, attempt_id, status)
        if not 200 <= response.status_code < 300:
            raise CheckSkipped(f"PATCH {status!r} answered {response.status_code}")


def _settled(ctx: Context, attempt_id: str) -> bool:
    """With a control API: no review callback of the attempt still waiting to go."""
    rows = ctx.control("GET", f"/callbacks?attempt={attempt_id}&kind=reviewed")
    return bool(rows) and all(row.get("state") in SETTLED for row in rows)


@check("callbacks.reviewed_once", "after submission one 'reviewed' with a valid verdict")
def callbacks_reviewed(ctx: Context) -> str:
    exam_id, attempt_id = ctx.new_attempt()
    _submit(ctx, exam_id, attempt_id)
    # The first review that arrives is judged, whatever the LMS answered it.
    ctx.wait(lambda: _callbacks(ctx, "reviewed", attempt_id), "the reviewed callback")
    first = _callbacks(ctx, "reviewed", attempt_id)
    review = (first[0]["json"] if first else None) or {}
    _record(ctx, first[:1])
    if not first:
        _wait_accepted(ctx, "reviewed", attempt_id, "of the submission")  # says what came
    expect(
        review.get("status") in shapes.REVIEW_STATUSES,
        "'status' one of " + ", ".join(shapes.REVIEW_STATUSES) + f" (sent: {review!r})",
    )
    comments = review.get("comments")
    expect(
        isinstance(comments, list)
        and all(isinstance(c, dict) and "comment" in c and "status" in c for c in comments),
        "'comments' as a list of {comment, status, start, stop} (the LMS's view fails "
        f"with a 500 on a comment without 'comment' or 'status'; sent: {comments!r})",
    )
    _wait_accepted(ctx, "reviewed", attempt_id, "of the submission")
    if ctx.has_control():
        ctx.wait(lambda: _settled(ctx, attempt_id), "the outbox to settle")
    ctx.wait(lambda: len(_callbacks(ctx, "reviewed", attempt_id)) > 1, "", QUIET_SECONDS)
    sent = _callbacks(ctx, "reviewed", attempt_id)
    _record(ctx, sent)
    expect(
        len(sent) == 1,
        f"one review per attempt: {len(sent)} arrived (the LMS records each as a new review)",
    )
    return f"{review['status']} arrived once"


@check("callbacks.review_retried", "a review the LMS answered 500 is sent again")
def callbacks_retried(ctx: Context) -> str:
    exam_id, attempt_id = ctx.new_attempt()
    ctx.stand_in.client.set_fault(500, times=1)
    try:
        _submit(ctx, exam_id, attempt_id)
        _wait_accepted(ctx, "reviewed", attempt_id, "of a first try the LMS answered 500")
    finally:
        ctx.stand_in.client.set_fault(None)
    calls = _callbacks(ctx, "reviewed", attempt_id)
    _record(ctx, calls)
    tries = [c["answer_status"] for c in calls]
    expect(
        tries[:1] == [500],
        f"the first try answered 500, then a retry (answers seen: {tries})",
    )
    return f"answers {tries}"


@check(
    "timing.within_timeout",
    "every call is answered within edx-proctoring 6.1's 30 s (5.2 waits without limit)",
)
def timing(ctx: Context) -> str:
    calls = [e for e in ctx.all_exchanges if e is not None]
    slow = [e for e in calls if e.error or e.seconds > shapes.EDX_TIMEOUT_SECONDS]
    if slow:
        ctx.exchanges.extend(slow)
        raise CheckFailed(
            f"an answer within {shapes.EDX_TIMEOUT_SECONDS} s to every call (the LMS gives "
            f"up then); {len(slow)} did not"
        )
    if not calls:
        raise CheckSkipped("no calls were made")
    slowest = max(calls, key=lambda e: e.seconds)
    return f"{len(calls)} calls, slowest {slowest.seconds:.2f} s ({slowest.method} {slowest.url})"
