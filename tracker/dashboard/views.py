"""The manager dashboard: where everything stands, what changed, what needs attention."""

import dataclasses
import datetime as dt
import functools
import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from .. import dataversion
from ..access import role_required
from ..htmx import is_swap, render_page, vary
from ..models import Status
from . import charts, fragments, overview, queries
from .forms import DEFAULT_MONTHS, DEFAULT_PERIOD, PERIOD_DAYS, PERIODS, WINDOWS, DashboardForm
from .history import TrendPoint
from .queries import STATUS_ORDER


@dataclasses.dataclass
class Options:
    """The dashboard's settings, resolved: defaults filled in, bad values dropped."""

    scope: queries.Scope
    day: dt.date
    period: str  # a PERIODS key, or "custom"
    since: dt.date
    until: dt.date
    months: int

    def params(self, **changes):
        """The query string of these options (defaults left out), with some changed."""
        values = {
            "area": self.scope.area,
            "party": self.scope.party,
            "owner": self.scope.owner,
            "as_of": self.day if self.day != timezone.localdate() else None,
            "period": self.period if self.period not in (DEFAULT_PERIOD, "custom") else None,
            "since": self.since if self.period == "custom" else None,
            "until": self.until if self.period == "custom" else None,
            "months": self.months if self.months != DEFAULT_MONTHS else None,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def scope_params(self):
        """Only the filters: what the exports and the feed honour."""
        scope = dataclasses.asdict(self.scope)
        return urlencode({k: v for k, v in scope.items() if v})

    def url(self, **changes):
        query = self.params(**changes)
        return reverse("dashboard") + (f"?{query}" if query else "")


def resolve(form, today):
    data = (
        form.cleaned_data
        if form.is_valid()
        else {name: value for name, value in form.cleaned_data.items() if name not in form.errors}
    )
    day = data.get("as_of") or today
    since, until = data.get("since"), data.get("until")
    if until and until > day:
        until = day
    if since or until:
        period = "custom"
        until = until or day
        since = since or until
        if since > until:
            period, since, until = DEFAULT_PERIOD, None, None
    else:
        period = data.get("period") or DEFAULT_PERIOD
    if period == "yesterday":
        since = until = day - queries.ONE_DAY
    elif period in PERIOD_DAYS:
        since, until = day - dt.timedelta(days=PERIOD_DAYS[period] - 1), day
    scope = queries.Scope(area=data.get("area"), party=data.get("party"), owner=data.get("owner"))
    return Options(scope, day, period, since, until, data.get("months") or DEFAULT_MONTHS)


class ListLinks:
    """Links to the commitments list, filtered like the dashboard and then some more.

    The list names areas by slug and owners by username; parties by id.
    """

    def __init__(self, choices, scope):
        self.choices = choices
        self.base = reverse("commitment-list")
        self.scope = {
            name: choices[name][value].key
            for name in ("area", "party", "owner")
            if (value := getattr(scope, name))
        }

    def __call__(self, **filters):
        params = dict(self.scope)
        for name, value in filters.items():
            if value is not None:
                params[name] = self.choices[name][value].key if name in self.choices else value
        return f"{self.base}?{urlencode(params)}" if params else self.base


STATUS_PARAMS = {status: urlencode({"status": status.value}) for status in Status}


@dataclasses.dataclass(frozen=True)
class BreakdownRow:
    """What a row of a breakdown table shows (hashable: fragments.render_rows remembers it)."""

    label: str
    url: str | None  # the list filtered to the row (None: the list cannot filter on it)
    cells: tuple  # ((status, n, url or None), ...)
    total: int
    overdue: int
    overdue_url: str | None

    @property
    def counts(self):
        """What the cells show, each with its link: total, one per status, overdue."""
        return (
            (self.total, self.url),
            *((n, url) for _status, n, url in self.cells),
            (self.overdue, self.overdue_url),
        )

    @property
    def bar(self):
        """The distribution bar's segments (drawn only when the row is not remembered)."""
        return charts.stacked_bar({status: n for status, n, _ in self.cells}, width=100)


def breakdown_rows(links, dimension, options, tallies, none_label=None):
    """Rows of a breakdown table; each count links to the list filtered to it."""
    rows = []
    for key, tally in tallies.items():
        option = options.get(key)
        if option is None and none_label is None:
            continue
        if key is None:  # the list cannot filter on "nobody"
            url = None
            cells = [(status, n, None) for status, n in tally.items()]
        else:
            # The same as links(**{dimension: key, "status": ...}), without re-encoding
            # the row's filters for each of its cells.
            url = links(**{dimension: key})
            cells = [
                (status, n, f"{url}&{STATUS_PARAMS[status]}" if n else None)
                for status, n in tally.items()
            ]
        overdue_url = f"{url}&overdue=1" if key is not None and tally.overdue else None
        rows.append(
            BreakdownRow(
                label=option.label if option else none_label,
                url=url,
                cells=tuple(cells),
                total=tally.total,
                overdue=tally.overdue,
                overdue_url=overdue_url,
            )
        )
    rows.sort(key=lambda row: (row.label == none_label, row.label.lower()))
    return rows


def scope_label(choices, scope):
    parts = [
        choices[name][value].label
        for name in ("area", "party", "owner")
        if (value := getattr(scope, name))
    ]
    return " · ".join(parts) if parts else "All commitments"


def cache_key(request):
    """The key of this request's dashboard region, or None when it must not be cached.

    The region follows from the data (the data version, which every write changes), the
    time to the minute (today, "printed at") and the query string; it is the same for
    every user who may see the dashboard.
    """
    if not settings.TRACKER_DASHBOARD_CACHE_SECONDS:
        return None
    token = dataversion.current()
    if token is None:
        return None
    minute = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()
    return f"tracker:dashboard:{token}:{minute}:{query}"


@require_GET
@role_required()
def dashboard(request):
    key = cache_key(request)
    if key is None:
        return render_dashboard(request)
    cached = cache.get(key)
    if cached is None:
        region = render_dashboard(request, region_only=True)
        cached = (region.content.decode(), region["HX-Push-Url"])
        cache.set(key, cached, settings.TRACKER_DASHBOARD_CACHE_SECONDS)
    html, url = cached
    if is_swap(request):
        return vary(push_url(HttpResponse(html), url))
    # Our own rendered template, read back from the cache.
    context = {"dashboard_html": mark_safe(html), "nav_section": "dashboard"}  # noqa: S308
    return render_page(request, "tracker/dashboard_page.html", context)


def trend_context(data, windows, months):
    """The trend's section, and the long lists drawn by fragments. The trend starts at the
    first week with a commitment: a fresh install has no empty year before it."""
    trend = charts.from_first_data(data.trend)
    return {
        "trend": trend,
        "trend_html": trend_section(trend, data.day, windows, months),
        "fragments": {
            "change_groups": fragments.render_rows("change_group", data.changes.groups),
            **{
                kind: fragments.render_rows("attention_item", [(kind, item) for item in items])
                for kind, items in (
                    ("at_risk", data.at_risk),
                    ("overdue", data.overdue),
                    ("worsened", data.worsened),
                )
            },
        },
    }


def trend_section(trend, day, windows, months):
    """The trend's section (chart, legend, table), drawn once per content: its geometry and
    markup cost about 3 ms, and only a write that moves one of its counts changes it."""
    points = tuple((p.day, tuple(p.counts.get(s, 0) for s in STATUS_ORDER)) for p in trend)
    return _trend_section(points, day, tuple(windows), months, translation.get_language())


@functools.lru_cache(maxsize=64)
def _trend_section(points, day, windows, months, language):
    trend = [TrendPoint(week, dict(zip(STATUS_ORDER, n, strict=True))) for week, n in points]
    return fragments.render(
        "trend",
        trend=trend,
        chart=charts.trend_chart(trend) if len(trend) > 1 else None,
        day=day,
        windows=windows,
        months=months,
        statuses=STATUS_ORDER,
    )


def breakdowns(links, choices, snap):
    """(dimension, title, rows, the rows drawn) for each breakdown table."""
    tables = [
        ("area", "By area", snap.by_area, None),
        ("party", "By party", snap.by_party, None),
        ("owner", "By owner", snap.by_owner, "Nobody"),
    ]
    result = []
    for name, title, tallies, none_label in tables:
        rows = breakdown_rows(links, name, choices[name], tallies, none_label)
        result.append((name, title, rows, fragments.render_rows("breakdown_row", rows)))
    return result


# Long (about 65 lines): most of it is the page's context, one dict in the order of the page.
def render_dashboard(request, region_only=False):
    today = timezone.localdate()
    choices = queries.dashboard_choices()
    form = DashboardForm(request.GET, choices=choices, today=today)
    options = resolve(form, today)
    data = overview.dashboard(
        day=options.day,
        today=today,
        since=options.since,
        until=options.until,
        weeks=options.months * 52 // 12,
        scope=options.scope,
    )
    snap = data.snapshot
    tally = snap.tally
    links = ListLinks(choices, options.scope)
    week_before = data.trend[-2] if len(data.trend) > 1 else data.trend[-1]
    attention_change = tally.attention - sum(
        week_before.counts.get(s, 0) for s in Status.attention()
    )
    windows = [(months, label, options.url(months=months)) for months, label in WINDOWS.items()]
    context = {
        "form": form,
        "notices": form.notices(),
        "options": options,
        "d": data,
        "today": today,
        "now": timezone.localtime(),
        "tally": tally,
        "scope_label": scope_label(choices, options.scope),
        "segments": charts.stacked_bar(tally.counts),
        "distribution": charts.distribution_text(tally.counts),
        "week_before": week_before,
        "attention_change": attention_change,
        "attention_fall": -attention_change,
        "worsened_more": data.worsened_count - len(data.worsened),
        "filter_fields": [form["area"], form["party"], form["owner"], form["as_of"]],
        **trend_context(data, windows, options.months),
        "legend": [(s, n, links(status=s.value)) for s, n in tally.items()],
        "links": {
            "all": links(),
            "overdue": links(overdue=1),
            "at_risk": links(status=Status.AT_RISK.value),
            "stalled": links(status=Status.STALLED.value),
            "fulfilled": links(status=Status.FULFILLED.value),
            "today": options.url(as_of=None),
            "exports": options.scope_params(),
        },
        "periods": [
            (key, label, options.url(period=key, since=None, until=None))
            for key, label in PERIODS.items()
        ],
        "breakdowns": breakdowns(links, choices, snap),
        "statuses": queries.STATUS_ORDER,
        "nav_section": "dashboard",
    }
    if region_only:
        # The region alone, to be cached and served to every user by dashboard().
        return push_url(render(request, "tracker/dashboard.html#dashboard", context), options.url())
    response = render_page(request, "tracker/dashboard.html", context, fragment="dashboard")
    if is_swap(request):
        push_url(response, options.url())
    return response
