"""What the preview page shows of a report, and the downloadable report, from the stored results."""

SHOWN = 200
REPORT_COLUMNS = ["row", "key", "outcome", "column", "message", "before", "after"]


def summary(upload, limit=SHOWN):
    """The first `limit` errors, warnings and changed rows, and how many more there are."""
    shown = {"errors": [], "warnings": [], "changes": []}
    hidden = dict.fromkeys(shown, 0)

    def keep(name, item):
        if len(shown[name]) < limit:
            shown[name].append(item)
        else:
            hidden[name] += 1

    for result in upload.results():
        for column, message in result["errors"]:
            keep(
                "errors",
                {"row": result["row"], "key": result["key"], "column": column, "message": message},
            )
        for column, message in result["warnings"]:
            keep(
                "warnings",
                {"row": result["row"], "key": result["key"], "column": column, "message": message},
            )
        if result["action"] in ("create", "update"):
            keep("changes", result)
    return {**shown, "hidden": hidden}


def report_rows(upload):
    """One line per error, warning and changed field, in row order."""
    for r in upload.results():
        for column, message in r["errors"]:
            yield [r["row"], r["key"], "error", column, message, "", ""]
        for column, message in r["warnings"]:
            yield [r["row"], r["key"], "warning", column, message, "", ""]
        if r["action"] in ("create", "update"):
            for column, before, after in r["changes"]:
                yield [r["row"], r["key"], r["action"], column, "", before, after]
