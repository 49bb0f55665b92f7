"""Scenarios through the app: ``PUT``/``GET``/``DELETE /mockprock/api/scenario``, refusals
that change nothing, one client's scenario unseen by another, a restart, a reset,
``--scenario`` (and a bad file refused at start), the schema served beside openapi.json,
the ``mockprock scenario`` commands, and a whole flow against the LMS stand-in."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
import responses
from click.testing import CliRunner

from mockprock.cli import main
from mockprock.client import ControlClient
from mockprock.provider.scenario_file import ScenarioError
from tests.helpers import ATTEMPT, EXAM, LMS_CLIENT, REPO, app_on, basic, get_token
from tests.test_callbacks_e2e import FAST, Flow
from tests.test_server_cli import start_fails

EXAMPLE_JSON = REPO / "docs" / "scenario.example.json"
EXAMPLE_TOML = REPO / "docs" / "scenario.example.toml"
URL = "/mockprock/api/scenario"
VIOLATION = {"rules": [{"match": {"email": "learner@*"}, "then": {"verdict": "violation"}}]}


def submitted_review(client, client_id: str = "abcd", **learner: Any) -> dict[str, Any]:
    """Register an attempt as ``client_id``, submit it, and the review it would get."""
    token = {"Authorization": f"JWT {get_token(client, client_id, client_id + 'secret')}"}
    exam_id = client.post("/api/v1/exam/", json=EXAM, headers=token).get_json()["id"]
    attempt = {**ATTEMPT, **learner}
    path = f"/api/v1/exam/{exam_id}/attempt/"
    attempt_id = client.post(path, json=attempt, headers=token).get_json()["id"]
    client.patch(f"{path}{attempt_id}/", json={"status": "submitted"}, headers=token)
    (row,) = client.get(
        f"/mockprock/api/callbacks?attempt={attempt_id}", headers=basic(client_id)
    ).get_json()
    return row["payload"]


def test_load_show_and_clear(client) -> None:
    assert client.get(URL, headers=basic()).get_json() == {
        "scenario": None,
        "source": None,
        "rules": 0,
        "loaded_at": None,
    }
    loaded = client.put(URL, json=VIOLATION, headers=basic())
    assert loaded.status_code == 200
    assert (loaded.get_json()["scenario"], loaded.get_json()["source"]) == (VIOLATION, "client")
    assert client.get(URL, headers=basic()).get_json()["rules"] == 1
    assert submitted_review(client)["status"] == "violation"
    cleared = client.delete(URL, headers=basic()).get_json()
    assert (cleared["scenario"], cleared["rules"]) == (None, 0)
    assert submitted_review(client)["status"] == "passed"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"rules": [{"match": {}, "then": {}, "when": 1}]}, "rules[0].when"),
        ({"rules": [{"match": {}, "then": {"verdict": True}}]}, "rules[0].then.verdict"),
        (
            {"rules": [{"match": {}, "then": {}}, {"match": {}, "then": {"verdict": "ok"}}]},
            "rules[1].then.verdict",
        ),
        (
            {"rules": [{"match": {}, "then": {"review_delay_seconds": -3}}]},
            "rules[0].then.review_delay_seconds",
        ),
        (
            {"rules": [{"match": {"email": {"regex": "*learner"}}, "then": {}}]},
            "rules[0].match.email.regex",
        ),
        ({"rules": "all"}, "rules"),
    ],
)
def test_a_bad_scenario_is_a_400_naming_the_field_and_changes_nothing(client, body, path):
    client.put(URL, json=VIOLATION, headers=basic())
    before = client.get(URL, headers=basic()).get_json()
    refused = client.put(URL, json=body, headers=basic())
    assert refused.status_code == 400
    answer = refused.get_json()
    assert answer["error"] == "invalid_scenario"
    assert f"{path}: " in answer["detail"]
    assert client.get(URL, headers=basic()).get_json() == before
    assert submitted_review(client)["status"] == "violation"


def test_a_body_that_is_not_a_json_object_is_refused(client) -> None:
    for data in (b"", b"[1]", b"{rules"):
        refused = client.put(
            URL, data=data, headers={**basic(), "Content-Type": "application/json"}
        )
        assert refused.status_code == 400
        assert set(refused.get_json()) == {"error", "detail"}
    assert client.get(URL, headers=basic()).get_json()["scenario"] is None


def test_the_scenario_needs_a_clients_credentials(client) -> None:
    assert client.put(URL, json=VIOLATION).status_code == 401
    assert client.put(URL, json=VIOLATION, headers=basic("abcd", "wrong")).status_code == 401
    assert client.get(URL, headers=basic()).get_json()["scenario"] is None


def test_another_client_neither_sees_nor_gets_a_clients_scenario(client) -> None:
    client.put(URL, json=VIOLATION, headers=basic("abcd"))
    assert client.get(URL, headers=basic("other")).get_json()["scenario"] is None
    assert submitted_review(client, "other")["status"] == "passed"
    assert submitted_review(client, "abcd")["status"] == "violation"


def test_the_scenario_survives_a_restart_and_a_reset_clears_it(tmp_path) -> None:
    with app_on(tmp_path) as app:
        app.test_client().put(URL, json=VIOLATION, headers=basic())
    with app_on(tmp_path) as app:
        client = app.test_client()
        assert client.get(URL, headers=basic()).get_json()["scenario"] == VIOLATION
        client.post("/mockprock/api/reset", headers=basic())
        assert client.get(URL, headers=basic()).get_json()["scenario"] is None


def test_the_servers_scenario_applies_until_a_client_clears_it_and_a_reset_brings_it_back(
    tmp_path,
) -> None:
    with app_on(tmp_path, scenario=str(EXAMPLE_JSON)) as app:
        client = app.test_client()
        view = client.get(URL, headers=basic()).get_json()
        assert (view["source"], view["rules"]) == ("server", 5)
        assert view["scenario"] == json.loads(EXAMPLE_JSON.read_text())
        client.delete(URL, headers=basic())
        assert client.get(URL, headers=basic()).get_json()["scenario"] is None
        client.post("/mockprock/api/reset", headers=basic())
        assert client.get(URL, headers=basic()).get_json()["source"] == "server"


def test_a_queued_decision_beats_the_scenario_through_the_api(client, auth, exam_id) -> None:
    client.put(URL, json=VIOLATION, headers=basic())
    path = f"/api/v1/exam/{exam_id}/attempt/"
    attempt_id = client.post(path, json=ATTEMPT, headers=auth).get_json()["id"]
    queued = client.post(
        f"/mockprock/api/attempts/{attempt_id}/review", json={"status": "passed"}, headers=basic()
    )
    assert queued.status_code == 200
    client.patch(f"{path}{attempt_id}/", json={"status": "submitted"}, headers=auth)
    (row,) = client.get(
        f"/mockprock/api/callbacks?attempt={attempt_id}", headers=basic()
    ).get_json()
    assert row["payload"]["status"] == "passed"


def test_the_schema_is_served_beside_openapi_json(client) -> None:
    response = client.get("/scenario.schema.json")
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    schema = json.loads(response.get_data())
    assert schema == json.loads((REPO / "mockprock" / "scenario.schema.json").read_text())
    openapi = client.get("/openapi.json").get_json()
    put = openapi["paths"][URL]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "scenario.schema.json"
    }


# -- a real server --------------------------------------------------------------------------


@pytest.mark.live
def test_a_bad_scenario_file_stops_the_server_at_start_with_the_field(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": [{"match": {}, "then": {"verdict": "great"}}]}))
    result = start_fails(tmp_path / "s.sqlite", "--scenario", str(bad))
    assert result.returncode == 1
    assert f"--scenario {bad}: rules[0].then.verdict: must be one of" in result.stderr
    missing = start_fails(tmp_path / "s.sqlite", "--scenario", str(tmp_path / "none.json"))
    assert "cannot read the scenario file" in missing.stderr


@pytest.mark.live
def test_the_scenario_commands(start_mockprock, tmp_path) -> None:
    server = start_mockprock("--scenario", str(EXAMPLE_TOML))
    control = ControlClient(server.url, "abcd", "abcdsecret")
    assert (control.scenario()["source"], control.scenario()["rules"]) == ("server", 5)

    def cli(*args: str):
        return CliRunner().invoke(main, [*args, "--url", server.url], catch_exceptions=False)

    loaded = cli("scenario", "load", str(EXAMPLE_JSON))
    assert loaded.exit_code == 0, loaded.output
    assert "5 rule(s)" in loaded.output
    shown = json.loads(cli("scenario", "show").output)
    assert (shown["source"], shown["scenario"]) == ("client", json.loads(EXAMPLE_JSON.read_text()))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"rules": [{"match": {"email": 3}, "then": {}}]}))
    refused = cli("scenario", "load", str(bad))
    assert refused.exit_code == 1
    assert "rules[0].match.email" in refused.output
    assert json.loads(cli("scenario", "show").output) == shown  # unchanged
    with pytest.raises(ScenarioError, match=r"rules\[0\]\.match\.email"):
        control.load_scenario(bad)
    assert cli("scenario", "clear").exit_code == 0
    assert control.scenario()["scenario"] is None


@pytest.mark.live
def test_a_flow_against_the_lms_stand_in(start_mockprock, start_lms_stub) -> None:
    """Two learners and a retake, decided by a scenario loaded with the control client; the
    first two tries of one review fail unsent, and the LMS ends with the right statuses."""
    stub = start_lms_stub()
    flow = Flow(start_mockprock(*LMS_CLIENT, "-l", stub.url, *FAST), stub.url)
    flow.control.load_scenario(
        {
            "rules": [
                {"match": {"email": "bob@*", "attempt": 2}, "then": {"verdict": "passed"}},
                {
                    "match": {"email": "bob@*"},
                    "then": {
                        "verdict": "violation",
                        "comments": [{"comment": "Another person.", "start": 5, "stop": 9}],
                        "callback_failures": {"reviewed": 2},
                    },
                },
                {"match": {"email": "ada+*@*"}, "then": {"verdict": "passed"}},
            ]
        }
    )
    bob = flow.attempt(email="bob@example.com", user_id="bob")
    ada = flow.attempt(email="ada+violation@example.com", user_id="ada")
    for attempt_id in (bob, ada):
        flow.take(attempt_id)
    bob_review = flow.reviewed(bob)
    (review,) = bob_review["reviews"]
    assert review["status"] == "violation"
    assert review["comments"] == [
        {"comment": "Another person.", "status": "violation", "start": 5, "stop": 9}
    ]
    assert bob_review["status"] == "second_review_required"
    (row,) = flow.outbox(bob)
    assert (row["state"], row["tries"]) == ("delivered", 3)
    # The LMS was sent the review once: the two failed tries never left the server.
    assert [c["answer_status"] for c in flow.lms.callbacks("reviewed", bob)] == [200]
    # The scenario's rule beats Ada's +violation keyword.
    assert flow.reviewed(ada)["reviews"][0]["status"] == "passed"
    assert flow.reviewed(ada)["status"] == "verified"
    retake = flow.attempt(email="bob@example.com", user_id="bob")
    flow.take(retake)
    assert flow.reviewed(retake)["reviews"][0]["status"] == "passed"


@responses.activate
def test_client_load_scenario_sends_a_files_document_or_a_dict() -> None:
    """The control client reads a JSON file (or TOML, where Python has tomllib) and sends
    the document; a 400 is a ScenarioError with the server's words."""
    url = "http://mockprock.test/mockprock/api/scenario"
    responses.put(url, json={"rules": 5})
    control = ControlClient("http://mockprock.test", "abcd", "abcdsecret")
    assert control.load_scenario(EXAMPLE_JSON) == {"rules": 5}
    assert control.load_scenario(str(EXAMPLE_JSON)) == {"rules": 5}
    assert control.load_scenario({"rules": []}) == {"rules": 5}
    sent = [json.loads(call.request.body) for call in responses.calls]
    assert sent == [json.loads(EXAMPLE_JSON.read_text())] * 2 + [{"rules": []}]
    if sys.version_info >= (3, 11):
        control.load_scenario(EXAMPLE_TOML)
        assert json.loads(responses.calls[-1].request.body)["rules"] == sent[0]["rules"]
    responses.replace(
        responses.PUT, url, status=400, json={"error": "invalid_scenario", "detail": "rules: no"}
    )
    with pytest.raises(ScenarioError, match="rules: no"):
        control.load_scenario({"rules": "x"})
