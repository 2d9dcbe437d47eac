"""Signing in and out, changing the password, and what anonymous requests get."""

import pytest

from tests.factories import HTMX

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "pw-for-tests-only"


def test_the_login_page_is_styled_and_labelled(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Sign in</h1>" in page
    assert 'for="id_username"' in page and 'for="id_password"' in page
    assert "tracker/base.css" in page
    # No navigation for anonymous visitors, only the brand.
    assert "Log out" not in page


def test_signing_in_goes_to_the_page_asked_for(client, analyst):
    response = client.post(
        LOGIN, {"username": "alice", "password": PASSWORD, "next": "/commitments/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/commitments/"
    assert client.get("/commitments/").status_code == 200


def test_signing_in_without_next_goes_to_the_dashboard(client, analyst):
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused_with_a_message(client, analyst):
    response = client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_the_navigation_shows_name_role_and_log_out(client, analyst):
    client.force_login(analyst)
    page = client.get("/commitments/").content.decode()
    assert "Alice Analyst" in page
    assert '<span class="role">Analyst</span>' in page
    assert 'aria-current="page">Commitments' in page
    assert ">Log out</button>" in page


def test_logging_out_ends_the_session(client, analyst):
    client.force_login(analyst)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/commitments/").status_code == 302


def test_logging_out_needs_a_post(client, analyst):
    client.force_login(analyst)
    assert client.get("/accounts/logout/").status_code == 405


def test_changing_the_password(client, analyst):
    client.force_login(analyst)
    page = client.get("/accounts/password_change/")
    assert page.status_code == 200
    assert b"Change password" in page.content
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-passphrase-7",
            "new_password2": "a-much-longer-passphrase-7",
        },
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    analyst.refresh_from_db()
    assert analyst.check_password("a-much-longer-passphrase-7")


def test_a_wrong_old_password_is_shown_next_to_its_field(client, analyst):
    client.force_login(analyst)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "not-it",
            "new_password1": "a-much-longer-passphrase-7",
            "new_password2": "a-much-longer-passphrase-7",
        },
    )
    assert response.status_code == 200
    assert b'id="id_old_password_error"' in response.content
    analyst.refresh_from_db()
    assert analyst.check_password(PASSWORD)


@pytest.mark.parametrize(
    "url",
    ["/commitments/", "/commitments/USCN-X/", "/sources/search/", "/accounts/password_change/"],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_an_expired_session_on_htmx_sends_the_browser_to_login(client):
    """Never a login form swapped into a fragment: HX-Redirect, back to the page it was on."""
    response = client.get(
        "/commitments/?status=at_risk",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/commitments/?q=x"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/commitments/%3Fq%3Dx"
    assert response.content == b""


def test_an_anonymous_htmx_post_is_not_run(client, commitment):
    response = client.post(
        f"/commitments/{commitment.reference}/updates/",
        {"status": "fulfilled"},
        **HTMX,
    )
    assert response["HX-Redirect"].startswith(LOGIN)
    assert commitment.status_updates.count() == 0
