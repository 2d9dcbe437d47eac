import os
import shutil

import pytest

# pytest-playwright keeps an asyncio loop running; without this Django refuses DB access.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests import factories  # noqa: E402


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Uploaded documents go to the test's own temporary folder, never var/media.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.AXES_ENABLED = False
    # allauth keeps its per-address sign-in counts in the cache: every test starts with none,
    # whatever the tests before it in this process signed in.
    from django.core.cache import cache

    cache.clear()
    # Tests read the dashboard's context; tests/test_dashboard_cache.py turns the cache on.
    settings.TRACKER_DASHBOARD_CACHE_SECONDS = 0
    # The API throttle counts in a cache that outlives a test; test_api_tokens.py turns it on.
    settings.TRACKER_API_RATE = None
    # Tasks run at once, in the test's process (on commit: see django_capture_on_commit_callbacks);
    # tests/test_notification_worker.py runs the real worker against a real database.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.TRACKER_BASE_URL = "https://tracker.example.org"


def recreate_role_groups():
    """A transactional test (browser tests, thread tests) ends with a flush, which also empties
    what the data migration made: the Analysts and Managers groups. Make them again."""
    import importlib

    from django.apps import apps

    importlib.import_module("tracker.migrations.0002_groups").create_groups(apps, None)
    importlib.import_module("tracker.migrations.0008_groups_without_permissions").strip_permissions(
        apps, None
    )


@pytest.fixture(autouse=True)
def _role_groups_in_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        recreate_role_groups()


@pytest.fixture
def analyst(db):
    return factories.make_analyst("alice", first_name="Alice", last_name="Analyst")


@pytest.fixture
def other_analyst(db):
    return factories.make_analyst("oscar", first_name="Oscar", last_name="Other")


@pytest.fixture
def manager(db):
    return factories.make_manager("maria", first_name="Maria", last_name="Manager")


@pytest.fixture
def other_manager(db):
    return factories.make_manager("mike", first_name="Mike", last_name="Manager")


@pytest.fixture
def admin_user(db):
    from django.contrib.auth.models import User

    return User.objects.create_superuser("root", "root@example.org", "pw-for-tests-only")


@pytest.fixture
def outsider(db):
    """Signed in, but in no group."""
    return factories.make_user("nobody")


@pytest.fixture
def commitment(analyst):
    return factories.make_commitment("USCN-TEST", owner=analyst, title="Curb precursor shipments")


@pytest.fixture
def signed_in(client, analyst):
    """The test client, signed in as the analyst."""
    return factories.signed_in(analyst, client)


@pytest.fixture
def world(analyst, other_analyst, manager):
    """The dashboard's small fixed history (tests/dashboard_world.py), at its NOW.

    Some test modules define a `world` of their own, which then wins."""
    from tests.dashboard_world import NOW, at, build_world

    with at(NOW):
        yield build_world(analyst, other_analyst, manager)


@pytest.fixture
def seeded(db):
    from tracker.seed import load_seed

    load_seed("seeds/us-china-2023.yaml")


# Browser tests: Debian's Chromium, never a downloaded browser.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable and os.environ.get("CI"):
        pytest.fail("CI must run the browser tests: install Debian's chromium")
    if not executable:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
