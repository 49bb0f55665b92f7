"""Every call the LMS makes through the real BaseRestProctoringProvider, against a live
mockprock server, and the shape of each answer as the LMS reads it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import translation
from edx_proctoring.exceptions import (
    BackendProviderCannotRegisterAttempt,
    BackendProviderOnboardingProfilesException,
)
from edx_proctoring.statuses import VerificientOnboardingProfileStatus

from tests.contract.lms import (
    EDX_LINE,
    assert_shape,
    lms_attempt,
    lms_attempt_context,
    lms_exam,
    register,
    save_exam,
)

pytestmark = pytest.mark.live

CONFIG_SHAPE = {"name": str, "rules": dict, "instructions": list, "download_url": str}
ATTEMPT_SHAPE = {"id": str, "status": str, "instructions": list, "download_url": str, "rules": dict}
PROFILE_SHAPE = {"user_id": str, "status": str, "expiration_date": (str, type(None))}
PAGE_SHAPE = {
    "results": list,
    "count": int,
    "num_pages": int,
    "next": (str, type(None)),
    "previous": (str, type(None)),
}


# -- configuration ----------------------------------------------------------------------


def check_config(config: dict) -> None:
    assert_shape(config, CONFIG_SHAPE)
    assert config["rules"] and all(isinstance(v, str) for v in config["rules"].values())
    assert config["instructions"] and all(isinstance(i, str) for i in config["instructions"])


def test_config_in_english_in_the_learners_language_and_the_fallback(connect) -> None:
    server, backend = connect()
    english = backend.get_proctoring_config()
    check_config(english)
    assert english["download_url"].startswith(server.url)
    assert backend.get_software_download_url() == english["download_url"]

    with translation.override("es-419"):  # the LMS sends 'es-419;en-us'
        spanish = backend.get_proctoring_config()
    check_config(spanish)
    assert set(spanish["rules"]) == set(english["rules"])
    assert spanish["rules"] != english["rules"]
    assert spanish["instructions"] != english["instructions"]

    with translation.override("de"):  # not offered: English
        assert backend.get_proctoring_config() == english


# -- exams ----------------------------------------------------------------------------


def test_saving_an_exam_creates_it_then_updates_it_under_the_same_id(connect) -> None:
    _, backend = connect()
    exam_id = save_exam(backend)
    assert isinstance(exam_id, str) and exam_id

    renamed = lms_exam(external_id=exam_id, exam_name="Renamed Final", time_limit_mins=45)
    assert backend.on_exam_saved(renamed) == exam_id
    stored = backend.get_exam({"id": exam_id})
    assert_shape(
        stored,
        {
            "exam_name": str,
            "course_id": str,
            "content_id": str,
            "time_limit_mins": int,
            "rules": dict,
        },
    )
    assert stored["exam_name"] == "Renamed Final"
    assert stored["time_limit_mins"] == 45
    assert stored["course_id"] == lms_exam()["course_id"]
    assert stored["rules"] == lms_exam()["rules"]
    # The same LMS exam saved again without its id (a course re-run import) keeps it.
    assert backend.on_exam_saved(lms_exam()) == exam_id


def test_the_platforms_default_rules_reach_the_provider(connect) -> None:
    _, backend = connect(default_rules={"allow_notes": False})
    exam_id = save_exam(backend, rules={})
    assert backend.get_exam({"id": exam_id})["rules"] == {"allow_notes": False}


def test_an_exam_the_provider_refuses_is_saved_without_an_id(connect) -> None:
    # The LMS swallows the error; the exam just has no external id.
    _, backend = connect()
    assert backend.on_exam_saved(lms_exam(course_id=None)) is None


# -- attempts ---------------------------------------------------------------------------


def test_an_attempt_from_registration_to_submission(connect) -> None:
    server, backend = connect()
    exam_id = save_exam(backend)
    attempt_id = register(backend, exam_id)
    assert isinstance(attempt_id, str) and attempt_id

    attempt = backend.get_attempt(lms_attempt(exam_id, attempt_id))
    assert_shape(attempt, ATTEMPT_SHAPE)
    assert attempt["id"] == attempt_id
    assert attempt["status"] == "created"
    assert attempt["instructions"] and all(isinstance(i, str) for i in attempt["instructions"])
    assert attempt["rules"] == lms_exam()["rules"]
    download = urlsplit(attempt["download_url"])
    assert attempt["download_url"].startswith(server.url)
    assert parse_qs(download.query) == {"attempt": [attempt_id], "exam": [exam_id]}

    assert backend.start_exam_attempt(exam_id, attempt_id) == "started"
    assert backend.get_attempt(lms_attempt(exam_id, attempt_id))["status"] == "started"
    assert backend.stop_exam_attempt(exam_id, attempt_id) == "submitted"
    assert backend.get_attempt(lms_attempt(exam_id, attempt_id))["status"] == "submitted"


def test_an_attempt_marked_in_error(connect) -> None:
    _, backend = connect()
    exam_id = save_exam(backend)
    attempt_id = register(backend, exam_id)
    assert backend.start_exam_attempt(exam_id, attempt_id) == "started"
    assert backend.mark_erroneous_exam_attempt(exam_id, attempt_id) == "error"
    assert backend.get_attempt(lms_attempt(exam_id, attempt_id))["status"] == "error"


def test_the_learners_language_reaches_the_attempts_instructions(connect, lms_backend) -> None:
    _, backend = connect()
    exam_id = save_exam(backend)
    attempt_id = register(backend, exam_id)
    english = backend.get_attempt(lms_attempt(exam_id, attempt_id))["instructions"]
    with translation.override("fr"):
        french = backend.get_attempt(lms_attempt(exam_id, attempt_id))["instructions"]
    if backend.proctoring_instructions:
        # Proctortrack's backend shows its own instructions instead of the provider's.
        assert lms_backend == "proctortrack"
        assert english == french == backend.proctoring_instructions
        return
    assert french != english
    assert len(french) == len(english)


def test_registering_on_an_unknown_exam_is_refused(connect) -> None:
    _, backend = connect()
    with pytest.raises(BackendProviderCannotRegisterAttempt) as refused:
        register(backend, "no-such-exam")
    assert refused.value.http_status == 404


def test_removing_an_attempt_then_removing_it_again(connect) -> None:
    _, backend = connect()
    exam_id = save_exam(backend)
    attempt_id = register(backend, exam_id)
    assert backend.remove_exam_attempt(exam_id, attempt_id) is True
    gone = backend.get_attempt(lms_attempt(exam_id, attempt_id))
    assert "status" not in gone and gone.get("error") == "not_found"
    # The provider answers 404 to the retry: 6.1 counts it as already removed (a retried
    # reset converges); 5.2 counts only 'deleted' and logs a failed removal.
    again = backend.remove_exam_attempt(exam_id, attempt_id)
    assert again is EDX_LINE.delete_404_is_removed


def test_a_wrong_client_secret_fails_loudly(connect) -> None:
    _, backend = connect(client_secret="not-the-secret")
    with pytest.raises(requests.HTTPError) as failed:
        backend.get_proctoring_config()
    assert failed.value.response.status_code == 401


# -- learners -------------------------------------------------------------------------


def test_retiring_a_learner(connect) -> None:
    _, backend = connect()
    exam_id = save_exam(backend)
    user_id = lms_attempt_context()["user_id"]
    attempt_id = register(backend, exam_id)
    assert backend.retire_user(user_id) is True
    assert backend.get_attempt(lms_attempt(exam_id, attempt_id)).get("error") == "not_found"
    assert backend.retire_user(user_id) is False  # nothing left about them


def test_onboarding_status_of_one_learner(connect) -> None:
    _, backend = connect()
    exam_id = save_exam(backend)
    register(backend, exam_id)
    context = lms_attempt_context()
    profile = backend.get_onboarding_profile_info(
        lms_exam()["course_id"], user_id=context["user_id"]
    )
    assert_shape(profile, PROFILE_SHAPE)
    assert profile["user_id"] == context["user_id"]
    assert profile["status"] == VerificientOnboardingProfileStatus.no_profile
    assert profile["expiration_date"] is None


def test_onboarding_statuses_of_a_course_page_by_page(connect) -> None:
    _, backend = connect()
    exam_id = save_exam(backend)
    learners = {f"{n:040x}" for n in range(1, 4)}
    for user_id in learners:
        register(backend, exam_id, user_id=user_id)
    course_id = lms_exam()["course_id"]

    everyone = backend.get_onboarding_profile_info(course_id, status="")  # as the LMS asks
    assert_shape(everyone, PAGE_SHAPE)
    assert (everyone["count"], everyone["num_pages"]) == (3, 1)
    assert (everyone["next"], everyone["previous"]) == (None, None)
    for result in everyone["results"]:
        assert_shape(result, PROFILE_SHAPE)
        assert result["status"] in VerificientOnboardingProfileStatus.profile_status_mapping
    assert {r["user_id"] for r in everyone["results"]} == learners

    seen = set()
    for page in (1, 2, 3):
        answer = backend.get_onboarding_profile_info(course_id, page=page, page_size=1)
        assert_shape(answer, PAGE_SHAPE)
        assert answer["num_pages"] == 3
        assert len(answer["results"]) == 1
        assert (answer["previous"] is None) == (page == 1)
        assert (answer["next"] is None) == (page == 3)
        seen.add(answer["results"][0]["user_id"])
    assert seen == learners

    approved = backend.get_onboarding_profile_info(
        course_id, status=VerificientOnboardingProfileStatus.approved
    )
    assert (approved["count"], approved["results"]) == (0, [])


@pytest.mark.parametrize(
    ("query", "http_status"),
    [({"page": 9}, 404), ({"status": "approved"}, 400), ({"page_size": "many"}, 400)],
    ids=["page-past-the-end", "unknown-status", "bad-page-size"],
)
def test_a_bad_onboarding_query_raises_the_lms_exception(connect, query, http_status) -> None:
    _, backend = connect()
    with pytest.raises(BackendProviderOnboardingProfilesException) as refused:
        backend.get_onboarding_profile_info(lms_exam()["course_id"], **query)
    assert refused.value.http_status == http_status
