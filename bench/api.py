#!/usr/bin/env python
"""Measure the API's lists on the benchmark data set, beside the web pages that show the same.

    SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/api.py

The status-update list (first page, and a deep cursor page among the oldest updates), one
commitment's updates (first and last page of its 1,000), the commitments list, and a 304;
beside them the web's commitment page (its history, 25 at a time, first and oldest page) and
the commitments list. Same method as bench/run.py (django.test.Client, whole middleware
stack, warm-up, median and p95, the queries of one request), with a manager's personal
access token; the rate limit stays on, set high. See bench/README.md, "The API".
"""

import argparse
import base64
import datetime as dt
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def cursor(position):
    """A cursor for the page after `position`, as Django REST framework writes them."""
    return base64.b64encode(urlencode({"p": position}).encode()).decode()


def api_pages(subjects, token, run):
    from django.test import Client

    from tracker.models import StatusUpdate

    api = Client(headers={"Authorization": f"Bearer {token}"})
    web = run.signed_in(subjects.manager)
    hot = subjects.hot
    # The 50 oldest updates: the page after the 51st oldest id.
    deep = list(StatusUpdate.objects.order_by("id").values_list("id", flat=True)[:51])[-1]
    hot_ids = list(hot.status_updates.order_by("id").values_list("id", flat=True)[:51])
    limit = {"TRACKER_API_RATE": "1000000/minute"}
    etag = api.get(f"/api/commitments/{hot.reference}/")["ETag"]
    hx = {"HX-Request": "true"}
    oldest_history = -(-subjects.hot_updates // 25)
    page = run.Page
    return [
        page("web: commitments list", web, "/commitments/"),
        page("API: commitments, first page", api, "/api/commitments/", settings=limit),
        page(
            "API: commitments, filtered",
            api,
            f"/api/commitments/?status=at_risk&area={subjects.area_slug}",
            settings=limit,
        ),
        page(
            f"web: commitment page ({subjects.hot_updates:,} updates)", web, hot.get_absolute_url()
        ),
        page(
            "web: its oldest history page (HTMX)",
            web,
            f"{hot.get_absolute_url()}?history_page={oldest_history}",
            headers=hx,
        ),
        page("API: status updates, first page", api, "/api/updates/", settings=limit),
        page(
            "API: status updates, deep cursor (oldest 50)",
            api,
            f"/api/updates/?cursor={cursor(deep)}",
            settings=limit,
        ),
        page("API: status updates, 200 a page", api, "/api/updates/?page_size=200", settings=limit),
        page(
            "API: status updates since a week ago",
            api,
            f"/api/updates/?since={dt.date.today() - dt.timedelta(days=7)}",
            settings=limit,
        ),
        page(
            f"API: one commitment's updates ({subjects.hot_updates:,}), first page",
            api,
            f"/api/commitments/{hot.reference}/updates/",
            settings=limit,
        ),
        page(
            "API: one commitment's updates, oldest page",
            api,
            f"/api/commitments/{hot.reference}/updates/?cursor={cursor(hot_ids[-1])}",
            settings=limit,
        ),
        page(
            "API: commitment, If-None-Match (304)",
            api,
            f"/api/commitments/{hot.reference}/",
            headers={"If-None-Match": etag},
            expect=304,
            settings=limit,
        ),
    ]


def run_api(subjects, *, iterations, max_seconds, log=print):
    """Measure the reference pages, then the API's and the web's; the token is removed after."""
    from django.utils import timezone

    from bench import run
    from tracker.api.models import ApiToken

    token, raw = ApiToken.issue(
        user=subjects.manager,
        name="bench/api.py",
        scope="read",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    references = [
        run.Page("hello world (reference)", run.signed_in(subjects.manager), "/bench/hello/"),
        run.Page(
            "admin: status updates changelist",
            run.signed_in(subjects.admin),
            "/admin/tracker/statusupdate/",
        ),
    ]
    results = []
    try:
        for page in references + api_pages(subjects, raw, run):
            result = run.measure(page, iterations=iterations, max_seconds=max_seconds)
            log(
                f"  {result.name:<52} median {result.median_ms:7.1f} ms   "
                f"p95 {result.p95_ms:7.1f} ms   {result.queries:>2} queries"
            )
            results.append(result)
    finally:
        token.delete()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=30, help="Requests measured per page.")
    parser.add_argument("--max-seconds", type=float, default=20, help="Time cap per page.")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from bench import run

    run.setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("collectstatic", interactive=False, verbosity=0)
    subjects = run.find_subjects()
    print(f"Database: {connection.settings_dict['NAME']} ({connection.vendor})")
    print(f"Data: {subjects.commitments:,} commitments, {subjects.updates:,} status updates")
    results = run_api(subjects, iterations=args.iterations, max_seconds=args.max_seconds)
    info = run.machine()
    print()
    print(
        f"{info['date']} · {info['cpus']} CPUs · Python {info['python']} · "
        f"Django {info['django']} · {info['database']} · "
        f"{subjects.commitments:,} commitments, {subjects.updates:,} status updates"
    )
    print()
    table = run.table(results, results[0].median_ms, results[1].median_ms)
    print(table.replace("× admin changelist", "× admin updates changelist"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
