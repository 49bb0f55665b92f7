"""Pages for people, through the Flask test client: security headers, no inline script
or style, the learner page's words, the dashboard's session links and forms, the
console's sign-in and CSRF checks. The same pages in a real browser: tests/browser/."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mockprock.web.views.html import CONTENT_SECURITY_POLICY
from tests.helpers import ATTEMPT, EXAM
from tests.test_dashboard import link

TEMPLATES = Path(__file__).resolve().parent.parent / "mockprock" / "web" / "templates"
BASIC = {"Authorization": "Basic YWJjZDphYmNkc2VjcmV0"}  # abcd:abcdsecret


class InlineFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")
        self.found += [f"{tag} {n}=" for n in names if n == "style" or n.startswith("on")]
        self.found += [
            f"{tag} javascript: URL" for _, v in attrs if (v or "").startswith("javascript:")
        ]


def inline_parts(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


def test_no_template_has_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert inline_parts(text) == [], template.name
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name


@pytest.fixture
def pages(client, auth, exam_id, attempt_id) -> dict[str, str]:
    """One URL of every kind of page, with data in it."""
    return {
        "landing": "/",
        "learner": f"/download?attempt={attempt_id}&exam={exam_id}",
        "course": link(),
        "exam": link(exam_id=exam_id),
        "config": link(exam_id=exam_id, config=True),
        "attempt": link(exam_id=exam_id, attempt_id=attempt_id),
        "forged": "/api/v1/instructor/abcd/?jwt=garbage",
        "not found": "/download?attempt=nope",
        "console": "/mockprock/",
    }


def test_every_page_carries_the_security_headers_and_no_inline_code(client, pages) -> None:
    for name, url in pages.items():
        response = client.get(url)
        assert response.mimetype == "text/html", name
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, name
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff", name
        assert response.headers["Referrer-Policy"] == "no-referrer", name
        assert inline_parts(response.get_data(as_text=True)) == [], name


def test_pages_with_a_token_or_a_session_are_never_cached(client, pages) -> None:
    for name in ("course", "attempt", "forged", "console"):
        assert client.get(pages[name]).headers["Cache-Control"] == "no-store", name
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_json_answers_are_not_sniffed(client, auth) -> None:
    response = client.get("/api/v1/config/", headers=auth)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers


# -- the landing page and the learner page -----------------------------------------------


def test_the_landing_page_says_what_the_server_lacks_and_nothing_of_its_state(
    client, attempt_id
) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "no LMS credentials" in page
    assert 'id="count-attempts"' not in page  # no client's counts for anonymous visitors
    assert 'href="/mockprock/"' in page and 'href="/openapi.json"' in page


def test_the_learner_page_names_the_exam_and_the_learner_and_says_held(
    client, exam_id, attempt_id
) -> None:
    page = client.get(f"/download?attempt={attempt_id}").get_data(as_text=True)
    assert EXAM["exam_name"] in page and ATTEMPT["full_name"] in page
    assert "Held: the server has no LMS credentials" in page
    assert "--lms-client-id" in page
    back = re.search(r'id="back"[^>]*href="([^"]+)"', page).group(1)
    assert back.startswith(ATTEMPT["lms_host"] + "/courses/")
    state = client.get(f"/download/status?attempt={attempt_id}").get_json()
    assert state["ready"]["state"] == "held"
    assert [c["passed"] for c in state["checks"]] == [True] * 4


def test_the_learner_state_route_changes_nothing_and_answers_json_errors(
    client, attempt_id
) -> None:
    assert client.get(f"/download/status?attempt={attempt_id}").get_json()["ready"]["state"] == (
        "waiting"
    )
    missing = client.get("/download/status?attempt=nope")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    assert client.get("/download/status").status_code == 400


def test_the_system_checks_follow_the_desktop_application(client, attempt_id) -> None:
    client.put(
        f"/mockprock/api/attempts/{attempt_id}/desktop",
        json={"state": "not_installed"},
        headers=BASIC,
    )
    state = client.get(f"/download/status?attempt={attempt_id}").get_json()
    assert [c["passed"] for c in state["checks"]] == [False] * 4


@pytest.mark.parametrize("host", ["javascript:alert(1)//", "http://evil.example/phish?x="])
def test_the_learner_page_links_back_only_to_an_allowed_lms(client, auth, exam_id, host) -> None:
    body = {**ATTEMPT, "lms_host": host}
    attempt = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=body, headers=auth)
    page = client.get(f"/download?attempt={attempt.get_json()['id']}").get_data(as_text=True)
    assert 'id="back"' not in page
    assert 'href="javascript:' not in page and 'href="http://evil' not in page
    # The callback was refused for that origin; the page says why, as the outbox keeps it.
    assert "not an allowed LMS origin" in page


MFE_EXAM = "http://localhost:2000/course/course-v1:edX+DemoX+Demo_Course/block-v1:edX+DemoX+Demo_Course+type@sequential+block@final"


def register_returning(client, auth, exam_id, url: str) -> str:
    """An attempt registered as Proctortrack's backend registers it (with exam_return_url)."""
    body = {**ATTEMPT, "exam_return_url": url}
    answer = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=body, headers=auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["id"]


def return_part(page: str) -> str:
    found = re.search(r'<p id="exam-return"[^>]*>.*?</p>', page, re.S)
    assert found, "the page offers no way back to the exam"
    return found.group(0)


def test_the_exam_return_url_is_kept_and_shown_as_text_until_its_origin_is_allowed(
    client, auth, exam_id
) -> None:
    attempt_id = register_returning(client, auth, exam_id, MFE_EXAM)
    assert (
        client.get(f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/", headers=auth).get_json()[
            "exam_return_url"
        ]
        == MFE_EXAM
    )
    part = return_part(client.get(f"/download?attempt={attempt_id}").get_data(as_text=True))
    assert "<a" not in part and "hidden" not in part.split(">")[0]
    assert MFE_EXAM.replace("+", "&#43;") in part or MFE_EXAM in part
    assert "--allow-origin http://localhost:2000" in part


def test_the_exam_return_link_goes_to_an_allowed_origin_once_the_checks_pass(
    tmp_path, auth
) -> None:
    from mockprock.web.app import create_app
    from tests.helpers import get_token, make_settings

    app = create_app(make_settings(tmp_path, allowed_origins=("http://localhost:2000",)))
    try:
        client = app.test_client()
        auth = {"Authorization": f"JWT {get_token(client)}"}
        exam_id = client.post("/api/v1/exam/", json=EXAM, headers=auth).get_json()["id"]
        attempt_id = register_returning(client, auth, exam_id, MFE_EXAM)
        part = return_part(client.get(f"/download?attempt={attempt_id}").get_data(as_text=True))
        href = re.search(r'href="([^"]+)"', part).group(1).replace("&#43;", "+")
        assert href == MFE_EXAM and "Return to your exam" in part
        assert "hidden" not in part.split(">")[0]
        # A crashed application fails the checks: the way back waits for them.
        client.put(
            f"/mockprock/api/attempts/{attempt_id}/desktop",
            json={"state": "crashed"},
            headers=BASIC,
        )
        part = return_part(client.get(f"/download?attempt={attempt_id}").get_data(as_text=True))
        assert "hidden" in part.split(">")[0]
        state = client.get(f"/download/status?attempt={attempt_id}").get_json()
        assert state["exam_return"]["shown"] is False
        assert state["exam_return"]["link"] == MFE_EXAM
    finally:
        app.extensions["mockprock"].close()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//http://localhost:2000/",
        "http://evil.example/course/x",
        # Python reads the host as 127.0.0.1 (an allowed LMS origin), a browser as evil.example.
        "http://evil.example\\@127.0.0.1:18000/phish",
    ],
)
def test_an_exam_return_url_never_links_outside_the_allowed_origins(
    client, auth, exam_id, url
) -> None:
    attempt_id = register_returning(client, auth, exam_id, url)
    part = return_part(client.get(f"/download?attempt={attempt_id}").get_data(as_text=True))
    hrefs = re.findall(r'href="([^"]+)"', part)
    if "127.0.0.1" in url:
        assert hrefs == ["http://127.0.0.1:18000/phish"], "rebuilt on the allowed origin"
    assert all(h.startswith("http://127.0.0.1:18000/") for h in hrefs), hrefs
    assert "evil" not in "".join(hrefs) and "javascript" not in "".join(hrefs)


@pytest.mark.parametrize(
    ("value", "complaint"),
    [(7, "must be string"), ("http://x/" + "a" * 16384, "at most 16384 characters")],
)
def test_a_bad_exam_return_url_is_refused_and_registers_nothing(
    client, auth, exam_id, value, complaint
) -> None:
    body = {**ATTEMPT, "exam_return_url": value}
    answer = client.post(f"/api/v1/exam/{exam_id}/attempt/", json=body, headers=auth)
    assert answer.status_code == 400
    assert "exam_return_url" in answer.get_json()["detail"]
    assert complaint in answer.get_json()["detail"]
    assert client.get("/mockprock/api/attempts", headers=BASIC).get_json() == []


# -- the dashboard: session links, forms ----------------------------------------------------


def test_dashboard_links_work_without_a_token_inside_the_course(
    client, exam_id, attempt_id
) -> None:
    course = client.get(link()).get_data(as_text=True)
    exam_link = (
        re.search(r'class="exam-link" href="([^"]+)"', course).group(1).replace("&amp;", "&")
    )
    assert "jwt" not in exam_link
    exam_page = client.get(exam_link)
    assert exam_page.status_code == 200
    attempt_link = re.search(
        r'class="attempt-link" href="([^"]+)"', exam_page.get_data(as_text=True)
    )
    attempt_page = client.get(attempt_link.group(1).replace("&amp;", "&"))
    assert "Attempt by Ada Learner" in attempt_page.get_data(as_text=True)


def test_dashboard_links_stay_inside_the_course_and_the_client(client, auth, exam_id) -> None:
    other = client.post(
        "/api/v1/exam/",
        json={**EXAM, "id": 9, "course_id": "course-v1:Other+X+Y", "content_id": "other"},
        headers=auth,
    ).get_json()["id"]
    client.get(link())  # the session is for EXAM's course
    assert client.get(f"/api/v1/instructor/abcd/?exam={other}").status_code == 404
    assert client.get(f"/api/v1/instructor/abcd/?exam={exam_id}").status_code == 200
    refused = client.get(f"/api/v1/instructor/zz/?exam={exam_id}")
    assert refused.status_code == 403
    assert "no dashboard open for this client" in refused.get_data(as_text=True)


def test_without_a_dashboard_session_a_link_is_refused(client, exam_id) -> None:
    response = client.get(f"/api/v1/instructor/abcd/?exam={exam_id}")
    assert response.status_code == 403
    assert "no token" in response.get_data(as_text=True)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_verdict_from_the_dashboard_carries_the_reviewer(client, exam_id, attempt_id) -> None:
    page = client.get(link(exam_id=exam_id, attempt_id=attempt_id)).get_data(as_text=True)
    form = {
        "exam": exam_id,
        "attempt": attempt_id,
        "status": "violation",
        "comment": "Phone",
        "start": "12",
        "stop": "40",
    }
    refused = client.post("/api/v1/instructor/abcd/verdict", data=form)
    assert refused.status_code == 403
    detail = client.get(f"/mockprock/api/attempts/{attempt_id}", headers=BASIC).get_json()
    assert detail["decision"] is None
    done = client.post(
        "/api/v1/instructor/abcd/verdict", data={**form, "csrf_token": csrf_of(page)}
    )
    assert done.status_code == 303
    decision = client.get(f"/mockprock/api/attempts/{attempt_id}", headers=BASIC).get_json()[
        "decision"
    ]
    assert decision["status"] == "violation"
    assert decision["reviewed_by"] == "staff@example.com"
    assert decision["comments"][0] == {
        "comment": "Phone",
        "status": "violation",
        "start": 12.0,
        "stop": 40.0,
    }


def test_a_bad_verdict_changes_nothing(client, exam_id, attempt_id) -> None:
    page = client.get(link(exam_id=exam_id, attempt_id=attempt_id)).get_data(as_text=True)
    form = {"exam": exam_id, "attempt": attempt_id, "csrf_token": csrf_of(page)}
    bad_forms = [
        {"status": "great"},
        {"status": "passed", "comment": "x", "start": "soon"},
        {"status": "passed", "comment": "x", "stop": "inf"},
        {"status": "passed", "comment": "x", "start": "-5"},
    ]
    for bad in bad_forms:
        response = client.post("/api/v1/instructor/abcd/verdict", data={**form, **bad})
        assert response.status_code == 400
        assert response.mimetype == "text/html"
    detail = client.get(f"/mockprock/api/attempts/{attempt_id}", headers=BASIC).get_json()
    assert detail["decision"] is None


def test_the_configuration_view_shows_units_and_saves_rules(client, auth, exam_id) -> None:
    page = client.get(link(exam_id=exam_id, config=True)).get_data(as_text=True)
    assert "30 minutes" in page
    assert re.search(r'name="rule-allow_notes" checked', page)
    form = {"exam": exam_id, "csrf_token": csrf_of(page), "rule-allow_cheating": "on"}
    assert client.post("/api/v1/instructor/abcd/rules", data=form).status_code == 303
    exam = client.get(f"/api/v1/exam/{exam_id}/", headers=auth).get_json()
    assert exam["rules"] == {"allow_notes": False, "allow_cheating": True}


# -- the console -----------------------------------------------------------------------------


def sign_in(client, secret: str = "abcdsecret"):
    page = client.get("/mockprock/").get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "client_id": "abcd", "client_secret": secret}
    return client.post("/mockprock/sign-in", data=form)


def test_the_console_needs_a_sign_in(client, attempt_id) -> None:
    assert 'id="sign-in"' in client.get("/mockprock/").get_data(as_text=True)
    sign_in(client, secret="wrong")
    page = client.get("/mockprock/").get_data(as_text=True)
    assert "Unknown client or wrong secret." in page and attempt_id not in page
    sign_in(client)
    assert attempt_id in client.get("/mockprock/").get_data(as_text=True)


def test_console_actions_need_the_csrf_token(client, attempt_id) -> None:
    sign_in(client)
    page = client.get("/mockprock/").get_data(as_text=True)
    url = f"/mockprock/attempts/{attempt_id}/desktop"
    assert client.post(url, data={"state": "crashed"}).status_code == 403
    desktop = client.get(f"/mockprock/api/attempts/{attempt_id}/desktop", headers=BASIC)
    assert desktop.get_json()["state"] != "crashed"
    client.post(url, data={"state": "crashed", "csrf_token": csrf_of(page)})
    desktop = client.get(f"/mockprock/api/attempts/{attempt_id}/desktop", headers=BASIC)
    assert desktop.get_json()["state"] == "crashed"


def test_a_refused_console_action_says_why_and_changes_nothing(client, attempt_id) -> None:
    sign_in(client)
    token = csrf_of(client.get("/mockprock/").get_data(as_text=True))
    response = client.post(
        f"/mockprock/attempts/{attempt_id}/desktop",
        data={"state": "exploded", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Refused: field &#39;state&#39; must be one of" in response.get_data(as_text=True)


def test_console_settings_change_what_differs_and_keep_the_secret(client) -> None:
    sign_in(client)
    token = csrf_of(client.get("/mockprock/").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "review_delay_seconds": "3",
        "lms_client_secret": "s3cret",
        "lms_client_id": "lms",
        "onboarding": "optional",
    }
    page = client.post("/mockprock/settings", data=form, follow_redirects=True).get_data(
        as_text=True
    )
    assert "s3cret" not in page
    settings = client.get("/mockprock/api/settings", headers=BASIC).get_json()
    assert settings["review_delay_seconds"] == 3
    assert settings["lms_client_secret_set"] is True
    # Unticked boxes are false; an empty secret keeps the one set.
    client.post("/mockprock/settings", data={"csrf_token": token, "lms_client_secret": ""})
    assert client.get("/mockprock/api/settings", headers=BASIC).get_json()["lms_client_secret_set"]


def test_the_console_pages_attempts_newest_first_and_filters(client, auth, exam_id) -> None:
    ids = [
        client.post(
            f"/api/v1/exam/{exam_id}/attempt/",
            json={**ATTEMPT, "user_id": f"u{n}", "full_name": f"Learner {n:02d}"},
            headers=auth,
        ).get_json()["id"]
        for n in range(23)
    ]
    sign_in(client)
    first = client.get("/mockprock/").get_data(as_text=True)
    assert first.index(ids[-1]) < first.index(ids[-2]) and ids[2] not in first
    assert ids[0] in client.get("/mockprock/?page=2").get_data(as_text=True)
    only = client.get("/mockprock/?q=Learner 07").get_data(as_text=True)
    assert ids[7] in only and ids[8] not in only


def test_the_session_key_is_kept_in_the_store(settings) -> None:
    from mockprock.web.app import create_app

    first = create_app(settings)
    second = create_app(settings)
    try:
        assert first.secret_key == second.secret_key and len(first.secret_key) > 40
    finally:
        first.extensions["mockprock"].close()
        second.extensions["mockprock"].close()


def test_the_console_applies_the_operator_rule_to_where_secrets_go(tmp_path) -> None:
    """The console calls the control API's facade: a client that is not the operator
    changes the simulation but not where secrets go (refused, nothing changed)."""
    from mockprock.web.app import create_app
    from tests.helpers import make_settings

    app = create_app(make_settings(tmp_path, admins=(("ops", "opssecret"),)))
    try:
        client = app.test_client()
        sign_in(client)  # abcd: accepted, but not the operator
        token = csrf_of(client.get("/mockprock/").get_data(as_text=True))
        form = {"csrf_token": token, "lms_url": "http://evil.example", "onboarding": "optional"}
        page = client.post("/mockprock/settings", data=form, follow_redirects=True)
        assert "Refused: lms_url decide(s) where secrets go" in page.get_data(as_text=True)
        assert app.extensions["mockprock"].settings.lms_url == "http://127.0.0.1:18000"
        client.post(
            "/mockprock/settings",
            data={**form, "lms_url": "http://127.0.0.1:18000", "review_delay_seconds": "7"},
        )
        assert app.extensions["mockprock"].settings.review_delay_seconds == 7
    finally:
        app.extensions["mockprock"].close()
