"""Errors leave a trace in production: tracebacks with a request id, JSON lines, optional
Sentry; and no user input can forge a log line."""

import io
import json
import logging
import re

import pytest
from django.test import Client

from tests import production

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """What the configured console handler writes (it is shared by every app logger)."""
    handler = logging.getLogger("django.request").handlers[0]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_every_response_carries_a_request_id(client):
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_clients_request_id_is_kept_only_behind_a_trusted_proxy(client, settings):
    sent = {"HTTP_X_REQUEST_ID": "lb-1234567890"}
    assert client.get("/accounts/login/", **sent)["X-Request-ID"] != "lb-1234567890"
    settings.TRACKER_PROXY_COUNT = 1
    assert client.get("/accounts/login/", **sent)["X-Request-ID"] == "lb-1234567890"
    forged = {"HTTP_X_REQUEST_ID": "x\nforged line"}
    assert "\n" not in client.get("/accounts/login/", **forged)["X-Request-ID"]


def test_an_unhandled_exception_is_logged_with_its_traceback_and_request_id(
    analyst, settings, monkeypatch, log_output
):
    settings.DEBUG = False

    def broken(*args, **kwargs):
        raise RuntimeError("the list broke")

    monkeypatch.setattr("tracker.views.commitments.Paginator", broken)
    client = Client(raise_request_exception=False)
    client.force_login(analyst)
    response = client.get("/commitments/")
    assert response.status_code == 500
    logged = log_output.getvalue()
    assert "Traceback (most recent call last)" in logged
    assert "RuntimeError: the list broke" in logged
    assert f"[{response['X-Request-ID']}] Internal Server Error: /commitments/" in logged


def test_a_username_with_a_newline_cannot_forge_a_log_line(client, log_output):
    client.post(
        "/accounts/login/",
        {"username": "mallory\n2026-12-01 09:00:00,000 INFO tracker.audit audit sign_in "
         "user=admin", "password": "x"},
    )  # fmt: skip
    lines = log_output.getvalue().splitlines()
    assert lines
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ", line) for line in lines)
    assert not any("audit sign_in user=admin" in line.split("]", 1)[1][:40] for line in lines)


def test_production_logs_are_json_lines_with_the_request_id():
    result = production.run(
        "import logging\n"
        "log = logging.getLogger('tracker')\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n    log.exception('failed for %s', 'a\\nb')"
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "ERROR"
    assert record["logger"] == "tracker"
    assert record["message"] == "failed for a\nb"
    assert record["request_id"] == "-"
    assert "ZeroDivisionError" in record["exc_info"]


def test_sentry_is_initialised_only_when_a_dsn_is_set():
    code = (
        "import sentry_sdk\n"
        "client = sentry_sdk.get_client()\n"
        "print(client.is_active(), client.options.get('send_default_pii'))"
    )
    assert production.run(code).stdout.split()[-2:] == ["False", "None"]
    with_dsn = production.run(code, SENTRY_DSN="http://public@127.0.0.1:9/1")
    assert with_dsn.stdout.split()[-2:] == ["True", "False"]


def test_the_smtp_mailer_has_a_timeout():
    code = "from django.core import mail\nprint(mail.get_connection().timeout)"
    assert production.run(code).stdout.split()[-1] == "10"
    assert production.run(code, EMAIL_TIMEOUT="3").stdout.split()[-1] == "3"
