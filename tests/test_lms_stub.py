"""The LMS stand-in answers the callbacks as the real edx-proctoring 6.1.4 did on the wire."""

from __future__ import annotations

import json

import pytest

from mockprock.lms_stub import CALLBACK_PREFIX, create_stub_app, review_outcome
from tests.helpers import wire_requests

CLIENT = ("lms-client", "lms-secret")


@pytest.fixture
def lms():
    return create_stub_app(*CLIENT).test_client()


def token(lms, client_id: str = CLIENT[0], secret: str = CLIENT[1], **form: str):
    return lms.post(
        "/oauth2/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "token_type": "jwt",
            **form,
        },
    )


@pytest.fixture
def auth(lms) -> dict[str, str]:
    return {"Authorization": f"JWT {token(lms).get_json()['access_token']}"}


def wire_answer(what: str) -> tuple[int, object]:
    (line,) = [w for w in wire_requests() if w.get("what") == what]
    return line["lms_answer_status"], json.loads(line["lms_answer_body"])


def test_tokens_go_to_the_one_client(lms) -> None:
    answer = token(lms)
    assert answer.status_code == 200
    assert answer.get_json()["token_type"] == "JWT"
    assert answer.get_json()["expires_in"] == 3600
    assert token(lms, secret="wrong").status_code == 401
    assert token(lms, grant_type="password").status_code == 400


@pytest.mark.parametrize("kind", ["ready", "reviewed"])
@pytest.mark.parametrize(
    "header", [None, "JWT not-a-token", "Basic bGVtczpzZWNyZXQ="], ids=["none", "bad", "basic"]
)
def test_callbacks_without_a_valid_token_get_403(lms, kind, header) -> None:
    lms.post("/stub/attempts", json={"id": "a1"})
    headers = {"Authorization": header} if header else {}
    response = lms.post(f"{CALLBACK_PREFIX}/a1/{kind}", json={"status": "passed"}, headers=headers)
    assert response.status_code == 403
    assert "detail" in response.get_json()


def test_unknown_attempts_get_the_real_lms_answers(lms, auth) -> None:
    ready = lms.post(f"{CALLBACK_PREFIX}/no-such/ready", json={"status": "ready"}, headers=auth)
    assert (ready.status_code, ready.get_json()) == wire_answer("ready (unknown attempt)")
    status, body = wire_answer("reviewed (unknown attempt)")
    unknown = body["detail"].split("external_id=")[1].split()[0]  # the id the wire used
    review = {"status": "passed", "comments": [{"comment": "ok", "status": "ok"}]}
    reviewed = lms.post(f"{CALLBACK_PREFIX}/{unknown}/reviewed", json=review, headers=auth)
    assert (reviewed.status_code, reviewed.get_json()) == (status, body)


def test_known_attempts_get_ok_as_on_the_wire(lms, auth) -> None:
    lms.post("/stub/attempts", json={"id": "a1"})
    ready = lms.post(f"{CALLBACK_PREFIX}/a1/ready", json={"status": "ready"}, headers=auth)
    assert (ready.status_code, ready.get_json()) == wire_answer("ready")
    assert lms.get("/stub/attempts/a1").get_json()["status"] == "ready_to_start"
    (line,) = [w for w in wire_requests() if w.get("what") == "reviewed"]
    reviewed = lms.post(f"{CALLBACK_PREFIX}/a1/reviewed", json=line["request_json"], headers=auth)
    assert (reviewed.status_code, reviewed.get_json()) == wire_answer("reviewed")
    recorded = lms.get("/stub/callbacks").get_json()["callbacks"]
    assert [(c["kind"], c["answer_status"]) for c in recorded] == [
        ("ready", 200),
        ("reviewed", 200),
    ]


def test_ready_moves_only_an_attempt_not_yet_started(lms, auth) -> None:
    lms.post("/stub/attempts", json={"id": "a1", "status": "started"})
    assert lms.post(f"{CALLBACK_PREFIX}/a1/ready", json={}, headers=auth).status_code == 200
    assert lms.get("/stub/attempts/a1").get_json()["status"] == "started"


@pytest.mark.parametrize(
    ("review", "status"),
    [
        ({"status": "great", "comments": []}, 400),
        ({"comments": []}, 500),  # the real view's KeyError
        ({"status": "passed", "comments": [{"comment": "no status"}]}, 500),
        ({"status": "passed", "comments": [{"status": "no comment"}]}, 500),
    ],
)
def test_reviews_the_lms_cannot_store_are_refused(lms, auth, review, status) -> None:
    lms.post("/stub/attempts", json={"id": "a1", "status": "submitted"})
    response = lms.post(f"{CALLBACK_PREFIX}/a1/reviewed", json=review, headers=auth)
    assert response.status_code == status
    assert lms.get("/stub/attempts/a1").get_json()["status"] == "submitted"


@pytest.mark.parametrize(
    ("verdict", "submitted", "sample", "reviewed_by", "expected"),
    [
        ("passed", True, False, None, "verified"),
        ("passed", False, False, None, "error"),  # never submitted
        ("not_reviewed", True, False, None, "error"),
        ("violation", True, False, None, "second_review_required"),
        ("suspicious", True, False, None, "second_review_required"),
        ("violation", True, False, "staff@example.com", "rejected"),
        ("violation", True, True, None, "rejected"),  # onboarding: at once
    ],
)
def test_review_outcome_follows_finish_review_workflow(
    verdict, submitted, sample, reviewed_by, expected
) -> None:
    attempt = {"submitted": submitted, "is_sample_attempt": sample}
    assert review_outcome(attempt, verdict, reviewed_by) == expected


def test_faults_answer_the_next_callbacks_then_clear(lms, auth) -> None:
    lms.post("/stub/attempts", json={"id": "a1"})
    lms.put("/stub/fault", json={"status": 503, "times": 2})
    answers = [
        lms.post(f"{CALLBACK_PREFIX}/a1/ready", json={}, headers=auth).status_code for _ in range(3)
    ]
    assert answers == [503, 503, 200]


def test_a_stand_in_started_with_a_fault_answers_it_until_cleared() -> None:
    lms = create_stub_app(*CLIENT, fault=500).test_client()
    auth = {"Authorization": f"JWT {token(lms).get_json()['access_token']}"}
    # Unknown to it yet, and still failing: never the 400 that would end a retry.
    assert lms.post(f"{CALLBACK_PREFIX}/a1/reviewed", json={}, headers=auth).status_code == 500
    lms.post("/stub/attempts", json={"id": "a1"})
    assert lms.post(f"{CALLBACK_PREFIX}/a1/ready", json={}, headers=auth).status_code == 500
    lms.put("/stub/fault", json={"status": None})
    assert lms.post(f"{CALLBACK_PREFIX}/a1/ready", json={}, headers=auth).status_code == 200


def test_revoked_tokens_are_refused(lms, auth) -> None:
    lms.post("/stub/attempts", json={"id": "a1"})
    assert lms.post("/stub/tokens/revoke").get_json() == {"revoked": 1}
    assert lms.post(f"{CALLBACK_PREFIX}/a1/ready", json={}, headers=auth).status_code == 403


def test_help_is_plain_text_not_restructuredtext() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "mockprock.lms_stub", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0
    assert "``" not in result.stdout and "**" not in result.stdout
    assert "(ExamReadyCallback and ProctoredExamReviewCallback): 403 without" in " ".join(
        result.stdout.split()
    )
    assert "    python -m mockprock.lms_stub --client-id ID" in result.stdout  # kept as is
