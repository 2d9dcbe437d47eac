"""The dashboard's cache: keyed on the data version, so no write ever leaves it stale.

The data version is a token that database triggers change in the same transaction as any
write to the tracker's data (tracker/dataversion.py). These tests commit their writes, as
requests do: inside a transaction nothing is cached.
"""

import re

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from tests import factories
from tests.dashboard_world import NOW, at
from tracker import dataversion, services
from tracker.models import Area, AuditEvent, Commitment, CommitmentParty, Status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cached(settings):
    settings.TRACKER_DASHBOARD_CACHE_SECONDS = 120
    cache.clear()
    yield
    cache.clear()


def installed_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'tracker_dv_%%'"
            )
        return {row[0] for row in cursor.fetchall()}


def test_every_watched_table_has_its_triggers():
    watched = set(dataversion.watched_tables())
    assert {"tracker_commitment", "tracker_statusupdate", "tracker_area", "auth_user"} <= watched
    assert "tracker_auditevent" not in watched
    assert watched <= installed_triggers()


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda w: factories.record(w.c4, status=Status.IN_PROGRESS), id="service"),
        pytest.param(
            lambda w: Commitment.objects.filter(pk=w.c2.pk).update(owner=w.oscar),
            id="queryset-update",
        ),
        pytest.param(
            lambda w: CommitmentParty.objects.filter(commitment=w.c1).delete(), id="delete"
        ),
        pytest.param(
            lambda w: CommitmentParty.objects.create(commitment=w.c5, party=w.us), id="insert"
        ),
        pytest.param(lambda w: w.oscar.save(), id="user"),
    ],
)
def test_every_write_changes_the_data_version(world, write):
    before = dataversion.current()
    write(world)
    assert dataversion.current() != before


def test_raw_sql_changes_it_and_a_rollback_restores_it(world):
    before = dataversion.current()
    sql = "UPDATE tracker_area SET name = 'Renamed' WHERE id = %s"
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [world.military.pk])
        assert dataversion.current() is None  # Not trusted inside a transaction.
        1 / 0  # noqa: B018
    assert dataversion.current() == before
    with connection.cursor() as cursor:
        cursor.execute(sql, [world.military.pk])
    assert dataversion.current() != before


def test_the_audit_log_is_not_watched(world):
    before = dataversion.current()
    AuditEvent.objects.create(action=AuditEvent.Action.EXPORT, username="x")
    assert dataversion.current() == before


def region(response):
    """From the dashboard's region to the end of the page, whitespace runs made one space."""
    html = without_nonces(response.content.decode())
    return html[html.index('<div id="dashboard"') :]


def without_nonces(html):
    """The page without what differs on every response, whitespace runs made one space."""
    html = re.sub(r'nonce="[^"]*"|"inlineStyleNonce": "[^"]*"', "nonce", html)
    html = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]*"', r"\1x", html)
    return re.sub(r"\s+", " ", html)


def test_a_second_view_comes_from_the_cache(client, world, cached, django_assert_num_queries):
    client.force_login(world.manager)
    with at(NOW):
        first = client.get("/?period=30d")
        # 1. session, 2. user with their roles, 3. the data version, 4. the review-queue count.
        with django_assert_num_queries(4):
            second = client.get("/?period=30d")
    assert second.status_code == 200
    assert without_nonces(second.content.decode()) == without_nonces(first.content.decode())


def test_the_cached_page_is_the_uncached_page(client, world, settings):
    client.force_login(world.manager)
    settings.TRACKER_DASHBOARD_CACHE_SECONDS = 0
    with at(NOW):
        plain = client.get(f"/?area={world.military.pk}")
    settings.TRACKER_DASHBOARD_CACHE_SECONDS = 120
    cache.clear()
    with at(NOW):
        client.get(f"/?area={world.military.pk}")
        from_cache = client.get(f"/?area={world.military.pk}")
    cache.clear()
    assert without_nonces(from_cache.content.decode()) == without_nonces(plain.content.decode())


def test_htmx_gets_the_region_and_the_url_to_push(client, world, cached):
    client.force_login(world.manager)
    headers = {"HX-Request": "true"}
    with at(NOW):
        first = client.get("/?months=6", headers=headers)
        second = client.get("/?months=6", headers=headers)
    assert second.content == first.content
    assert second.content.decode().lstrip().startswith('<div id="dashboard"')
    assert second["HX-Push-Url"] == first["HX-Push-Url"] == "/?months=6"


def uncached(client, settings, url="/"):
    seconds, settings.TRACKER_DASHBOARD_CACHE_SECONDS = settings.TRACKER_DASHBOARD_CACHE_SECONDS, 0
    try:
        return region(client.get(url))
    finally:
        settings.TRACKER_DASHBOARD_CACHE_SECONDS = seconds


def test_a_write_shows_at_once(client, world, cached, settings):
    client.force_login(world.manager)
    with at(NOW):
        before = region(client.get("/"))
        update = factories.record(world.c4, author=None, status=Status.BROKEN)
        after = region(client.get("/"))
        assert update.is_accepted
        assert after != before
        assert after == uncached(client, settings)
        Area.objects.filter(pk=world.military.pk).update(name="Hotlines and channels")
        renamed = region(client.get("/"))
        assert "Hotlines and channels" in renamed
        assert renamed == uncached(client, settings)


def test_an_accepted_update_shows_at_once(client, world, cached, settings):
    client.force_login(world.manager)
    pending = world.c5.status_updates.get()
    with at(NOW):
        before = region(client.get("/"))
        services.accept_update(update=pending, manager=world.manager)
        after = region(client.get("/"))
        assert after != before
        assert after == uncached(client, settings)


def test_the_next_minute_renders_afresh(client, world, cached, django_assert_max_num_queries):
    client.force_login(world.manager)
    with at(NOW):
        client.get("/")
    with at("2026-03-02 12:01"), django_assert_max_num_queries(20) as captured:
        client.get("/")
    assert len(captured) > 5  # Rendered again: "printed at" shows the minute.
