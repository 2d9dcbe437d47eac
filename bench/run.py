#!/usr/bin/env python
"""Measure the tracker's pages on the benchmark data set, all in one run on one machine.

    SQLITE_PATH=var/bench.sqlite3 .venv/bin/python bench/run.py

1. Server time, in process: each page is requested through the whole middleware stack with
   django.test.Client as a signed-in user, after a warm-up, many times; the table gives the
   median and 95th percentile, the queries of one request, and the ratios to a hello-world
   view and to the Django admin's commitment changelist.
2. The full history export, streamed to the end in a child process: time and peak memory.
3. Throughput: gunicorn (2 workers) on 127.0.0.1 and a load generator (wrk, or a threaded
   Python client without it) on the dashboard and on hello-world, one after the other.

See bench/README.md. Settings: bench/settings.py (DEBUG off, the benchmark database).
"""

import argparse
import dataclasses
import datetime as dt
import json
import math
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SEARCH_TERM = "fentanyl"  # In about one title in 24 (bench/generate.py, OBJECTS).


@dataclasses.dataclass
class Result:
    name: str
    times: list  # seconds, one per measured request
    queries: int | None
    status: int
    note: str = ""

    @property
    def median_ms(self):
        return statistics.median(self.times) * 1000

    @property
    def p95_ms(self):
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] * 1000


@dataclasses.dataclass
class Page:
    """One measured request: a GET, or a POST whose data is made afresh for each request."""

    name: str
    client: object
    path: str
    method: str = "get"
    data: object = None  # dict, or a callable returning one
    headers: dict = dataclasses.field(default_factory=dict)
    expect: int = 200
    stream: bool = False
    note: str = ""
    settings: dict = dataclasses.field(default_factory=dict)  # overridden while measured


def setup_django():
    """Django with the benchmark's settings (bench/settings.py), from the repository's root."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def request(page):
    data = page.data() if callable(page.data) else page.data
    response = getattr(page.client, page.method)(page.path, data=data, headers=page.headers)
    if page.stream and response.streaming:
        for _ in response.streaming_content:
            pass
    else:
        response.content  # noqa: B018 - rendered already; read as a server would send it
    return response


def measure(page, *, iterations=30, warmup=3, max_seconds=20.0):
    """Time `page` `iterations` times after `warmup` requests (fewer if it is slow)."""
    from django.test.utils import override_settings

    with override_settings(**page.settings):
        return _measure(page, iterations=iterations, warmup=warmup, max_seconds=max_seconds)


def _measure(page, *, iterations, warmup, max_seconds):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = None
    for _ in range(max(1, warmup)):
        response = request(page)
    if response.status_code != page.expect:
        raise RuntimeError(
            f"{page.name}: {page.method.upper()} {page.path} answered {response.status_code}, "
            f"expected {page.expect}"
        )
    with CaptureQueriesContext(connection) as captured:
        request(page)
    queries = len(captured)  # Now: the next request empties the log.
    times = []
    started = time.perf_counter()
    while len(times) < iterations:
        t0 = time.perf_counter()
        response = request(page)
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - started > max_seconds and len(times) >= 5:
            break
    return Result(page.name, times, queries, response.status_code, page.note)


# The data set: who and what the pages are measured with


@dataclasses.dataclass
class Subjects:
    manager: object
    admin: object
    hot: object  # the commitment with the most updates (1,000)
    hot_updates: int
    small: object  # a commitment with a short history, for the constant-queries check
    post_target: object  # a commitment of typical size that its owner posts updates to
    source_id: int  # the reader's source, cited by the posts: the newest with text, if any
    quote: str  # the posts' quote: verbatim from that source's text (verified), if it has text
    area_slug: str
    area_id: int
    last_page: int
    commitments: int
    updates: int


def find_subjects():
    from django.contrib.auth.models import User
    from django.db.models import Count

    from tracker.models import MANAGERS, Commitment, Source, SourceParagraph, StatusUpdate

    per_commitment = list(
        StatusUpdate.objects.order_by()
        .values_list("commitment_id")
        .annotate(n=Count("id"))
        .order_by("-n", "commitment_id")
    )
    if not per_commitment:
        raise SystemExit(
            "No status updates in this database: run `manage.py generate_bench_data` first "
            "(see bench/README.md)."
        )
    hot_id, hot_n = per_commitment[0]
    median_n = per_commitment[len(per_commitment) // 2][1]
    small_id = next((pk for pk, n in reversed(per_commitment) if n >= 3), hot_id)
    typical_id = next(pk for pk, n in per_commitment if n <= median_n)
    with_risk = (
        Commitment.objects.filter(current_status="at_risk")
        .values_list("area__slug", "area_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    n_commitments = Commitment.objects.count()
    sources = Source.objects.order_by("-pk")
    source_id = (
        sources.filter(paragraph_count__gt=0).values_list("pk", flat=True).first()
        or sources.values_list("pk", flat=True).first()
    )
    first = SourceParagraph.objects.filter(source=source_id).order_by("number").first()
    return Subjects(
        manager=User.objects.filter(groups__name=MANAGERS).order_by("pk").first(),
        admin=User.objects.filter(is_superuser=True).order_by("pk").first(),
        hot=Commitment.objects.select_related("owner").get(pk=hot_id),
        hot_updates=hot_n,
        small=Commitment.objects.get(pk=small_id),
        post_target=Commitment.objects.select_related("owner").get(pk=typical_id),
        source_id=source_id,
        quote=first.text[:80].rsplit(" ", 1)[0] if first else "Officials said work continues.",
        area_slug=with_risk[0] if with_risk else "",
        area_id=with_risk[1] if with_risk else 0,
        last_page=max(1, math.ceil(n_commitments / 25)),
        commitments=n_commitments,
        updates=sum(n for _, n in per_commitment),
    )


def signed_in(user):
    from tests.factories import signed_in

    return signed_in(user)


def update_form(commitment, source_id, quote):
    """What the commitment page's form posts: the same status, one piece of evidence."""
    from django.utils import timezone

    from tests.factories import evidence_management
    from tracker.models import Status

    def data():
        status = commitment.current_status
        return {
            "status": Status.IN_PROGRESS if status == Status.NOT_ASSESSED else status,
            "progress": "" if commitment.current_progress is None else commitment.current_progress,
            "confidence": commitment.current_confidence or "moderate",
            "as_of": timezone.localdate().isoformat(),
            "assessment": "No change since the last review.",
            "idempotency_key": uuid.uuid4().hex,
            "revises": "",
            **evidence_management(3),
            "evidence-0-quote": quote,
            "evidence-0-source": str(source_id),
            "evidence-0-speaker": "Spokesperson",
        }

    return data


class Posted:
    """Remove what the posting measurements added, so that runs stay comparable."""

    def __enter__(self):
        from tracker.models import AuditEvent, StatusUpdate

        self.update = StatusUpdate.objects.order_by("-pk").values_list("pk", flat=True).first()
        self.audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        return self

    def __exit__(self, *exc):
        from django.db import transaction
        from django.db.models import Max

        from tracker.models import AuditEvent, Commitment, Evidence, StatusUpdate

        with transaction.atomic():
            added = StatusUpdate.objects.filter(pk__gt=self.update)
            touched = set(added.values_list("commitment_id", flat=True))
            Evidence.objects.filter(status_update__in=added).delete()
            added.delete()
            AuditEvent.objects.filter(pk__gt=self.audit).delete()
            for pk in touched:
                last = StatusUpdate.objects.filter(commitment_id=pk).aggregate(m=Max("created_at"))
                Commitment.objects.filter(pk=pk).update(last_update_at=last["m"])


def dashboard_pages(client, today, area_id):
    """The dashboard, as of a year ago, its trend window, a filter (tracker/dashboard/views.py).

    The trend is part of the dashboard page (12 months by default, `months` changes it).
    """
    year_ago = today - dt.timedelta(days=365)
    hx = {"HX-Request": "true", "HX-Current-URL": "http://testserver/"}
    # Rendered afresh: what the first view after a write, or of a new choice, costs.
    fresh = {"settings": {"TRACKER_DASHBOARD_CACHE_SECONDS": 0}, "note": "cache off"}
    as_of = f"/?as_of={year_ago.isoformat()}"
    return [
        Page("dashboard", client, "/", note="cached"),
        Page("dashboard, rendered afresh", client, "/", **fresh),
        Page("dashboard as of a year ago", client, as_of, note="cached"),
        Page("dashboard as of a year ago, afresh", client, as_of, **fresh),
        Page("dashboard trend, 12 months, afresh", client, "/?months=12", **fresh),
        Page("dashboard trend, 24 months, afresh", client, "/?months=24", **fresh),
        Page("dashboard filtered, HTMX, afresh", client, f"/?area={area_id}", headers=hx, **fresh),
    ]


def pages(subjects):
    from django.utils import timezone

    manager = signed_in(subjects.manager)
    admin = signed_in(subjects.admin)
    owner = signed_in(subjects.post_target.owner)
    today = timezone.localdate()
    s = subjects
    hx = {"HX-Request": "true", "HX-Current-URL": "http://testserver/"}
    return [
        Page("hello world (reference)", manager, "/bench/hello/"),
        Page("admin: commitments changelist", admin, "/admin/tracker/commitment/"),
        Page("admin: status updates changelist", admin, "/admin/tracker/statusupdate/"),
        *dashboard_pages(manager, today, s.area_id),
        Page("commitments list", manager, "/commitments/"),
        Page(
            "list: filtered (status, area)",
            manager,
            f"/commitments/?status=at_risk&area={s.area_slug}",
        ),
        Page("list: searched", manager, f"/commitments/?q={SEARCH_TERM}"),
        Page("list: last page", manager, f"/commitments/?page={s.last_page}"),
        Page(
            "list: HTMX results fragment", manager, "/commitments/?status=in_progress", headers=hx
        ),
        Page(
            f"commitment page ({s.hot_updates:,} updates)",
            manager,
            s.hot.get_absolute_url(),
        ),
        Page(
            f"commitment page ({s.small.status_updates.count()} updates)",
            manager,
            s.small.get_absolute_url(),
        ),
        Page(
            "post an update (302)",
            owner,
            f"{s.post_target.get_absolute_url()}updates/",
            method="post",
            data=update_form(s.post_target, s.source_id, s.quote),
            expect=302,
            note=f"{s.post_target.status_updates.count()} updates, review on",
        ),
        Page(
            "post an update (HTMX)",
            owner,
            f"{s.post_target.get_absolute_url()}updates/",
            method="post",
            data=update_form(s.post_target, s.source_id, s.quote),
            headers=hx,
            note="re-renders the page's regions",
        ),
    ]


def measure_pair(first, second, *, iterations=30, warmup=3):
    """Medians of two pages measured in alternation, so that other load hits both alike."""
    for _ in range(warmup):
        request(first)
        request(second)
    times = ([], [])
    for _ in range(iterations):
        for page, bucket in zip((first, second), times, strict=True):
            t0 = time.perf_counter()
            request(page)
            bucket.append(time.perf_counter() - t0)
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


def run_pages(subjects, *, iterations, max_seconds, only=None, log=print):
    results = []
    for page in pages(subjects):
        if only and not re.search(only, page.name):
            continue
        try:
            if page.method == "post":
                with Posted():
                    result = measure(page, iterations=iterations, max_seconds=max_seconds)
            else:
                result = measure(page, iterations=iterations, max_seconds=max_seconds)
        except Exception as exc:  # A page still being built must not stop the others.
            log(f"  {page.name:<40} NOT MEASURED: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        log(
            f"  {result.name:<40} median {result.median_ms:8.1f} ms   p95 {result.p95_ms:8.1f} ms"
            f"   {result.queries:>3} queries   ({len(result.times)} requests)"
        )
        results.append(result)
    return results


# The export, in a child process so that its peak memory is its own


def rss_kb():
    """The resident memory of this process now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def export_child(path, user_pk, traced):
    """Stream `path` to the end; print time, size and memory as JSON (runs in the child)."""
    import tracemalloc

    from django.contrib.auth.models import User

    client = signed_in(User.objects.get(pk=user_pk))
    rss_before = peak = rss_kb()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(path)
    size = lines = 0
    chunks = response.streaming_content if response.streaming else [response.content]
    for i, chunk in enumerate(chunks):
        size += len(chunk)
        lines += chunk.count(b"\n")
        if i % 100 == 0:
            peak = max(peak, rss_kb())
    seconds = time.perf_counter() - started
    peak = max(peak, rss_kb())
    print(
        json.dumps(
            {
                "status": response.status_code,
                "streaming": response.streaming,
                "seconds": seconds,
                "bytes": size,
                "lines": lines,
                "rss_before_kb": rss_before,
                "rss_peak_kb": peak,
                "rss_growth_kb": peak - rss_before,
                "traced_peak_bytes": tracemalloc.get_traced_memory()[1] if traced else None,
            }
        )
    )


def export_once(path, user, traced=False):
    child = subprocess.run(
        [PYTHON, __file__, "--export-child", path, "--user", str(user.pk)]
        + (["--traced"] if traced else []),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if child.returncode:
        raise RuntimeError(f"export child failed:\n{child.stderr[-3000:]}")
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    if outcome["status"] != 200:
        raise RuntimeError(f"{path} answered {outcome['status']}")
    return outcome


def run_export(path, user, *, area_id, runs=2, traced=False, log=print):
    """Stream the export `runs` times in fresh processes, and once filtered to one area.

    Flat memory: the peak RSS grows as much for the whole history as for a twelfth of it.
    With `traced`, once more under tracemalloc (slower) for the Python heap's peak.
    """
    plan = [(path, False)] * runs + [(f"{path}?area={area_id}", False)]
    if traced:
        plan.append((path, True))
    outcomes = []
    for url, trace in plan:
        o = export_once(url, user, trace)
        outcomes.append(o)
        log(
            f"  {url}: {o['seconds']:.1f} s, {o['bytes'] / 1e6:.0f} MB, {o['lines']:,} lines; "
            f"RSS {o['rss_before_kb'] / 1024:.0f} MB, peak +{o['rss_growth_kb'] / 1024:.1f} MB"
            + (f", tracemalloc peak {o['traced_peak_bytes'] / 1e6:.1f} MB" if trace else "")
        )
    full, part = outcomes[:runs], outcomes[runs]
    return {
        "result": Result(
            f"export {path} (streamed to the end)",
            [o["seconds"] for o in full],
            None,
            200,
            f"{full[0]['bytes'] / 1e6:.0f} MB",
        ),
        "streaming": all(o["streaming"] for o in outcomes),
        "bytes": full[0]["bytes"],
        "lines": full[0]["lines"],
        "rss_growth_mb": max(o["rss_growth_kb"] for o in full) / 1024,
        "area_bytes": part["bytes"],
        "area_rss_growth_mb": part["rss_growth_kb"] / 1024,
        "traced_peak_mb": outcomes[-1]["traced_peak_bytes"] / 1e6 if traced else None,
    }


# Throughput under gunicorn


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, workers=2):
        self.port = free_port()
        self.workers = workers

    def __enter__(self):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [
                gunicorn,
                "tracker.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2).read()  # noqa: S310
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not start")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def fetch(url, cookie):
    req = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
        return response.status, response.geturl(), response.read()


def load_wrk(url, cookie, duration, connections):
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return rate, int(bad.group(1)) if bad else 0, errors.group(0) if errors else ""


def load_python(url, cookie, duration, connections):
    """A plain threaded client, when wrk is not installed (it costs more CPU than wrk)."""
    done, bad = [0], [0]
    stop = time.monotonic() + duration

    def worker():
        while time.monotonic() < stop:
            try:
                status, _, _ = fetch(url, cookie)
            except OSError:
                status = 0
            done[0] += 1
            if status != 200:
                bad[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / duration, bad[0], ""


def run_load(subjects, *, duration, connections=8, rounds=3, log=print):
    """Requests per second on hello-world and on the dashboard, in alternating rounds.

    Alternating spreads any other load on the machine over both alike; each URL gets
    `duration` seconds in all.
    """
    from django.conf import settings

    client = signed_in(subjects.manager)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    load = load_wrk if shutil.which("wrk") else load_python
    tool = "wrk" if load is load_wrk else "python threads"
    urls = {"hello world": "/bench/hello/", "dashboard": "/"}
    rates = {name: [] for name in urls}
    with Gunicorn(workers=2) as server:
        for path in urls.values():
            status, final_url, _ = fetch(server.url + path, cookie)
            if status != 200 or not final_url.endswith(path):
                raise RuntimeError(f"{path} under gunicorn: {status} at {final_url}")
            load(server.url + path, cookie, 2, connections)  # warm-up
        for _ in range(rounds):
            for name, path in urls.items():
                rate, bad, _ = load(server.url + path, cookie, duration / rounds, connections)
                if bad:
                    raise RuntimeError(f"{path}: {bad} responses were not 2xx/3xx")
                rates[name].append(rate)
    result = {"tool": tool, "connections": connections, "duration": duration}
    for name, values in rates.items():
        result[name] = statistics.mean(values)
        log(
            f"  {name:<12} {result[name]:8.1f} req/s   ({tool}, {connections} connections, "
            f"{rounds} rounds of {duration / rounds:.0f} s: "
            + ", ".join(f"{v:.0f}" for v in values)
            + ")"
        )
    return result


# Reporting


def machine():
    import django
    from django.db import connection

    cpu = ""
    if shutil.which("lscpu"):
        found = re.search(
            r"Model name:\s*(.+)", subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        )
        cpu = found.group(1).strip() if found else ""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        ram = 0
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            database = f"SQLite {cursor.fetchone()[0]}"
        else:
            cursor.execute("select version()")
            database = cursor.fetchone()[0].split(",")[0]
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(ram, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
    }


def table(results, hello, admin):
    rows = [
        "| page | median ms | p95 ms | queries | × hello-world | × admin changelist | requests |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        rows.append(
            f"| {r.name}{f' ({r.note})' if r.note else ''} | {r.median_ms:.1f} | {r.p95_ms:.1f} "
            f"| {'–' if r.queries is None else r.queries} | {r.median_ms / hello:.1f} "
            f"| {r.median_ms / admin:.2f} | {len(r.times)} |"
        )
    return "\n".join(rows)


def targets(by_name, export, load, pair=None):
    """The issue's targets, each with its figure: [(target, figure, met)]."""
    checks = []

    def median(prefix):
        return next((r.median_ms for name, r in by_name.items() if name.startswith(prefix)), None)

    for label, prefix, limit in [
        ("commitments list < 50 ms", "commitments list", 50),
        ("commitment page (1,000 updates) < 50 ms", "commitment page (1,", 50),
        ("dashboard < 50 ms (cached)", "dashboard", 50),
        ("dashboard < 50 ms (rendered afresh)", "dashboard, rendered afresh", 50),
        ("dashboard as of a year ago < 100 ms (afresh)", "dashboard as of a year ago, afresh", 100),
        ("dashboard trend < 100 ms (12 months, afresh)", "dashboard trend, 12", 100),
        ("posting an update < 30 ms", "post an update (302)", 30),
    ]:
        value = median(prefix)
        if value is not None:
            checks.append((label, f"{value:.1f} ms", value < limit))
    lst, adm = pair or (median("commitments list"), median("admin: commitments"))
    if lst and adm:
        checks.append(
            (
                "list ≤ ½ admin changelist" + (" (alternating)" if pair else ""),
                f"{lst:.1f} / {adm:.1f} ms = {lst / adm:.2f} ×",
                lst <= adm / 2,
            )
        )
    if load and "dashboard" in load and "hello world" in load:
        share = load["dashboard"] / load["hello world"]
        checks.append(("dashboard throughput ≥ 25% of hello-world", f"{share:.0%}", share >= 0.25))
    if export:
        # Flat: streaming all of it costs no more memory than a twelfth of it (+ slack).
        flat = export["rss_growth_mb"] <= export["area_rss_growth_mb"] + 20
        checks.append(
            (
                "history export streams with flat memory",
                f"peak RSS +{export['rss_growth_mb']:.0f} MB for {export['bytes'] / 1e6:.0f} MB, "
                f"+{export['area_rss_growth_mb']:.0f} MB for {export['area_bytes'] / 1e6:.0f} MB",
                export["streaming"] and flat,
            )
        )
    return checks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=30, help="Requests measured per page.")
    parser.add_argument("--max-seconds", type=float, default=20, help="Time cap per page.")
    parser.add_argument("--duration", type=int, default=15, help="Seconds of load per URL.")
    parser.add_argument("--only", help="Measure only the pages whose name matches this regex.")
    parser.add_argument("--no-load", action="store_true", help="Skip the gunicorn throughput.")
    parser.add_argument("--no-export", action="store_true", help="Skip the export.")
    parser.add_argument("--export-runs", type=int, default=2, help="Full exports timed.")
    parser.add_argument(
        "--traced-export", action="store_true", help="Add an export under tracemalloc."
    )
    parser.add_argument("--json", help="Also write the results to this file.")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    parser.add_argument("--user", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    setup_django()
    if args.export_child:
        return export_child(args.export_child, args.user, args.traced)

    from django.core.management import call_command
    from django.db import connection

    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"Database: {connection.settings_dict['NAME']} ({connection.vendor})")
    subjects = find_subjects()
    print(
        f"Data: {subjects.commitments:,} commitments, {subjects.updates:,} status updates; "
        f"commitment page on {subjects.hot.reference} ({subjects.hot_updates:,} updates)"
    )
    print("Server time, in process (django.test.Client, signed in):")
    results = run_pages(
        subjects, iterations=args.iterations, max_seconds=args.max_seconds, only=args.only
    )
    pair = None
    if not args.only:
        print("The list and the admin's changelist, alternating:")
        named = {page.name: page for page in pages(subjects)}
        pair = measure_pair(
            named["commitments list"],
            named["admin: commitments changelist"],
            iterations=args.iterations,
        )
        print(f"  list {pair[0]:.1f} ms, admin {pair[1]:.1f} ms: {pair[0] / pair[1]:.2f} ×")
    export = None
    if not args.no_export and not args.only:
        print("Export, streamed to the end in a fresh process:")
        export = run_export(
            "/export/history.csv",
            subjects.manager,
            area_id=subjects.area_id,
            runs=args.export_runs,
            traced=args.traced_export,
        )
        results.append(export["result"])
    load = None
    if not args.no_load and not args.only:
        print("Throughput under gunicorn, 2 workers:")
        load = run_load(subjects, duration=args.duration)

    by_name = {r.name: r for r in results}
    hello = next((r.median_ms for r in results if r.name.startswith("hello")), None)
    admin = next((r.median_ms for r in results if r.name.startswith("admin: commitments")), None)
    info = machine()
    print()
    print(
        f"{info['date']} · {info['cpus']} CPUs ({info['cpu']}) · {info['ram_gb']} GB RAM · "
        f"Python {info['python']} · Django {info['django']} · {info['database']}"
    )
    print(f"{subjects.commitments:,} commitments, {subjects.updates:,} status updates")
    print()
    if hello and admin:
        print(table(results, hello, admin))
    if load:
        print()
        print("| under gunicorn (2 workers) | req/s |")
        print("| --- | ---: |")
        print(f"| hello world | {load['hello world']:.0f} |")
        print(f"| dashboard | {load['dashboard']:.0f} |")
        print(f"| dashboard / hello world | {load['dashboard'] / load['hello world']:.0%} |")
        print(
            f"({load['tool']}, {load['connections']} connections, {load['duration']} s each, "
            "in alternating rounds)"
        )
    if export:
        print()
        print(
            f"History export: {export['lines']:,} lines, {export['bytes'] / 1e6:.0f} MB in "
            f"{export['result'].median_ms / 1000:.1f} s (median of {len(export['result'].times)}); "
            f"peak RSS growth {export['rss_growth_mb']:.1f} MB (one area, "
            f"{export['area_bytes'] / 1e6:.0f} MB: {export['area_rss_growth_mb']:.1f} MB)"
            + (
                f"; tracemalloc peak {export['traced_peak_mb']:.1f} MB."
                if export["traced_peak_mb"] is not None
                else "."
            )
        )
    checks = targets(by_name, export, load, pair)
    if checks:
        print()
        print("| target | figure | met |")
        print("| --- | --- | --- |")
        for label, figure, met in checks:
            print(f"| {label} | {figure} | {'yes' if met else 'NO'} |")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": info,
                    "pages": [
                        {
                            "name": r.name,
                            "median_ms": r.median_ms,
                            "p95_ms": r.p95_ms,
                            "queries": r.queries,
                            "requests": len(r.times),
                            "note": r.note,
                        }
                        for r in results
                    ],
                    "load": load,
                    "export": export and {k: v for k, v in export.items() if k != "result"},
                    "list_vs_admin_alternating_ms": pair,
                    "targets": checks,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
