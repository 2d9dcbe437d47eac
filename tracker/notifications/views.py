"""The bell's pages: notifications, follow, preferences, and unsubscribe (signed out too)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracker.access import own_notification, role_required
from tracker.compiled import Compiled
from tracker.htmx import is_swap, render_page, vary
from tracker.models import Area, Commitment

from . import mail
from .forms import FollowForm, PreferencesForm
from .models import Follow, Frequency, Kind, Mode, Notification, Preferences

PAGE_SIZE = 25
PAGE = "tracker/notifications/list.html"


def unread_count(user):
    return Notification.objects.filter(recipient=user).unread().count()


def page_of_notifications(user, number):
    """One page of the user's notifications, newest first (a bad number: the first page)."""
    notifications = Notification.objects.filter(recipient=user)
    return Paginator(notifications, PAGE_SIZE).get_page(number)


@require_GET
@role_required()
def notification_list(request):
    page = page_of_notifications(request.user, request.GET.get("page"))
    context = {"page": page, "nav_section": "notifications"}
    return render_page(request, PAGE, context, fragment="notification-list")


@require_POST
@role_required()
def mark_read(request, pk):
    notification = own_notification(request, pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    if not is_swap(request):
        return redirect("notification-list")
    context = {"notification": notification, "unread": unread_count(request.user), "oob": True}
    return vary(render(request, f"{PAGE}#notification-item", context))


@require_POST
@role_required()
def mark_all_read(request):
    marked = (
        Notification.objects.filter(recipient=request.user).unread().update(read_at=timezone.now())
    )
    if not is_swap(request):
        messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
        return redirect("notification-list")
    context = {"page": page_of_notifications(request.user, 1), "unread": 0, "oob": True}
    return vary(render(request, f"{PAGE}#notification-list", context))


# The user's follows of a commitment or of its area (a commitment's follow has no area).
FOLLOWS = Compiled(
    lambda user_id, commitment_id, area_id: (
        Follow.objects.filter(user_id=user_id)
        .filter(Q(commitment_id=commitment_id) | Q(area_id=area_id))
        .values_list("commitment_id")
    )
)


def follow_context(user, commitment):
    """Why this user hears of the commitment's changes (one query; assignees prefetched)."""
    follows = [pk for (pk,) in FOLLOWS.rows(user.pk, commitment.pk, commitment.area_id)]
    return {
        "commitment": commitment,
        "responsible": commitment.owner_id == user.pk
        or any(a.pk == user.pk for a in commitment.assignees.all()),
        "follows_commitment": any(pk is not None for pk in follows),
        "follows_area": any(pk is None for pk in follows),
    }


def set_follow(request, *, commitment=None, area=None):
    form = FollowForm(request.POST)
    if not form.is_valid():
        return None, form.errors["follow"][0]
    target = {"commitment": commitment} if commitment else {"area": area}
    if form.cleaned_data["follow"]:
        Follow.objects.get_or_create(user=request.user, **target)
    else:
        Follow.objects.filter(user=request.user, **target).delete()
    return form.cleaned_data["follow"], None


@require_POST
@role_required()
def follow_commitment(request, reference):
    commitment = get_object_or_404(
        Commitment.objects.select_related("area").prefetch_related("assignees"),
        reference=reference,
    )
    return follow_response(request, commitment, *set_follow(request, commitment=commitment))


@require_POST
@role_required()
def follow_area(request, slug):
    area = get_object_or_404(Area, slug=slug)
    following, error = set_follow(request, area=area)
    if error:
        return render(request, "400.html", {"message": error}, status=400)
    what = "Following" if following else "No longer following"
    messages.success(request, f"{what} every commitment in {area.name}.")
    asked = request.POST.get("commitment", "")
    commitment = Commitment.objects.filter(reference=asked, area=area).first()
    if commitment and is_swap(request):
        return follow_response(request, commitment, following, None)
    return redirect(commitment or "notification-preferences")


def follow_response(request, commitment, following, error):
    if error:
        status = 400
    else:
        status = 200
        if not is_swap(request):
            what = "Following" if following else "No longer following"
            messages.success(request, f"{what} {commitment.reference}.")
            return redirect(commitment)
    context = {**follow_context(request.user, commitment), "follow_error": error}
    return vary(render(request, "tracker/notifications/follow.html#follow", context, status=status))


@require_http_methods(["GET", "POST"])
@role_required()
def preferences(request):
    prefs = Preferences.for_user(request.user)
    form = PreferencesForm(request.POST or None, instance=prefs)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your notification preferences are saved.")
            return redirect("notification-preferences")
        status = 422
    else:
        status = 200
    follows = Follow.objects.filter(user=request.user).select_related("commitment", "area")
    context = {
        "form": form,
        "follows": list(follows),
        "nav_section": "notifications",
        "has_email": bool(request.user.email),
    }
    return render_page(
        request,
        "tracker/notifications/preferences.html",
        context,
        fragment="preferences",
        status=status,
    )


def stop(user, what):
    """Turn one kind of email off (or the digest): what an unsubscribe link asks for."""
    prefs = Preferences.for_user(user)
    if what == mail.DIGEST:
        prefs.digest = Frequency.NEVER
        label = "the digest"
    else:
        setattr(prefs, Kind(what).value, Mode.OFF)
        label = f"“{Kind(what).label}”"
    prefs.save()
    return label


@login_not_required
@csrf_exempt  # RFC 8058: mail providers POST here without a session; the token is the key.
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    found = mail.read_unsubscribe_token(token)
    user = None
    if found and (found[1] == mail.DIGEST or found[1] in Kind.values):
        user = get_user_model().objects.filter(pk=found[0], is_active=True).first()
    if user is None:
        context = {"error": "This unsubscribe link is not valid (it may have been cut short)."}
        return render(request, "tracker/notifications/unsubscribe.html", context, status=400)
    what = found[1]
    label = mail.DIGEST if what == mail.DIGEST else Kind(what).label
    if request.method == "POST":
        context = {"done": stop(user, what)}
    else:
        context = {"token": token, "label": label}
    return render(request, "tracker/notifications/unsubscribe.html", context)
