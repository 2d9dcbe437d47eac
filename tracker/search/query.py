"""What people type → the same query on SQLite FTS5 and on PostgreSQL.

The syntax is websearch's: words (all must occur), "a phrase", -word to leave out, `or`
between alternatives. It is parsed here, once, into clauses; each database gets the same
clauses in its own syntax (an FTS5 expression with every word quoted, or a cleaned string
for websearch_to_tsquery), so no input can be an FTS syntax error and both databases
answer the same question. English stop words are dropped on both sides, as PostgreSQL does.
"""

import dataclasses
import re

from django.db import connection

from .. import limits
from .index import KINDS, TABLE

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


def conditions(filters, id_column):
    sql, params = [], []
    if filters.kind:
        sql.append(f"{id_column} %% 4 = %s")  # "%%": the placeholder style of both drivers
        params.append(KINDS[filters.kind])
    if filters.area is not None:
        sql.append("commitment_id IN (SELECT id FROM tracker_commitment WHERE area_id = %s)")
        params.append(filters.area)
    if filters.party is not None:
        sql.append(
            "commitment_id IN "
            "(SELECT commitment_id FROM tracker_commitmentparty WHERE party_id = %s)"
        )
        params.append(filters.party)
    if filters.date_from:
        sql.append("day >= %s")
        params.append(filters.date_from.isoformat())
    if filters.date_to:
        sql.append("day <= %s")
        params.append(filters.date_to.isoformat())
    return "".join(f" AND {s}" for s in sql), params


def run(clauses, filters, *, limit, offset=0):
    """[(index id, snippet with MARK_START/MARK_END around matches)], best first (one query)."""
    if connection.vendor == "postgresql":
        where, params = conditions(filters, "s.id")
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=15"
        sql = (
            "SELECT h.id, ts_headline('english', h.body, h.q, %s) FROM ("  # noqa: S608
            "SELECT s.id, s.body, q, ts_rank_cd(s.document, q) AS rank "
            f"FROM {TABLE} s, websearch_to_tsquery('english', %s) q "
            f"WHERE s.document @@ q{where} ORDER BY rank DESC, s.id LIMIT %s OFFSET %s) h "
            "ORDER BY h.rank DESC, h.id"
        )
        params = [options, websearch_string(clauses), *params, limit, offset]
    else:
        where, params = conditions(filters, "rowid")
        sql = (
            f"SELECT rowid, snippet({TABLE}, 0, %s, %s, '…', 30) FROM {TABLE} "  # noqa: S608
            f"WHERE {TABLE} MATCH %s{where} ORDER BY rank, rowid LIMIT %s OFFSET %s"
        )
        params = [MARK_START, MARK_END, fts5_expression(clauses), *params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
