"""A manager creates a commitment from the passage of the seed statement that states it: select
it in the reader, create the commitment, see it verified on its page and highlighted back in the
reader; an edited passage is refused with the closest one. axe-core and the CSP watch on every
page."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, sign_in_without_javascript

pytestmark = pytest.mark.e2e

STATEMENT = "On Responsibly Managing the U.S.-China Relationship"
PASSAGE = (
    "they agreed that we would work to make sure that we were responsibly managing the relationship"
)


def select_passage(page, passage):
    """Select `passage` in the reader's text, wherever its text nodes split it."""
    page.evaluate(
        """(passage) => {
            const root = document.getElementById("source-text");
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            const nodes = [];
            let text = "";
            while (walker.nextNode()) {
                nodes.push([walker.currentNode, text.length]);
                text += walker.currentNode.data;
            }
            const start = text.indexOf(passage), end = start + passage.length;
            const at = (offset) => {
                const [node, begins] = nodes.filter(([n, b]) => b <= offset).pop();
                return [node, offset - begins];
            };
            const range = document.createRange();
            range.setStart(...at(start));
            range.setEnd(...at(end));
            const selection = document.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        passage,
    )


def open_statement(page, live_server):
    page.goto(f"{live_server.url}/sources/")
    page.get_by_role("link", name=STATEMENT).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(STATEMENT)


def test_a_manager_creates_a_commitment_from_a_passage(e2e_data, live_server, login, shot):
    page = login("manager")
    page.set_viewport_size({"width": 1360, "height": 900})
    open_statement(page, live_server)
    reader_url = page.url
    assert_accessible(page)

    # Select the sentence that states the commitment: the reader offers to create it.
    select_passage(page, PASSAGE)
    actions = page.locator("#selection-actions")
    expect(actions).to_be_visible()
    expect(actions).to_contain_text(PASSAGE)
    expect(actions.get_by_role("button", name="Quote the selection")).to_have_count(0)
    shot(page, "from-document-selection")
    actions.get_by_role("button", name="New commitment from this passage").click()

    # The form opens with what was promised prefilled, and says where it comes from.
    expect(page).to_have_url(re.compile(r"/commitments/new/\?source=\d+&text="))
    expect(page.get_by_label("What was promised")).to_have_value(PASSAGE)
    stated = page.locator("#stated-in")
    expect(stated).to_contain_text("From a document.")
    expect(stated).to_contain_text(re.compile(rf"{re.escape(STATEMENT)}, ¶\d+"))
    assert_accessible(page)

    # Edited so that it is no longer the source's words: refused, the closest passage shown.
    page.get_by_label("Title").fill("Manage the relationship responsibly")
    page.get_by_label("Area").select_option(index=1)
    page.get_by_label("What was promised").fill(PASSAGE.replace("would work", "will work hard"))
    page.get_by_role("button", name="Create the commitment").click()
    error = page.locator("#new-commitment-form .errorlist").first
    expect(error).to_contain_text("This passage does not occur in")
    expect(error).to_contain_text("Did you mean")
    assert_accessible(page)
    shot(page, "from-document-refused")

    # Back to the source's words: created, linked to the passage.
    page.get_by_label("What was promised").fill(PASSAGE)
    page.get_by_role("button", name="Create the commitment").click()
    expect(page.locator(".messages")).to_contain_text(f"stated in “{STATEMENT}”")
    verification = page.locator("#promise-verification")
    expect(verification).to_contain_text("verified against")
    expect(verification.get_by_role("link")).to_have_text(
        re.compile(rf"{re.escape(STATEMENT)}, ¶\d+")
    )
    reference = page.url.split("/commitments/")[1].split("/")[0]
    assert_accessible(page)
    shot(page, "from-document-commitment")

    # Back in the reader, the passage is highlighted and the commitment among those supported.
    verification.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(reader_url)}"))
    expect(page.locator("mark.quoted", has_text=PASSAGE)).to_have_count(1)
    paragraph = page.locator("#source-text li", has_text=PASSAGE)
    expect(paragraph.locator(".para-meta")).to_contain_text(f"States {reference}")
    expect(page.locator(".reader-aside")).to_contain_text("States 1 commitment in its own words.")
    assert_accessible(page)
    shot(page, "from-document-highlighted")


def test_without_javascript_a_manager_starts_from_a_whole_paragraph(e2e_data, live_server, browser):
    context, page = sign_in_without_javascript(browser, live_server, "manager")
    try:
        open_statement(page, live_server)
        expect(page.locator("#selection-actions")).to_be_hidden()
        paragraph = page.locator("#source-text li", has_text=PASSAGE)
        paragraph.get_by_role("link", name="New commitment from this paragraph").click()
        expect(page.get_by_label("What was promised")).to_have_value(re.compile(re.escape(PASSAGE)))
        page.get_by_label("Title").fill("Manage the relationship")
        page.get_by_label("Area").select_option(index=1)
        page.get_by_role("button", name="Create the commitment").click()
        expect(page.locator("#promise-verification")).to_contain_text("verified against")
    finally:
        context.close()
