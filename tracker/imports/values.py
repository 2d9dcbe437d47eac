"""Cell values: parse one, or say in words why it is not what its column needs."""

import datetime as dt
import re


class CellError(ValueError):
    """A cell's value is wrong; the message says so without naming the row or column."""


def shown(value, limit=60):
    text = str(value)
    if len(text) > limit:
        return f"“{text[:limit]}…” ({len(text):,} characters)"
    return f"“{text}”"


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def text(value, *, limit, multiline=False, required=False):
    """Single-line text is trimmed; multi-line text keeps its spacing, with \\n line ends."""
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    value = "" if value is None else str(value)
    value = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value.strip()
    if "\x00" in value:
        raise CellError("contains a NUL character")
    if len(value) > limit:
        raise CellError(f"is {len(value):,} characters long; the limit is {limit:,}")
    if required and not value.strip():
        raise CellError("is empty, and it is required")
    if not multiline and "\n" in value:
        raise CellError("must fit on one line")
    return value


def date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if is_blank(value):
        return None
    raw = str(value).strip()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    for fmt in ("%d %b %Y", "%d %B %Y"):  # how the app shows dates, e.g. 15 Nov 2023
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            pass
    raise CellError(f"{raw} is not a date (write it as YYYY-MM-DD, e.g. 2024-02-29)")


INTEGER = re.compile(r"^[+-]?\d{1,12}$")


def integer(value, *, low, high):
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not (isinstance(value, int) or INTEGER.match(str(value).strip())):
        raise CellError(f"{shown(value)} is not a whole number")
    number = int(str(value).strip())
    if not low <= number <= high:
        raise CellError(f"{number} is out of range ({low} to {high})")
    return number


def choice(value, choices, *, what):
    """A value of a TextChoices, given as its code ("in_progress") or label ("In progress")."""
    raw = str(value or "").strip()
    lowered = raw.lower()
    for code, label in choices.choices:
        if lowered in (code.lower(), str(label).lower()) and (code or raw):
            return code
    allowed = ", ".join(code for code, _ in choices.choices if code)
    raise CellError(f"{shown(raw)} is not a {what} (one of: {allowed})")


def names(value):
    """A list written as "China; United States" (the exports' separator)."""
    if is_blank(value):
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]
