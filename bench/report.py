#!/usr/bin/env python
"""One table from several bench/e2e.py runs: each page as a ratio to hello-world, per database.

    .venv/bin/python bench/report.py var/bench-sqlite-1m.json var/bench-pg-1m.json \
        var/bench-sqlite-20k.json var/bench-pg-20k.json

The largest run of each database fills the main table; a smaller run of the same database
gives the growth column (large p50 / small p50). Then every target of the performance issue
with its figure and whether it is met.
"""

import json
import sys

# (page keys, what the target is, the largest ratio to hello-world allowed)
LATENCY_TARGETS = [
    (("list", "commitment", "review", "returned", "reader", "search"), "≤ 5× hello-world", 5),
    (("dashboard-afresh",), "≤ 8× hello-world", 8),
    (("as-of-afresh", "trend-afresh"), "≤ 12× hello-world", 12),
    (("post",), "≤ 8× hello-world", 8),
]
THROUGHPUT_PAGES = ("list", "commitment", "review", "returned", "reader", "search")
THROUGHPUT_SHARE = 0.2
GROWTH_LIMIT = 1.3


def by_key(run):
    return {page["key"]: page for page in run["pages"]}


def label(run):
    return "SQLite" if run["vendor"] == "sqlite" else "PostgreSQL"


def largest_and_smallest(runs):
    """{vendor: (largest run, smallest run or None)}, in the order the vendors come."""
    grouped = {}
    for run in runs:
        grouped.setdefault(run["vendor"], []).append(run)
    out = {}
    for vendor, group in grouped.items():
        group.sort(key=lambda r: r["updates"])
        out[vendor] = (group[-1], group[0] if len(group) > 1 else None)
    return out


def table(runs):
    pairs = largest_and_smallest(runs)
    header = "| page |"
    rule = "| --- |"
    for large, small in pairs.values():
        name = f"{label(large)} {large['updates']:,}"
        header += f" {name} p50 ms | × hello | req/s |"
        rule += " ---: | ---: | ---: |"
        if small:
            header += f" growth from {small['updates']:,} |"
            rule += " ---: |"
    lines = [header, rule]
    first = next(iter(pairs.values()))[0]
    for page in first["pages"]:
        row = f"| {page['name']} |"
        for large, small in pairs.values():
            pages, hello = by_key(large), by_key(large)["hello"]
            mine = pages.get(page["key"])
            if mine is None:
                row += " – | – | – |" + (" – |" if small else "")
                continue
            rps = "–" if mine["rps"] is None else f"{mine['rps']:.0f}"
            row += f" {mine['p50']:.1f} | {mine['p50'] / hello['p50']:.1f} | {rps} |"
            if small:
                before = by_key(small).get(page["key"])
                row += f" {mine['p50'] / before['p50']:.2f}× |" if before else " – |"
        lines.append(row)
    return "\n".join(lines)


def targets(runs):
    """[(database, kind, page key, target, figure, met)] for every target of the issue.

    kind: "latency" (p50 / hello-world's), "throughput" (req/s share) or "growth".
    """
    checks = []
    for large, small in largest_and_smallest(runs).values():
        db, pages = label(large), by_key(large)
        hello = pages["hello"]
        for keys, what, limit in LATENCY_TARGETS:
            for key in keys:
                if key in pages:
                    ratio = pages[key]["p50"] / hello["p50"]
                    name = f"{pages[key]['name']} {what}"
                    checks.append((db, "latency", key, name, f"{ratio:.1f}×", ratio <= limit))
        for key in THROUGHPUT_PAGES:
            if key in pages and pages[key]["rps"]:
                share = pages[key]["rps"] / hello["rps"]
                name = f"{pages[key]['name']} throughput ≥ {THROUGHPUT_SHARE}× hello-world's"
                checks.append(
                    (db, "throughput", key, name, f"{share:.2f}×", share >= THROUGHPUT_SHARE)
                )
        if small:
            before = by_key(small)
            for key, page in pages.items():
                if key in before and key != "hello":
                    growth = page["p50"] / before[key]["p50"]
                    name = (
                        f"{page['name']}: {large['updates']:,} / {small['updates']:,} "
                        f"updates ≤ {GROWTH_LIMIT}×"
                    )
                    checks.append(
                        (db, "growth", key, name, f"{growth:.2f}×", growth <= GROWTH_LIMIT)
                    )
    return checks


def report(runs):
    lines = []
    for run in runs:
        m = run["machine"]
        lines.append(
            f"- {label(run)}, {run['commitments']:,} commitments / {run['updates']:,} updates: "
            f"{m['date']}, {m['cpus']} CPUs ({m['cpu']}), {m['ram_gb']} GB, Python {m['python']}, "
            f"Django {m['django']}, {m['database']}"
        )
    lines += [
        "",
        table(runs),
        "",
        "| database | target | figure | met |",
        "| --- | --- | ---: | --- |",
    ]
    for db, _, _, name, figure, met in targets(runs):
        lines.append(f"| {db} | {name} | {figure} | {'yes' if met else 'NO'} |")
    return "\n".join(lines)


def main(paths):
    runs = [json.loads(open(path).read()) for path in paths]  # noqa: SIM115
    print(report(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
