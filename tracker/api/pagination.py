"""Cursor pagination: stable while rows are added, and as fast on the last page as on the
first (a seek on a unique, indexed ordering; no COUNT, no OFFSET)."""

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination

from ..fields import parse_id
from .problems import Problem

INVALID = "The cursor is not valid; start again from the first page."


class Cursor(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
    numeric = True

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise Problem(INVALID, kind="invalid-query") from exc
        if cursor and cursor.position is not None:
            position = cursor.position
            if self.numeric and parse_id(position) is None:
                raise Problem(INVALID, kind="invalid-query")
            if len(position) > 200 or "\x00" in position:
                raise Problem(INVALID, kind="invalid-query")
        return cursor


class ByReference(Cursor):
    ordering = "reference"
    numeric = False


class Oldest(Cursor):
    ordering = "id"
