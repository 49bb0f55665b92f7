"""The instructor dashboard: a page behind a JWT the LMS signs with the client's secret."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from tests.helpers import ATTEMPT, EXAM

SECRET = "abcdsecret"


def link(client_id="abcd", secret=SECRET, **claims):
    token = {
        "course_id": EXAM["course_id"],
        "user": {"id": 1, "full_name": "Staff", "email": "staff@example.com"},
        "iss": client_id,
        "jti": uuid.uuid4().hex,
        "exp": time.time() + 3600,  # links are made at collection: outlive a slow run
        **claims,
    }
    return f"/api/v1/instructor/{client_id}/?jwt={jwt.encode(token, secret, algorithm='HS256')}"


def test_course_view_lists_the_course_exams(client, exam_id):
    response = client.get(link())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-view="course"' in page
    assert EXAM["exam_name"] in page
    assert exam_id in page


def test_exam_view_lists_attempts(client, exam_id, attempt_id):
    page = client.get(link(exam_id=exam_id)).get_data(as_text=True)
    assert 'data-view="exam"' in page
    assert attempt_id in page
    assert ATTEMPT["full_name"] in page


def test_config_view_shows_rules(client, exam_id):
    page = client.get(link(exam_id=exam_id, config=True)).get_data(as_text=True)
    assert 'data-view="config"' in page
    assert "allow_notes" in page


def test_attempt_view_shows_the_timeline(client, exam_id, attempt_id):
    page = client.get(link(exam_id=exam_id, attempt_id=attempt_id)).get_data(as_text=True)
    assert 'data-view="attempt"' in page
    assert "registered" in page


def test_unknown_exam_is_a_404_page(client):
    response = client.get(link(exam_id="nope"))
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/api/v1/instructor/abcd/", "no token"),
        (link(secret="wrong-secret-wrong-secret-wrong-secret"), "signature does not match"),
        (link(exp=time.time() - 5), "expired"),
        (link(secret="othersecret").replace("/abcd/", "/other/"), "another client"),
        ("/api/v1/instructor/abcd/?jwt=garbage", "not valid"),
    ],
)
def test_bad_links_get_a_403_page_that_says_why(client, url, reason):
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert response.content_type.startswith("text/html")
    assert reason in page
    assert SECRET not in page
