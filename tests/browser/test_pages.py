"""The pages in a real browser: a learner, a reviewer and an operator at work, escaping,
and layouts at desktop and phone widths."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import CLIENT, INSTRUCTOR, Lms, screenshot
from tests.helpers import wait_for

XSS = "<script>alert(1)</script>"


def delivered(lms: Lms, kind: str, attempt_id: str) -> list[dict[str, Any]]:
    return [c for c in lms.stub.callbacks(kind, attempt_id) if c["answer_status"] == 200]


def test_a_learner_opens_the_learner_page_and_the_exam_becomes_ready(page, lms_side) -> None:
    exam_id = lms_side.exam("Midterm")
    attempt_id = lms_side.attempt(exam_id, full_name="Ada Learner")
    page.goto(lms_side.download_url(exam_id, attempt_id))
    expect(page.locator("#exam-name")).to_have_text("Midterm")
    expect(page.locator("#learner-name")).to_have_text("Ada Learner")
    # learner.js polls the state: the LMS's answer shows without a reload.
    expect(page.locator("#ready-title")).to_have_text("Ready", timeout=15_000)
    assert len(delivered(lms_side, "ready", attempt_id)) == 1
    assert page.locator("#checks li.pass").count() == 4
    back = page.locator("#back").get_attribute("href")
    assert back.startswith(lms_side.lms_url + "/courses/")
    screenshot(page, "learner-page")


def test_the_learner_page_works_without_javascript(browser, lms_side) -> None:
    exam_id = lms_side.exam()
    attempt_id = lms_side.attempt(exam_id)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(lms_side.download_url(exam_id, attempt_id))
        wait_for(lambda: delivered(lms_side, "ready", attempt_id), what="the ready callback")
        page.reload()
        expect(page.locator("#ready-title")).to_have_text("Ready")
    finally:
        context.close()


def test_the_learner_page_follows_the_desktop_application(page, lms_side) -> None:
    exam_id = lms_side.exam()
    attempt_id = lms_side.attempt(exam_id)
    page.goto(lms_side.download_url(exam_id, attempt_id))
    expect(page.locator("#checks li.pass")).to_have_count(4)
    lms_side.control.call("PUT", f"/attempts/{attempt_id}/desktop", json={"state": "crashed"})
    # Live: the camera, microphone and screen checks fail, the ID photo stays.
    expect(page.locator("#checks li.fail")).to_have_count(3, timeout=15_000)
    expect(page.locator('[data-check="id_photo"]')).to_have_class("pass")


def test_the_way_back_to_the_exam_shows_live_once_the_checks_pass(
    page, lms_side, lms_page_origin
) -> None:
    """Proctortrack's exam_return_url on an allowed origin (the MFE's, here a page origin
    given with --allow-origin): hidden while the application is crashed, then a link."""
    exam_id = lms_side.exam()
    return_url = f"{lms_page_origin}/course/{lms_side.course_id}/exam"
    attempt_id = lms_side.attempt(exam_id, exam_return_url=return_url)
    lms_side.control.call("PUT", f"/attempts/{attempt_id}/desktop", json={"state": "crashed"})
    page.goto(lms_side.download_url(exam_id, attempt_id))
    expect(page.locator("#exam-return")).to_be_hidden()
    lms_side.control.call("PUT", f"/attempts/{attempt_id}/desktop", json={"state": "running"})
    expect(page.locator("#exam-return")).to_be_visible(timeout=15_000)
    link = page.locator("#exam-return a")
    expect(link).to_have_text("Return to your exam")
    assert link.get_attribute("href") == return_url


def test_an_instructor_walks_the_dashboard_and_records_a_verdict(page, lms_side) -> None:
    exam_id = lms_side.exam("Final Exam")
    lms_side.exam("Other Exam")
    attempt_id = lms_side.attempt(exam_id, full_name="Bea Learner")
    lms_side.take(exam_id, attempt_id)
    page.goto(lms_side.dashboard_url())
    expect(page.locator("h1")).to_have_text("Proctored exams in this course")
    # From here on, links only: the session cookie stands for the token.
    page.get_by_role("link", name="Final Exam").click()
    assert "jwt=" not in page.url
    expect(page.locator("h1")).to_have_text("Final Exam")
    page.get_by_role("link", name="Bea Learner").click()
    expect(page.locator("h1")).to_have_text("Attempt by Bea Learner")
    expect(page.locator("#timeline")).to_contain_text("The LMS set the status to submitted")
    screenshot(page, "dashboard-attempt")
    page.locator('input[name="status"][value="violation"]').check()
    page.fill('textarea[name="comment"]', "A second person in the room.")
    page.fill('input[name="start"]', "30")
    page.fill('input[name="stop"]', "95")
    page.get_by_role("button", name="Record the verdict").click()
    expect(page.locator("#decision")).to_contain_text("violation")

    def review() -> dict[str, Any] | None:
        reviews = delivered(lms_side, "reviewed", attempt_id)
        return reviews[0] if reviews else None

    sent = wait_for(review, what="the reviewed callback")["json"]
    assert sent["status"] == "violation"
    assert sent["reviewed_by"] == INSTRUCTOR["email"]
    assert sent["comments"][0]["comment"] == "A second person in the room."
    assert (sent["comments"][0]["start"], sent["comments"][0]["stop"]) == (30, 95)
    # The timeline shows the LMS's answer once the page refreshes itself.
    expect(page.locator("#callbacks")).to_contain_text("delivered", timeout=15_000)


def test_the_configuration_view_switches_rules(page, lms_side) -> None:
    exam_id = lms_side.exam(rules={"allow_notes": True})
    page.goto(lms_side.dashboard_url(exam_id=exam_id, config=True))
    expect(page.locator("dl.facts")).to_contain_text("30 minutes")
    notes = page.locator('input[name="rule-allow_notes"]')
    cheating = page.locator('input[name="rule-allow_cheating"]')
    expect(notes).to_be_checked()
    notes.uncheck()
    cheating.check()
    page.get_by_role("button", name="Save the rules").click()
    expect(cheating).to_be_checked()
    assert lms_side.provider.get_exam(exam_id)["rules"] == {
        "allow_notes": False,
        "allow_cheating": True,
    }


def test_an_operator_crashes_an_app_queues_a_verdict_and_retries_a_callback(page, lms_side) -> None:
    exam_id = lms_side.exam("Console Exam")
    attempt_id = lms_side.attempt(exam_id, full_name="Cy Operator-Test")
    # The stand-in does not know this one yet: its ready callback fails with a 404.
    orphan_id = lms_side.attempt(exam_id, in_lms=False, full_name="Dee Unknown")
    requests.get(lms_side.download_url(exam_id, orphan_id), timeout=10).raise_for_status()
    wait_for(
        lambda: lms_side.control.callbacks(attempt=orphan_id, state="failed"),
        what="a failed ready callback",
    )

    page.goto(lms_side.server_url + "/mockprock/")
    page.fill('input[name="client_id"]', CLIENT[0])
    page.fill('input[name="client_secret"]', CLIENT[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#attempts h2")).to_have_text("Attempts")
    screenshot(page, "console")

    row = page.locator(f"#attempt-{attempt_id}")
    row.locator("summary").click()
    row.locator('select[name="state"]').select_option("crashed")
    row.get_by_role("button", name="Set the desktop app").click()
    expect(page.locator("#messages")).to_contain_text("crashed")
    desktop = lms_side.control.call("GET", f"/attempts/{attempt_id}/desktop")
    assert desktop["state"] == "crashed"

    row = page.locator(f"#attempt-{attempt_id}")
    row.locator("summary").click()
    row.locator('form.review select[name="status"]').select_option("suspicious")
    row.get_by_role("button", name="Queue the verdict").click()
    expect(page.locator("#messages")).to_contain_text("Verdict suspicious")
    assert lms_side.control.attempt(attempt_id)["decision"]["status"] == "suspicious"

    (failed,) = lms_side.control.callbacks(attempt=orphan_id, state="failed")
    expect(page.locator(f"#callback-{failed['id']}")).to_contain_text("404")
    lms_side.stub.add_attempt(orphan_id)
    page.locator(f"#callback-{failed['id']}").get_by_role("button", name="Retry").click()
    wait_for(lambda: delivered(lms_side, "ready", orphan_id), what="the retried callback")
    # console.js refreshes the outbox without a reload.
    expect(page.locator(f"#callback-{failed['id']}")).to_contain_text("delivered", timeout=15_000)


def test_a_hostile_exam_name_is_text_everywhere(context, lms_side) -> None:
    exam_id = lms_side.exam(XSS)
    attempt_id = lms_side.attempt(exam_id, full_name=XSS)
    page = context.new_page()
    urls = [
        lms_side.download_url(exam_id, attempt_id),
        lms_side.dashboard_url(),
        lms_side.dashboard_url(exam_id=exam_id),
        lms_side.dashboard_url(exam_id=exam_id, config=True),
        lms_side.dashboard_url(exam_id=exam_id, attempt_id=attempt_id),
    ]
    for url in urls:
        page.goto(url)
        expect(page.locator("main")).to_contain_text(XSS)
    sign_in(page, lms_side)
    page.goto(lms_side.server_url + f"/mockprock/?q={attempt_id}")
    expect(page.locator(f"#attempt-{attempt_id} .exam-name")).to_have_text(XSS)
    assert context.dialogs == []


def sign_in(page: Any, lms_side: Lms) -> None:
    page.goto(lms_side.server_url + "/mockprock/")
    page.fill('input[name="client_id"]', CLIENT[0])
    page.fill('input[name="client_secret"]', CLIENT[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#attempts")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 390])
def test_no_page_scrolls_sideways(context, lms_side, width) -> None:
    exam_id = lms_side.exam("A rather long exam name that goes on " * 3)
    attempt_id = lms_side.attempt(exam_id)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, lms_side)
    urls = {
        "landing": lms_side.server_url + "/",
        "learner": lms_side.download_url(exam_id, attempt_id),
        "course": lms_side.dashboard_url(),
        "exam": lms_side.dashboard_url(exam_id=exam_id),
        "config": lms_side.dashboard_url(exam_id=exam_id, config=True),
        "attempt": lms_side.dashboard_url(exam_id=exam_id, attempt_id=attempt_id),
        "console": lms_side.server_url + "/mockprock/",
        "error": lms_side.server_url + "/api/v1/instructor/abcd/?jwt=forged",
    }
    for name, url in urls.items():
        page.goto(url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the {name} page scrolls sideways by {overflow}px at {width}px"
