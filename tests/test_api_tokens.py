"""Personal access tokens: created on the user's settings page, shown once, stored hashed,
listed with their last use, revoked by the user or an admin, audited on every use, and
accepted by the API, the exports and the Atom feed."""

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from tests import factories
from tests.api_helpers import TokenClient, assert_problem
from tracker.api.models import ApiToken
from tracker.models import AuditEvent

pytestmark = pytest.mark.django_db

PAGE = "/settings/tokens/"
HTMX = factories.HTMX


def create(client, user, **data):
    client.force_login(user)
    return client.post(PAGE, {"name": "Power BI", "scope": "read", "lifetime": "90", **data})


def shown_token(response):
    return re.search(r'value="(ct_[0-9a-f]{8}_[\w-]+)"', response.content.decode())[1]


# The settings page


def test_it_creates_a_token_shown_once_and_stored_hashed(client, analyst):
    response = create(client, analyst)
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    raw = shown_token(response)
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.scope) == (analyst, "Power BI", "read")
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.values_list()) and raw[-20:] not in token.prefix
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=90))) < dt.timedelta(
        minutes=1
    )
    assert f"/feed/updates.atom?token={raw}" in response.content.decode()
    # Listed afterwards, but never again in full.
    listing = client.get(PAGE).content.decode()
    assert "Power BI" in listing and token.display_prefix in listing and raw not in listing
    assert AuditEvent.objects.filter(action="token_created", user=analyst).exists()


def test_htmx_gets_only_the_panel(client, analyst):
    client.force_login(analyst)
    response = client.post(PAGE, {"name": "n", "scope": "write", "lifetime": "7"}, **HTMX)
    assert response.status_code == 201
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="token-panel">') and "<html" not in html
    assert ApiToken.objects.get().scope == "write"


@pytest.mark.parametrize(
    "data,field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"scope": "admin"}, "scope"),
        ({"lifetime": "3650"}, "lifetime"),
        ({"lifetime": "forever"}, "lifetime"),
    ],
)
def test_bad_input_is_refused_inline_and_nothing_saved(client, analyst, data, field):
    response = create(client, analyst, **data)
    assert response.status_code == 422
    assert 'class="errorlist' in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_the_list_shows_created_and_last_used_and_only_ones_own(client, analyst, other_analyst):
    mine = factories.make_token(analyst, name="Mine")
    factories.make_token(other_analyst, name="Theirs")
    TokenClient(client, mine).get("/api/commitments/")
    client.force_login(analyst)
    html = client.get(PAGE).content.decode()
    assert "Mine" in html and "Theirs" not in html
    mine.refresh_from_db()
    assert mine.last_used_at is not None
    assert "never" not in html.split("Mine")[1].split("</tr>")[0]


def test_a_user_revokes_their_token_and_it_stops_working(client, analyst):
    token = factories.make_token(analyst)
    client.force_login(analyst)
    response = client.post(f"/settings/tokens/{token.pk}/revoke/", **HTMX)
    assert response.status_code == 200 and "Revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at and token.revoked_by == analyst
    client.logout()
    problem = assert_problem(TokenClient(client, token).get("/api/commitments/"), 401)
    assert problem["detail"].startswith("This access token was revoked on")
    assert AuditEvent.objects.filter(action="token_revoked").count() == 1
    assert AuditEvent.objects.filter(action="token_refused", user=analyst).count() == 1


def test_without_javascript_revoking_returns_to_the_list_with_a_message(client, analyst):
    token = factories.make_token(analyst, name="Old laptop")
    client.force_login(analyst)
    response = client.post(f"/settings/tokens/{token.pk}/revoke/", follow=True)
    assert response.redirect_chain == [("/settings/tokens/", 302)]
    assert "Revoked “Old laptop”: it no longer works." in response.content.decode()


def test_nobody_revokes_someone_elses_token(client, analyst, other_analyst):
    token = factories.make_token(analyst)
    client.force_login(other_analyst)
    assert client.post(f"/settings/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_revokes_a_token_in_the_admin(client, admin_user, analyst):
    token = factories.make_token(analyst)
    client.force_login(admin_user)
    assert client.get("/admin/tracker/apitoken/").status_code == 200
    assert client.get("/admin/tracker/apitoken/add/").status_code == 403
    response = client.post(
        "/admin/tracker/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == admin_user
    page = client.get(f"/admin/tracker/apitoken/{token.pk}/change/").content.decode()
    assert token.token_hash not in page


# Using a token


def test_an_expired_token_is_refused_with_a_clear_message(client, analyst):
    token = factories.make_token(analyst, days=1)
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        problem = assert_problem(TokenClient(client, token).get("/api/commitments/"), 401)
    assert problem["detail"].startswith("This access token expired on")
    assert problem["type"].endswith(":invalid-token")


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer ct_12345678_" + "x" * 40, "Bearer ", "bearer ct_"],
)
def test_an_unknown_or_malformed_token_is_a_401(client, analyst, header):
    factories.make_token(analyst)
    response = client.get("/api/commitments/", headers={"Authorization": header})
    assert assert_problem(response, 401)["detail"] == "The access token is not valid."


def test_the_right_prefix_with_a_wrong_secret_is_refused(client, analyst):
    token = factories.make_token(analyst)
    forged = token.raw[:-4] + ("aaaa" if not token.raw.endswith("aaaa") else "bbbb")
    response = client.get("/api/commitments/", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401)


def test_a_token_of_a_disabled_account_is_refused(client, analyst):
    token = factories.make_token(analyst)
    analyst.is_active = False
    analyst.save()
    assert_problem(TokenClient(client, token).get("/api/commitments/"), 401)


def test_every_use_is_audited_and_last_used_written_once_a_minute(client, analyst):
    token = factories.make_token(analyst)
    api = TokenClient(client, token)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api.get("/api/commitments/")
        api.get("/api/updates/")
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        api.get("/api/sources/")
    token.refresh_from_db()
    assert token.last_used_at == start  # not written again within the minute
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        api.get("/api/sources/")
    token.refresh_from_db()
    assert token.last_used_at == start + dt.timedelta(minutes=2)
    uses = AuditEvent.objects.filter(action="token_used", user=analyst)
    assert uses.count() == 4
    assert {e.target for e in uses} == {"/api/commitments/", "/api/updates/", "/api/sources/"}


def test_the_token_gets_its_users_rights_and_no_more(client, analyst, manager):
    assert_problem(TokenClient(client, factories.make_token(analyst)).get("/api/review/"), 403)
    assert TokenClient(client, factories.make_token(manager)).get("/api/review/").status_code == 200


def test_requests_beyond_the_rate_get_a_429_problem(client, analyst, settings):
    settings.TRACKER_API_RATE = "3/minute"
    cache.clear()
    api = TokenClient(client, factories.make_token(analyst))
    assert [api.get("/api/sources/").status_code for _ in range(3)] == [200] * 3
    response = api.get("/api/sources/")
    problem = assert_problem(response, 429)
    assert int(response["Retry-After"]) > 0
    assert "Too many requests" in problem["detail"]
    # Per token: another token of the same user has its own allowance.
    assert (
        TokenClient(client, factories.make_token(analyst)).get("/api/sources/").status_code == 200
    )
    cache.clear()


# The exports and the feed


@pytest.fixture
def data(analyst, commitment, manager):
    factories.record(commitment, status="in_progress")
    return commitment


@pytest.mark.parametrize(
    "url", ["/export/commitments.csv", "/export/commitments.json", "/export/history.csv"]
)
def test_the_exports_accept_a_bearer_token(client, analyst, data, url):
    token = factories.make_token(analyst)
    response = client.get(url, headers={"Authorization": f"Bearer {token.raw}"})
    assert response.status_code == 200
    assert b"USCN-TEST" in b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(action="export", user=analyst).exists()


def test_the_feed_accepts_a_secret_address_for_feed_readers(client, analyst, data):
    token = factories.make_token(analyst)
    response = client.get(f"/feed/updates.atom?token={token.raw}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert b"USCN-TEST" in response.content
    assert token.raw.encode() not in response.content


def test_an_export_never_writes_the_token_into_the_audit_log(client, analyst, data):
    token = factories.make_token(analyst)
    client.get(f"/export/commitments.csv?token={token.raw}").getvalue()
    assert not AuditEvent.objects.filter(detail__contains=token.raw).exists()


@pytest.mark.parametrize("url", ["/export/commitments.csv", "/feed/updates.atom"])
def test_a_revoked_token_on_an_export_is_a_401_not_a_login_page(client, analyst, data, url):
    token = factories.make_token(analyst)
    token.revoke(by=analyst)
    response = client.get(f"{url}?token={token.raw}")
    assert assert_problem(response, 401)["detail"].startswith("This access token was revoked")


def test_an_outsiders_token_opens_no_export(client, outsider, data):
    token = factories.make_token(outsider)
    response = client.get(
        "/export/commitments.csv", headers={"Authorization": f"Bearer {token.raw}"}
    )
    assert response.status_code == 403


def test_a_token_in_the_address_opens_nothing_else(client, analyst, data):
    token = factories.make_token(analyst)
    response = client.get(f"/commitments/?token={token.raw}")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert_problem(client.get(f"/api/commitments/?token={token.raw}"), 401)
