"""Reads compiled once: a query whose SQL is the same on every request but for its values.

Building a queryset and compiling it to SQL costs Django 0.2-0.5 ms of Python a statement,
ten times what SQLite or PostgreSQL take to answer the pages' indexed reads (bench/README.md,
"The eleventh round"). A Compiled query builds its queryset once per database, markers in
place of the values, keeps the SQL, and then only sends it with the values in their place:

    EVIDENCE = Compiled(lambda source_id: Evidence.objects.filter(source_id=source_id)
                         .order_by("id").values_list("pk", "quote"))
    EVIDENCE.rows(source.pk)  # [(pk, quote), ...], as list(queryset) would give

The queryset is a `values_list()` of fields (no annotations, no slice: the ORM writes a
slice into the SQL itself, so `rows(limit=, offset=)` slices instead), and each value is an
integer compared as is (an id, a number) or a list of them (`__in`). A value that does not
reach the SQL as a parameter is refused when compiling, never silently frozen.
"""

import functools
import itertools

from django.db import DEFAULT_DB_ALIAS, connections

# Stand for the values while the SQL is compiled. In range for every integer field (the ORM
# drops a comparison it knows the answer of, such as a positive field >= -1, which is then
# refused below), and told from the queryset's own parameters by value.
FIRST_MARKER = 2_147_480_000


class Compiled:
    def __init__(self, build):
        """`build(*values)`: the `values_list()` queryset of these values, each an integer or a
        list of integers (for `__in`: one statement is compiled for each length of list)."""
        self.build = build

    @functools.lru_cache(maxsize=256)  # noqa: B019 - statements live as long as the process
    def compile(self, alias, shape):
        """The SQL for values of this shape (None for an integer, a list's length), its
        parameters, where each value goes in them, and the columns' converters."""
        numbers = itertools.count(FIRST_MARKER)
        markers = [next(numbers) if n is None else [next(numbers) for _ in range(n)] for n in shape]
        places = {}  # marker: (which value, which item of a list or None)
        for i, marker in enumerate(markers):
            items = enumerate(marker) if isinstance(marker, list) else [(None, marker)]
            places.update({m: (i, j) for j, m in items})
        query = self.build(*markers).query
        if query.annotation_select or query.extra_select or not query.values_select:
            raise ValueError("A statement is a values_list() of fields, without annotations.")
        if query.is_sliced or query.combinator:
            raise ValueError("A statement takes its slice as rows(limit=, offset=), not a slice.")
        compiler = query.get_compiler(alias)
        sql, params = compiler.as_sql()
        # An int, or on PostgreSQL an int wrapped for its column's type (psycopg's Int4).
        slots = {k: places[p] for k, p in enumerate(params) if isinstance(p, int) and p in places}
        if set(slots.values()) != set(places.values()):
            raise ValueError("A statement's values must reach the SQL as parameters.")
        fields = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        return sql, tuple(params), slots, converters

    def rows(self, *values, limit=None, offset=0, using=DEFAULT_DB_ALIAS):
        """The queryset's rows for these values, as tuples (what iterating it gives); with a
        `limit`, that many from `offset` on, as the slice [offset:offset + limit] would."""
        values = [list(v) if isinstance(v, list | tuple | set) else v for v in values]
        shape = tuple(len(v) if isinstance(v, list) else None for v in values)
        if 0 in shape:
            return []  # `__in` an empty list: no row, no query (as the ORM)
        sql, params, slots, converters = self.compile(using, shape)
        params = list(params)
        for k, (i, j) in slots.items():
            value = values[i] if j is None else values[i][j]
            params[k] = value if value is None else type(params[k])(value)
        if limit is not None:
            # Written into the SQL as a slice is (integers, never text): a LIMIT given as a
            # parameter leaves PostgreSQL's plan for a prepared statement guessing the number
            # of rows, and it chose a plan 1.6 times slower (bench/README.md).
            sql = f"{sql} LIMIT {int(limit)} OFFSET {int(offset)}"
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not converters:
            return [tuple(row) for row in rows]
        return [convert(row, converters, connection) for row in rows]


def convert(row, converters, connection):
    """A row's values as Python values (dates, JSON): what the compiler's converters make."""
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return tuple(row)
