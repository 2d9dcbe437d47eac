"""Browser-test fixtures: a live server with seed data, signed-in pages, CSP watch."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests import factories

ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", "artifacts/screenshots"))
PASSWORD = "pw-for-tests-only"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


# No HTMX request in flight and no CSS transition running: a region dimmed while loading
# (`.dim-while-loading`, 200 ms back to full opacity) would read as too little contrast.
SETTLED = """() => !document.querySelector('.htmx-request')
    && document.getAnimations().every(a => a.playState !== 'running')"""


def assert_accessible(page):
    """axe-core finds no WCAG 2.1 A/AA violation on the page, once the page has settled."""
    page.wait_for_function(SETTLED)
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]},
    )
    violations = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
    ]
    assert results.violations_count == 0, violations


@pytest.fixture
def shot():
    """shot(page, "name") saves a full-page screenshot to artifacts/screenshots/name.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = ARTIFACTS / f"{name}.png"
        # caret="initial": Playwright otherwise leaves style="" on inputs, which a later
        # htmx swap copies and the CSP then reports.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take


@pytest.fixture
def csp_violations(page):
    """Every CSP violation the browser reports; checked empty after each browser test."""
    seen = []
    page.on(
        "console",
        lambda msg: (
            seen.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    yield seen
    assert seen == [], f"CSP violations: {seen}"


@pytest.fixture
def e2e_data(transactional_db, seeded):
    """The seed data plus the demo roles, with the demo analyst owning the commitments."""
    from tracker.models import Commitment

    analyst = factories.make_analyst("analyst", first_name="Alex", last_name="Analyst")
    manager = factories.make_manager("manager", first_name="Morgan", last_name="Manager")
    Commitment.objects.update(owner=analyst)
    return {"analyst": analyst, "manager": manager}


@pytest.fixture
def login(live_server, page, csp_violations):
    """login("analyst") signs in through the real form and returns the page."""

    def sign_in(username, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_load_state("networkidle")
        return page

    return sign_in


def sign_in_without_javascript(browser, live_server, username):
    """A new browser context with JavaScript off, signed in as `username`: (context, page)."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    return context, page
