"""`make serve`: gunicorn + whitenoise with DEBUG off really starts and serves.

Runs the Makefile target itself on a fresh database (a temporary SQLite file, or a new
PostgreSQL database when DATABASE_URL is set), then a second gunicorn on the same
database: a session opened on one is valid on the other, so app servers keep no state.
"""

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse

import pytest

from bench.load_writers import ROOT, Database, free_port

pytestmark = pytest.mark.slow

DEMO_PASSWORD = "demo-" + secrets.token_urlsafe(8)


def start(cmd, env, log):
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc):
    """SIGTERM the process group (make and gunicorn), then SIGKILL whatever is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def get(port, path, headers=None, *, method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def wait_for_healthz(port, proc, log_path, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited:\n{log_path.read_text()}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get(port, "/healthz")[0].status == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"no answer on /healthz:\n{log_path.read_text()}")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """`make serve` on one port, a plain second gunicorn on another, one shared database."""
    tmp = tmp_path_factory.mktemp("serve")
    with contextlib.ExitStack() as stack:
        database_env = stack.enter_context(Database(os.environ.get("DATABASE_URL", ""), tmp))
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
        env.pop("DEBUG", None)
        # The documented production variables; SSL redirect and secure cookies stay on.
        env.update(
            database_env,
            SECRET_KEY=secrets.token_urlsafe(40),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            STATIC_ROOT=str(tmp / "static"),
            DEMO_PASSWORD=DEMO_PASSWORD,
            TRACKER_EMAIL_NOTIFICATIONS="0",
            WORKERS="2",
        )
        first, second = free_port(), free_port()
        logs = [tmp / "make-serve.log", tmp / "second.log"]
        make = start(
            ["make", "--no-print-directory", "serve", f"PORT={first}"],
            env,
            stack.enter_context(open(logs[0], "w")),  # noqa: SIM115
        )
        stack.callback(stop, make)
        wait_for_healthz(first, make, logs[0])
        other = start(
            [sys.executable, "-m", "gunicorn", "tracker.wsgi", "--bind", f"127.0.0.1:{second}"]
            + ["--workers", "2", "--no-control-socket"],
            {**env, "DEBUG": "0"},
            stack.enter_context(open(logs[1], "w")),  # noqa: SIM115
        )
        stack.callback(stop, other)
        wait_for_healthz(second, other, logs[1])
        yield {"ports": (first, second), "static_root": tmp / "static", "make": make}
    assert make.poll() is not None and other.poll() is not None


HTTPS = {"X-Forwarded-Proto": "https"}  # as the TLS-terminating proxy says


def test_healthz_answers_over_plain_http(servers):
    response, body = get(servers["ports"][0], "/healthz")
    assert response.status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}


def test_plain_http_is_redirected_to_https(servers):
    response, _ = get(servers["ports"][0], "/accounts/login/")
    assert response.status == 301
    assert response.getheader("Location").startswith("https://")


def test_pages_render_with_debug_off_and_hashed_static_files(servers):
    response, body = get(servers["ports"][0], "/accounts/login/", HTTPS)
    assert response.status == 200
    assert "max-age=31536000" in response.getheader("Strict-Transport-Security")
    assert re.search(rb'href="/static/tracker/base\.[0-9a-f]{12}\.css"', body)
    assert "Secure" in response.getheader("Set-Cookie")  # the CSRF cookie
    assert b"Traceback" not in body


def test_whitenoise_serves_compressed_static_files_cached_forever(servers):
    manifest = json.loads((servers["static_root"] / "staticfiles.json").read_text())
    hashed = manifest["paths"]["tracker/base.css"]
    response, body = get(
        servers["ports"][0], f"/static/{hashed}", {**HTTPS, "Accept-Encoding": "gzip"}
    )
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/css")
    assert response.getheader("Content-Encoding") == "gzip"
    assert "immutable" in response.getheader("Cache-Control")
    assert body


def test_unknown_pages_are_404_not_debug_pages(servers):
    response, body = get(servers["ports"][0], "/no-such-page/", HTTPS)
    assert response.status in (302, 404)  # anonymous users are sent to sign in first
    assert b"Traceback" not in body and b"DEBUG = True" not in body


def test_app_servers_share_sessions_through_the_database(servers):
    first, second = servers["ports"]
    response, _ = get(first, "/accounts/login/", HTTPS)
    csrf = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie"))[1]
    response, _ = get(
        first,
        "/accounts/login/",
        {
            **HTTPS,
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"https://127.0.0.1:{first}/accounts/login/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
        body=urllib.parse.urlencode(
            {"username": "analyst", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": csrf}
        ),
    )
    assert response.status == 302, "sign-in on the first server"
    cookies = "; ".join(c.split(";")[0] for c in response.headers.get_all("Set-Cookie"))
    assert "sessionid=" in cookies

    # The second server has never seen this user: the session comes from the database.
    # In production a second factor is required (TRACKER_REQUIRE_2FA), so the demo analyst,
    # who has none yet, is sent to set one up.
    response, _ = get(second, "/commitments/", {**HTTPS, "Cookie": cookies})
    assert response.status == 302
    assert response.getheader("Location") == "/accounts/2fa/"
    response, body = get(second, "/accounts/2fa/", {**HTTPS, "Cookie": cookies})
    assert response.status == 200
    assert b"Your organisation requires a second factor" in body
    assert b"analyst" in body.lower()
    response, _ = get(second, "/commitments/", HTTPS)
    assert response.status == 302  # and without the cookie: sign in first
    assert response.getheader("Location").startswith("/accounts/login/")
