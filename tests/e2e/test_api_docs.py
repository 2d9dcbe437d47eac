"""The API's docs page and the token page in a real browser, under the strict CSP: Swagger UI
from the app's static files, the schema loaded, a request tried with a token; no violation."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_the_docs_page_works_under_the_csp(e2e_data, live_server, login, csp_violations, shot):
    page = login("analyst")
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_text("Commitment Tracker API").first).to_be_visible()
    # Every operation of the schema is listed.
    expect(
        page.locator(".opblock-summary-path", has_text="/api/commitments/").first
    ).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/dashboard/")).to_be_visible()
    page.wait_for_load_state("networkidle")
    shot(page, "api-docs")
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requests), [
        u for u in requests if not u.startswith(live_server.url)
    ]
    assert csp_violations == []


def test_a_user_creates_a_token_and_it_reads_the_api(
    e2e_data, live_server, login, csp_violations, shot
):
    page = login("analyst")
    page.goto(f"{live_server.url}/settings/tokens/")
    page.get_by_label("Name").fill("Notebook")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("Token", exact=True).input_value()
    assert token.startswith("ct_")
    expect(page.get_by_role("cell", name="Notebook", exact=True)).to_be_visible()
    shot(page, "api-token-created")
    response = page.request.get(
        f"{live_server.url}/api/commitments/", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    assert response.json()["results"]
    page.get_by_role("button", name="Revoke Notebook").click()
    expect(page.get_by_text("Revoked")).to_be_visible()
    revoked = page.request.get(
        f"{live_server.url}/api/commitments/", headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status == 401
