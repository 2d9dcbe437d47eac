"""The client's address behind a proxy (django-ipware with a configured proxy count), in
the lockouts and the audit log; X-Forwarded-Proto trusted only behind a proxy."""

import pytest
from axes.handlers.proxy import AxesProxyHandler

from tests import production
from tracker.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROXY = "10.0.0.1"


@pytest.fixture
def behind_one_proxy(settings):
    settings.AXES_ENABLED = True
    settings.TRACKER_PROXY_COUNT = 1
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AxesProxyHandler.reset_attempts()


def sign_in(client, forwarded_for, password="wrong", username="alice"):  # noqa: S107
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_failures_behind_the_proxy_lock_out_only_their_own_client(
    client, analyst, behind_one_proxy
):
    for _ in range(5):
        response = sign_in(client, "203.0.113.5")
    assert response.status_code == 429
    # Another client behind the same proxy signs in as usual.
    response = sign_in(client, "198.51.100.7", password="pw-for-tests-only")
    assert response.status_code == 302


def test_the_audit_log_records_the_forwarded_client(client, analyst, behind_one_proxy):
    sign_in(client, "203.0.113.5")
    # A client cannot choose its address by prepending one: the proxy's entry counts.
    sign_in(client, "6.6.6.6, 198.51.100.7")
    addresses = list(
        AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED)
        .order_by("id")
        .values_list("ip_address", flat=True)
    )
    assert addresses == ["203.0.113.5", "198.51.100.7"]


def test_without_a_proxy_forwarding_headers_are_ignored(client, analyst):
    sign_in(client, "203.0.113.5")
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert event.ip_address == PROXY


def test_forwarded_proto_is_trusted_only_behind_a_proxy():
    code = (
        "from django.conf import settings\n"
        "print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    assert production.run(code).stdout.split()[-1] == "None"
    behind = production.run(code, TRACKER_PROXY_COUNT="1").stdout
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in behind
    assert "HTTP_X_FORWARDED_PROTO" in production.run(code, BEHIND_PROXY="1").stdout


def test_the_proxy_count_configures_ipware():
    code = (
        "from django.conf import settings\n"
        "print(settings.AXES_IPWARE_PROXY_COUNT, settings.AXES_IPWARE_META_PRECEDENCE_ORDER)"
    )
    out = production.run(code, TRACKER_PROXY_COUNT="2").stdout
    assert "1 ('HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR')" in out
