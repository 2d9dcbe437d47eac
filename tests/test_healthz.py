from unittest import mock

import pytest
from django.db.utils import OperationalError
from pytest_django.asserts import assertContains

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch("tracker.views.health.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


def test_the_sign_in_page_links_an_icon_and_favicon_ico_answers_without_sign_in(client):
    page = client.get("/accounts/login/")
    assertContains(
        page, '<link rel="icon" href="/static/tracker/favicon.svg" type="image/svg+xml">', html=True
    )
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/tracker/favicon.svg"
    assert client.post("/favicon.ico").status_code == 405


def test_healthz_never_tells_callers_why_the_database_failed(client):
    error = OperationalError('could not connect to server at "db.internal" (10.1.2.3)')
    with mock.patch("tracker.views.health.connection.cursor", side_effect=error):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
    assert b"db.internal" not in response.content and b"10.1.2.3" not in response.content
