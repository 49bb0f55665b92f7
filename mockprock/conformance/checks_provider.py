"""Checks of the calls edx-proctoring's REST backend makes: token, config, exams, attempts."""

from __future__ import annotations

from mockprock.conformance import shapes
from mockprock.conformance.context import Context, expect, json_object
from mockprock.conformance.model import CheckSkipped
from mockprock.conformance.registry import check
from mockprock.dashboard_link import TOKEN_PATH

TOKEN_FORM_HEADERS = {**shapes.ACCEPT, "Content-Type": "application/x-www-form-urlencoded"}

# -- token ------------------------------------------------------------------------------


@check("token.client_credentials", "client credentials get a JWT access token")
def token_client_credentials(ctx: Context) -> str:
    form = shapes.token_form(ctx.options.client_id, ctx.options.client_secret)
    response = ctx.http("POST", ctx.path(TOKEN_PATH), headers=TOKEN_FORM_HEADERS, data=form)
    answer = json_object(response)
    expect(
        response.status_code == 200 and isinstance(answer.get("access_token"), str),
        "200 with 'access_token' for the client-credentials form edx-proctoring posts",
    )
    expect(
        isinstance(answer.get("expires_in"), int) and answer["expires_in"] > 0,
        "'expires_in' (seconds, an integer): the LMS's OAuth client caches the token by it",
    )
    expect(
        str(answer.get("token_type", "")).lower() in ("jwt", "bearer"),
        "'token_type' JWT (the form asked token_type=jwt)",
    )
    return f"token_type {answer['token_type']}, expires_in {answer['expires_in']}"


@check("token.bad_secret", "a wrong client secret is refused with 401 invalid_client")
def token_bad_secret(ctx: Context) -> None:
    form = shapes.token_form(ctx.options.client_id, ctx.options.client_secret + "-wrong")
    response = ctx.http("POST", ctx.path(TOKEN_PATH), headers=TOKEN_FORM_HEADERS, data=form)
    expect(
        response.status_code == 401,
        "401 for a wrong client secret (RFC 6749 §5.2), so no token is handed out",
    )
    expect(
        json_object(response).get("error") == "invalid_client",
        'the RFC 6749 §5.2 error body {"error": "invalid_client"}',
    )


@check("token.accepted_as_jwt", "the token is accepted as 'Authorization: JWT <token>'")
def token_accepted_as_jwt(ctx: Context) -> None:
    response = ctx.api("GET", "/api/v1/config/")
    expect(
        response.status_code == 200,
        "200: edx-proctoring sends its token as 'JWT <token>', not 'Bearer <token>'",
    )


# -- config -----------------------------------------------------------------------------


@check("config.fields", "the config has name, rules, instructions and download_url")
def config_fields(ctx: Context) -> None:
    response = ctx.api("GET", "/api/v1/config/")
    answer = json_object(response)
    expect(response.status_code == 200, "200 with the proctoring configuration")
    expect(isinstance(answer.get("name"), str) and answer["name"], "a non-empty 'name'")
    expect(
        isinstance(answer.get("rules"), dict),
        "'rules' as an object {rule key: label} (the LMS shows them in Studio)",
    )
    expect(
        isinstance(answer.get("instructions"), list)
        and all(isinstance(i, str) for i in answer["instructions"]),
        "'instructions' as a list of strings",
    )
    expect(
        str(answer.get("download_url", "")).startswith(("http://", "https://")),
        "'download_url' as an absolute URL (the LMS sends learners there)",
    )


@check("config.localized", "the config follows Accept-Language when the provider localizes")
def config_localized(ctx: Context) -> str:
    english = json_object(ctx.api("GET", "/api/v1/config/", headers={"Accept-Language": "en-us"}))
    localized = {}
    for language in ("es-419;en-us", "fr;en-us"):
        response = ctx.api("GET", "/api/v1/config/", headers={"Accept-Language": language})
        expect(response.status_code == 200, f"200 for Accept-Language {language!r}")
        answer = json_object(response)
        if answer != english:
            localized[language] = answer
    if not localized:
        raise CheckSkipped("the provider answers every language alike (it does not localize)")
    for language, answer in localized.items():
        expect(
            isinstance(answer.get("rules"), dict)
            and set(answer["rules"]) == set(english.get("rules", {})),
            f"the same rule keys in {language!r} as in English (only the labels translate)",
        )
        expect(
            isinstance(answer.get("instructions"), list) and answer["instructions"],
            f"'instructions' in {language!r}",
        )
    fallback = json_object(ctx.api("GET", "/api/v1/config/", headers={"Accept-Language": "xx"}))
    expect(fallback == english, "English for a language the provider does not offer")
    return "localized for " + ", ".join(sorted(localized))


# -- exams ------------------------------------------------------------------------------


@check("exams.create", "creating an exam answers its id")
def exams_create(ctx: Context) -> str:
    response = ctx.api("POST", "/api/v1/exam/", json=shapes.exam(1, "Conformance Final"))
    exam_id = json_object(response).get("id")
    expect(
        200 <= response.status_code < 300 and exam_id,
        "a 2xx JSON object with the exam's 'id' (without it the LMS keeps no external id "
        "and says nothing)",
    )
    ctx.remember("create an exam", str(exam_id))
    return f"exam {exam_id}"


@check("exams.resave_keeps_id", "the immediate re-save under the new id keeps it")
def exams_resave(ctx: Context) -> None:
    exam_id = ctx.made("create an exam", lambda: _create(ctx))
    body = shapes.exam(1, "Conformance Final", exam_id)
    response = ctx.api("POST", f"/api/v1/exam/{exam_id}/", json=body)
    expect(
        200 <= response.status_code < 300 and str(json_object(response).get("id")) == exam_id,
        f"2xx with the same id {exam_id!r}: the LMS re-saves at once and switches to "
        "whatever id comes back",
    )
    ctx.remember("save an exam", exam_id)


def _create(ctx: Context) -> str:
    exam_id = json_object(
        ctx.api("POST", "/api/v1/exam/", json=shapes.exam(1, "Conformance Final"))
    ).get("id")
    expect(exam_id, "an exam id from POST /api/v1/exam/")
    return str(exam_id)


@check("exams.update", "an update under the exam's id answers that id and takes effect")
def exams_update(ctx: Context) -> None:
    exam_id = ctx.exam_id()
    body = shapes.exam(1, "Conformance Final Renamed", exam_id, time_limit_mins=45)
    response = ctx.api("POST", f"/api/v1/exam/{exam_id}/", json=body)
    expect(
        200 <= response.status_code < 300 and str(json_object(response).get("id")) == exam_id,
        f"2xx with the id {exam_id!r}",
    )
    stored = json_object(ctx.api("GET", f"/api/v1/exam/{exam_id}/"))
    expect(
        stored.get("exam_name", body["exam_name"]) == body["exam_name"]
        and stored.get("time_limit_mins", 45) == 45,
        "the update stored (GET shows the new exam_name and time_limit_mins)",
    )


@check("exams.update_unknown_upserts", "an update of an id the provider lost re-creates it")
def exams_upsert(ctx: Context) -> None:
    lost_id = f"conformance{ctx.run_id}lost"
    body = shapes.exam(7, "Conformance Lost Exam", lost_id)
    response = ctx.api("POST", f"/api/v1/exam/{lost_id}/", json=body)
    expect(
        200 <= response.status_code < 300 and json_object(response).get("id"),
        "2xx with an id: the LMS saves exams it already has an external id for this way, "
        "and swallows errors, leaving the exam unusable",
    )


@check("exams.get_rules", "GET of an exam returns it with its rules")
def exams_get_rules(ctx: Context) -> None:
    exam_id = ctx.exam_id()
    response = ctx.api("GET", f"/api/v1/exam/{exam_id}/")
    expect(response.status_code == 200, "200 with the stored exam")
    expect(
        json_object(response).get("rules") == {"allow_notes": True},
        "the exam's 'rules' as saved ({'allow_notes': true})",
    )


@check("exams.get_unknown", "GET of an unknown exam answers 404")
def exams_get_unknown(ctx: Context) -> None:
    response = ctx.api("GET", f"/api/v1/exam/conformance{ctx.run_id}nosuchexam/")
    expect(response.status_code == 404, "404 for an exam the provider does not know")


# -- attempts ---------------------------------------------------------------------------


@check("attempts.register", "registration answers exactly 200 with the attempt's id")
def attempts_register(ctx: Context) -> str:
    exam_id = ctx.exam_id()
    response = ctx.register(exam_id)
    answer = json_object(response)
    expect(
        response.status_code == 200,
        "exactly 200: edx-proctoring raises BackendProviderCannotRegisterAttempt on any "
        "other status, 201 included",
    )
    expect(answer.get("id"), "an 'id' in the answer (else BackendProviderSentNoAttemptID)")
    ctx.stand_in.client.add_attempt(str(answer["id"]))
    ctx.remember("register an attempt", (exam_id, str(answer["id"])))
    return f"attempt {answer['id']}"


def _attempt(ctx: Context) -> tuple[str, str]:
    return ctx.made("register an attempt", ctx.new_attempt)


@check("attempts.register_unknown_exam", "registration on an unknown exam is refused")
def attempts_register_unknown(ctx: Context) -> None:
    response = ctx.register(f"conformance{ctx.run_id}nosuchexam")
    expect(
        400 <= response.status_code < 500 and "id" not in json_object(response),
        "a 4xx without an id (404) for an exam the provider does not know",
    )


@check("attempts.get", "GET of an attempt has download_url and instructions")
def attempts_get(ctx: Context) -> None:
    exam_id, attempt_id = _attempt(ctx)
    response = ctx.api("GET", f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/")
    answer = json_object(response)
    expect(response.status_code == 200, "200 with the attempt")
    expect(
        str(answer.get("download_url", "")).startswith(("http://", "https://")),
        "'download_url' as an absolute URL: the LMS sends the learner there",
    )
    expect(
        isinstance(answer.get("instructions"), list),
        "'instructions' as a list (the LMS shows them before the exam)",
    )
    ctx.remember("download URL", answer["download_url"])


def _patch_check(status: str) -> None:
    @check(f"attempts.patch_{status}", f"PATCH status {status!r} is answered 2xx")
    def patch(ctx: Context) -> None:
        exam_id, attempt_id = _attempt(ctx)
        response = ctx.patch_status(exam_id, attempt_id, status)
        expect(
            200 <= response.status_code < 300,
            f"2xx: edx-proctoring sends {status!r} when the learner "
            + {"started": "starts", "submitted": "submits", "error": "hits an error"}[status],
        )
        expect(
            json_object(response).get("status") == status,
            f"a JSON object with 'status': {status!r} (the LMS reads it back)",
        )


for _status in shapes.PATCHED_STATUSES:
    _patch_check(_status)


@check("attempts.unknown_status_refused", "PATCH of an unknown status is refused with 400")
def attempts_unknown_status(ctx: Context) -> None:
    exam_id, attempt_id = _attempt(ctx)
    response = ctx.api(
        "PATCH",
        f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/",
        json={"status": "no_such_status"},
    )
    expect(
        400 <= response.status_code < 500,
        "a 4xx (400) for a status edx-proctoring never sends, so a typo cannot pass",
    )


@check("attempts.delete", "DELETE answers {'status': 'deleted'}, then 404")
def attempts_delete(ctx: Context) -> None:
    exam_id, attempt_id = ctx.new_attempt()
    path = f"/api/v1/exam/{exam_id}/attempt/{attempt_id}/"
    response = ctx.api("DELETE", path)
    expect(
        200 <= response.status_code < 300 and json_object(response).get("status") == "deleted",
        "2xx with {'status': 'deleted'}: remove_exam_attempt counts anything else as "
        "not removed (edx-proctoring 6.1 also raises on a 5xx)",
    )
    again = ctx.api("DELETE", path)
    expect(
        again.status_code == 404 or json_object(again).get("status") == "deleted",
        "404 (or 'deleted' again) for an attempt already removed: edx-proctoring 6.1 "
        "treats 404 as already gone; 5.2 logs it as a failed removal and deletes its own "
        "attempt anyway",
    )
