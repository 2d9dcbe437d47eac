"""What people type → the same query on SQLite FTS5 and on PostgreSQL.

The syntax is websearch's: words (all must occur), "a phrase", -word to leave out, `or`
between alternatives. It is parsed here, once, into clauses; each database gets the same
clauses in its own syntax (an FTS5 expression with every word quoted, or a cleaned string
for websearch_to_tsquery), so no input can be an FTS syntax error and both databases
answer the same question. English stop words are dropped on both sides, as PostgreSQL does.
"""

import bisect
import calendar
import contextlib
import dataclasses
import datetime as dt
import re

from django.db import connection

from .. import limits
from . import newest
from .index import KINDS, TABLE, id_range

MAX_QUERY = limits.SEARCH_QUERY
MAX_CLAUSES = 12
MARK_START, MARK_END = "\ue000", "\ue001"
WORD = re.compile(r"\w+")
TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# PostgreSQL's English stop words (the Snowball list), dropped from the query on both sides.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against
    between into through during before after above below to from up down in out on off over
    under again further then once here there when where why how all any both each few more
    most other some such no nor not only own same so than too very s t can will just don
    should now
    """.split()  # noqa: SIM905 - easier to read as words
)


class QueryError(Exception):
    """The query cannot be run; the message says why, for the person who typed it."""


@dataclasses.dataclass(frozen=True)
class Clause:
    words: tuple
    negated: bool = False
    either: bool = False  # joined to the previous clause by OR


def parse(text):
    """Clauses of `text`, or QueryError."""
    text = text.replace("\x00", " ")
    if len(text) > MAX_QUERY:
        raise QueryError(f"Searches are limited to {MAX_QUERY} characters.")
    clauses, either = [], False
    for match in TOKEN.finditer(text):
        negated, phrase, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare is not None:
            if bare.lower() == "or" and clauses:
                either = True
                continue
            negated, bare = bare.startswith("-"), bare.lstrip("-")
        words = tuple(w.lower() for w in WORD.findall(phrase if phrase is not None else bare))
        if phrase is None and len(words) == 1 and words[0] in STOP_WORDS:
            continue
        if words and not all(w in STOP_WORDS for w in words):
            clauses.append(Clause(words, negated, either and not negated))
        either = False
    if not any(not c.negated for c in clauses):
        if clauses:
            raise QueryError("Say what to look for, not only what to leave out.")
        raise QueryError("Type a word to search for (common words like “the” are ignored).")
    return clauses[:MAX_CLAUSES]


def fts5_expression(clauses):
    positive = [c for c in clauses if not c.negated]
    parts = []
    for i, clause in enumerate(positive):
        if i:
            parts.append("OR" if clause.either else "AND")
        parts.append('"' + " ".join(clause.words) + '"')
    parts += [f'NOT "{" ".join(c.words)}"' for c in clauses if c.negated]
    return " ".join(parts)


def websearch_string(clauses):
    parts = []
    for clause in clauses:
        if clause.either:
            parts.append("or")
        words = " ".join(clause.words)
        parts.append(
            ("-" if clause.negated else "") + (f'"{words}"' if len(clause.words) > 1 else words)
        )
    return " ".join(parts)


@dataclasses.dataclass
class Filters:
    kind: str = ""
    area: int | None = None
    party: int | None = None
    date_from: object = None
    date_to: object = None


# Ranking is bounded: each kind's newest CANDIDATES matches (highest ids: the latest
# commitments, updates, quotes and paragraphs) are ranked, the rest are not looked at. A
# common word's hundreds of thousands of matches cost what a thousand do.
CANDIDATES = 250
# The area and party filters: each row carries the areas and parties of its commitments
# (a paragraph's: those whose evidence cites its source; index.FACETS), on PostgreSQL in
# arrays, on SQLite as tokens of the FTS5 query (`facets : "a3"`).
ROW_FILTERS = {
    "area": "{alias}.area_ids @> ARRAY[%s]::bigint[]",
    "party": "{alias}.party_ids @> ARRAY[%s]::bigint[]",
}
TOKENS = {"area": "a{}", "party": "p{}"}


def conditions(filters, alias):
    """PostgreSQL: the WHERE conditions of the filters (SQL, params). (SQLite's are all in
    its FTS5 query, `expression`.)"""
    sql, params = [], []
    for name, condition in ROW_FILTERS.items():
        if getattr(filters, name) is not None:
            sql.append(condition.format(alias=alias))
            params.append(getattr(filters, name))
    if filters.date_from:
        sql.append(f"{alias}.day >= %s")
        params.append(filters.date_from.isoformat())
    if filters.date_to:
        sql.append(f"{alias}.day <= %s")
        params.append(filters.date_to.isoformat())
    return "".join(f" AND {s}" for s in sql), params


def date_tokens(start, end):
    """The fewest tokens of index.FACETS' `dates` whose days are exactly [start, end]
    (either open): each the largest millennium, century, decade, year, month or day that
    begins at the first day not yet covered and ends within the range."""
    day, end, tokens = start or dt.date.min, end or dt.date.max, []
    while day <= end:
        for first, last, token in blocks(day):
            if first == day and last <= end:
                tokens.append(token)
                break
        if last == dt.date.max:
            break
        day = last + dt.timedelta(days=1)
    return tokens


def blocks(day):
    """The millennium, century, decade, year, month and day holding `day`: (first day, last
    day, token), largest first."""
    y = day.year
    for size, token in (
        (1000, f"k{y // 1000}"),
        (100, f"c{y // 100:02d}"),
        (10, f"x{y // 10:03d}"),
    ):
        low = y - y % size
        yield dt.date(max(low, 1), 1, 1), dt.date(min(low + size - 1, 9999), 12, 31), token
    yield dt.date(y, 1, 1), dt.date(y, 12, 31), f"y{y:04d}"
    month = f"{y:04d}{day.month:02d}"
    days = calendar.monthrange(y, day.month)[1]
    yield day.replace(day=1), day.replace(day=days), f"m{month}"
    yield day, day, f"d{month}{day.day:02d}"


def expression(clauses, filters):
    """SQLite: the FTS5 query of the words in the text, and of the filters in the row's
    tokens (index.FACETS)."""
    parts = [f"body : ({fts5_expression(clauses)})"]
    parts += [
        f'facets : "{token.format(getattr(filters, name))}"'
        for name, token in TOKENS.items()
        if getattr(filters, name) is not None
    ]
    if filters.date_from or filters.date_to:
        tokens = date_tokens(filters.date_from, filters.date_to)
        parts.append("dates : (" + " OR ".join(f'"{t}"' for t in tokens) + ")")
    return " AND ".join(parts)


def kinds(filters):
    return [filters.kind] if filters.kind else list(KINDS)


def candidates(clauses, filters, extra):
    """SQLite: one UNION ALL arm per kind asked for: the ids of its newest matches (FTS5 walks
    its doclists newest first and stops), and `extra` columns (SQL, params)."""
    arms, params = [], []
    for kind in kinds(filters):
        arms.append(
            f"SELECT * FROM (SELECT s.rowid AS id{extra} FROM {TABLE} s "  # noqa: S608
            f"WHERE s.{TABLE} MATCH %s AND s.rowid BETWEEN %s AND %s "
            f"ORDER BY s.rowid DESC LIMIT {CANDIDATES})"
        )
        params += [expression(clauses, filters), *id_range(kind)]
    return " UNION ALL ".join(arms), params


# SQLite's snippets: this many words of the text, from a few before its densest matches.
SNIPPET_WORDS, LEAD = 30, 5


def excerpt(marked):
    """SQLite: a snippet of a row's text as highlight() marked it (char 1 and 2 around each
    match): SNIPPET_WORDS words starting LEAD words before the match that has the most
    matches in the words that follow, '…' where the text is cut, MARK_START / MARK_END
    around the matches (a phrase cut by the window is closed or reopened)."""
    words = marked.split()
    hits = [i for i, word in enumerate(words) if "\x01" in word]

    def shown(start):  # the matches in the window from `start`: two binary searches
        return bisect.bisect_left(hits, start + SNIPPET_WORDS) - bisect.bisect_left(hits, start)

    start = max((max(i - LEAD, 0) for i in hits), key=shown, default=0)  # the first best
    start = max(min(start, len(words) - SNIPPET_WORDS), 0)  # a full window at the end
    text = " ".join(words[start : start + SNIPPET_WORDS])
    closed, opened = text.find("\x02"), text.find("\x01")
    if closed != -1 and (opened == -1 or closed < opened):
        text = "\x01" + text
    if text.rfind("\x01") > text.rfind("\x02"):
        text += "\x02"
    text = ("…" if start else "") + text + ("…" if start + SNIPPET_WORDS < len(words) else "")
    return text.replace("\x01", MARK_START).replace("\x02", MARK_END)


def run(clauses, filters, *, limit, offset=0):
    """[(index id, snippet with MARK_START/MARK_END around matches)], best first (one query).

    Each kind's newest CANDIDATES matches are scored (see README: the ranking) and ordered, best
    first, then by id; snippets are made for the page's rows only."""
    if connection.vendor == "postgresql":
        # The tsquery is written out where it is used, not shared through a CTE: a constant
        # the planner can see. Which rows are looked at is decided by newest.py, not by the
        # planner's guess of how common the words are.
        tsquery, text = "websearch_to_tsquery('english', %s)", websearch_string(clauses)
        ctes, arms, params = newest.candidates(
            filters, kinds(filters), conditions, f"s.document @@ {tsquery}", [text], CANDIDATES
        )
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=15"
        sql = (
            f"WITH {ctes}, hits AS ({arms}), "  # noqa: S608
            # Each hit looked up by its key (OFFSET 0: never a merge join over the index).
            f"ranked AS (SELECT s.id, ts_rank_cd(s.document, {tsquery}) AS rank "
            f"FROM hits CROSS JOIN LATERAL (SELECT s.id, s.document FROM {TABLE} s "
            "WHERE s.id = hits.id OFFSET 0) s), "
            "page AS (SELECT id, rank FROM ranked ORDER BY rank DESC, id LIMIT %s OFFSET %s) "
            f"SELECT s.id, ts_headline('english', s.body, {tsquery}, %s) "
            f"FROM page JOIN {TABLE} s ON s.id = page.id ORDER BY page.rank DESC, page.id"
        )
        params = [*params, text, limit, offset, text, options]
    else:
        # Not bm25: its IDF counts every match of every word (a scan of the whole doclist,
        # per kind), which is the cost this bounds. Like PostgreSQL's ranks, the score is the
        # words' frequency in the row, normalised by its length (BM25's tf part, k1 = 1.2,
        # b = 0.75), counted by highlight() for the kept rows only. The page's snippets are
        # cut from the same marked text (`excerpt`): snippet() needs a MATCH cursor on each
        # row, and each such lookup costs 0.5-1.5 ms (two words: 33 of the statement's 48 ms).
        marked = f"highlight({TABLE}, 0, char(1), char(2))"
        arms, params = candidates(
            clauses, filters, extra=f", {marked} AS marked, length(s.body) AS size"
        )
        tf = "(length(marked) - length(replace(marked, char(1), '')))"
        sql = (
            f"WITH hits AS ({arms}) "  # noqa: S608
            f"SELECT id, marked FROM hits ORDER BY "
            f"{tf} * 2.2 / ({tf} + 1.2 * (0.25 + 0.75 * size / 200.0)) DESC, id "
            "LIMIT %s OFFSET %s"
        )
        params = [*params, limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(index_id, excerpt(text)) for index_id, text in cursor.fetchall()]
    with connection.cursor() as cursor, never_prepared(connection.connection):
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextlib.contextmanager
def never_prepared(psycopg_connection):
    """Statements run here are planned for their parameters every time, never prepared.

    The search's statement is written for a planner that sees its words; prepared (the
    settings prepare what runs twice), PostgreSQL soon reuses a generic plan made for no
    words in particular: 7.8 -> 14 ms on the 20k data set (bench/README.md, ninth round).
    """
    threshold = psycopg_connection.prepare_threshold
    psycopg_connection.prepare_threshold = None
    try:
        yield
    finally:
        psycopg_connection.prepare_threshold = threshold
