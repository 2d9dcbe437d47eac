"""The benchmark's settings: production-like tracker settings on the benchmark database.

DEBUG is off (as in production), the static files come from a manifest collected into
var/bench-static, plain HTTP is fine on 127.0.0.1, and the URLconf adds a hello-world view
as the reference every page is compared with.
"""

import os

os.environ.setdefault("SQLITE_PATH", "var/bench.sqlite3")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
# The benchmark's users sign in without a second factor (force_login, or the form in
# load_writers.py); for a session signed in with one the check costs no query.
os.environ.setdefault("TRACKER_REQUIRE_2FA", "0")
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "BEHIND_PROXY"):
    os.environ.setdefault(name, "0")

from tracker.settings import *  # noqa: E402, F403
from tracker.settings import ALLOWED_HOSTS, BASE_DIR  # noqa: E402

ROOT_URLCONF = "bench.urls"
# The test client's host, for the in-process measurements.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
STATIC_ROOT = BASE_DIR / "var" / "bench-static"
# The gunicorn run must not spend its time printing a line per request.
LOGGING = {"version": 1, "disable_existing_loggers": False}
