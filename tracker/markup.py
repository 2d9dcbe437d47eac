"""User Markdown to safe HTML, once, when it is written (never on a read).

markdown-it-py's CommonMark parser runs in linear time with a bounded nesting depth, so
no input up to a field's limit can stall a request (Python-Markdown took minutes on some
inputs of a few kilobytes). Raw HTML is off in the parser, and nh3 cleans what comes out.
"""

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a"}

# "breaks": a single newline is a line break, as analysts type it (the former nl2br).
_parser = MarkdownIt("commonmark", {"html": False, "breaks": True})


def render_markdown(text):
    """Sanitised HTML for `text` (a string, '' for none)."""
    if not text:
        return ""
    return nh3.clean(
        _parser.render(text),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
