"""Checks about learners and instructors: user retirement, onboarding statuses and the
onboarding gate, the instructor dashboard link."""

from __future__ import annotations

from typing import Any

from mockprock.conformance import shapes
from mockprock.conformance.context import Context, expect, json_object
from mockprock.conformance.model import CheckSkipped
from mockprock.conformance.registry import check
from mockprock.dashboard_link import DEFAULT_INSTRUCTOR, dashboard_claims, dashboard_url

# The onboarding profile (control API) that makes the gate answer each refusal.
REFUSAL_PROFILES = {
    "onboarding_missing": "none",
    "onboarding_pending": "pending",
    "onboarding_failed": "rejected",
    "onboarding_expired": "expired",
}


@check("users.retire", "DELETE of a user answers true, then false (a JSON boolean)")
def users_retire(ctx: Context) -> None:
    learner = ctx.new_learner()
    response = ctx.register(ctx.exam_id(), learner)
    if response.status_code != 200:
        raise CheckSkipped(f"the learner's registration answered {response.status_code}")
    path = f"/api/v1/user/{learner['user_id']}/"
    first = ctx.api("DELETE", path)
    expect(
        200 <= first.status_code < 300 and _json(first) is True,
        "2xx with the JSON 'true' for a learner whose data was removed: retire_user "
        "raises BackendProviderCannotRetireUser unless the answer is true or false",
    )
    second = ctx.api("DELETE", path)
    expect(
        200 <= second.status_code < 300 and _json(second) is False,
        "2xx with the JSON 'false' once nothing is left about that user",
    )


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _statuses_path() -> str:
    return f"/api/v1/courses/{shapes.COURSE_ID}/onboarding_statuses"


def _two_learners(ctx: Context) -> list[str]:
    """Two learners known in the course (with a control API: one approved, one pending)."""

    def make() -> list[str]:
        exam_id = ctx.exam_id()
        users = []
        for profile in ("approved", "pending"):
            learner = ctx.new_learner()
            if ctx.has_control():
                ctx.control(
                    "PUT",
                    f"/users/{learner['user_id']}/onboarding",
                    json={"status": profile, "course_id": shapes.COURSE_ID},
                )
            response = ctx.register(exam_id, learner)
            if response.status_code != 200:
                raise CheckSkipped(f"registration answered {response.status_code}")
            users.append(learner["user_id"])
        return users

    return ctx.made("make two learners", make)


@check("onboarding.one_learner", "a learner's onboarding status has user_id, status, expiry")
def onboarding_one(ctx: Context) -> None:
    user_id = _two_learners(ctx)[0]
    response = ctx.api("GET", f"{_statuses_path()}?user_id={user_id}")
    answer = json_object(response)
    expect(
        response.status_code == 200,
        "exactly 200 (get_onboarding_profile_info raises on any other status)",
    )
    expect(answer.get("user_id") == user_id, f"'user_id': {user_id!r}")
    expect(
        answer.get("status") in shapes.ONBOARDING_STATUSES,
        "'status', one of " + ", ".join(shapes.ONBOARDING_STATUSES),
    )
    expect("expiration_date" in answer, "'expiration_date' (null when none)")


@check("onboarding.paging", "the course's onboarding statuses page with next and previous")
def onboarding_paging(ctx: Context) -> str:
    _two_learners(ctx)
    response = ctx.api("GET", f"{_statuses_path()}?page=1&page_size=1")
    answer = json_object(response)
    expect(response.status_code == 200, "exactly 200 with a page of statuses")
    expect(
        all(k in answer for k in ("results", "count", "num_pages", "next", "previous")),
        "the page as {results, count, num_pages, next, previous}",
    )
    count = answer["count"]
    expect(isinstance(count, int) and count >= 2, "'count' of at least the two learners made")
    expect(
        isinstance(answer["results"], list) and len(answer["results"]) == 1,
        "one result on a page of page_size=1",
    )
    expect(answer["num_pages"] == count, f"'num_pages' {count} for page_size=1")
    expect(answer["next"] and answer["previous"] is None, "a 'next' link and no 'previous'")
    second = json_object(ctx.api("GET", f"{_statuses_path()}?page=2&page_size=1"))
    expect(
        second.get("previous") and second.get("results") != answer["results"],
        "page 2 with a 'previous' link and another learner",
    )
    return f"{count} learners"


@check("onboarding.filter", "filtering by status returns only learners with that status")
def onboarding_filter(ctx: Context) -> None:
    users = _two_learners(ctx)
    wanted = "pending" if ctx.has_control() else "no-profile"
    response = ctx.api("GET", f"{_statuses_path()}?status={wanted}")
    answer = json_object(response)
    expect(response.status_code == 200, "exactly 200")
    results = answer.get("results")
    expect(
        isinstance(results, list) and all(r.get("status") == wanted for r in results),
        f"only learners whose status is {wanted!r}",
    )
    if ctx.has_control():
        expect(
            any(r.get("user_id") == users[1] for r in results),
            f"the pending learner {users[1]!r} among them",
        )


def _refusal_check(refusal: str) -> None:
    @check(f"onboarding.refusal_{refusal}", f"a closed gate answers 200 {{status: {refusal}}}")
    def refusal_check(ctx: Context) -> None:
        ctx.control("GET", "/settings")  # skips without a control API
        ctx.change_setting("onboarding", "required")
        learner = ctx.new_learner()
        ctx.control(
            "PUT",
            f"/users/{learner['user_id']}/onboarding",
            json={"status": REFUSAL_PROFILES[refusal], "course_id": shapes.COURSE_ID},
        )
        try:
            response = ctx.register(ctx.exam_id(), learner)
        finally:
            ctx.change_setting("onboarding", (ctx.control_settings or {}).get("onboarding"))
        answer = json_object(response)
        expect(
            response.status_code == 200,
            "exactly 200: the LMS reads the refusal only from a 200 answer",
        )
        expect(
            answer.get("status") == refusal and not answer.get("id"),
            f"{{'status': {refusal!r}}} and no id (BackendProviderOnboardingException)",
        )


for _refusal in shapes.ONBOARDING_REFUSALS:
    _refusal_check(_refusal)


def _dashboard(ctx: Context, secret: str) -> Any:
    claims = dashboard_claims(
        ctx.options.client_id, shapes.COURSE_ID, DEFAULT_INSTRUCTOR, ctx.exam_id()
    )
    url = dashboard_url(
        ctx.base_url, ctx.options.client_id, secret, claims, backend=ctx.options.backend
    )
    return ctx.http("GET", url, headers=shapes.ACCEPT)


@check("dashboard.lms_jwt", "the instructor dashboard opens with the LMS's signed link")
def dashboard_opens(ctx: Context) -> None:
    response = _dashboard(ctx, ctx.options.client_secret)
    expect(
        response.status_code == 200,
        "200: the LMS redirects the instructor to this link, a JWT signed (HS256) with "
        "the client secret",
    )


@check("dashboard.forged_refused", "a dashboard link signed with another secret is refused")
def dashboard_forged(ctx: Context) -> None:
    response = _dashboard(ctx, ctx.options.client_secret + "-forged")
    expect(
        response.status_code in (401, 403),
        "401 or 403: a link not signed with the client's secret opens nothing",
    )
