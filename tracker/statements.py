"""Statements compiled once: a read whose SQL is the same on every request but for its values.

Building a queryset and compiling it to SQL costs Django 0.2-0.5 ms of Python a statement,
ten times what SQLite or PostgreSQL take to answer the pages' indexed reads (bench/README.md,
"The eleventh round"). A Statement builds its queryset once per database with markers in
place of the values, keeps the SQL, and then only sends it with the values in their place:

    EVIDENCE = Statement(lambda source_id: Evidence.objects.filter(source_id=source_id)
                         .order_by("id").values_list("pk", "quote"))
    EVIDENCE.rows(source.pk)  # [(pk, quote), ...], as list(queryset) would give

The queryset is a `values_list()` of fields (no annotations, no slice: the ORM writes a
slice into the SQL itself, so `rows(limit=, offset=)` slices instead), and each value is an integer
compared as is (an id, a number; not a list for `__in`). A value that does not reach the
SQL as a parameter is refused when compiling, never silently frozen.
"""

import inspect

from django.db import DEFAULT_DB_ALIAS, connections

# Stand for the values while the SQL is compiled. In range for every integer field (the ORM
# drops a comparison it knows the answer of, such as a positive field >= -1, which is then
# refused below), and told from the queryset's own parameters by value.
MARKERS = (2_147_483_601, 2_147_483_602, 2_147_483_603, 2_147_483_604)


class Statement:
    def __init__(self, build):
        """`build(*values)`: the `values_list()` queryset of these values."""
        self.build = build
        self.arity = len(inspect.signature(build).parameters)
        if self.arity > len(MARKERS):
            raise ValueError(f"A statement takes at most {len(MARKERS)} values.")
        self.compiled = {}  # per database alias: (sql, params, slots, converters)

    def compile(self, alias):
        markers = MARKERS[: self.arity]
        queryset = self.build(*markers)
        query = queryset.query
        if query.annotation_select or query.extra_select or not query.values_select:
            raise ValueError("A statement is a values_list() of fields, without annotations.")
        if query.is_sliced or query.combinator:
            raise ValueError("A statement takes its slice as rows(limit=, offset=), not a slice.")
        compiler = query.get_compiler(alias)
        sql, params = compiler.as_sql()
        slots = {i: markers.index(p) for i, p in enumerate(params) if p in markers}
        if set(slots.values()) != set(range(self.arity)):
            raise ValueError("A statement's values must reach the SQL as parameters.")
        fields = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        return sql, tuple(params), slots, converters

    def rows(self, *values, limit=None, offset=0, using=DEFAULT_DB_ALIAS):
        """The queryset's rows for these values, as tuples (what iterating it gives); with a
        `limit`, that many from `offset` on, as the slice [offset:offset + limit] would."""
        if using not in self.compiled:
            self.compiled[using] = self.compile(using)
        sql, params, slots, converters = self.compiled[using]
        params = [values[slots[i]] if i in slots else p for i, p in enumerate(params)]
        if limit is not None:
            # What a slice writes into the SQL, as parameters: one statement for every page.
            sql = f"{sql} LIMIT %s OFFSET %s"
            params += [limit, offset]
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
