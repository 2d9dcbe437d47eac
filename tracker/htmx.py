"""The one HTMX render rule.

An HTMX swap gets only the named partial; everything else gets the whole page: a plain
request, a boosted link (htmx swaps the whole body) and a history-restore request (htmx
found no snapshot of the page and replaces the whole document with the answer). Each
answer varies on HX-Request, so no cache hands a fragment to a plain request.
"""

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def is_swap(request):
    """True for an HTMX request that swaps a region, never for a history restore."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def vary(response):
    patch_vary_headers(response, ["HX-Request"])
    return response


def render_page(request, template_name, context, *, fragment=None, status=200):
    """`template_name#fragment` for an HTMX swap, the whole `template_name` otherwise."""
    name = f"{template_name}#{fragment}" if fragment and is_swap(request) else template_name
    return vary(render(request, name, context, status=status))
