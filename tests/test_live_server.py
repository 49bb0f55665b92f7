"""The real server, started as a user starts it, driven over HTTP on loopback."""

from __future__ import annotations

import pytest
import requests

from mockprock.client import ProviderClient
from tests.helpers import ATTEMPT, EXAM

pytestmark = pytest.mark.live


def test_full_contract_over_http(start_mockprock) -> None:
    server = start_mockprock()
    provider = ProviderClient(server.url, "abcd", "abcdsecret")

    config = provider.config()
    assert config["name"] == "MockProck"
    assert config["download_url"] == f"{server.url}/download"

    exam_id = provider.save_exam(EXAM)
    assert provider.get_exam(exam_id)["rules"] == {"allow_notes": True}
    attempt = provider.register_attempt(exam_id, ATTEMPT)
    assert attempt["status"] == "created"
    assert provider.set_attempt_status(exam_id, attempt["id"], "started")["status"] == "started"
    assert provider.get_attempt(exam_id, attempt["id"])["status"] == "started"
    assert provider.delete_attempt(exam_id, attempt["id"]) == {"status": "deleted"}
    missing = provider.request("GET", f"/api/v1/exam/{exam_id}/attempt/{attempt['id']}/")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"


def test_no_token_is_refused_over_http(start_mockprock) -> None:
    server = start_mockprock()
    response = requests.get(f"{server.url}/api/v1/config/", timeout=10)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/json"
    assert "WWW-Authenticate" in response.headers
