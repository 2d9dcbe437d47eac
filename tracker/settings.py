"""Settings for Commitment Tracker: one flat file, values from the environment.

Every value has a safe local default, so `make run` needs no configuration; production
sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (see README, "Production").
It stays one file (over ~450 lines) on purpose, as Healthchecks keeps it: every setting and
its environment variable is found with one search, in the order Django applies them.
"""

import os
import urllib.parse
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from tracker.logs import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def envint(name, default):
    return int(os.environ.get(name, default))


DEBUG = envbool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # allauth's list of security keys
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "django_htmx",
    "simple_history",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "crontask",
    "tracker",
    "tracker.notifications",
]

MIDDLEWARE = [
    "tracker.middleware.request_id",
    "django.middleware.security.SecurityMiddleware",
    "tracker.middleware.security_headers",
    "tracker.middleware.reject_nul_bytes",
    "tracker.middleware.reject_non_utf8_forms",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Before the sign-in check: the exports and the feed also accept a personal access token.
    "tracker.api.authentication.TokenForExportsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "tracker.middleware.LoginRequiredHtmxMiddleware",
    "tracker.accounts.middleware.RequireSecondFactorMiddleware",
    # Last, so a lockout response comes after authentication has run.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
# Widgets render with the project's templates, so templates/django/forms/ can override one
# (the select, whose stock template includes two templates per option).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tracker.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite (WAL, immediate transactions) by default, PostgreSQL via DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Seconds a connection is kept between requests, on both databases: opening a SQLite one
# (the file, the PRAGMAs, a cold page cache) cost every page about 4 ms (bench/README.md).
CONN_MAX_AGE = envint("CONN_MAX_AGE", 600)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
    # No JIT: PostgreSQL compiles any plan whose *estimated* cost passes jit_above_cost, and
    # the search's statement (arms estimated dear that its one-time filters never run) paid
    # 125 ms of compiling for 15 ms of work. JIT is for long analytic queries, not pages.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Prepared statements: a statement run twice on a connection is prepared, so PostgreSQL
    # plans it once per connection instead of per query (most of a page's database time
    # was planning; bench/README.md, ninth round). Off for poolers that cannot keep them
    # (PgBouncer before 1.21 in transaction mode): DATABASE_PREPARED_STATEMENTS=0.
    if envbool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", BASE_DIR / "var" / "db.sqlite3"),
            "OPTIONS": {
                # WAL lets readers run beside a writer; IMMEDIATE takes the write lock at
                # the start of atomic(), so no transaction fails half-way as "locked".
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "CONN_MAX_AGE": CONN_MAX_AGE,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's and allauth's backends, reading the user's role groups with the user
    # (tracker/access.py RolesWithUser).
    "tracker.access.ModelBackend",
    "tracker.access.AllauthBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 8 hours, and on log out.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: 5 failures per user and address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = envbool("AXES_ENABLED", True)
# Never keep a guessed second-step code in the failure log.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Sign-in (django-allauth): local accounts by username and password, a second factor (TOTP
# with recovery codes, or a security key / passkey), and single sign-on from the
# organisation's OpenID Connect provider. See README, "Sign-in".
ACCOUNT_ADAPTER = "tracker.accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "tracker.accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False
ACCOUNT_SESSION_REMEMBER = True  # the session lasts SESSION_COOKIE_AGE, as before
# A signed-in user may open the sign-in page to switch accounts (as before allauth).
ACCOUNT_AUTHENTICATED_LOGIN_REDIRECTS = False
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
# Failed sign-ins (password or second-step code) are counted by django-axes, in the database
# that every app server shares, rather than by allauth's per-process cache.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
MFA_ADAPTER = "tracker.accounts.adapters.MFAAdapter"
MFA_FORMS = {
    "authenticate": "tracker.accounts.forms.AuthenticateForm",
    "reauthenticate": "tracker.accounts.forms.ReauthenticateForm",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Commitment Tracker"
MFA_TOTP_TOLERANCE = 1  # a code of the previous or next 30 seconds too: phones' clocks drift
MFA_RECOVERY_CODES_SHOW_ONCE = True
# Browsers allow WebAuthn on http://localhost (never on an IP address: open localhost, not
# 127.0.0.1); the server-side check needs this in development.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Authenticator-app secrets are encrypted in the database with this key (and new recovery codes
# in the session, until shown once); the codes themselves are stored only as hashes.
TRACKER_MFA_KEY = os.environ.get("TRACKER_MFA_KEY", SECRET_KEY)
# A signed-in user without a second factor must enrol before anything else.
TRACKER_REQUIRE_2FA = envbool("TRACKER_REQUIRE_2FA", not DEBUG)
# A sign-in through the organisation's provider counts as two-factor: the provider enforces it.
TRACKER_SSO_SATISFIES_2FA = envbool("TRACKER_SSO_SATISFIES_2FA", True)

SOCIALACCOUNT_ADAPTER = "tracker.accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in page POSTs to start single sign-on
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": os.environ.get("OIDC_PROVIDER_NAME", "your organisation"),
                "client_id": os.environ.get("OIDC_CLIENT_ID", ""),
                "secret": os.environ.get("OIDC_CLIENT_SECRET", ""),
                "settings": {"server_url": OIDC_ISSUER},
            }
        ]
        if OIDC_ISSUER
        else [],
    }
}
# Which claim of the provider carries the user's groups, and which of its values give which of
# our roles: "tracker-analysts=Analysts,tracker-managers=Managers". Set at every SSO sign-in.
TRACKER_OIDC_ROLE_CLAIM = os.environ.get("OIDC_ROLE_CLAIM", "groups")
TRACKER_OIDC_ROLE_MAP = dict(
    item.strip().split("=", 1)
    for item in os.environ.get("OIDC_ROLE_MAP", "").split(",")
    if "=" in item
)

# The client's address. TRACKER_PROXY_COUNT is the number of trusted proxies (load balancer,
# TLS terminator) in front of the app; each appends the address it saw to X-Forwarded-For.
# 0 (the default): REMOTE_ADDR is the client and forwarding headers are ignored, as any
# client could forge them. BEHIND_PROXY=1 is the same as TRACKER_PROXY_COUNT=1.
TRACKER_PROXY_COUNT = envint("TRACKER_PROXY_COUNT", 1 if envbool("BEHIND_PROXY", False) else 0)
# django-ipware, used by axes and the audit log (tracker.audit.client_ip): the client is the
# entry the first trusted proxy appended, counted from the right, whatever a client
# prepends. ipware counts only the proxies listed in the header (the last one is REMOTE_ADDR).
IPWARE_STRICT = False
AXES_IPWARE_PROXY_ORDER = "left-most"
if TRACKER_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = TRACKER_PROXY_COUNT - 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
# allauth's own per-address limits (sign-in attempts, passkey challenges) read the same entry.
ALLAUTH_TRUSTED_PROXY_COUNT = TRACKER_PROXY_COUNT

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Content Security Policy (Django 6 built-in): nothing inline without a nonce, nothing external.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if OIDC_ISSUER:
    # Starting single sign-on POSTs to the tracker, which redirects to the provider: browsers
    # check form-action on every redirect of a form submission, so the provider is allowed.
    _issuer = urllib.parse.urlsplit(OIDC_ISSUER)
    SECURE_CSP["form-action"].append(f"{_issuer.scheme}://{_issuer.netloc}")

# Production hardening: on whenever DEBUG is off (each can be overridden).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# X-Forwarded-Proto says the request came over HTTPS only when a proxy sets it.
if TRACKER_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# /healthz is probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Email: printed to the console in development, SMTP in production (EMAIL_BACKEND overrides:
# console, smtp or locmem). Only the task worker sends mail, never a request.
EMAIL_BACKEND_NAME = os.environ.get("EMAIL_BACKEND", "console" if DEBUG else "smtp")
if EMAIL_BACKEND_NAME == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": envint("EMAIL_PORT", 587),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", True),
                # A mail server that stops answering must not hold a worker for ever.
                "timeout": envint("EMAIL_TIMEOUT", 10),
            },
        }
    }
else:
    MAILERS = {
        "default": {"BACKEND": f"django.core.mail.backends.{EMAIL_BACKEND_NAME}.EmailBackend"}
    }
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tracker@localhost")

# Product settings.
# Managers sign off analysts' updates; with this off, updates are accepted on creation.
TRACKER_REVIEW_REQUIRED = envbool("TRACKER_REVIEW_REQUIRED", True)
# Notifications (tracker/notifications): email at all; links in emails start with the base URL.
TRACKER_EMAIL_NOTIFICATIONS = envbool("TRACKER_EMAIL_NOTIFICATIONS", True)
TRACKER_BASE_URL = os.environ.get("TRACKER_BASE_URL", "http://127.0.0.1:8000")
# A failed email is tried again after 1, 4, 16, 64 minutes… (base seconds, times 4 each time).
TRACKER_EMAIL_RETRY_SECONDS = envint("TRACKER_EMAIL_RETRY_SECONDS", 60)
TRACKER_EMAIL_MAX_ATTEMPTS = envint("TRACKER_EMAIL_MAX_ATTEMPTS", 6)
# A claimed email not marked sent after this long belongs to a dead worker: sent again.
TRACKER_EMAIL_LEASE_SECONDS = envint("TRACKER_EMAIL_LEASE_SECONDS", 300)
# Owners and assignees hear of a review due this many days ahead, and when it is overdue.
TRACKER_REVIEW_REMINDER_DAYS = envint("TRACKER_REVIEW_REMINDER_DAYS", 3)
# Where the scheduled backup writes (var/backups by default).
TRACKER_BACKUP_DIR = os.environ.get("TRACKER_BACKUP_DIR", str(BASE_DIR / "var" / "backups"))
# Crontab lines in TIME_ZONE for `manage.py crontask`; "" (or an env var set to "") disables.
TRACKER_SCHEDULES = {
    name: os.environ.get(f"TRACKER_SCHEDULE_{name.upper()}", default)
    for name, default in {
        "sweep": "* * * * *",
        "digests": "0 7 * * *",  # daily digests every morning, weekly ones on Monday
        "review_reminders": "0 6 * * *",
        "verify_integrity": "30 2 * * *",
        "backup": "0 3 * * *",
        "prune_records": "15 3 * * *",
        "dashboard_tallies": "0 0 * * *",  # the day the dashboard counts overdue against
        "dashboard_days": "*/5 * * * *",  # past days kept, recomputed when history changed
    }.items()
}

# Background tasks: a queue in the database, run by `manage.py db_worker` (see README).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TRACKER_DEFAULT_REVIEW_CADENCE_DAYS = 30
# How long a rendered dashboard may be reused; it is keyed on the data version (every write
# changes it) and the minute, so it is never stale. 0 turns the cache off.
TRACKER_DASHBOARD_CACHE_SECONDS = envint("TRACKER_DASHBOARD_CACHE_SECONDS", 120)

# How long sign-in records are kept: failed sign-ins and lockouts (axes), the audit log's
# sign-in events. `manage.py prune_records` deletes older ones (README, "Operations").
TRACKER_RETENTION_DAYS = envint("TRACKER_RETENTION_DAYS", 90)

# Logging: every line names its request (X-Request-ID); unhandled exceptions are logged with
# their traceback (django.request). JSON lines in production, plain text in development;
# control characters in plain messages are escaped so user input cannot forge a line.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# The JSON API (tracker/api/, README "The API"): Django REST framework, personal access tokens.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials gets 401 with WWW-Authenticate: Bearer.
        "tracker.api.authentication.BearerTokenAuthentication",
        "tracker.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.api.permissions.HasRole"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tracker.api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["tracker.api.throttling.TokenRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tracker.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Commitment Tracker API",
    "DESCRIPTION": (
        "Commitments, status updates with evidence, sources, the dashboard and the review "
        "queue. Authenticate with a personal access token: `Authorization: Bearer ct_...`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["tracker.api.permissions.HasRole"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public validator (it would load an image from the internet).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "tracker.models.Status"},
}
# Requests per token (or signed-in user) and period ("600/minute", "10000/day"); empty: no limit.
TRACKER_API_RATE = os.environ.get("TRACKER_API_RATE", "600/minute") or None
# Personal access tokens: longest lifetime a user may choose, in days.
TRACKER_TOKEN_MAX_DAYS = envint("TRACKER_TOKEN_MAX_DAYS", 366)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "()": "tracker.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "loggers": {
        "tracker": {"handlers": ["console"], "level": LOG_LEVEL},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # 5xx with their tracebacks (4xx are the client's business).
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Error tracking (sentry-sdk), only when SENTRY_DSN is set; no personal data is sent.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
init_sentry(
    SENTRY_DSN,
    environment=os.environ.get("SENTRY_ENVIRONMENT", ""),
    traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
)

# The source library (tracker/library/): uploaded documents and their limits.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"  # never served as such: originals download through a permission check
TRACKER_SOURCE_MAX_BYTES = envint("TRACKER_SOURCE_MAX_BYTES", 20_000_000)
TRACKER_SOURCE_MAX_PAGES = envint("TRACKER_SOURCE_MAX_PAGES", 2000)
TRACKER_SOURCE_MAX_TEXT_CHARS = envint("TRACKER_SOURCE_MAX_TEXT_CHARS", 5_000_000)
TRACKER_SOURCE_MAX_UNZIPPED_BYTES = envint("TRACKER_SOURCE_MAX_UNZIPPED_BYTES", 100_000_000)
# Uploads up to the limit arrive in full; larger request bodies are refused by the form.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Imports (/import/, manage.py import_file). Files above the size are refused; files with more
# rows than the threshold are checked and applied by a background task (django.tasks).
TRACKER_IMPORT_MAX_BYTES = envint("TRACKER_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
TRACKER_IMPORT_MAX_XLSX_EXPANDED_BYTES = envint(
    "TRACKER_IMPORT_MAX_XLSX_EXPANDED_BYTES", 200 * 1024 * 1024
)
TRACKER_IMPORT_BACKGROUND_ROWS = envint("TRACKER_IMPORT_BACKGROUND_ROWS", 2000)
