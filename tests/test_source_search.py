"""Searching sources: <option>s for the source pickers (HTMX), or a page without JavaScript."""

import pytest

from tests import factories
from tests.factories import HTMX

pytestmark = pytest.mark.django_db

URL = "/sources/search/"


@pytest.fixture
def sources(db):
    return [
        factories.make_source("Readout of the Biden-Xi meeting", publisher="White House"),
        factories.make_source(
            "Fentanyl scheduling notice", publisher="Ministry of Public Security"
        ),
        factories.make_source("Press briefing", publisher="White House"),
    ]


def test_anonymous_is_sent_to_login(client):
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_anonymous_htmx_gets_an_hx_redirect(client):
    assert client.get(URL, {"q": "x"}, **HTMX)["HX-Redirect"].startswith("/accounts/login/")


def test_users_without_a_role_get_403(client, outsider):
    client.force_login(outsider)
    assert client.get(URL, **HTMX).status_code == 403


def test_it_only_answers_get(client, analyst):
    client.force_login(analyst)
    assert client.post(URL).status_code == 405


def test_htmx_gets_matching_options_by_title_or_publisher(client, analyst, sources):
    client.force_login(analyst)
    response = client.get(URL, {"q": "white house"}, **HTMX)
    page = response.content.decode()
    assert "<html" not in page
    assert page.strip().startswith('<option value="">— 2 sources match “white house” —</option>')
    assert f'<option value="{sources[0].pk}">Readout of the Biden-Xi meeting (White House)' in page
    assert f'<option value="{sources[2].pk}">Press briefing (White House)' in page
    assert "Fentanyl" not in page


def test_no_match_says_so(client, analyst, sources):
    client.force_login(analyst)
    page = client.get(URL, {"q": "nothing"}, **HTMX).content.decode()
    assert "— No source matches “nothing” —" in page
    assert page.count("<option") == 1


def test_without_htmx_it_is_a_page_of_results(client, manager, sources):
    client.force_login(manager)
    page = client.get(URL, {"q": "fentanyl"}).content.decode()
    assert "<html" in page and "Sources matching “fentanyl”" in page
    assert "Fentanyl scheduling notice" in page and "Press briefing" not in page
