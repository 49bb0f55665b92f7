"""Every hint names an action that works in the mode the server runs in.

Three modes: exposed (every interface, no ``--admin``: nobody changes where secrets go at
run time), loopback only (any accepted client may), and with an operator (``--admin``:
only that client may). A hint naming the control API is checked against the control API
itself: in that mode, the client the hint points at is answered 2xx, and where the hint
names only a restart, a change through the API is refused.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from mockprock.config import DEFAULT_PORT
from mockprock.server import banner, listen
from mockprock.trust import callback_refusal
from mockprock.web.app import create_app
from mockprock.web.serving import make_server
from tests.helpers import REPO, make_settings

OPERATOR = ("ops", "a-long-operator-secret")
MODES = {
    "exposed": {"host": "0.0.0.0"},
    "loopback": {"host": "127.0.0.1"},
    "operator": {"host": "0.0.0.0", "admins": [":".join(OPERATOR)]},
}
API_HINT = "PATCH /mockprock/api/settings"


def mode_settings(tmp_path: Path, mode: str, **more: object):
    return make_settings(tmp_path, **MODES[mode], **more)


def api_change_works(tmp_path: Path, mode: str, change: dict) -> bool:
    """Whether the control API takes ``change`` in ``mode`` from the client a hint
    would send there: the operator when one is named, else the default client."""
    app = create_app(mode_settings(tmp_path, mode))
    who = OPERATOR if mode == "operator" else ("abcd", "abcdsecret")
    try:
        answer = app.test_client().patch("/mockprock/api/settings", json=change, auth=who)
        assert answer.status_code in (200, 403), answer.get_json()
        return answer.status_code == 200
    finally:
        app.extensions["mockprock"].close()


@pytest.mark.parametrize("mode", MODES)
def test_the_banners_no_credentials_hint_names_what_works(tmp_path, mode):
    text = banner(mode_settings(tmp_path, mode), DEFAULT_PORT, "python -m mockprock.server")
    assert "restart with\n  `python -m mockprock.server CLIENT_ID CLIENT_SECRET`" in text
    works = api_change_works(tmp_path, mode, {"lms_client_id": "x", "lms_client_secret": "y"})
    assert (API_HINT in text) is works
    assert works is (mode != "exposed")
    if mode == "operator":
        assert "as an operator (a client named with --admin)" in text


@pytest.mark.parametrize("mode", MODES)
def test_a_refused_callback_names_what_works(tmp_path, mode):
    why = callback_refusal("http://elsewhere.example:18000/x", mode_settings(tmp_path, mode))
    assert "restart the server with --allow-lms-origin http://elsewhere.example:18000" in why
    works = api_change_works(
        tmp_path, mode, {"allowed_lms_origins": ["http://elsewhere.example:18000"]}
    )
    assert ("allowed_lms_origins" in why) is works


@pytest.mark.parametrize("mode", MODES)
def test_the_landing_pages_lms_hint_names_what_works(tmp_path, mode):
    app = create_app(mode_settings(tmp_path, mode))
    try:
        said = app.extensions["mockprock"].pages.overview()["lms"]["said"]
    finally:
        app.extensions["mockprock"].close()
    assert "restart it with --lms-client-id and --lms-client-secret" in said
    works = api_change_works(tmp_path, mode, {"lms_client_id": "x", "lms_client_secret": "y"})
    assert (API_HINT in said) is works


def _console(tmp_path: Path, mode: str, who: tuple[str, str]) -> str:
    app = create_app(mode_settings(tmp_path, mode))
    client = app.test_client()
    try:
        page = client.get("/mockprock/").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"csrf_token": csrf, "client_id": who[0], "client_secret": who[1]}
        client.post("/mockprock/sign-in", data=form)
        return client.get("/mockprock/").get_data(as_text=True)
    finally:
        app.extensions["mockprock"].close()


@pytest.mark.parametrize(
    ("mode", "who", "may"),
    [
        ("exposed", ("abcd", "abcdsecret"), False),
        ("loopback", ("abcd", "abcdsecret"), True),
        ("operator", ("abcd", "abcdsecret"), False),
        ("operator", OPERATOR, True),
    ],
)
def test_the_consoles_settings_offer_only_changes_that_work(tmp_path, mode, who, may):
    page = _console(tmp_path, mode, who)
    editable = re.search(r'<input name="lms_url" value="[^"]*">', page)
    fixed = re.search(r'<input name="lms_url" value="[^"]*" disabled>', page)
    assert bool(editable) is may and bool(fixed) is not may
    if not may:
        assert "restart the server with --lms-url" in page
        assert "restart the server with --allow-lms-origin" in page
        # Settings that do not decide where secrets go stay editable for everyone.
        assert re.search(r'<input type="number" name="review_delay_seconds"', page)
    if mode == "operator" and not may:
        assert "sign in as a client named with --admin" in page
    if mode == "exposed":
        assert "add --admin ID:SECRET" in page


@pytest.mark.live
def test_the_banner_knows_the_default_port_when_it_serves_on_it(tmp_path):
    settings = make_settings(tmp_path)
    assert "Not the default port" not in banner(settings, DEFAULT_PORT, "mockprock serve")
    assert "Not the default port" in banner(settings, DEFAULT_PORT + 1, "mockprock serve")
    # The port the banner is given comes from waitress, which reports it as text.
    app = create_app(settings)
    server = make_server(app, listen("127.0.0.1", 0), settings)
    try:
        assert isinstance(server.port, int)
        assert server.port == server.socket.getsockname()[1]
    finally:
        server.server_close()
        app.extensions["mockprock"].close()


def _readme_sections() -> set[str]:
    lines = (REPO / "README.rst").read_text().splitlines()
    return {
        above.strip()
        for above, line in itertools.pairwise(lines)
        if above.strip() and re.fullmatch(r"([-=~^])\1{3,}", line)
    }


def test_every_readme_section_the_pages_cite_exists():
    sections = _readme_sections()
    cited = []
    for path in (REPO / "mockprock").rglob("*"):
        if path.suffix in (".html", ".py"):
            text = path.read_text()
            for quoted in re.findall(r"README's ((?:“[^”]+”(?:, | and )?)+)", text):
                cited += re.findall(r"“([^”]+)”", quoted)
            cited += re.findall(r"README's (\w+) section", text)
    assert {"The control API", "Using it with devstack", "Security"} <= set(cited)
    assert [title for title in cited if title not in sections] == []
