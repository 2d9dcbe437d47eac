"""Every URL pattern × every role × GET and POST, with the expected outcome.

The table is checked against the URLconf: a new URL without an entry here fails the suite.
Outcomes: "ok" (2xx, or a 3xx that is not the sign-in page), "login" (redirect to sign in),
"reauth" (redirect to confirm the password again, before changing a second factor),
"admin-login" (redirect to the admin's sign-in), 403, 404, 405, "invalid" (the request was
allowed but its empty form was refused with a 4xx and nothing saved), "form-error" (Django's
own auth views: the form again, 200, with its errors).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories
from tracker.imports import jobs
from tracker.models import AuditEvent, Measurement, StatusUpdate
from tracker.notifications.mail import unsubscribe_token

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "analyst", "other_analyst", "manager", "admin"]

# Shorthands for rows of the table.
ANY_ROLE = {"anonymous": "login", "outsider": 403}
EVERYONE_READS = {
    **ANY_ROLE,
    "analyst": "ok",
    "other_analyst": "ok",
    "manager": "ok",
    "admin": "ok",
}
MANAGERS_ONLY = {**ANY_ROLE, "analyst": 403, "other_analyst": 403, "manager": "ok", "admin": "ok"}
# A manager's form posted empty: refused with the form's errors, not by the access rule.
MANAGERS_WRITE = {**MANAGERS_ONLY, "manager": "invalid", "admin": "invalid"}
GET_ONLY = {"anonymous": "login", **dict.fromkeys(ROLES[1:], 405)}
POST_ONLY = GET_ONLY
SIGNED_IN = {"anonymous": "login", **dict.fromkeys(ROLES[1:], "ok")}
# Changing a second factor needs a recent sign-in: the password (or a code) is asked again.
RECENT_SIGN_IN = {"anonymous": "login", **dict.fromkeys(ROLES[1:], "reauth")}
NOT_ENROLLED = {"anonymous": "login", **dict.fromkeys(ROLES[1:], 404)}
PUBLIC = dict.fromkeys(ROLES, "ok")
PUBLIC_405 = dict.fromkeys(ROLES, 405)
WRITERS_INVALID = dict.fromkeys(["analyst", "other_analyst", "manager", "admin"], "invalid")

EXPECTED = {
    # name: {"GET": {role: outcome}, "POST": {role: outcome}}
    "dashboard": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "commitment-list": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "commitment-detail": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "commitment-new": {
        "GET": MANAGERS_ONLY,
        "POST": MANAGERS_WRITE,
    },
    "commitment-record-update": {
        "GET": POST_ONLY,
        "POST": {
            **ANY_ROLE,
            "analyst": "invalid",
            "other_analyst": 403,
            "manager": 403,
            "admin": "invalid",
        },
    },
    "commitment-edit": {
        "GET": {**ANY_ROLE, "analyst": "ok", "other_analyst": 403, "manager": "ok", "admin": "ok"},
        "POST": {
            **ANY_ROLE,
            "analyst": "invalid",
            "other_analyst": 403,
            "manager": "invalid",
            "admin": "invalid",
        },
    },
    "indicator-add-measurement": {
        "GET": POST_ONLY,
        "POST": {
            **ANY_ROLE,
            "analyst": "invalid",
            "other_analyst": 403,
            "manager": 403,
            "admin": "invalid",
        },
    },
    "source-search": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "source-list": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "source-detail": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "source-download": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "source-add": {"GET": {**EVERYONE_READS}, "POST": {**ANY_ROLE, **WRITERS_INVALID}},
    "source-add-document": {"GET": POST_ONLY, "POST": {**ANY_ROLE, **WRITERS_INVALID}},
    # Without a passage to quote the page says so (422); managers never post updates.
    "source-quote": {
        "GET": {
            **ANY_ROLE,
            "analyst": "invalid",
            "other_analyst": "invalid",
            "manager": 403,
            "admin": "invalid",
        },
        "POST": GET_ONLY,
    },
    "review-queue": {
        "GET": MANAGERS_ONLY,
        "POST": GET_ONLY,
    },
    "review-accept": {
        "GET": POST_ONLY,
        "POST": MANAGERS_ONLY,
    },
    "review-return": {
        "GET": POST_ONLY,
        "POST": MANAGERS_WRITE,
    },
    "returned-updates": {
        "GET": {**ANY_ROLE, "analyst": "ok", "other_analyst": "ok", "manager": 403, "admin": "ok"},
        "POST": GET_ONLY,
    },
    "export-commitments-csv": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "export-commitments-json": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "export-history-csv": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "export-commitments-xlsx": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "export-history-xlsx": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "import": {
        "GET": MANAGERS_ONLY,
        "POST": MANAGERS_WRITE,
    },
    # The world's upload is the manager's: only they (and admins) see and apply it.
    "import-detail": {"GET": MANAGERS_ONLY, "POST": GET_ONLY},
    "import-apply": {
        "GET": POST_ONLY,
        "POST": MANAGERS_WRITE,
    },
    "import-report": {"GET": MANAGERS_ONLY, "POST": GET_ONLY},
    "feed-updates": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "search": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "healthz": {"GET": dict.fromkeys(ROLES, "ok"), "POST": dict.fromkeys(ROLES, 405)},
    # Notifications: everyone with a role has their own; one-click unsubscribe needs no sign-in.
    "notification-list": {"GET": EVERYONE_READS, "POST": GET_ONLY},
    "notification-read": {
        "GET": POST_ONLY,
        # The analyst's own notification; anyone else's is as good as missing.
        "POST": {**ANY_ROLE, "analyst": "ok", "other_analyst": 404, "manager": 404, "admin": 404},
    },
    "notification-read-all": {"GET": POST_ONLY, "POST": EVERYONE_READS},
    "notification-preferences": {
        "GET": EVERYONE_READS,
        "POST": {**ANY_ROLE, **dict.fromkeys(ROLES[2:], "invalid")},
    },
    "notification-unsubscribe": {
        "GET": dict.fromkeys(ROLES, "ok"),
        "POST": dict.fromkeys(ROLES, "ok"),
    },
    "commitment-follow": {
        "GET": POST_ONLY,
        "POST": {**ANY_ROLE, **dict.fromkeys(ROLES[2:], "invalid")},
    },
    "area-follow": {"GET": POST_ONLY, "POST": {**ANY_ROLE, **dict.fromkeys(ROLES[2:], "invalid")}},
    "favicon": {"GET": dict.fromkeys(ROLES, "ok"), "POST": dict.fromkeys(ROLES, 405)},
    # Django's auth views.
    "login": {"GET": dict.fromkeys(ROLES, "ok"), "POST": dict.fromkeys(ROLES, "form-error")},
    "logout": {"GET": {"anonymous": "login", **dict.fromkeys(ROLES[1:], 405)}, "POST": None},
    "password_change": {
        "GET": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "ok")},
        "POST": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "form-error")},
    },
    "password_change_done": {
        "GET": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "ok")},
        "POST": {"anonymous": "login", **dict.fromkeys(ROLES[1:], 405)},
    },
    # django-allauth (tracker/accounts/urls.py mounts only these). The same sign-in and
    # sign-out views under allauth's names.
    "account_login": {"GET": PUBLIC, "POST": dict.fromkeys(ROLES, "form-error")},
    "account_logout": {"GET": GET_ONLY, "POST": None},
    "account_inactive": {"GET": PUBLIC, "POST": PUBLIC_405},
    "account_reauthenticate": {
        "GET": SIGNED_IN,
        "POST": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "form-error")},
    },
    # The security settings page and the second factor (nobody in the world has one yet).
    "mfa_index": {"GET": SIGNED_IN, "POST": GET_ONLY},
    # The second step of signing in: without a password step first, back to the start.
    "mfa_authenticate": {
        "GET": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "ok")},
        "POST": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "ok")},
    },
    "mfa_reauthenticate": {"GET": RECENT_SIGN_IN, "POST": RECENT_SIGN_IN},
    "mfa_activate_totp": {"GET": RECENT_SIGN_IN, "POST": RECENT_SIGN_IN},
    "mfa_deactivate_totp": {"GET": NOT_ENROLLED, "POST": NOT_ENROLLED},
    "mfa_view_recovery_codes": {"GET": NOT_ENROLLED, "POST": GET_ONLY},
    "mfa_generate_recovery_codes": {"GET": RECENT_SIGN_IN, "POST": RECENT_SIGN_IN},
    "mfa_download_recovery_codes": {"GET": NOT_ENROLLED, "POST": NOT_ENROLLED},
    "mfa_list_webauthn": {"GET": SIGNED_IN, "POST": GET_ONLY},
    "mfa_add_webauthn": {"GET": RECENT_SIGN_IN, "POST": RECENT_SIGN_IN},
    "mfa_reauthenticate_webauthn": {"GET": RECENT_SIGN_IN, "POST": RECENT_SIGN_IN},
    "mfa_remove_webauthn": {"GET": RECENT_SIGN_IN, "POST": RECENT_SIGN_IN},
    "mfa_edit_webauthn": {"GET": RECENT_SIGN_IN, "POST": RECENT_SIGN_IN},
    # Passkey sign-in: only for a browser asking for its challenge (JSON), never a page.
    "mfa_login_webauthn": {
        "GET": dict.fromkeys(ROLES, "login"),
        "POST": dict.fromkeys(ROLES, "login"),
    },
    # Single sign-on: 404 while no provider is configured (tests/e2e/test_sso.py signs in
    # through a real one); its error and cancel pages are for anyone.
    "openid_connect_login": {"GET": dict.fromkeys(ROLES, 404), "POST": dict.fromkeys(ROLES, 404)},
    "openid_connect_callback": {
        "GET": dict.fromkeys(ROLES, 404),
        "POST": dict.fromkeys(ROLES, 404),
    },
    "socialaccount_login_cancelled": {"GET": PUBLIC, "POST": PUBLIC_405},
    "socialaccount_login_error": {"GET": dict.fromkeys(ROLES, 401), "POST": PUBLIC_405},
    # Choosing a username when the provider's is taken: only during a single sign-on.
    "socialaccount_signup": {
        "GET": dict.fromkeys(ROLES, "login"),
        "POST": dict.fromkeys(ROLES, "login"),
    },
}
# The API answers with problem details: 401 without credentials (never a sign-in redirect);
# Django REST framework checks who is asking before the method, so outsiders get 403 first.
API_READS = {"anonymous": 401, "outsider": 403, **dict.fromkeys(ROLES[2:], "ok")}
API_GET_ONLY = {"anonymous": 401, "outsider": 403, **dict.fromkeys(ROLES[2:], 405)}
API_ANALYST_WRITES = {
    "anonymous": 401,
    "outsider": 403,
    "analyst": "invalid",
    "other_analyst": 403,
    "manager": 403,
    "admin": "invalid",
}
API_MANAGER_ONLY = {
    "anonymous": 401,
    "outsider": 403,
    "analyst": 403,
    "other_analyst": 403,
    "manager": "ok",
    "admin": "ok",
}
EXPECTED.update(
    {
        "token-list": {
            "GET": EVERYONE_READS,
            "POST": {**ANY_ROLE, **dict.fromkeys(ROLES[2:], "invalid")},
        },
        # Only the owner's own token is found; anyone else's is a 404.
        "token-revoke": {
            "GET": POST_ONLY,
            "POST": {**ANY_ROLE, "analyst": "ok", **dict.fromkeys(ROLES[3:], 404)},
        },
        "api-root": {"GET": API_READS, "POST": API_GET_ONLY},
        "api-schema": {"GET": API_READS, "POST": API_GET_ONLY},
        "api-docs": {
            "GET": EVERYONE_READS,
            "POST": {**ANY_ROLE, **dict.fromkeys(ROLES[2:], 405)},
        },
        "api-commitment-list": {"GET": API_READS, "POST": API_GET_ONLY},
        "api-commitment-detail": {"GET": API_READS, "POST": API_GET_ONLY},
        "api-commitment-updates": {"GET": API_READS, "POST": API_ANALYST_WRITES},
        "api-update-list": {"GET": API_READS, "POST": API_GET_ONLY},
        "api-update-detail": {"GET": API_READS, "POST": API_GET_ONLY},
        "api-update-accept": {
            "GET": API_GET_ONLY,
            "POST": API_MANAGER_ONLY,
        },
        "api-update-return": {
            "GET": API_GET_ONLY,
            "POST": {**API_MANAGER_ONLY, "manager": "invalid", "admin": "invalid"},
        },
        "api-indicator-measurements": {"GET": API_READS, "POST": API_ANALYST_WRITES},
        "api-source-list": {"GET": API_READS, "POST": API_GET_ONLY},
        "api-source-detail": {"GET": API_READS, "POST": API_GET_ONLY},
        "api-dashboard": {"GET": API_READS, "POST": API_GET_ONLY},
        "api-review-queue": {
            "GET": {**API_MANAGER_ONLY},
            "POST": {**API_GET_ONLY, "analyst": 403, "other_analyst": 403},
        },
        "api-not-found": {
            "GET": {**API_READS, **dict.fromkeys(ROLES[2:], 404)},
            "POST": {**API_READS, **dict.fromkeys(ROLES[2:], 404)},
        },
    }
)
# The admin: every one of its URLs needs staff status (checked on a sample below).
ADMIN_NAMESPACE = "admin"


def named_patterns(patterns=None, prefix=""):
    """(name, route) of every named URL pattern outside the admin."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == ADMIN_NAMESPACE:
                continue
            yield from named_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


def test_every_url_pattern_has_an_entry_in_the_table():
    names = {name for name, _ in named_patterns()}
    assert None not in names, "every URL pattern needs a name"
    missing = names - EXPECTED.keys()
    assert not missing, f"add these URLs to the access matrix: {sorted(missing)}"
    assert not EXPECTED.keys() - names, "the table names URLs that no longer exist"


@pytest.fixture
def world(analyst, other_analyst, manager, admin_user, outsider):
    commitment = factories.make_commitment("MATRIX-1", owner=analyst)
    factories.record(commitment, status="in_progress")  # seed-style, accepted
    indicator = factories.make_indicator(commitment)
    source = factories.make_source("Matrix source without text")
    document = factories.make_document_source("Matrix document", text="A paragraph.")
    upload = jobs.store(user=manager, name="matrix.csv", data=b"reference,title\nMATRIX-1,New\n")
    token = factories.make_token(analyst)
    notification = factories.make_notification(analyst, commitment)
    users = {
        "anonymous": None,
        "outsider": outsider,
        "analyst": analyst,
        "other_analyst": other_analyst,
        "manager": manager,
        "admin": admin_user,
    }
    return {
        "commitment": commitment,
        "indicator": indicator,
        "source": source,
        "token": token,
        "document": document,
        "upload": upload,
        "notification": notification,
        "users": users,
        "analyst": analyst,
    }


def url_for(name, world, fresh_update, kwargs_only=False):
    from django.urls import reverse

    kwargs = {}
    name_ = name.removeprefix("api-").replace("update-", "review-")
    if name == "api-not-found":
        kwargs = {"rest": "no-such-thing/"}
    elif name == "api-source-detail":
        kwargs = {"pk": world["source"].pk}
    elif name == "token-revoke":
        kwargs = {"pk": world["token"].pk}
    elif name_ == "review-detail":
        kwargs = {"pk": fresh_update().pk}
    elif name.startswith("api-") and name_ not in ("review-list", "review-queue"):
        return reverse(name, kwargs=url_for(name_, world, fresh_update, kwargs_only=True))
    elif name.startswith("commitment-") and name not in ("commitment-list", "commitment-new"):
        kwargs = {"reference": world["commitment"].reference}
    elif name.startswith("indicator-"):
        kwargs = {"pk": world["indicator"].pk}
    elif name in ("source-detail", "source-add-document"):
        kwargs = {"pk": world["source"].pk}
    elif name in ("source-download", "source-quote"):
        kwargs = {"pk": world["document"].pk}
    elif name.startswith("import-"):
        kwargs = {"pk": world["upload"].pk}
    elif name.startswith("review-") and name != "review-queue":
        kwargs = {"pk": fresh_update().pk}
    elif name in ("mfa_remove_webauthn", "mfa_edit_webauthn"):
        kwargs = {"pk": 1}
    elif name.startswith("openid_connect_"):
        kwargs = {"provider_id": "sso"}
    elif name == "area-follow":
        kwargs = {"slug": world["commitment"].area.slug}
    elif name == "notification-read":
        kwargs = {"pk": world["notification"].pk}
    elif name == "notification-unsubscribe":
        kwargs = {"token": unsubscribe_token(world["analyst"], "status_changed")}
    if kwargs_only:
        return kwargs
    return reverse(name, kwargs=kwargs)


def outcome(response):
    location = response.get("Location", "")
    if response.status_code in (301, 302):
        if location.startswith("/admin/login/"):
            return "admin-login"
        if location.startswith("/accounts/login/"):
            return "login"
        if location.startswith("/accounts/reauthenticate/"):
            return "reauth"
        return "ok"
    if (
        response.status_code == 200
        and not response.streaming  # the exports stream their files
        and b'class="errorlist' in response.content
    ):
        return "form-error"
    if 200 <= response.status_code < 300:
        return "ok"
    if response.status_code in (400, 409, 422):
        return "invalid"
    return response.status_code


CASES = [
    (name, method, role)
    for name, methods in EXPECTED.items()
    if methods
    for method, roles in methods.items()
    if roles
    for role in ROLES
]


@pytest.mark.parametrize("name,method,role", CASES)
def test_access(client, world, name, method, role):
    expected = EXPECTED[name][method][role]
    user = world["users"][role]
    if user:
        client.force_login(user)

    def fresh_update():
        return factories.record(world["commitment"], author=world["analyst"], quote="q")

    url = url_for(name, world, fresh_update)
    counts = (StatusUpdate.objects.count(), Measurement.objects.count())
    if method == "GET":
        response = client.get(url)
    elif name.startswith("api-"):
        response = client.post(url, "{}", content_type="application/json")
    else:
        response = client.post(url, {})
    if name.startswith("api-") and response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
    if name == "review-accept" and expected == "ok":
        assert response.status_code == 302  # accepted: back to the queue
    else:
        assert outcome(response) == expected, (response.status_code, response.get("Location"))
    if expected in ("invalid", 403, 405, "login") and method == "POST":
        assert (StatusUpdate.objects.count(), Measurement.objects.count()) == counts
    if expected == 403 and user is not None:
        assert AuditEvent.objects.filter(action="permission_denied", user=user).exists()


API_NAMES = sorted(n for n in EXPECTED if n.startswith("api-") and n != "api-docs")


@pytest.mark.parametrize("name", API_NAMES)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_api_refuses_other_methods_with_a_problem(client, world, name, method):
    def fresh_update():
        return factories.record(world["commitment"], author=world["analyst"], quote="q")

    url = url_for(name, world, fresh_update)
    assert getattr(client, method)(url).status_code == 401
    client.force_login(world["users"]["admin"])
    response = getattr(client, method)(url, "{}", content_type="application/json")
    assert response.status_code == (404 if name == "api-not-found" else 405)
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_needs_staff_status(client, world, role):
    user = world["users"][role]
    if user:
        client.force_login(user)
    for url in ("/admin/", "/admin/tracker/commitment/", "/admin/tracker/auditevent/"):
        response = client.get(url)
        if role == "admin":
            assert response.status_code == 200
        elif role == "anonymous":
            # The admin's index sends to its own sign-in page, the rest to the site's.
            assert outcome(response) in ("login", "admin-login")
        else:
            assert outcome(response) == "admin-login"
