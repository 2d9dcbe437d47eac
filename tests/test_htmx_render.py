"""The one HTMX render rule (tracker/htmx.py): a swap gets its fragment, everything else the
whole page, a history restore included; every answer varies on HX-Request."""

import pathlib

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

SWAP = factories.HTMX
RESTORE = {**SWAP, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
BOOSTED = {**SWAP, "HTTP_HX_BOOSTED": "true"}

# Every page that answers an HTMX GET with a fragment, and who may open it.
PAGES = [
    ("/", "manager"),
    ("/?period=7d", "analyst"),
    ("/commitments/", "analyst"),
    ("/commitments/?q=curb", "analyst"),
    ("/commitments/USCN-TEST/", "analyst"),
    ("/commitments/USCN-TEST/?history_page=2", "analyst"),
    ("/commitments/USCN-TEST/edit/", "manager"),
    ("/sources/search/?q=statement", "analyst"),
    ("/review/", "manager"),
    ("/review/?area=", "manager"),
    ("/returned/", "analyst"),
]


@pytest.fixture
def world(commitment, analyst):
    factories.record(commitment, author=analyst)
    return commitment


def is_whole_page(response):
    return response.content.lstrip().lower().startswith(b"<!doctype html>")


@pytest.fixture(params=[0, 60], ids=["no-cache", "dashboard-cache"])
def cache_setting(request, settings):
    settings.TRACKER_DASHBOARD_CACHE_SECONDS = request.param


@pytest.mark.parametrize("url, role", PAGES)
def test_a_history_restore_gets_the_whole_page(client, request, world, cache_setting, url, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(url, **RESTORE)
    assert response.status_code == 200
    assert is_whole_page(response), url
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("url, role", PAGES)
def test_a_plain_request_and_a_boosted_link_get_the_whole_page(client, request, world, url, role):
    client.force_login(request.getfixturevalue(role))
    for headers in ({}, BOOSTED):
        response = client.get(url, **headers)
        assert is_whole_page(response), url
        assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("url, role", [p for p in PAGES if not p[0].startswith("/returned/")])
def test_a_swap_gets_only_the_fragment(client, request, world, cache_setting, url, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(url, **SWAP)
    assert response.status_code == 200
    assert not is_whole_page(response) and b"<html" not in response.content, url
    assert "HX-Request" in response["Vary"]


def test_no_view_decides_on_its_own_what_an_htmx_request_gets():
    views = pathlib.Path(__file__).parent.parent / "tracker" / "views"
    for module in views.glob("*.py"):
        assert "request.htmx" not in module.read_text(), module.name
