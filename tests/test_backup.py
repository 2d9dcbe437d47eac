"""manage.py backup / restore: everything out, everything back into an empty database."""

import datetime as dt
import gzip
import importlib
import io
import json
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps as django_apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.utils import timezone

from tests import factories
from tracker import backups, integrity, services
from tracker.dashboard import days, tallies
from tracker.models import Commitment, Source, Status, StatusUpdate
from tracker.search import index as search_index

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_content_types():
    """The tests recreate content types with other ids, then roll back: drop the cache."""
    yield
    ContentType.objects.clear_cache()


@pytest.fixture
def realistic(seeded, analyst, other_analyst, manager, admin_user, client):
    """The seed plus a little of everything: reviews, history, audit, sessions, lockouts."""
    commitment = Commitment.objects.order_by("pk").first()
    commitment.owner = analyst
    commitment.save()  # a historical record with a user
    commitment.assignees.add(other_analyst)
    analyst.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    # The role groups carry no permissions; a group's permissions must survive all the same.
    Group.objects.get(name="Analysts").permissions.add(
        Permission.objects.get(codename="add_statusupdate")
    )
    accepted = factories.record(
        commitment, author=analyst, status=Status.AT_RISK, progress=35, accept_by=manager
    )
    returned = factories.record(commitment, author=other_analyst, status=Status.STALLED)
    services.return_update(update=returned, manager=manager, comment="Which source?")
    factories.record(
        commitment,
        author=other_analyst,
        status=Status.STALLED,
        revises=returned,
        idempotency_key="form-42",
    )  # pending
    indicator = factories.make_indicator(commitment, unit="countries", baseline=Decimal("1.5"))
    services.record_measurement(
        indicator=indicator,
        value=Decimal("12.3456"),
        qualifier="about",
        source=accepted.evidence.get().source,
        recorded_by=analyst,
    )
    client.force_login(manager)  # a session row
    AccessAttempt.objects.create(
        username="mallory",
        ip_address="192.0.2.1",
        user_agent="curl",
        failures_since_start=3,
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/accounts/login/",
    )
    AccessLog.objects.create(username="alice", ip_address="192.0.2.2", user_agent="firefox")
    LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(Commitment),
        object_id=str(commitment.pk),
        object_repr=str(commitment),
        action_flag=ADDITION,
        change_message="[]",
    )


def natural(model, pk):
    obj = model.objects.get(pk=pk)
    return obj.natural_key()


def snapshot():
    """Every row of every backed-up table, with ids of migrate-made rows as natural keys."""
    tables = {}
    for model in backups.backed_up_models():
        rows = []
        for row in model._base_manager.order_by("pk").values():
            for field in model._meta.concrete_fields:
                target = field.related_model
                if target in (ContentType, Permission, Group) and row[field.attname]:
                    row[field.attname] = natural(target, row[field.attname])
            if model is Group:
                del row["id"]  # groups are matched by name
            rows.append(row)
        if model is Group:
            rows.sort(key=lambda row: row["name"])
        tables[model._meta.label] = rows
    tables["user groups"] = sorted(
        User.groups.through.objects.values_list("user_id", "group__name")
    )
    tables["user permissions"] = sorted(
        User.user_permissions.through.objects.values_list(
            "user_id", "permission__content_type__app_label", "permission__codename"
        )
    )
    tables["group permissions"] = sorted(
        Group.permissions.through.objects.values_list(
            "group__name", "permission__content_type__app_label", "permission__codename"
        )
    )
    tables["commitment assignees"] = sorted(
        Commitment.assignees.through.objects.values_list("commitment_id", "user_id")
    )
    return tables


def empty_database_like_a_fresh_migrate():
    """Flush everything, then recreate what `migrate` creates, with different ids."""
    if connection.vendor == "postgresql":
        connection.check_constraints()  # TRUNCATE refuses pending deferred checks
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    ContentType.objects.create(app_label="elsewhere", model="shifts_every_id")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    migration = importlib.import_module("tracker.migrations.0002_groups")
    migration.GROUPS = dict(reversed(migration.GROUPS.items()))  # Managers get id 1 now
    try:
        migration.create_groups(django_apps, None)
    finally:
        importlib.reload(migration)


def test_round_trip_keeps_every_row_of_every_table(realistic, tmp_path):
    before = snapshot()
    assert all(before[label] for label in ("tracker.AuditEvent", "sessions.Session"))
    assert all(before[label] for label in ("admin.LogEntry", "tracker.HistoricalCommitment"))
    path = tmp_path / "tracker.jsonl.gz"
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    rows = sum(len(v) for k, v in before.items() if "." in k)
    assert f"Backed up {rows} rows" in out.getvalue()

    assert "and 1 media files" in out.getvalue()  # the seed document
    source = Source.objects.exclude(document="").get()
    original = source.document.read()
    source.document.storage.delete(source.document.name)

    empty_database_like_a_fresh_migrate()
    assert not User.objects.exists()
    call_command("restore", str(path), stdout=out)
    source = Source.objects.get(pk=source.pk)
    with source.document.open("rb") as restored:
        assert restored.read() == original

    after = snapshot()
    assert after.keys() == before.keys()
    for label in before:
        assert after[label] == before[label], label


def test_restored_data_is_consistent_and_usable(realistic, tmp_path, client, manager):
    path = tmp_path / "tracker.jsonl.gz"
    indexed = search_index.rows()
    backups.backup(path)
    empty_database_like_a_fresh_migrate()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    days._keep(yesterday, timezone.localdate(), "default")  # a day kept before the restore
    backups.restore(path)

    assert integrity.verify().clean
    with connection.cursor() as cursor:  # forgotten: computed from the restored history
        cursor.execute(f"SELECT COUNT(*) FROM {days.KEPT}")  # noqa: S608
        assert cursor.fetchone() == (0,)
    # The search index holds what it held (rows came in any order: a quote before its update).
    assert search_index.rows() == indexed
    assert tallies.drift(timezone.localdate()) == {}  # the dashboard counts the restored data
    assert client.login(username="alice", password="pw-for-tests-only")
    alice = User.objects.get(username="alice")
    assert alice.has_perm("tracker.view_auditevent")  # direct permission, by natural key
    assert alice.has_perm("tracker.add_statusupdate")  # through the Analysts group
    # New rows get fresh ids after the restored ones (PostgreSQL sequences are reset).
    commitment = Commitment.objects.get(owner=alice)
    update = factories.record(
        commitment, author=alice, accept_by=User.objects.get(username="maria")
    )
    assert update.pk > StatusUpdate.objects.exclude(pk=update.pk).latest("pk").pk
    assert integrity.verify().clean


def test_backup_keeps_microseconds(realistic, tmp_path):
    path = tmp_path / "tracker.jsonl.gz"
    backups.backup(path)
    update = StatusUpdate.objects.order_by("pk").last()
    with gzip.open(path, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    [row] = [r for r in rows if r.get("model") == "tracker.statusupdate" and r["pk"] == update.pk]
    assert dt.datetime.fromisoformat(row["fields"]["created_at"]) == update.created_at


def test_restore_refuses_a_database_with_data(realistic, tmp_path):
    path = tmp_path / "tracker.jsonl.gz"
    backups.backup(path)
    before = StatusUpdate.objects.count()
    with pytest.raises(CommandError, match="Restore needs an empty database") as err:
        call_command("restore", str(path))
    assert "tracker.StatusUpdate" in str(err.value)
    assert StatusUpdate.objects.count() == before


def test_a_damaged_backup_restores_nothing(realistic, tmp_path):
    path = tmp_path / "tracker.jsonl.gz"
    backups.backup(path)
    damaged = tmp_path / "damaged.jsonl.gz"
    data = path.read_bytes()
    damaged.write_bytes(data[: len(data) * 3 // 4])
    empty_database_like_a_fresh_migrate()
    with pytest.raises(EOFError):
        backups.restore(damaged)
    assert not User.objects.exists()
    assert not Commitment.objects.exists()


def test_restore_of_a_missing_file_says_so(db, tmp_path):
    with pytest.raises(CommandError, match="No backup at"):
        call_command("restore", str(tmp_path / "nope.jsonl.gz"))


def test_a_backup_is_written_whole_or_not_at_all(realistic, tmp_path, monkeypatch):
    path = tmp_path / "tracker.jsonl.gz"

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(backups.serializers, "serialize", broken)
    with pytest.raises(OSError):
        backups.backup(path)
    assert not path.exists()


def test_a_failed_restore_leaves_no_media_files_behind(realistic, tmp_path):
    path = tmp_path / "tracker.jsonl.gz"
    backups.backup(path)
    source = Source.objects.exclude(document="").get()
    name = source.document.name
    source.document.storage.delete(name)
    with gzip.open(path, "rt") as lines:
        rows = lines.read().splitlines()
    # The media line comes last; a broken row after it fails the whole restore.
    broken = tmp_path / "broken.jsonl.gz"
    with gzip.open(broken, "wt") as out:
        out.write("\n".join([*rows, '{"model": "tracker.nothing", "pk": 1, "fields": {}}']) + "\n")
    empty_database_like_a_fresh_migrate()
    with pytest.raises(Exception):  # noqa: B017 - any failure must roll everything back
        backups.restore(broken)
    assert not Source.objects.exists()
    assert not source.document.storage.exists(name)
