"""Back up everything into one gzip'd JSON Lines file; restore it into an empty database.

Django's serializers write one object per line and read them back one at a time, so
memory stays flat however large the database. A backup holds every row of every model
(tracker data, history, audit log, users, groups and their memberships, sessions, lockout
records), except content types and permissions: `migrate` creates those, and the backup
refers to them by natural key ("tracker.add_statusupdate"), so their ids may differ.
Groups, also created by a migration, are matched by name. Everything else keeps its id.

The originals of the source library (files in Django's storage, `var/media` by default)
follow the rows, one line each: {"media": name, "sha256": ..., "base64": ...}. Restore
writes them back into storage, and removes them again if the restore fails.
"""

import base64
import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from .dashboard import days, tallies
from .search import index as search_index

# Created by `migrate` and referred to by natural key.
RECREATED_BY_MIGRATE = {"contenttypes.contenttype", "auth.permission"}
# Created by a migration too (tracker 0002_groups): matched by name, not id.
MATCHED_BY_NAME = {"auth.group"}
# Models pointing at content types or permissions write those by natural key.
NATURAL_FOREIGN_KEYS = {"auth.group", "auth.user", "admin.logentry"}


class RestoreRefused(Exception):
    pass


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts times to milliseconds; a backup keeps every microsecond."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def backed_up_models():
    """Every model with rows of its own, in an order where natural keys resolve."""
    app_list = [
        (
            app_config,
            [
                model
                for model in app_config.get_models()
                if model._meta.managed
                and not model._meta.proxy
                and model._meta.label_lower not in RECREATED_BY_MIGRATE
            ],
        )
        for app_config in apps.get_app_configs()
    ]
    return serializers.sort_dependencies(app_list, allow_cycles=True)


@contextlib.contextmanager
def read_snapshot(using=DEFAULT_DB_ALIAS):
    """One consistent view of the whole database for the backup, without blocking writers."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield  # Already inside a transaction (tests): its view is the snapshot.
    elif connection.vendor == "sqlite":
        # atomic() would BEGIN IMMEDIATE and hold the write lock for the whole backup; a
        # deferred transaction reads one WAL snapshot while writers carry on.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
    else:
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield


class _Counted:
    def __init__(self, iterable):
        self.iterable, self.count = iterable, 0

    def __iter__(self):
        for item in self.iterable:
            self.count += 1
            yield item


def backup(path, *, using=DEFAULT_DB_ALIAS, progress=None):
    """Write every row to `path` (gzip'd JSON Lines). Returns {model label: rows}."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    counts = {}
    # Written under another name first: a file at `path` is always a complete backup.
    with read_snapshot(using), gzip.open(partial, "wt", encoding="utf-8", compresslevel=6) as out:
        for model in backed_up_models():
            label = model._meta.label_lower
            queryset = model._base_manager.using(using).order_by("pk")
            many_to_many = [
                f.name
                for f in model._meta.many_to_many
                if f.remote_field.through._meta.auto_created
            ]
            if many_to_many:
                queryset = queryset.prefetch_related(*many_to_many)
            rows = _Counted(queryset.iterator(chunk_size=2000))
            serializers.serialize(
                "jsonl",
                rows,
                stream=out,
                cls=ExactJSONEncoder,
                use_natural_foreign_keys=label in NATURAL_FOREIGN_KEYS,
                use_natural_primary_keys=label in MATCHED_BY_NAME,
            )
            counts[model._meta.label] = rows.count
            if progress:
                progress(model._meta.label, rows.count)
        counts[MEDIA] = write_media(out, using)
    os.replace(partial, path)
    return counts


MEDIA = "media files"


def write_media(out, using):
    """One line per original file of the source library; returns how many."""
    from .models import Source

    names = Source.objects.using(using).exclude(document="").values_list("document", flat=True)
    count = 0
    for name in names.order_by("pk").iterator():
        with default_storage.open(name, "rb") as handle:
            data = handle.read()
        line = {
            "media": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "base64": base64.b64encode(data).decode(),
        }
        out.write(json.dumps(line) + "\n")
        count += 1
    return count


class _MediaLines:
    """The lines of a backup with the media lines taken out and written to storage."""

    def __init__(self, lines):
        self.lines, self.written = lines, []

    def __iter__(self):
        for line in self.lines:
            if line.startswith(b'{"media": '):
                self.restore(json.loads(line))
            else:
                yield line

    def restore(self, item):
        data = base64.b64decode(item["base64"])
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise RestoreRefused(f"The backup's copy of {item['media']} is damaged.")
        if default_storage.exists(item["media"]):
            default_storage.delete(item["media"])
        self.written.append(default_storage.save(item["media"], ContentFile(data)))

    def remove_written(self):
        for name in self.written:
            default_storage.delete(name)


def refuse_unless_empty(using=DEFAULT_DB_ALIAS):
    connection = connections[using]
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RestoreRefused(
            "The database is not fully migrated: run `manage.py migrate` first, then restore."
        )
    filled = [
        model._meta.label
        for model in backed_up_models()
        if model._meta.label_lower not in MATCHED_BY_NAME
        and model._base_manager.using(using).exists()
    ]
    if filled:
        raise RestoreRefused(
            "Restore needs an empty database (just migrated), but it holds data in: "
            + ", ".join(filled)
            + ". Restore into a new database instead; nothing was changed."
        )


def restore(path, *, using=DEFAULT_DB_ALIAS, progress=None):
    """Load a backup into an empty, migrated database, all or nothing. Returns counts."""
    refuse_unless_empty(using)
    connection = connections[using]
    counts = {}
    media = _MediaLines([])
    try:
        _load(path, using, connection, counts, media, progress)
    except BaseException:
        media.remove_written()  # nothing of a failed restore stays, in storage either
        raise
    counts[MEDIA] = len(media.written)
    return counts


def _load(path, using, connection, counts, media, progress):
    loaded_models = set()
    with transaction.atomic(using=using):
        # Rows come in any order (a quote before its update, a paragraph before the evidence
        # citing its source): the search index is filled once at the end, not kept in step
        # row by row by its triggers.
        search_index.drop(using)
        deferred = []
        # SQLite and PostgreSQL check foreign keys at commit, so rows may come in any order
        # (a commitment points at its current update, which points back at it).
        with connection.constraint_checks_disabled(), gzip.open(path, "rb") as backup_file:
            media.lines = backup_file
            for obj in serializers.deserialize(
                "jsonl", media, using=using, handle_forward_references=True
            ):
                model = type(obj.object)
                # Matched by name: the group may exist already, so it is updated in place.
                obj.save(using=using, force_insert=model._meta.label_lower not in MATCHED_BY_NAME)
                if obj.deferred_fields:
                    deferred.append(obj)
                loaded_models.add(model)
                label = model._meta.label
                counts[label] = counts.get(label, 0) + 1
                if progress and counts[label] % 10000 == 0:
                    progress(label, counts[label])
            for obj in deferred:
                obj.save_deferred_fields(using=using)
        connection.check_constraints(table_names=[m._meta.db_table for m in loaded_models])
        # New rows must not collide with restored ids (PostgreSQL sequences).
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), loaded_models):
                cursor.execute(sql)
        # Rows came in any order (a party link before its commitment): count afresh.
        tallies.rebuild(using=using)
        days.forget(using=using)  # the worker's next refresh fills them again
        search_index.install(using)
