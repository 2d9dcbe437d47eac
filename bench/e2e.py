#!/usr/bin/env python
"""Every page end to end, as a browser gets it: gunicorn, DEBUG off, wrk on 127.0.0.1.

    SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/e2e.py --json var/bench-sqlite.json
    DATABASE_URL=postgres://… .venv/bin/python bench/e2e.py --json var/bench-pg.json

Two gunicorn servers (2 sync workers each, bench/settings.py) serve the benchmark database:
one as in production, one with the dashboard's cache off (what the first view after any write
costs). For each page, wrk with one connection gives the latency (p50, p99) and wrk with
eight connections the throughput; each is reported as a ratio to hello-world measured in the
same run. Posting a status update (HTMX, the answer re-renders the page's regions) cannot be
replayed by wrk (each post needs its own idempotency key): a keep-alive-free Python client
posts one at a time, and the posts are removed afterwards (bench/run.py's `Posted`).

`bench/report.py` puts several runs (SQLite and PostgreSQL, small and large data) into one
table. See bench/README.md.
"""

import argparse
import dataclasses
import datetime as dt
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402  (the data set's subjects, gunicorn, the machine)

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


@dataclasses.dataclass
class Page:
    key: str  # stable across runs, for bench/report.py
    name: str
    path: str
    who: str = "manager"  # whose session cookie
    server: str = "cached"  # "cached" or "afresh" (dashboard cache off)
    headers: dict = dataclasses.field(default_factory=dict)


def wrk(url, headers, *, connections, seconds):
    """wrk's p50 and p99 (ms) and requests per second; non-2xx/3xx answers are an error."""
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        raise RuntimeError(f"{url}: {bad.group(1)} answers were not 2xx/3xx\n{out}")

    def percentile(p):
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()
        return float(value) * UNITS[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    return percentile(50), percentile(99), rate, done


def returned_author(subjects):
    """The analyst with the most returned updates still unanswered, for the returned list.
    The first by id had 2 at 20,000 updates and a full page of 20 at 1,000,000, so the
    list's growth compared 2 cards with 20; the busiest has 14 and 20 (bench/README.md)."""
    from django.db.models import Count, Exists, OuterRef

    from tracker.models import StatusUpdate

    revised = StatusUpdate.objects.filter(revises=OuterRef("pk"))
    author = (
        StatusUpdate.objects.filter(review_state=StatusUpdate.ReviewState.RETURNED)
        .exclude(Exists(revised))
        .values("author_id")
        .annotate(returned=Count("pk"))
        .order_by("-returned", "author_id")
        .values_list("author_id", flat=True)
        .first()
    )
    return author or subjects.post_target.owner_id


MIN_REQUESTS = 5


def sequential(server, path, headers, count=MIN_REQUESTS):
    """p50 and p99 (ms) of `count` GETs one after the other, for pages slower than a second."""
    times = []
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - t0) * 1000)
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
    return statistics.median(times), max(times)


def pages(subjects, today):
    year_ago = (today - dt.timedelta(days=365)).isoformat()
    hx = {"HX-Request": "true", "HX-Current-URL": "http://127.0.0.1/"}
    s = subjects
    return [
        Page("hello", "hello world (full middleware, signed in)", "/bench/hello/"),
        Page("dashboard", "dashboard, cached", "/"),
        Page("dashboard-afresh", "dashboard, rendered afresh", "/", server="afresh"),
        Page(
            "as-of-afresh",
            "dashboard as of a year ago, afresh",
            f"/?as_of={year_ago}",
            server="afresh",
        ),
        Page(
            "trend-afresh",
            "dashboard trend, 24 months, afresh",
            "/?months=24",
            server="afresh",
        ),
        Page(
            "dashboard-htmx-afresh",
            "dashboard filtered (HTMX), afresh",
            f"/?area={s.area_id}",
            server="afresh",
            headers=hx,
        ),
        Page("list", "commitments list", "/commitments/"),
        Page(
            "list-filtered",
            "commitments list, filtered",
            f"/commitments/?status=at_risk&area={s.area_slug}",
        ),
        Page("list-htmx", "commitments list (HTMX fragment)", "/commitments/?page=2", headers=hx),
        Page(
            "commitment",
            f"commitment page ({s.hot_updates:,} updates)",
            s.hot.get_absolute_url(),
        ),
        Page("review", "review queue", "/review/"),
        Page("returned", "returned list (an analyst's)", "/returned/", who="analyst"),
        Page("reader", "source reader", f"/sources/{s.source_id}/"),
        Page("sources", "source library", "/sources/"),
        Page("search", f"search ({run.SEARCH_TERM!r})", f"/search/?q={run.SEARCH_TERM}"),
        Page(
            "admin",
            "admin commitment changelist (reference)",
            "/admin/tracker/commitment/",
            who="admin",
        ),
    ]


def cookie_for(user):
    from django.conf import settings

    client = run.signed_in(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def csrf_token(server, cookie):
    """A CSRF cookie and token for `cookie`'s session, as the browser gets them from a page."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/commitments/", headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("csrftoken="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError("no CSRF cookie from /commitments/")


def post_latency(server, subjects, cookie, *, count):
    """Median and p99 (ms) of `count` HTMX posts of a status update, one at a time."""
    token = csrf_token(server, cookie)
    form = run.update_form(subjects.post_target, subjects.source_id, subjects.quote)
    path = f"{subjects.post_target.get_absolute_url()}updates/"
    headers = {
        "Cookie": f"{cookie}; csrftoken={token}",
        "X-CSRFToken": token,
        "HX-Request": "true",
        "HX-Current-URL": f"http://127.0.0.1{subjects.post_target.get_absolute_url()}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": server.url,
        "Referer": f"{server.url}{subjects.post_target.get_absolute_url()}",
    }
    times = []
    for i in range(count + 3):
        body = urllib.parse.urlencode({**form(), "idempotency_key": uuid.uuid4().hex})
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        t0 = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - t0
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"post answered {response.status}")
        if i >= 3:  # three warm-up posts
            times.append(elapsed * 1000)
    ordered = sorted(times)
    return statistics.median(times), ordered[max(0, round(0.99 * len(ordered)) - 1)]


class Server(run.Gunicorn):
    def __init__(self, env):
        super().__init__(workers=2)
        self.env = env

    def __enter__(self):
        saved = {name: os.environ.get(name) for name in self.env}
        os.environ.update(self.env)
        try:
            return super().__enter__()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def measure(subjects, *, seconds, posts, only=None, log=print):
    from django.contrib.auth.models import User
    from django.utils import timezone

    cookies = {
        "manager": cookie_for(subjects.manager),
        "admin": cookie_for(subjects.admin),
        "analyst": cookie_for(User.objects.get(pk=returned_author(subjects))),
        "owner": cookie_for(subjects.post_target.owner),
    }
    results = []
    with (
        Server({}) as cached,
        Server({"TRACKER_DASHBOARD_CACHE_SECONDS": "0"}) as afresh,
    ):
        servers = {"cached": cached, "afresh": afresh}
        for page in pages(subjects, timezone.localdate()):
            if only and page.key != "hello" and not re.search(only, page.key):
                continue
            url = servers[page.server].url + page.path
            headers = {"Cookie": cookies[page.who], **page.headers}
            wrk(url, headers, connections=1, seconds=1)  # warm-up
            p50, p99, _, done = wrk(url, headers, connections=1, seconds=seconds)
            if done < MIN_REQUESTS:  # Too slow for wrk's window: time requests one by one.
                p50, p99 = sequential(servers[page.server], page.path, headers)
            _, _, rate, _ = wrk(url, headers, connections=8, seconds=seconds)
            results.append(
                {"key": page.key, "name": page.name, "p50": p50, "p99": p99, "rps": rate}
            )
            log(f"  {page.name:<44} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  {rate:7.0f} req/s")
        if posts and (not only or re.search(only, "post")):
            with run.Posted():
                p50, p99 = post_latency(cached, subjects, cookies["owner"], count=posts)
            name = "post a status update (HTMX, regions re-rendered)"
            results.append({"key": "post", "name": name, "p50": p50, "p99": p99, "rps": None})
            log(f"  {name:<44} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="Seconds of wrk per measurement.")
    parser.add_argument("--posts", type=int, default=40, help="Status updates posted (0: none).")
    parser.add_argument("--only", help="Measure only the pages whose key matches this regex.")
    parser.add_argument("--json", help="Write the results to this file (for bench/report.py).")
    args = parser.parse_args(argv)

    run.setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("collectstatic", interactive=False, verbosity=0)
    subjects = run.find_subjects()
    info = run.machine()
    print(
        f"{info['database']}: {subjects.commitments:,} commitments, "
        f"{subjects.updates:,} status updates ({connection.settings_dict['NAME']})"
    )
    results = measure(subjects, seconds=args.seconds, posts=args.posts, only=args.only)
    outcome = {
        "machine": info,
        "vendor": connection.vendor,
        "commitments": subjects.commitments,
        "updates": subjects.updates,
        "pages": results,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(outcome, indent=2))
    print()
    from bench import report

    print(report.table([outcome]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
