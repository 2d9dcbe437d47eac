"""Read an uploaded CSV or XLSX file as a header and rows of cells, without trusting it.

Everything here refuses with `FileProblem` (a sentence for the user) before a row is read:
too big, not text in a known encoding, a zip bomb posing as a workbook, a damaged workbook.
Rows are yielded one at a time (csv's reader, openpyxl's read-only mode), so memory does
not grow with the number of rows.
"""

import codecs
import csv
import datetime as dt
import io
import zipfile

from django.conf import settings

# Cells of any size are read, then refused by column with a precise message (values.py).
csv.field_size_limit(2**31 - 1)

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = (",", ";", "\t")


class FileProblem(Exception):
    """The file as a whole cannot be read; the message says why, in the user's words."""


class Table:
    """A header (column names) and an iterator of (row number, [cell, ...])."""

    def __init__(self, header, rows, *, file_format, notes=(), estimated_rows=None):
        self.header = header
        self.rows = rows
        self.file_format = file_format
        self.notes = list(notes)
        self.estimated_rows = estimated_rows


def check_size(size):
    limit = settings.TRACKER_IMPORT_MAX_BYTES
    if size > limit:
        raise FileProblem(
            f"The file is {size:,} bytes; the limit is {limit:,}. Split it into smaller files."
        )


def read_table(data, filename=""):
    check_size(len(data))
    if not data.strip():
        raise FileProblem("The file is empty.")
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(data)
    if filename.lower().endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            "This is an old Excel (.xls) file. Save it as .xlsx or as CSV UTF-8 and try again."
        )
    return read_csv(data)


def un_neutralise(value):
    """Undo the exports' formula guard: "'=x" was exported for "=x", "''x" for "'x"."""
    from ..views.exports import guarded

    if value[:1] == "'" and guarded(value[1:]):
        return value[1:]
    return value


# CSV


def detect_encoding(data):
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, or Windows-1252; else refuse."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    if b"\x00" in data[:65536]:
        raise FileProblem("This is not a text file (it contains NUL bytes): upload CSV or XLSX.")
    if _decodes(data, "utf-8"):
        return "utf-8-sig", None
    if _decodes(data, "cp1252"):
        return "cp1252", (
            "The file is not UTF-8; it was read as Windows-1252 (Latin-1, Western European). "
            "Check the accented letters in the preview, or save the file as CSV UTF-8."
        )
    raise FileProblem(
        "The file's text encoding is neither UTF-8 nor Windows-1252 (Latin-1). "
        "Save it from your spreadsheet as “CSV UTF-8” and upload it again."
    )


def _decodes(data, encoding, chunk=1 << 20):
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), chunk):
            decoder.decode(data[start : start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_delimiter(first_line):
    """The separator of the header line: comma, semicolon (European Excel) or tab."""
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_csv(data):
    encoding, note = detect_encoding(data)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    first = text.readline()
    text.seek(0)
    delimiter = detect_delimiter(first)
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise FileProblem(f"Row 1 (the header) cannot be read as CSV: {exc}.") from exc
    except StopIteration:
        # A byte-order mark and nothing else: no header row at all.
        raise FileProblem("The file is empty.") from None
    notes = [note] if note else []
    if delimiter != ",":
        name = {";": "semicolons", "\t": "tabs"}[delimiter]
        notes.append(f"Columns are separated by {name}.")

    def rows():
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):
                if any(c.strip() for c in cells):
                    yield number, [un_neutralise(c) for c in cells]
        except csv.Error as exc:
            raise FileProblem(f"Row {number + 1} cannot be read as CSV: {exc}.") from exc

    return Table(
        [h.strip() for h in header],
        rows(),
        file_format="CSV",
        notes=notes,
        estimated_rows=data.count(b"\n"),
    )


# XLSX


def check_zip(data):
    """Refuse a damaged zip, or one that would expand beyond the limit (a zip bomb)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise FileProblem("This is not a readable XLSX file (the archive is damaged).") from exc
    limit = settings.TRACKER_IMPORT_MAX_XLSX_EXPANDED_BYTES
    if len(entries) > 10_000:
        raise FileProblem("This XLSX file holds too many parts to be a spreadsheet export.")
    expanded = sum(e.file_size for e in entries)
    if expanded > limit:
        raise FileProblem(
            f"This XLSX file would expand to {expanded:,} bytes; the limit is {limit:,}. "
            "Split it into smaller files."
        )
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names:
        raise FileProblem("This is a zip archive but not an XLSX workbook.")
    return archive


def xlsx_cell(value):
    """A cell as a plain value: text, a date, an int (whole numbers), or a number."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return un_neutralise(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def read_xlsx(data):
    from openpyxl import load_workbook

    check_zip(data)
    try:
        # read_only streams the sheet; data_only=False gives a formula's text, never its value.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
    except FileProblem:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise FileProblem("This XLSX file is damaged or not a workbook openpyxl can read.") from exc
    if header is None:
        raise FileProblem("The workbook's first sheet is empty.")
    header = [str(xlsx_cell(h)).strip() for h in header]
    while header and not header[-1]:
        header.pop()

    def cells():
        number = 1
        try:
            for number, values in enumerate(rows, start=2):
                values = [xlsx_cell(v) for v in values]
                if any(str(v).strip() for v in values):
                    yield number, values
        except Exception as exc:
            raise FileProblem(f"Row {number + 1} of the workbook cannot be read.") from exc
        finally:
            book.close()

    notes = []
    if len(book.worksheets) > 1:
        notes.append(f"Only the first sheet (“{sheet.title}”) was read.")
    return Table(header, cells(), file_format="XLSX", notes=notes, estimated_rows=sheet.max_row)
