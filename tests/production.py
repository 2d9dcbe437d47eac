"""Run a snippet under the production settings (DEBUG off) in a fresh process."""

import os
import subprocess
import sys

# Left out of the child's environment unless a test sets them.
UNSET = [
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "TRACKER_PROXY_COUNT",
    "BEHIND_PROXY",
    "SENTRY_DSN",
    "EMAIL_TIMEOUT",
    "LOG_FORMAT",
]


def run(code, **env):
    environment = {k: v for k, v in os.environ.items() if k not in UNSET}
    environment.update(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="tracker.example.org", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
