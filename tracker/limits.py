"""How long each free-text field may be: one place, used by the models, the forms and the
searches. Forms show the limit (help text, maxlength) and refuse more with an inline error."""

ASSESSMENT = 10_000
QUOTE = 5_000
DESCRIPTION = 10_000
DECISION_COMMENT = 5_000
# A search box: longer terms find nothing useful, and SQLite refuses a LIKE pattern past
# 50,000 bytes ("LIKE or GLOB pattern too complex").
SEARCH_QUERY = 200


def describe(max_length):
    return f"Up to {max_length:,} characters."


def show_limits(form):
    """Append 'Up to N characters.' to the help text of each text field with a limit."""
    for field in form.fields.values():
        max_length = getattr(field, "max_length", None)
        if max_length and not field.widget.is_hidden:
            note = describe(max_length)
            if note not in str(field.help_text):
                field.help_text = f"{field.help_text} {note}".strip()
