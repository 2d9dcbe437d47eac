"""The dashboard's long repeated fragments: tracker/fragments.py, with the templates of
templates/jinja2/dashboard/."""

from .. import fragments


def render(name, **context):
    return fragments.render(f"dashboard/{name}", **context)


def render_rows(name, rows):
    return fragments.render_rows(f"dashboard/{name}", rows)
