"""The LMS client (token, cache, refresh, errors) against canned HTTP answers."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs

import pytest
import requests
import responses

from mockprock.callbacks.lms import (
    LmsClient,
    LmsCredentials,
    LmsCredentialsRefused,
    LmsUnreachable,
)
from mockprock.config import Settings

LMS = "http://lms.test:18000"
TOKEN_URL = f"{LMS}/oauth2/access_token"
READY_URL = f"{LMS}/api/edx_proctoring/v1/proctored_exam/attempt/abc/ready"
CREDENTIALS = LmsCredentials(LMS, "lms-client", "lms-secret-value")


def token_answer(token: str, expires_in: int = 3600) -> dict:
    return {"access_token": token, "token_type": "JWT", "expires_in": expires_in, "scope": ""}


def tokens_handed_out(*tokens: str, expires_in: int = 3600) -> None:
    for token in tokens:
        responses.post(TOKEN_URL, json=token_answer(token, expires_in))


def authorizations() -> list[str]:
    return [
        call.request.headers.get("Authorization")
        for call in responses.calls
        if call.request.url == READY_URL
    ]


@pytest.mark.parametrize(
    "lms_url",
    [LMS, LMS + "/", LMS + "/oauth2", LMS + "/oauth2/"],
    ids=["bare", "slash", "oauth2", "oauth2/"],
)
def test_the_lms_url_may_end_in_oauth2(lms_url) -> None:
    settings = Settings(lms_url=lms_url, lms_client_id="id", lms_client_secret="secret")
    assert LmsCredentials.from_settings(settings).token_url == TOKEN_URL


def test_no_credentials_without_both_halves() -> None:
    assert LmsCredentials.from_settings(Settings(lms_client_id="id")) is None
    assert LmsCredentials.from_settings(Settings(lms_client_secret="s")) is None


@responses.activate
def test_token_request_is_the_client_credentials_grant_for_a_jwt() -> None:
    tokens_handed_out("t1")
    responses.post(READY_URL, json="OK")
    answer = LmsClient().post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert (answer.status, answer.ok, answer.body) == (200, True, '"OK"')
    form = parse_qs(responses.calls[0].request.body)
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["lms-client"],
        "client_secret": ["lms-secret-value"],
        "token_type": ["jwt"],
    }
    assert authorizations() == ["JWT t1"]
    assert json.loads(responses.calls[1].request.body) == {"status": "ready"}


@responses.activate
def test_the_token_is_cached_until_shortly_before_it_expires() -> None:
    tokens_handed_out("t1", "t2")
    responses.post(READY_URL, json="OK")
    client = LmsClient()
    for _ in range(3):
        client.post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert authorizations() == ["JWT t1"] * 3
    assert len(responses.calls) == 4  # one token request, three callbacks


@responses.activate
def test_a_token_about_to_expire_is_replaced_before_use() -> None:
    tokens_handed_out("short", expires_in=10)  # inside the 30 s margin
    tokens_handed_out("t2")
    responses.post(READY_URL, json="OK")
    client = LmsClient()
    client.post(READY_URL, {"status": "ready"}, CREDENTIALS)
    client.post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert authorizations() == ["JWT short", "JWT t2"]


@responses.activate
def test_new_credentials_get_a_new_token() -> None:
    tokens_handed_out("t1", "t2")
    responses.post(READY_URL, json="OK")
    client = LmsClient()
    client.post(READY_URL, {"status": "ready"}, CREDENTIALS)
    other = LmsCredentials(LMS, "lms-client", "a-new-secret")
    client.post(READY_URL, {"status": "ready"}, other)
    assert authorizations() == ["JWT t1", "JWT t2"]


@pytest.mark.parametrize("refusal", [401, 403])
@responses.activate
def test_a_refused_token_is_fetched_again_once(refusal) -> None:
    # The real LMS answers 403 to an expired or bad token, so 403 counts like 401.
    tokens_handed_out("stale", "fresh")
    responses.post(READY_URL, status=refusal, json={"detail": "Error decoding token."})
    responses.post(READY_URL, json="OK")
    answer = LmsClient().post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert answer.status == 200
    assert authorizations() == ["JWT stale", "JWT fresh"]


@responses.activate
def test_a_second_refusal_is_the_answer() -> None:
    tokens_handed_out("t1", "t2", "t3")
    responses.post(READY_URL, status=403, json={"detail": "You do not have permission."})
    answer = LmsClient().post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert answer.status == 403
    assert "permission" in answer.body
    assert authorizations() == ["JWT t1", "JWT t2"]  # one retry, not a loop


@pytest.mark.parametrize("status", [400, 401])
@responses.activate
def test_refused_credentials_say_so_without_the_secret(status) -> None:
    responses.post(TOKEN_URL, status=status, json={"error": "invalid_client"})
    with pytest.raises(LmsCredentialsRefused) as caught:
        LmsClient().post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert caught.value.status == status
    assert not isinstance(caught.value, LmsUnreachable)  # held, not retried
    assert "lms-client" in str(caught.value)
    assert "lms-secret-value" not in str(caught.value)


@pytest.mark.parametrize("status", [429, 500, 503])
@responses.activate
def test_a_busy_token_endpoint_is_worth_retrying(status) -> None:
    responses.post(TOKEN_URL, status=status, body="busy")
    with pytest.raises(LmsUnreachable) as caught:
        LmsClient().post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert caught.value.status == status


@responses.activate
def test_a_token_answer_that_is_not_one_is_worth_retrying() -> None:
    responses.post(TOKEN_URL, body="<html>maintenance</html>")
    with pytest.raises(LmsUnreachable):
        LmsClient().post(READY_URL, {"status": "ready"}, CREDENTIALS)


@responses.activate
def test_connection_errors_and_timeouts_are_unreachable() -> None:
    tokens_handed_out("t1")
    responses.post(READY_URL, body=requests.ConnectTimeout("timed out"))
    client = LmsClient()
    with pytest.raises(LmsUnreachable) as caught:
        client.post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert "timed out" in str(caught.value)
    responses.post(TOKEN_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(LmsUnreachable):
        LmsClient().post(READY_URL, {"status": "ready"}, CREDENTIALS)  # no token cached


@responses.activate
def test_every_request_has_a_timeout() -> None:
    tokens_handed_out("t1")
    responses.post(READY_URL, json="OK")
    seen = []
    client = LmsClient(timeout=3.5)
    # The token request and the callback both go through this thread's connection pool.
    adapter = client.session().get_adapter(READY_URL)
    original = adapter.send

    def send(request, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(request, **kwargs)

    adapter.send = send
    client.post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert seen == [3.5, 3.5]


@responses.activate
def test_answer_bodies_are_excerpts_with_secrets_redacted() -> None:
    tokens_handed_out("t1")
    responses.post(READY_URL, status=400, json={"access_token": "leak", "detail": "x" * 2000})
    answer = LmsClient().post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert len(answer.body) == 500
    assert "leak" not in answer.body


# -- no outbound call follows a redirect ----------------------------------------------------

OTHER = "http://other-host.test"


@responses.activate
def test_a_redirected_token_request_is_refused_with_its_reason_and_goes_nowhere_else() -> None:
    responses.post(TOKEN_URL, status=307, headers={"Location": f"{OTHER}/oauth2/access_token"})
    elsewhere = responses.post(f"{OTHER}/oauth2/access_token", json=token_answer("stolen"))
    with pytest.raises(LmsCredentialsRefused) as refused:
        LmsClient().token(CREDENTIALS)
    assert "redirect" in str(refused.value) and OTHER in str(refused.value)
    assert elsewhere.call_count == 0  # the secret never left for the other host


@responses.activate
def test_a_redirected_callback_is_not_followed_and_says_why() -> None:
    tokens_handed_out("t1")
    responses.post(READY_URL, status=308, headers={"Location": f"{OTHER}/ready"})
    elsewhere = responses.post(f"{OTHER}/ready", json="OK")
    answer = LmsClient().post(READY_URL, {"status": "ready"}, CREDENTIALS)
    assert answer.status == 308 and not answer.ok
    assert "redirect" in answer.refusal and OTHER in answer.refusal
    assert elsewhere.call_count == 0


# -- each sender thread has its own connection pool -------------------------------------------


@responses.activate
def test_each_sending_thread_posts_through_its_own_session() -> None:
    tokens_handed_out("t1")
    responses.post(READY_URL, json="OK")
    # Each callback goes through its thread's session's connection pool (its adapter),
    # watched here. The adapters themselves, not their id(): a finished thread's may be
    # freed and the next thread's take its address.
    used: dict[str, list[requests.adapters.HTTPAdapter]] = {}
    client = LmsClient()
    own_session = client.session

    def watched_session() -> requests.Session:
        session = own_session()
        adapter = session.get_adapter(READY_URL)
        if "send" not in vars(adapter):
            original = adapter.send

            def send(request, **kwargs):
                seen = used.setdefault(threading.current_thread().name, [])
                if not any(known is adapter for known in seen):
                    seen.append(adapter)
                return original(request, **kwargs)

            adapter.send = send
        return session

    client.session = watched_session

    def post_twice() -> None:
        for _ in range(2):
            client.post(READY_URL, {"status": "ready"}, CREDENTIALS)

    threads = [threading.Thread(target=post_twice, name=f"sender-{n}") for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(used) == len(threads)
    assert all(len(seen) == 1 for seen in used.values()), used  # one pool per thread...
    adapters = [seen[0] for seen in used.values()]
    assert len({id(adapter) for adapter in adapters}) == len(threads)  # ...never shared
