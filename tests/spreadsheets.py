"""Read and edit exported files in tests (and the benchmark), as a user would in a spreadsheet."""

import csv
import io

from openpyxl import Workbook, load_workbook


def download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def csv_rows(data, delimiter=","):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def csv_bytes(rows, *, delimiter=",", encoding="utf-8-sig"):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_rows(data):
    book = load_workbook(io.BytesIO(data))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def xlsx_bytes(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def edit_xlsx(data, edit):
    """Open the workbook, let `edit(sheet)` change cells or append rows, save it again."""
    book = load_workbook(io.BytesIO(data))
    edit(book.worksheets[0])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def set_cell(rows, reference, column, value):
    """In rows read from a file (header first), set `column` of the row whose first cell is
    `reference`."""
    index = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == reference:
            row[index] = value
            return rows
    raise KeyError(reference)


def new_row(header, **values):
    return [values.get(name, "") for name in header]
