"""What every kind of import shares: the row result, the column check, the row loop."""

import dataclasses

from .readers import FileProblem
from .values import CellError

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"


@dataclasses.dataclass
class RowResult:
    row: int
    key: str = ""
    action: str = UNCHANGED
    changes: list = dataclasses.field(default_factory=list)  # [column, before, after]
    errors: list = dataclasses.field(default_factory=list)  # [column, message]
    warnings: list = dataclasses.field(default_factory=list)  # [column, message]
    plan: object = None  # what to write; never stored

    def error(self, column, message):
        self.errors.append([column, str(message)])

    def as_dict(self):
        """What the report keeps (not the plan: asdict() would deep-copy its model objects)."""
        return {
            "row": self.row,
            "key": self.key,
            "action": ERROR if self.errors else self.action,
            "changes": self.changes,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def columns_except(columns, *used):
    """An export's columns other than `used`, in the export's order."""
    return tuple(c for c in columns if c not in used)


class Cells:
    """One row's cells by column name; parse(column, parser) records what goes wrong."""

    def __init__(self, index, cells, result):
        self.index = index
        self.cells = cells
        self.result = result

    def has(self, column):
        return column in self.index

    def raw(self, column):
        i = self.index.get(column)
        if i is None or i >= len(self.cells):
            return ""
        return self.cells[i]

    def parse(self, column, parser, *args, **kwargs):
        """The parsed value, or None with an error recorded against the column."""
        try:
            return parser(self.raw(column), *args, **kwargs)
        except CellError as exc:
            self.result.error(column, exc)
            return None


class Importer:
    """One kind of file. Subclasses say their columns and check and write one row."""

    kind = ""
    label = ""
    key_column = ""
    required = ()  # columns the file must have
    imported = ()  # columns whose values are imported
    ignored = ()  # columns the export writes that are derived, read for nothing

    def __init__(self, header, *, user):
        self.user = user
        self.index = self.check_header(header)

    @classmethod
    def columns(cls):
        return [*cls.required, *[c for c in cls.imported if c not in cls.required], *cls.ignored]

    def check_header(self, header):
        index, repeated = {}, []
        for i, name in enumerate(header):
            if not name:
                continue
            if name in index:
                repeated.append(name)
            index[name] = i
        expected = ", ".join(self.columns())
        unknown = [n for n in index if n not in self.columns()]
        missing = [n for n in self.required if n not in index]
        problems = []
        if missing:
            problems.append(f"Missing column{'s' * (len(missing) > 1)}: {', '.join(missing)}.")
        if unknown:
            problems.append(f"Unknown column{'s' * (len(unknown) > 1)}: {', '.join(unknown)}.")
        if repeated:
            problems.append(f"Column{'s' * (len(repeated) > 1)} twice: {', '.join(repeated)}.")
        if problems:
            raise FileProblem(
                " ".join(problems) + f" A {self.label} file has the columns of its export: "
                f"{expected} (required: {', '.join(self.required)})."
            )
        return index

    def prepare(self, batch):
        """Look up, in a few queries, what the rows of a batch [(number, cells), ...] name."""

    def keys(self, batch, column, parser):
        """The distinct parseable values of a column in a batch."""
        i = self.index.get(column)
        found = set()
        for _, cells in batch if i is not None else ():
            try:
                value = parser(cells[i] if i < len(cells) else "")
            except CellError:
                continue
            if value:
                found.add(value)
        return found

    def row(self, number, cells):
        """The results of the rows now checked (a kind may hold rows back until `finish`)."""
        result = RowResult(row=number)
        self.check(Cells(self.index, cells, result), result)
        return [result]

    def check(self, cells, result):
        raise NotImplementedError

    def write(self, result):
        raise NotImplementedError

    def finish(self):
        """Rows held back (a status update spanning several rows); returns their results."""
        return []
