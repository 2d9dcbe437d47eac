"""The source library in a real browser: upload a PDF and a DOCX, read them, quote a selected
sentence into a status update, see it verified and highlighted, have an altered quote refused
with the closest passage, and find the quote through search. axe-core and the CSP watch on
every page."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import assert_accessible, sign_in_without_javascript

pytestmark = pytest.mark.e2e

REFERENCE = "USCN-FENTANYL"
SENTENCE = "The parties agreed to share data on precursor shipments every month."
PDF_LINES = [SENTENCE, "Officials will meet again in the spring."]
DOCX_PARAGRAPHS = ["Minutes of the working group.", "Customs officers exchanged lists of brokers."]


def upload(page, live_server, title, name, mime, data):
    page.goto(f"{live_server.url}/sources/new/")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Upload a file").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    page.get_by_role("button", name="Add to the library").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def select_text(page, selector, length):
    page.evaluate(
        """([selector, length]) => {
            const node = document.querySelector(selector).firstChild;
            const range = document.createRange();
            range.setStart(node, 0);
            range.setEnd(node, length);
            const selection = document.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [selector, length],
    )


def test_an_analyst_uploads_reads_quotes_and_finds_a_document(e2e_data, live_server, login, shot):
    page = login("analyst")
    page.set_viewport_size({"width": 1360, "height": 900})

    # A DOCX and a PDF, made here, uploaded through the form.
    upload(
        page,
        live_server,
        "Working group minutes",
        "minutes.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        factories.make_docx(DOCX_PARAGRAPHS),
    )
    expect(page.locator("#p2")).to_contain_text("Customs officers exchanged lists of brokers.")
    upload(
        page,
        live_server,
        "Precursor data agreement",
        "agreement.pdf",
        "application/pdf",
        factories.make_pdf([PDF_LINES]),
    )
    reader_url = page.url
    expect(page.locator("#p1 .para-text")).to_have_text(SENTENCE)
    expect(page.locator(".reader-aside")).to_contain_text("application/pdf")
    assert_accessible(page)
    shot(page, "library-reader")

    # Select the sentence: the page offers to quote it.
    select_text(page, "#p1 .para-text", len(SENTENCE))
    quote_form = page.locator("#selection-actions")
    expect(quote_form).to_be_visible()
    expect(quote_form).to_contain_text(SENTENCE)
    quote_form.get_by_role("button", name="Quote the selection").click()
    expect(page.locator(".quote-passage")).to_have_text(SENTENCE)
    assert_accessible(page)
    page.get_by_role("link", name=REFERENCE).click()

    # The update form opens prefilled with the quote and its source.
    expect(page).to_have_url(re.compile(rf"/commitments/{REFERENCE}/\?quote_source="))
    form = page.locator("#record-update")
    expect(form.get_by_label("Quote").first).to_have_value(SENTENCE)
    expect(form.get_by_label("Existing source").first).to_have_value(re.compile(r"\d+"))
    form.get_by_label("Status").select_option(label="In progress")
    form.get_by_label("Speaker").first.fill("A customs official")
    form.get_by_role("button", name="Submit for review").click()
    first = page.locator("#status-timeline .timeline-item").first
    expect(first).to_contain_text(SENTENCE)
    expect(first.locator(".badge-verified")).to_have_text("Verified quote")
    expect(first).to_contain_text("page 1, paragraph 1")
    shot(page, "library-verified-in-timeline")

    # An altered quote is refused, with the closest passage shown.
    page.goto(f"{live_server.url}/commitments/{REFERENCE}/")
    form = page.locator("#record-update")
    form.get_by_text("Record a status update").click()
    form.get_by_label("Quote").first.fill(
        "The parties agreed to share data on precursor shipments every week."
    )
    form.get_by_label("Existing source").first.select_option(label="Precursor data agreement")
    form.get_by_role("button", name="Submit for review").click()
    expect(form).to_contain_text("This quote does not occur in “Precursor data agreement”.")
    expect(form).to_contain_text(f"Did you mean: “{SENTENCE}”?")
    assert_accessible(page)
    shot(page, "library-altered-quote-refused")

    # Back in the reader, the quoted sentence is highlighted and linked to its update.
    page.goto(reader_url)
    expect(page.locator("#p1 mark.quoted")).to_have_text(SENTENCE)
    expect(page.locator("#p1 .para-meta")).to_contain_text(REFERENCE)
    expect(page.locator(".reader-aside")).to_contain_text("1 quote, 1 verified")

    # Search finds the quote, from the box in the navigation.
    page.get_by_label("Look up commitments, quotes and sources").fill("precursor shipments month")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=precursor"))
    results = page.locator("#search-results")
    expect(results).to_contain_text(f"{REFERENCE} · quote from Precursor data agreement")
    expect(results).to_contain_text("Precursor data agreement · paragraph 1")
    expect(results.locator("mark").first).to_be_visible()
    # Live results: narrowing to quotes swaps the results and the address follows.
    page.get_by_label("Kind").select_option(label="Evidence quotes")
    expect(page).to_have_url(re.compile(r"kind=quote"))
    expect(results.locator(".search-hit")).to_have_count(1)
    assert_accessible(page)
    shot(page, "library-search")


def test_without_javascript_an_analyst_quotes_a_whole_paragraph(e2e_data, live_server, browser):
    factories.make_document_source("Plain readout", text="First paragraph.\n\nSecond one here.")
    context, page = sign_in_without_javascript(browser, live_server, "analyst")
    try:
        page.goto(f"{live_server.url}/sources/")
        page.get_by_role("link", name="Plain readout").click()
        expect(page.locator("#selection-actions")).to_be_hidden()
        page.locator("#p2").get_by_role("link", name="Quote this paragraph").click()
        page.get_by_role("link", name=REFERENCE).click()
        form = page.locator("#record-update")
        expect(form.get_by_label("Quote").first).to_have_value("Second one here.")
        expect(form.get_by_label("Locator").first).to_have_value("paragraph 2")
        form.get_by_role("button", name="Submit for review").click()
        expect(page.locator(".messages")).to_contain_text("submitted for review")
        expect(
            page.locator("#status-timeline .timeline-item").first.locator(".badge-verified")
        ).to_be_visible()
    finally:
        context.close()
