"""/search/: one box over commitments, assessments, evidence quotes and source text."""

from urllib.parse import urlencode

from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from .. import fragments
from ..access import role_required
from ..forms import JINJA2_WIDGETS
from ..htmx import is_swap, render_page
from ..search import results
from ..search.forms import SearchForm


@require_GET
@role_required()
def search(request):
    # Its widgets drawn by Jinja2 (templates/jinja2/search/filters.html), as the list's.
    form = SearchForm(request.GET, renderer=JINJA2_WIDGETS)
    hits, more, page = [], False, 1
    valid = form.is_valid()
    searched = valid and bool(form.cleaned_data["q"])
    if searched:
        page = form.cleaned_data.get("page") or 1
        hits, more = results.search(form.clauses, form.filters(), page=page)
    params = form.active_params()
    context = {
        "form": form,
        "hits": hits,
        "hit_items": fragments.render("search/hits", hits=hits),
        # An HTMX swap of the results shows no fields.
        "search_fields": None
        if is_swap(request)
        else fragments.render("search/filters", form=form),
        "more": more,
        "searched": searched,
        "page_number": page,
        "next_url": f"?{urlencode([*params, ('page', page + 1)])}" if more else "",
        "previous_url": f"?{urlencode([*params, ('page', page - 1)])}" if page > 1 else "",
        "nav_section": "search",
    }
    status = 200 if valid else 400
    response = render_page(
        request, "tracker/search.html", context, fragment="search-results", status=status
    )
    if is_swap(request):
        push_url(response, reverse("search") + (f"?{urlencode(params)}" if params else ""))
    return response
