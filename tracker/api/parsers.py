from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """JSON bodies; one nested too deeply to parse is a 400, not a crash.

    (A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused by Django first: 413, see problems.py.)
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
