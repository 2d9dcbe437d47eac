#!/usr/bin/env python
"""`make bench`: every page end to end on SQLite and PostgreSQL, small and large data, one table.

    .venv/bin/python bench/all.py                  # what `make bench` runs
    .venv/bin/python bench/all.py --sizes 1000000 --databases sqlite

For each database and size it makes the data set once (kept between runs: a data set that
already has the size asked for is reused; `--regenerate` makes it anew), migrates it, runs
bench/e2e.py, and at the end prints bench/report.py's table of all runs. SQLite data sets are
`var/bench-<size>.sqlite3`; PostgreSQL ones are databases named `<name>_<size>` beside the
one in `BENCH_DATABASE_URL` (default postgres://tracker:tracker@127.0.0.1:5432/tracker_bench),
skipped with a message when that server does not answer.
"""

import argparse
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_PG = "postgres://tracker:tracker@127.0.0.1:5432/tracker_bench"
COMMITMENTS_PER_UPDATE = 10_000 / 1_000_000  # the default data set's shape, at any size


def short(size):
    return f"{size // 1_000_000}m" if size % 1_000_000 == 0 else f"{size // 1000}k"


def environment(database, size):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    env.pop("DATABASE_URL", None)
    if database == "sqlite":
        env["SQLITE_PATH"] = f"var/bench-{short(size)}.sqlite3"
    else:
        url = urllib.parse.urlsplit(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
        name = f"{url.path.lstrip('/')}_{short(size)}"
        env["DATABASE_URL"] = urllib.parse.urlunsplit(url._replace(path=f"/{name}"))
    return env


def manage(env, *args, capture=False):
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=capture,
    )


def postgres_answers():
    url = urllib.parse.urlsplit(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    try:
        import psycopg

        psycopg.connect(
            host=url.hostname,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL here
        print(f"PostgreSQL at {url.hostname}:{url.port or 5432} does not answer ({exc}): skipped")
        return False
    return True


def create_database(env):
    url = urllib.parse.urlsplit(env["DATABASE_URL"])
    import psycopg

    with psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        name = url.path.lstrip("/")
        if not conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
            conn.execute(f'create database "{name}"')


UPDATES = "from tracker.models import StatusUpdate; print(StatusUpdate.objects.count())"
KEEP_PAST_DAYS = (
    "import time; from tracker.dashboard import days; started = time.monotonic(); "
    "n = days.refresh(); print(f'Kept {n} past days of the dashboard in "
    "{time.monotonic() - started:.1f} s')"
)


def prepare(database, size, *, regenerate):
    env = environment(database, size)
    (ROOT / "var").mkdir(exist_ok=True)
    if database == "postgres":
        create_database(env)
    manage(env, "migrate", "--no-input", "-v", "0")
    counted = manage(env, "shell", "-v", "0", "-c", UPDATES, capture=True).stdout.split()
    have = int(counted[-1]) if counted else 0
    if regenerate or have < size or have > size * 1.01:
        commitments = max(100, round(size * COMMITMENTS_PER_UPDATE))
        print(f"Generating {commitments:,} commitments and {size:,} updates on {database}:")
        manage(
            env,
            "generate_bench_data",
            "--reset",
            f"--commitments={commitments}",
            f"--updates={size}",
        )
    # The dashboard's past days, kept (what the worker keeps doing every few minutes).
    manage(env, "shell", "-v", "0", "-c", KEEP_PAST_DAYS)
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[20_000, 1_000_000])
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--seconds", type=int, default=5, help="Seconds of wrk per measurement.")
    args = parser.parse_args(argv)

    results = []
    for database in args.databases:
        if database == "postgres" and not postgres_answers():
            continue
        for size in sorted(args.sizes):
            env = prepare(database, size, regenerate=args.regenerate)
            out = ROOT / "var" / f"bench-{database}-{short(size)}.json"
            subprocess.run(
                [PYTHON, "bench/e2e.py", "--json", str(out), "--seconds", str(args.seconds)],
                cwd=ROOT,
                env=env,
                check=True,
            )
            results.append(str(out))
    print()
    subprocess.run([PYTHON, "bench/report.py", *results], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
