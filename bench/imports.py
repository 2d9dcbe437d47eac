#!/usr/bin/env python
"""Import benchmark: commitments and status updates from CSV, through the same code as /import/.

    .venv/bin/python bench/imports.py --commitments 10000 --updates 100000

On a fresh database of its own (var/bench-import.sqlite3, or DATABASE_URL), with a few areas,
parties and analysts: writes a commitments CSV, checks it (the dry run) and applies it, imports
the export of what it created (everything unchanged), then does the same with a file of status
updates with evidence. Each step runs in a child process, so its peak memory (ru_maxrss) is
its own; with --tracemalloc, the peak of Python's allocations during the step is measured too.
"""

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = ROOT / "var" / "bench-import.sqlite3"


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    os.environ.setdefault("SQLITE_PATH", str(DEFAULT_DB))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def make_world():
    from django.core.management import call_command

    from tests import factories
    from tracker.models import Area, Party

    call_command("migrate", verbosity=0)
    for n in range(12):
        Area.objects.get_or_create(slug=f"area-{n}", defaults={"name": f"Area {n}"})
    for n in range(30):
        Party.objects.get_or_create(name=f"Party {n}")
    for n in range(1, 51):
        factories.make_analyst(f"analyst{n:02d}")
    factories.make_manager("importer")


def commitments_csv(count):
    from tracker.views.exports import COMMITMENT_COLUMNS

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COMMITMENT_COLUMNS)
    for i in range(count):
        row = dict.fromkeys(COMMITMENT_COLUMNS, "")
        row |= {
            "reference": f"B-{i:06d}",
            "title": f"Commitment number {i} on a subject of shared concern",
            "area": f"Area {i % 12}",
            "parties": f"Party {i % 30}; Party {(i + 7) % 30}",
            "delivering": f"Party {i % 30}",
            "owner": f"analyst{i % 50 + 1:02d}",
            "assignees": f"analyst{(i + 3) % 50 + 1:02d}" if i % 4 == 0 else "",
            "target_date": f"{2027 + i % 5}-{i % 12 + 1:02d}-15",
            "description": "What was promised, in a sentence or two of plain words. " * 3,
            "review_cadence_days": 14 + i % 77,
        }
        writer.writerow(row.values())
    return out.getvalue().encode()


def updates_csv(count, commitments):
    from tracker.views.exports import HISTORY_FIELDS

    statuses = ["in_progress", "at_risk", "in_progress", "stalled", "in_progress"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(HISTORY_FIELDS))
    for i in range(count):
        row = dict.fromkeys(HISTORY_FIELDS, "")
        row |= {
            "commitment": f"B-{i % commitments:06d}",
            "as_of": f"2026-{(i // commitments) % 11 + 1:02d}-{i % 28 + 1:02d}",
            "status": statuses[(i // commitments) % len(statuses)],
            "confidence": "moderate",
            "progress": (i * 7) % 101,
            "assessment": "An assessment of where things stand, with the reasons for it.",
            "quote": f"A verbatim quote from the source, number {i}.",
            "source": f"Source {i % 500}",
            "source_kind": "news",
        }
        writer.writerow(row.values())
    return out.getvalue().encode()


def step(name, path):
    """Run one import step in this process: check or apply the file; print a JSON line."""
    setup_django()
    from django.contrib.auth.models import User

    from tracker.imports.run import run

    user = User.objects.get(username="importer")
    data = Path(path).read_bytes()
    commit = name.startswith("apply")
    traced = os.environ.get("BENCH_TRACEMALLOC") == "1"
    if traced:  # Python's own allocations; slows the run down two to three times
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    outcome = run(data, Path(path).name, user=user, commit=commit)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    rows = sum(outcome.counts.get(k, 0) for k in ("create", "update", "unchanged", "error"))
    print(
        json.dumps(
            {
                "step": name,
                "rows": rows,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "counts": outcome.counts,
                "problem": outcome.problem,
                "applied": outcome.applied,
                "bytes": len(data),
                "tracemalloc_peak_mb": peak / 2**20,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def export_commitments(path):
    setup_django()
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="importer"))
    response = client.get("/export/commitments.csv", HTTP_HOST="127.0.0.1")
    Path(path).write_bytes(b"".join(response.streaming_content))


def child(*args):
    result = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if result.returncode:
        sys.exit(result.stderr)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commitments", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also measure Python's peak allocations (slower)"
    )
    parser.add_argument("--step", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--export", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        return step(*args.step)
    if args.export:
        return export_commitments(args.export)

    if "DATABASE_URL" not in os.environ:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DEFAULT_DB}{suffix}").unlink(missing_ok=True)
    if args.tracemalloc:
        os.environ["BENCH_TRACEMALLOC"] = "1"
    setup_django()
    make_world()
    work = ROOT / "var" / "bench-import"
    work.mkdir(parents=True, exist_ok=True)
    files = {
        "commitments": work / "commitments.csv",
        "exported": work / "commitments-exported.csv",
        "updates": work / "updates.csv",
    }
    files["commitments"].write_bytes(commitments_csv(args.commitments))
    files["updates"].write_bytes(updates_csv(args.updates, args.commitments))

    steps = [
        ("check commitments", files["commitments"]),
        ("apply commitments", files["commitments"]),
        ("apply the export (unchanged)", files["exported"]),
        ("check status updates", files["updates"]),
        ("apply status updates", files["updates"]),
    ]
    figures = []
    print_header()
    for name, path in steps:
        if path == files["exported"]:
            child("--export", str(path))
        figures.append(child("--step", name, str(path)))
        print_row(figures[-1])  # as each step ends: a long run shows what it has so far
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


def print_header():
    """Wall time, and CPU time (the fairer figure on a machine shared with other work)."""
    print(
        f"\n{'step':30} {'rows':>8} {'MB':>5} {'wall s':>7} {'cpu s':>6} {'ms/row':>7} "
        f"{'cpu ms/row':>10} {'peak RSS':>8}  outcome",
        flush=True,
    )


def print_row(f):
    outcome = "applied" if f["applied"] else (f["problem"] or "checked")
    if f["counts"].get("error"):
        outcome = f"{f['counts']['error']} errors"
    rows = max(f["rows"], 1)
    peak = f" (Python {f['tracemalloc_peak_mb']:.1f} MB)" if f["tracemalloc_peak_mb"] else ""
    print(
        f"{f['step']:30} {f['rows']:>8,} {f['bytes'] / 2**20:>5.1f} {f['seconds']:>7.1f} "
        f"{f['cpu_seconds']:>6.1f} {1000 * f['seconds'] / rows:>7.2f} "
        f"{1000 * f['cpu_seconds'] / rows:>10.2f} {f['maxrss_mb']:>6.0f}MB  {outcome}{peak}",
        flush=True,
    )


if __name__ == "__main__":
    main()
