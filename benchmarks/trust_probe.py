"""Issue 20's probe, after the fix: the requests that broke a trust promise, sent to real
servers, with what each showed.

    python benchmarks/trust_probe.py [--latency-ms 20000]

Starts ``mockprock serve`` (temporary stores; clients ``a`` and ``b``, operator ``ops``)
against a stand-in LMS on loopback that redirects its token endpoint and its callbacks
to another loopback server (which counts what reaches it), then sends each case's
requests and prints one line per case, then the totals: requests sent to mockprock,
answers of 5xx (the desktop application's described 503 aside) and promises broken.
"""

from __future__ import annotations

import argparse
import base64
import re
import socket
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import harness  # noqa: F401 (puts the checkout on sys.path)
import requests

from mockprock.processes import ServerProcess, mockprock_argv, wait_for

EXAM = {
    "id": 1,
    "course_id": "course-v1:edX+DemoX+Demo_Course",
    "content_id": "block-v1:edX+DemoX+Demo_Course+type@sequential+block@final",
    "exam_name": "Final Exam",
    "time_limit_mins": 30,
    "is_proctored": True,
    "is_practice_exam": False,
    "is_active": True,
    "backend": "mockprock",
    "rules": {},
}
CLIENTS = ("--client", "a:a-secret", "--client", "b:b-secret", "--admin", "ops:ops-secret")


class Counting(ThreadingHTTPServer):
    """A loopback HTTP server counting requests; with ``redirect_to`` it answers 307 to
    callbacks, and to token requests as ``tokens`` says (``refuse``: 401, ``redirect``:
    307, ``grant``: a token); without, a token or 200."""

    def __init__(self, redirect_to: str | None = None) -> None:
        self.hits = 0
        self.redirect_to = redirect_to
        self.tokens = "refuse" if redirect_to else "grant"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                is_token = self.path.startswith("/oauth2/")
                body = b'{"access_token": "t", "expires_in": 3600}' if is_token else b"{}"
                if is_token and server.tokens == "refuse":
                    self.send_response(401)
                    body = b'{"error": "invalid_client"}'
                elif server.redirect_to and (server.tokens == "redirect" or not is_token):
                    self.send_response(307)
                    self.send_header("Location", server.redirect_to + self.path)
                    body = b""
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Probe:
    def __init__(self) -> None:
        self.sent = 0
        self.server_errors = 0
        self.broken: list[str] = []
        self.rows: list[tuple[str, str, bool]] = []

    def call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.sent += 1
        response = requests.request(method, url, timeout=kwargs.pop("timeout", 60), **kwargs)
        if response.status_code >= 500 and not ("/desktop/" in url and response.status_code == 503):
            self.server_errors += 1
        return response

    def case(self, name: str, seen: str, held: bool) -> None:
        self.rows.append((name, seen, held))
        if not held:
            self.broken.append(name)
        print(f"{'held ' if held else 'BROKE'}  {name}: {seen}", flush=True)


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def token(probe: Probe, url: str, client_id: str, secret: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return probe.call("POST", f"{url}/oauth2/access_token", data=form).json()["access_token"]


def start(db: Path, *args: str) -> ServerProcess:
    return ServerProcess(mockprock_argv(db, *args)).start()


def run(latency_ms: int) -> Probe:
    probe = Probe()
    other = Counting()
    lms = Counting(redirect_to=other.url)
    folder = Path(tempfile.mkdtemp(prefix="mockprock-probe-"))
    db = folder / "probe.sqlite"
    lms_args = ("lms-client", "lms-secret", "-l", lms.url, "--review-delay", "0")
    server = start(db, *lms_args, "--ready-delay", "0", *CLIENTS)
    url = server.url
    try:
        # 2. Anonymous page views never call the LMS, nor show its address or counts (the
        # LMS refuses the credentials, so a page that asked would ask every time).
        before = lms.hits
        pages = [probe.call("GET", f"{url}/").text for _ in range(50)]
        shown = any(lms.url in page or 'id="count-' in page for page in pages)
        probe.case(
            "50 anonymous GET / call out",
            f"{lms.hits - before} token requests; LMS URL or counts shown: {shown}",
            lms.hits == before and not shown,
        )
        # 1. No redirect is followed, for the token request or a callback.
        lms.tokens = "redirect"
        check = probe.call(
            "POST", f"{url}/mockprock/api/lms-check", headers=basic("ops", "ops-secret")
        )
        lms.tokens = "grant"  # now only the callbacks are redirected
        a_token = token(probe, url, "a", "a-secret")
        auth = {"Authorization": f"JWT {a_token}"}
        exam_id = probe.call("POST", f"{url}/api/v1/exam/", json=EXAM, headers=auth).json()["id"]
        attempt = {
            "lms_host": lms.url,
            "user_id": "u1",
            "full_name": "Ada",
            "email": "a@x",
            "time_limit_mins": 30,
            "is_sample_attempt": False,
            "status": "created",
        }
        attempt_id = probe.call(
            "POST", f"{url}/api/v1/exam/{exam_id}/attempt/", json=attempt, headers=auth
        ).json()["id"]
        probe.call("GET", f"{url}/download?attempt={attempt_id}")

        def ready_state() -> str:
            rows = probe.call(
                "GET", f"{url}/mockprock/api/callbacks", headers=basic("a", "a-secret")
            ).json()
            return rows[0]["state"] if rows else ""

        wait_for(lambda: ready_state() in ("failed", "delivered"), timeout=30)
        probe.case(
            "a redirect is not followed (token request and callback)",
            f"lms-check said redirect: {'redirect' in check.text}; ready callback "
            f"{ready_state()}; requests reaching the redirect's target: {other.hits}",
            other.hits == 0 and ready_state() != "delivered",
        )
        # 3. One tenant's latency fault vs another tenant's call.
        probe.call("POST", f"{url}/desktop/start?attempt={attempt_id}")
        probe.call(
            "PUT",
            f"{url}/mockprock/api/attempts/{attempt_id}/desktop",
            json={"state": "running", "latency_ms": latency_ms},
            headers=basic("a", "a-secret"),
        )
        answered: list[float] = []
        began = time.monotonic()  # the pings are sent

        def ping() -> None:
            probe.call("GET", f"{url}/desktop/ping?attempt={attempt_id}", timeout=200)
            answered.append(time.monotonic() - began)

        pings = [threading.Thread(target=ping) for _ in range(8)]
        for thread in pings:
            thread.start()
        b_auth = {"Authorization": f"JWT {token(probe, url, 'b', 'b-secret')}"}

        def heartbeats() -> int:
            view = probe.call(
                "GET",
                f"{url}/mockprock/api/attempts/{attempt_id}/desktop",
                headers=basic("a", "a-secret"),
            ).json()
            return len(view["heartbeats"])

        wait_for(lambda: heartbeats() >= 8, timeout=60)  # every ping is at the server
        asked = time.monotonic()
        probe.call("GET", f"{url}/api/v1/config/", headers=b_auth)
        b_seconds = time.monotonic() - asked
        b_after = time.monotonic() - began
        pending = 8 - len(answered)
        for thread in pings:
            thread.join()
        probe.case(
            f"8 pings delayed {latency_ms} ms, then tenant b's GET /api/v1/config/",
            f"b answered in {b_seconds * 1000:.0f} ms, {b_after:.1f} s after the pings were "
            f"sent, with {pending} of 8 pings pending; "
            f"the pings answered after {min(answered):.1f}-{max(answered):.1f} s",
            b_seconds < 0.1 + 0.4 and pending == 8,  # 100 ms promised; slack for the load
        )
        # 5. Six parallel settings changes, 25 rounds.
        lost_rounds = 0
        for round_ in range(25):
            changes = {
                "review_delay_seconds": 100 + round_,
                "ready_delay_seconds": 200 + round_,
                "upload_delay_seconds": 300 + round_,
                "onboarding_valid_days": 400 + round_,
                "callback_retry_seconds": 500 + round_,
                "callback_backoff_seconds": 6 + round_,
            }
            threads = [
                threading.Thread(
                    target=probe.call,
                    args=("PATCH", f"{url}/mockprock/api/settings"),
                    kwargs={"json": {k: v}, "headers": basic("a", "a-secret")},
                )
                for k, v in changes.items()
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            shown = probe.call(
                "GET", f"{url}/mockprock/api/settings", headers=basic("a", "a-secret")
            ).json()
            lost_rounds += any(shown[k] != v for k, v in changes.items())
        probe.case(
            "25 rounds of 6 parallel PATCH /mockprock/api/settings",
            f"{lost_rounds} rounds lost a change",
            lost_rounds == 0,
        )
        # 6. Anonymous requests vs a client's journal.
        kept_before = len(
            probe.call(
                "GET", f"{url}/mockprock/api/requests?limit=1000", headers=basic("a", "a-secret")
            ).json()
        )
        form = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
        for _ in range(510):
            probe.call("POST", f"{url}/oauth2/access_token", data=form)
        kept_after = len(
            probe.call(
                "GET", f"{url}/mockprock/api/requests?limit=1000", headers=basic("a", "a-secret")
            ).json()
        )
        probe.case(
            "510 anonymous token requests vs client a's journal",
            f"a's entries {kept_before} before, {kept_after} after",
            kept_after == kept_before > 0,
        )
        # 7 and 8. The console: a huge callback id; a CSRF token planted before sign-in.
        console = requests.Session()
        page = console.get(f"{url}/mockprock/").text
        planted = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        console.post(
            f"{url}/mockprock/sign-in",
            data={"csrf_token": planted, "client_id": "a", "client_secret": "a-secret"},
        )
        probe.sent += 2
        forged = probe.call(
            "POST",
            f"{url}/mockprock/settings",
            cookies=console.cookies,
            data={"csrf_token": planted, "review_delay_seconds": "3"},
            allow_redirects=False,
        )
        fresh = re.search(
            r'name="csrf_token" value="([^"]+)"', console.get(f"{url}/mockprock/").text
        ).group(1)
        huge = probe.call(
            "POST",
            f"{url}/mockprock/callbacks/{2**63}/retry",
            cookies=console.cookies,
            data={"csrf_token": fresh},
            allow_redirects=False,
        )
        probe.case(
            "the console's retry of callback 2^63", f"{huge.status_code}", huge.status_code < 500
        )
        probe.case(
            "a CSRF token planted before sign-in, used after",
            f"{forged.status_code}",
            forged.status_code == 403,
        )
        cookie = console.cookies.get("mockprock_session")
        console.post(f"{url}/mockprock/sign-out", data={"csrf_token": fresh})
        replay = probe.call("GET", f"{url}/mockprock/", cookies={"mockprock_session": cookie})
        probe.case(
            "a console cookie replayed after sign-out",
            "signed in" if 'id="sign-in"' not in replay.text else "not signed in",
            'id="sign-in"' in replay.text,
        )
        # 10. A 50 MB body.
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(
                b"POST /api/v1/exam/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 50000000\r\n\r\n" + b"x" * 1024
            )
            probe.sent += 1
            try:
                first = sock.recv(100).decode(errors="replace").split("\r\n")[0]
            except TimeoutError:
                first = "nothing within 30 s"
        probe.case(
            "a 50 MB body announced, 1 KB sent",
            f"answered {first!r} before the rest",
            first.startswith("HTTP/1.1 413"),
        )
    finally:
        server.stop()
    # 4. Revoked is revoked, and 9. a stored lms_url vs a hardened start.
    restarted = start(db, *lms_args, "--client", "b:b-secret", "--admin", "ops:ops-secret")
    try:
        old = probe.call(
            "POST", f"{restarted.url}/api/v1/exam/", json=EXAM, headers=auth
        ).status_code
        replay = probe.call(
            "GET", f"{restarted.url}/mockprock/", cookies={"mockprock_session": cookie}
        )
    finally:
        restarted.stop()
    probe.case("a's token after a restart without a", f"{old}", old == 401)
    probe.case(
        "a's console cookie after that restart",
        "signed in" if 'id="sign-in"' not in replay.text else "not signed in",
        'id="sign-in"' in replay.text,
    )
    open_db = folder / "open.sqlite"
    first = start(open_db)
    default_token = token(probe, first.url, "abcd", "abcdsecret")
    probe.call(
        "PATCH",
        f"{first.url}/mockprock/api/settings",
        json={"lms_url": "http://lms.stored.example:18000"},
        headers=basic("abcd", "abcdsecret"),
    )
    first.stop()
    hardened = start(open_db, *CLIENTS)
    try:
        default = probe.call(
            "GET",
            f"{hardened.url}/api/v1/config/",
            headers={"Authorization": f"JWT {default_token}"},
        ).status_code
        lms_root = probe.call(
            "GET", f"{hardened.url}/mockprock/api/settings", headers=basic("ops", "ops-secret")
        ).json()["lms_url"]
        banner = hardened.output()
    finally:
        hardened.stop()
    probe.case("an id+secret token after a restart naming clients", f"{default}", default == 401)
    probe.case(
        "an lms_url an older store kept, hardened start without --lms-url",
        f"in use: {lms_root}; banner names it: {'lms.stored.example' in banner}",
        "lms.stored.example" not in lms_root and "ignored the stored lms_url" in banner,
    )
    return probe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=20000)
    args = parser.parse_args()
    probe = run(args.latency_ms)
    print(
        f"\nrequests sent to mockprock: {probe.sent}; answers of 5xx: {probe.server_errors}; "
        f"promises broken: {len(probe.broken)} {probe.broken or ''}"
    )


if __name__ == "__main__":
    main()
