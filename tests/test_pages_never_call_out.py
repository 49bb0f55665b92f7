"""Pages never call out: an anonymous page view makes no request to the LMS nor shows its
address; an operator asks for the LMS check, and its result is kept. The LMS here is a
server on loopback that counts every request and refuses the credentials."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import EXAM, LMS_CLIENT, app_on, basic, get_token, serving

pytestmark = pytest.mark.live


class CountingLms(ThreadingHTTPServer):
    """An LMS that counts every request it gets and refuses the credentials."""

    def __init__(self) -> None:
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def counting_lms() -> Iterator[CountingLms]:
    with serving(CountingLms()) as server:
        yield server


def test_anonymous_page_views_never_call_the_lms_nor_show_its_address(
    tmp_path, counting_lms
) -> None:
    lms_url = counting_lms.url
    with app_on(
        tmp_path,
        lms_url=lms_url,
        lms_client_id=LMS_CLIENT[0],
        lms_client_secret=LMS_CLIENT[1],
        allowed_lms_origins=("http://lms.other.example",),
    ) as app:
        client = app.test_client()
        auth = {"Authorization": f"JWT {get_token(client)}"}
        client.post("/api/v1/exam/", json=EXAM, headers=auth)
        for _ in range(50):
            page = client.get("/")
            assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert counting_lms.hits == 0  # no token request, no secret sent
        assert lms_url not in text and "lms.other.example" not in text
        assert 'id="count-exams"' not in text  # no client's counts either
        assert 'href="/mockprock/"' in text and 'href="/openapi.json"' in text


def test_an_operator_asks_for_the_lms_check(tmp_path, counting_lms) -> None:
    with app_on(
        tmp_path,
        lms_url=counting_lms.url,
        lms_client_id=LMS_CLIENT[0],
        lms_client_secret=LMS_CLIENT[1],
    ) as app:
        client = app.test_client()
        answer = client.post("/mockprock/api/lms-check", headers=basic("abcd", "abcdsecret"))
        assert answer.status_code == 200
        assert answer.get_json()["ok"] is False and "refused" in answer.get_json()["said"]
        assert counting_lms.hits == 1
        # The result is kept: asking what is known calls nobody.
        known = client.get("/mockprock/api/lms-check", headers=basic("abcd", "abcdsecret"))
        assert known.get_json()["ok"] is False and counting_lms.hits == 1
