import functools

from django import template
from django.utils import timezone
from django.utils.html import format_html

from tracker.models import Status
from tracker.people import display_name

register = template.Library()


@register.filter
def person(user, missing=""):
    """A person's display name: `{{ update.author|person:"Imported seed data" }}`."""
    return display_name(user, missing)


@register.simple_tag
@functools.cache
def status_badge(status, extra_class=""):
    """A status badge: colour plus its label, its definition on hover and focus.

    Cached: eight statuses, and the dashboard shows hundreds of badges."""
    status = Status(status)
    return format_html(
        '<span class="badge status-{} {}" title="{}" tabindex="0" data-status="{}">{}</span>',
        status.css,
        extra_class,
        status.definition,
        status.value,
        status.label,
    )


@register.simple_tag
def progress_bar(progress, label=""):
    if progress is None:
        return format_html('<span class="progress-none">{}</span>', "Not estimated")
    return format_html(
        '<span class="progress" role="img" aria-label="{}Progress {} %">'
        '<span class="progress-track"><span class="progress-fill w-{}"></span></span>'
        '<span class="progress-text">{} %</span></span>',
        f"{label}: " if label else "",
        progress,
        int(progress) // 5 * 5,
        progress,
    )


@register.filter
def days_since(value, *, zone=None, today=None):
    """'today', '1 day ago', '12 days ago' for a date or datetime; in the current time zone,
    or in `zone` up to `today` (the fragments look both up once, tracker/fragments.py)."""
    if not value:
        return "never"
    if hasattr(value, "date"):
        value = timezone.localdate(value, zone)
    days = ((today or timezone.localdate(timezone=zone)) - value).days
    if days <= 0:
        return "today"
    if days == 1:
        return "1 day ago"
    return f"{days} days ago"


@register.simple_tag
def status_choices():
    return [Status(v) for v in Status.values]
