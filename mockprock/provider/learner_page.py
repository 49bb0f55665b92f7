"""The learner page (the ``download_url``): what a vendor's page shows while its software
starts. The system checks follow the attempt's desktop application; the ``ready``
callback's state is said in words that tell the learner what to do. Plain Python."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from mockprock import statuses
from mockprock.config import origin_of

# The checks a vendor's software runs before an exam, in order.
SYSTEM_CHECKS = (
    ("camera", "Camera"),
    ("microphone", "Microphone"),
    ("screen", "Screen sharing"),
    ("id_photo", "ID photo"),
)
# The checks a crashed application can no longer pass (the ID photo was taken before).
NEED_RUNNING_APP = ("camera", "microphone", "screen")


def system_checks(desktop_state: str) -> list[dict[str, Any]]:
    """Each check with ``passed`` and a sentence, as the application's fault decides."""
    checks = []
    for key, label in SYSTEM_CHECKS:
        if desktop_state == statuses.APP_NOT_INSTALLED:
            passed, said = False, "the proctoring application is not installed"
        elif desktop_state == statuses.APP_CRASHED and key in NEED_RUNNING_APP:
            passed, said = False, "the proctoring application stopped responding"
        else:
            passed, said = True, "working"
        checks.append({"key": key, "label": label, "passed": passed, "said": said})
    return checks


def ready_state(callback: dict[str, Any] | None, now: float) -> dict[str, Any]:
    """The ``ready`` callback as the learner reads it: ``state`` (the outbox's, or
    ``waiting`` before one is queued), a short ``title`` and what to do (``say``)."""
    if callback is None:
        return {
            "state": "waiting",
            "title": "Waiting for the proctoring software",
            "say": "The exam is told it may start once the proctoring software runs.",
        }
    state = callback["state"]
    error = callback.get("last_error")
    if state == statuses.CALLBACK_PENDING:
        due = max(0, round(callback["due_at"] - now))
        words = f"in about {due} seconds" if due else "now"
        say = f"MockProck will tell the LMS your exam is ready {words}."
        if error:
            say += f" The last try failed ({error}); it will try again."
        return {"state": state, "title": "Getting your exam ready", "say": say}
    if state == statuses.CALLBACK_HELD:
        return {
            "state": state,
            "title": "Held: the server has no LMS credentials",
            "say": "MockProck cannot tell the LMS your exam is ready until whoever runs it "
            "gives it the LMS's OAuth client id and secret (--lms-client-id and "
            "--lms-client-secret, or the console's settings). It sends the signal then.",
            "detail": error,
        }
    if state == statuses.CALLBACK_SENDING:
        return {"state": state, "title": "Telling the LMS", "say": "One moment."}
    if state == statuses.CALLBACK_DELIVERED:
        return {
            "state": state,
            "title": "Ready",
            "say": "The LMS knows your exam is ready. Go back to the exam and start it.",
            "answer": callback.get("last_status"),
        }
    return {
        "state": state,
        "title": "The exam could not be made ready",
        "say": "The LMS did not take the signal. Ask whoever runs MockProck to look at the "
        "reason below and retry the callback from its console.",
        "detail": error or f"the LMS answered {callback.get('last_status')}",
    }


def allowed_origin(url: str, origins: tuple[str, ...]) -> str | None:
    """The origin of ``url`` when it is one of ``origins``, else None: the one rule for
    every link the learner page builds from what a registration said. A link starts
    with the origin this returns, never with the given text (a browser may read the host
    of ``http://a.example\\@b.example`` differently from Python)."""
    try:
        origin = origin_of(url)
    except ValueError:
        return None
    return origin if origin in origins else None


def lms_link(
    attempt: dict[str, Any], exam: dict[str, Any] | None, lms_origins: tuple[str, ...]
) -> str | None:
    """Where the learner goes back to: the exam in the LMS the attempt came from
    (``jump_to`` finds any block), or the LMS's dashboard; built from the allowed origin
    only (never a path of ``lms_host``), None when that origin is not an allowed LMS's."""
    host = allowed_origin(attempt.get("lms_host") or "", lms_origins)
    if host is None:
        return None
    if exam and exam.get("course_id") and exam.get("content_id"):
        return f"{host}/courses/{quote(exam['course_id'], safe=':+')}/jump_to/" + quote(
            exam["content_id"], safe=":+@"
        )
    return f"{host}/dashboard"


def exam_return(
    attempt: dict[str, Any], checks: list[dict[str, Any]], return_origins: tuple[str, ...]
) -> dict[str, Any] | None:
    """The ``exam_return_url`` a Proctortrack registration gave (the learning MFE's page of
    the exam), as a vendor offers it: ``shown`` once every system check passed; ``link``
    only when its origin is allowed (rebuilt on that origin), else None and ``said`` names
    the flag that allows it. None when the registration gave none."""
    url = attempt.get("exam_return_url")
    if not url:
        return None
    shown = all(check["passed"] for check in checks)
    origin = allowed_origin(url, return_origins)
    if origin is not None:
        parts = urlsplit(url.strip())
        link = origin + quote(parts.path, safe="/:@+%!$&'()*,;=~")
        if parts.query:
            link += "?" + quote(parts.query, safe="=&%+:/?@,;")
        return {"url": url, "shown": shown, "link": link, "said": None}
    try:
        flag = f"--allow-origin {origin_of(url)}"
    except ValueError:
        flag = "--allow-origin with its origin (it is no http(s) URL)"
    said = (
        "Not a link: its origin is not an allowed origin "
        f"({', '.join(return_origins)}). Start the server with {flag} to link it."
    )
    return {"url": url, "shown": shown, "link": None, "said": said}


def view(
    attempt: dict[str, Any],
    exam: dict[str, Any] | None,
    desktop_state: str,
    ready_callback: dict[str, Any] | None,
    now: float,
    lms_origins: tuple[str, ...],
    return_origins: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Everything the learner page (and its live refresh) shows; ``return_origins`` are
    the origins the exam's return link may go to (the desktop application's)."""
    checks = system_checks(desktop_state)
    return {
        "attempt_id": attempt["id"],
        "attempt_status": attempt["status"],
        "exam_name": exam["exam_name"] if exam else None,
        "learner": attempt.get("full_name") or attempt.get("email") or attempt["user_id"],
        "checks": checks,
        "ready": ready_state(ready_callback, now),
        "lms_link": lms_link(attempt, exam, lms_origins),
        "exam_return": exam_return(attempt, checks, return_origins),
    }
