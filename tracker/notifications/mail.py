"""Emails: rendered from templates once, when the delivery is recorded, so a retry sends
exactly what the first attempt would have. Threads per commitment; one-click unsubscribe."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from .models import EmailDelivery

UNSUBSCRIBE_SALT = "tracker.notifications.unsubscribe"
DIGEST = "digest"


def absolute(path):
    return settings.TRACKER_BASE_URL.rstrip("/") + path


def mail_domain():
    return urlsplit(settings.TRACKER_BASE_URL).hostname or "localhost"


def unsubscribe_token(user, what):
    """A signed token naming the user and what to stop (an event kind, or the digest)."""
    return signing.dumps({"u": user.pk, "w": what}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """(user id, what), or None for a token that was not ours or was tampered with."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["u"]), str(data["w"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(user, what):
    return absolute(reverse("notification-unsubscribe", args=[unsubscribe_token(user, what)]))


def thread_id(commitment):
    """A Message-ID no message carries: every email about the commitment refers to it."""
    return f"<commitment-{commitment.pk}@{mail_domain()}>" if commitment else ""


def message_id(key, user):
    return f"<{re.sub(r'[^A-Za-z0-9.-]', '.', key)}.{user.pk}@{mail_domain()}>"


def subject_for(commitment):
    # The same subject for every email about one commitment, so clients thread them.
    return f"[Commitment Tracker] {commitment.reference}: {commitment.title}"[:300]


def render(template, context):
    text = render_to_string(f"tracker/notifications/email/{template}.txt", context)
    html = render_to_string(f"tracker/notifications/email/{template}.html", context)
    return text, html


def base_context(user, what):
    return {
        "recipient": user,
        "base_url": settings.TRACKER_BASE_URL.rstrip("/"),
        "unsubscribe_url": unsubscribe_url(user, what),
        "preferences_url": absolute(reverse("notification-preferences")),
    }


def event_delivery(event, user):
    """The unsaved EmailDelivery telling `user` of `event`."""
    url = absolute(
        event.update.get_absolute_url() if event.update else event.commitment.get_absolute_url()
    )
    context = {
        **base_context(user, event.kind.value),
        **event.context,
        "event": event,
        "commitment": event.commitment,
        "url": url,
    }
    text, html = render(event.kind.value, context)
    return EmailDelivery(
        recipient=user,
        kind=event.kind,
        event_key=event.key,
        commitment=event.commitment,
        to=user.email,
        subject=subject_for(event.commitment),
        text_body=text,
        html_body=html,
        message_id=message_id(event.key, user),
        thread_id=thread_id(event.commitment),
        unsubscribe_url=context["unsubscribe_url"],
    )


def render_period(period, dashboard_url):
    """(text, html) of a digest period's changes, rendered once for all its readers."""
    text, html = render(
        "digest_changes",
        {"period": period, "dashboard_url": dashboard_url, "base_url": absolute("")},
    )
    return text, mark_safe(html)  # noqa: S308 - our own template's output, escaped there


def digest_delivery(digest, user, shared):
    text, html = shared
    context = {
        **base_context(user, DIGEST),
        "digest": digest,
        "changes_text": text,
        "changes_html": html,
    }
    text, html = render("digest", context)
    key = f"digest:{digest.since.isoformat()}:{digest.until.isoformat()}"
    return EmailDelivery(
        recipient=user,
        event_key=key,
        to=user.email,
        subject=f"[Commitment Tracker] {digest.title}"[:300],
        text_body=text,
        html_body=html,
        message_id=message_id(key, user),
        unsubscribe_url=context["unsubscribe_url"],
    )


def message(delivery):
    headers = {
        "Message-ID": delivery.message_id,
        "Auto-Submitted": "auto-generated",
        # RFC 8058: mail providers show an unsubscribe button that POSTs to this URL.
        "List-Unsubscribe": f"<{delivery.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if delivery.thread_id:
        headers["In-Reply-To"] = delivery.thread_id
        headers["References"] = delivery.thread_id
    email = EmailMultiAlternatives(
        delivery.subject, delivery.text_body, None, [delivery.to], headers=headers
    )
    email.attach_alternative(delivery.html_body, "text/html")
    return email
