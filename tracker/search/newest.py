"""Each kind's newest matches on PostgreSQL, in one statement, whatever the planner guesses.

The ranking contract asks for each kind's CANDIDATES newest matches (highest ids). FTS5
walks its doclist in rowid order and stops; PostgreSQL has two ways, and which is cheap
depends on how common the words are *in that kind*, which its statistics cannot tell for a
word they have not sampled (a word absent from quotes is estimated like the rarest word seen,
and the planner then walks every quote newest first) nor for a date range (the newest rows
are not in a past year). So the statement decides by looking:

1. **The window**: the kind's WINDOW newest rows (its partition's primary key, newest first,
   fenced by their own LIMIT so no plan can widen it), until CANDIDATES of them match the
   words; each match marked whether the filters keep it. Enough kept: done, at the cost of
   at most a few thousand rows.
2. Otherwise, below what the window looked at, one of two ways runs (the other has no row
   to join and is never started), whichever the window's counts say is cheaper:
   - walking on newest first: about missing / (kept ÷ rows looked at) more rows;
   - the GIN index (a bitmap, fenced by OFFSET 0 so that no newest-first walk is picked):
     every older match of the words, about (matches ÷ rows looked at) × the rows below,
     each a random heap visit (FETCH_COST rows' worth), the newest of them kept.
   A word absent from a kind costs a window; a common word, the walk to its 250th match; a
   word common alone but rare with its filters, whichever of the two is less.
3. **A date range ending before the kind's newest day**: the window starts at the highest
   id dated in the range (each day's highest, one seek of the `(day, id)` index a day)
   instead of the kind's newest row, so a past year's matches are not walked to.

The union is exactly the newest CANDIDATES matches, so SQLite and PostgreSQL rank the same
rows. See bench/README.md, "Search", for the figures. Every piece of SQL here is made of
constants and placeholders only (hence the file-wide S608 exemption).
"""
# ruff: noqa: S608

from .index import KINDS, SPAN, TABLE

# Rows of a kind looked at newest first before anything else (fewer when CANDIDATES of them
# match the words sooner).
WINDOW = 2000
# What fetching one match through the GIN index costs, in rows walked newest first (a random
# heap visit against the next row of the primary key's order; measured on the 1 M data set).
FETCH_COST = 15
COLUMNS = "s.id, s.document, s.commitment_id, s.source_id, s.day, s.area_ids, s.party_ids"


class Statement:
    """SQL written in order with its params."""

    def __init__(self):
        self.parts, self.params = [], []

    def add(self, sql, params=()):
        self.parts.append(sql)
        self.params += params
        return self

    def sql(self):
        return "".join(self.parts)


def top(filters, part):
    """The highest id a row the filters keep can have (SQL, params): the kind's newest row;
    with an end date before the kind's newest day, the highest of each day's highest id in
    the range (one seek of the (day, id) index a day, at most the kind's span of days)."""
    newest = f"SELECT max(s.id) FROM {part} s"
    if not filters.date_to:
        return newest, []
    day = f"SELECT {{}}(s.day) FROM {part} s"
    first = f"({day.format('min')})"
    if filters.date_from:
        first = f"greatest(%s::date, {first})"
    params = [filters.date_to.isoformat()] * 2
    if filters.date_from:
        params.insert(1, filters.date_from.isoformat())
    return (
        f"CASE WHEN ({day.format('max')}) <= %s::date THEN ({newest}) "
        f"ELSE (SELECT max((SELECT s.id FROM {part} s WHERE s.day = d.day::date "
        "ORDER BY s.day DESC, s.id DESC LIMIT 1)) "
        f"FROM generate_series({first}, %s::date, interval '1 day') AS d (day)) END",
        params,
    )


def arms(n, filters, candidates, match, where, part, lo):
    """The CTEs of kind number n (a Statement): where its window starts, the window, what
    the window found, and the kind's candidates.

    `match` and `where` are (SQL, params) of the words and of the filters. The CTEs' single
    rows are joined LATERAL, so that their values bound the primary key's scans (a
    scalar subquery of a CTE would only filter them)."""
    (words, words_params), (kept, kept_params) = match, where
    top_sql, top_params = top(filters, part)
    statement = Statement()
    statement.add(f"top{n} AS (SELECT ({top_sql}) AS id), ", top_params)
    # The window: its newest rows matching the words, each marked whether the filters keep it.
    statement.add(
        f"window{n} AS (SELECT s.id, TRUE{kept} AS kept FROM top{n} t CROSS JOIN LATERAL "
        f"(SELECT {COLUMNS} FROM {part} s WHERE s.id > t.id - {WINDOW} AND s.id <= t.id "
        f"ORDER BY s.id DESC LIMIT {WINDOW}) s WHERE {words} "
        f"ORDER BY s.id DESC LIMIT {candidates}), ",
        [*kept_params, *words_params],
    )
    # What it found: rows kept, rows matching, the id below which nothing was looked at, and
    # how many rows were. Then the cheaper way on: walking newest first finds the missing
    # rows in about missing / (kept / looked at) rows; the GIN index fetches every older match
    # of the words, about (matching / looked at) × the rows below, each at FETCH_COST.
    statement.add(
        f"seen{n} AS (SELECT count(w.id) FILTER (WHERE w.kept) AS kept, count(w.id) AS words, "
        f"CASE WHEN count(w.id) = {candidates} THEN min(w.id) ELSE min(t.id) - {WINDOW} + 1 END "
        f"AS below, min(t.id) AS top FROM top{n} t LEFT JOIN window{n} w ON TRUE), "
        f"found{n} AS (SELECT kept, below, ({candidates} - kept) * looked "
        f"/ greatest(kept, 0.5) <= {FETCH_COST} * words * greatest(below - {lo}, 0) / looked "
        f"AS walk FROM (SELECT *, greatest(top - below + 1, 1) AS looked FROM seen{n}) s), "
    )
    # The filters first: a row's area, parties and day are read in place, its words only
    # when they keep it (the tsvector is the costly read).
    cond, cond_params = f"TRUE{kept} AND {words}", [*kept_params, *words_params]
    rest = f"LIMIT ({candidates} - f.kept)"
    # (At most `candidates` rows by construction; the LIMIT tells the planner so.)
    statement.add(f"kind{n} AS (SELECT id FROM (SELECT id FROM window{n} WHERE kept")
    # The way not taken has no row of found{n} to join, so it is never started.
    statement.add(
        f" UNION ALL SELECT walked.id FROM found{n} f CROSS JOIN LATERAL (SELECT s.id "
        f"FROM {part} s WHERE s.id < f.below AND {cond} "
        f"ORDER BY s.id DESC {rest}) walked WHERE f.walk",
        cond_params,
    )
    # The GIN index: every older match, the newest kept. `s.id + 0`: the planner takes a
    # bound it cannot see for a narrow range and would walk the primary key instead.
    statement.add(
        f" UNION ALL SELECT fetched.id FROM found{n} f CROSS JOIN LATERAL (SELECT id FROM "
        f"(SELECT s.id FROM {part} s WHERE s.id + 0 < f.below AND {cond} OFFSET 0) matches "
        f"ORDER BY id DESC {rest}) fetched "
        f"WHERE NOT f.walk) c LIMIT {candidates})",
        cond_params,
    )
    return statement


def candidates(filters, kinds, conditions, match, match_params, candidates):
    """CTEs giving each kind's newest `candidates` matches, and the UNION ALL of them
    (SQL of the CTEs, SQL of the union, params).

    `conditions(filters, alias)` gives the filters' WHERE conditions (SQL, params)."""
    ctes, params = [], []
    for n, kind in enumerate(kinds):
        part, lo = f"{TABLE}_{kind}", KINDS[kind] * SPAN  # the kind's partition
        where, where_params = conditions(filters, "s")
        statement = arms(
            n, filters, candidates, (match, match_params), (where, where_params), part, lo
        )
        ctes.append(statement.sql().rstrip(", "))
        params += statement.params
    union = " UNION ALL ".join(f"SELECT id FROM kind{n}" for n in range(len(kinds)))
    return ", ".join(ctes), union, params
