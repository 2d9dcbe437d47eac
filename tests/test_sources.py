"""The source library's pages: the list, adding a source, the reader, the original, quoting."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories
from tracker.library import reader
from tracker.models import Evidence, Source, SourceParagraph

HTMX = {"HX-Request": "true"}
TEXT = (
    "The two sides agreed to restore military communications.\n\n"
    "China has agreed to curtail shipments of precursor chemicals.\n\n"
    "More needs to be done."
)


@pytest.fixture
def document(analyst):
    return factories.make_document_source("Joint readout", text=TEXT, user=analyst)


def upload(name, data, **fields):
    return {
        "title": "Uploaded",
        "kind": "statement",
        "file": SimpleUploadedFile(name, data),
        **fields,
    }


def stored_files():
    try:
        return default_storage.listdir("sources")[0]
    except FileNotFoundError:
        return []


# The list


def test_the_list_shows_sources_with_their_text_and_quote_counts(client, analyst, document):
    factories.make_source("A source without text")
    client.force_login(analyst)
    response = client.get(reverse("source-list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Joint readout" in body and "3 paragraphs" in body
    assert "A source without text" in body and "No text" in body
    assert '<a class="button" href="/sources/new/">Add a source</a>' in body


def test_the_list_counts_each_sources_quotes(client, analyst, commitment):
    quoted, unquoted = factories.make_source("Quoted twice"), factories.make_source("Never quoted")
    factories.record(commitment, quote="First quote.", source=quoted)
    factories.record(commitment, quote="Second quote.", source=quoted)
    client.force_login(analyst)
    body = client.get(reverse("source-list")).content.decode()
    rows = {
        title: row
        for row in body.split("<tr>")[1:]
        for title in (quoted.title, unquoted.title)
        if title in row
    }
    assert "<td>2</td>" in rows[quoted.title]
    assert "<td>0</td>" in rows[unquoted.title]


def test_the_list_searches_titles_and_the_text_of_documents(client, manager, document):
    factories.make_source("Press briefing")
    client.force_login(manager)
    body = client.get(reverse("source-list"), {"q": "precursor"}).content.decode()
    assert "Joint readout" in body and "Press briefing" not in body
    body = client.get(reverse("source-list"), {"q": "briefing"}).content.decode()
    assert "Press briefing" in body and "Joint readout" not in body


def test_the_list_answers_htmx_with_its_results_only_and_pushes_the_url(client, analyst, document):
    client.force_login(analyst)
    response = client.get(reverse("source-list"), {"q": "readout"}, headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body
    assert response["HX-Push-Url"] == "/sources/?q=readout"
    assert "HX-Request" in response["Vary"]


def test_the_list_takes_a_constant_number_of_queries(client, analyst, django_assert_num_queries):
    for i in range(5):
        factories.make_document_source(f"Doc {i}", text=f"Text number {i}.")
    client.force_login(analyst)
    # session, user with their roles, sources count, sources page, nav counts (returned)
    with django_assert_num_queries(5):
        client.get(reverse("source-list"))


def test_outsiders_and_anonymous_users_cannot_read_the_library(client, outsider, document):
    assert client.get(reverse("source-list")).status_code == 302
    client.force_login(outsider)
    for name in ("source-list", "source-add"):
        assert client.get(reverse(name)).status_code == 403
    for name in ("source-detail", "source-download"):
        assert client.get(reverse(name, args=[document.pk])).status_code == 403


# Adding a source


def test_pasted_text_becomes_a_source_with_numbered_paragraphs(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("source-add"),
        {"title": "  Pasted statement ", "kind": "statement", "text": "One.\n\nTwo “quoted”."},
    )
    source = Source.objects.get()
    assert response.status_code == 302 and response["Location"] == source.get_absolute_url()
    assert source.title == "Pasted statement"
    assert list(source.paragraphs.values_list("number", "text", "start")) == [
        (1, "One.", 0),
        (2, "Two “quoted”.", 6),
    ]
    assert source.media_type == "text/plain" and source.text_added_by == manager
    assert source.size == len("One.\n\nTwo “quoted”.".encode())
    assert len(source.sha256) == 64


def test_an_uploaded_pdf_is_kept_with_its_text(client, analyst):
    client.force_login(analyst)
    data = factories.make_pdf([["Page one says this."], ["Page two says that."]])
    response = client.post(reverse("source-add"), upload("readout.pdf", data))
    source = Source.objects.get()
    assert response.status_code == 302
    assert source.media_type == "application/pdf"
    assert source.original_name == "readout.pdf"
    assert list(source.paragraphs.values_list("page", "text")) == [
        (1, "Page one says this."),
        (2, "Page two says that."),
    ]
    with source.document.open("rb") as kept:
        assert kept.read() == data


def test_an_uploaded_docx_is_kept_with_its_text(client, analyst):
    client.force_login(analyst)
    data = factories.make_docx(["A Word paragraph.", "Another one."])
    client.post(reverse("source-add"), upload("minutes.docx", data))
    source = Source.objects.get()
    assert source.media_type.endswith("wordprocessingml.document")
    assert list(source.paragraphs.values_list("text", flat=True)) == [
        "A Word paragraph.",
        "Another one.",
    ]


@pytest.mark.parametrize(
    "fields,message",
    [
        (upload("scan.pdf", factories.make_pdf([[]])), "paste the text instead"),
        (upload("fake.pdf", b"just text"), "but its content is"),
        (upload("empty.txt", b""), "The submitted file is empty."),
        ({"title": "Nothing", "kind": "statement"}, "Upload the document or paste its text."),
        (
            {**upload("a.txt", b"file"), "text": "and text"},
            "Upload a file or paste the text, not both.",
        ),
        ({"title": "", "kind": "statement", "text": "x"}, "This field is required."),
    ],
)
def test_bad_input_is_refused_inline_and_nothing_is_saved(client, analyst, fields, message):
    client.force_login(analyst)
    response = client.post(reverse("source-add"), fields)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Source.objects.exists() and not SourceParagraph.objects.exists()
    assert stored_files() == []


def test_an_oversized_file_is_refused(client, analyst, settings):
    settings.TRACKER_SOURCE_MAX_BYTES = 1000
    client.force_login(analyst)
    response = client.post(reverse("source-add"), upload("big.txt", b"word " * 300))
    assert response.status_code == 422
    assert "The file is 0.0015 MB; the limit is 0.001 MB." in response.content.decode()
    assert not Source.objects.exists()


def test_a_document_already_in_the_library_offers_the_existing_source(client, analyst, document):
    client.force_login(analyst)
    response = client.post(reverse("source-add"), upload("again.txt", TEXT.encode()))
    assert response.status_code == 422
    body = response.content.decode()
    assert "This document is in the library already, as “Joint readout”." in body
    assert f'href="{document.get_absolute_url()}"' in body
    assert Source.objects.count() == 1


def test_a_source_without_text_can_be_given_its_document(client, commitment, analyst):
    source = factories.make_source("Old readout")
    factories.record(commitment, quote="agreed to restore military communications", source=source)
    client.force_login(analyst)
    response = client.post(
        reverse("source-add-document", args=[source.pk]),
        {"file": SimpleUploadedFile("readout.txt", TEXT.encode())},
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.paragraph_count == 3
    assert Evidence.objects.get().is_verified
    assert "1 existing quote verified" in client.get(response["Location"]).content.decode()


def test_a_document_cannot_be_replaced(client, analyst, document):
    client.force_login(analyst)
    response = client.post(
        reverse("source-add-document", args=[document.pk]), {"text": "Another text."}
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert list(document.paragraphs.values_list("text", flat=True))[0].startswith("The two sides")


def test_a_bad_document_for_an_existing_source_is_refused_inline(client, analyst):
    source = factories.make_source("Old readout")
    client.force_login(analyst)
    response = client.post(
        reverse("source-add-document", args=[source.pk]),
        {"file": SimpleUploadedFile("x.pdf", b"no pdf")},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert response.content.decode().lstrip().startswith('<div id="document-form">')
    source.refresh_from_db()
    assert not source.has_text


def test_the_add_form_answers_htmx_with_the_form_only(client, analyst):
    client.force_login(analyst)
    body = client.get(reverse("source-add"), headers=HTMX).content.decode()
    assert body.lstrip().startswith('<section id="source-form"')


# The reader


@pytest.fixture
def quoted(document, commitment, analyst):
    update = factories.record(
        commitment, author=analyst, quote="agreed to curtail shipments", source=document
    )
    return update.evidence.get()


def test_the_reader_shows_numbered_paragraphs_with_quotes_highlighted_and_linked(
    client, manager, quoted, commitment
):
    client.force_login(manager)
    response = client.get(reverse("source-detail", args=[quoted.source_id]))
    body = response.content.decode()
    assert '<li id="p2" value="2">' in body
    assert (
        '<p class="para-text">China has <mark class="quoted">agreed to curtail shipments</mark>'
        " of precursor chemicals.</p>" in body
    )
    assert f'href="{commitment.get_absolute_url()}#update-{quoted.status_update_id}"' in body
    assert "Commitments it supports" in body and commitment.title in body
    assert quoted.source.sha256 in body
    # Managers do not post updates: no quoting for them.
    assert "Quote this paragraph" not in body


def test_two_quotes_of_one_commitment_in_a_paragraph_say_which_update(
    client, manager, document, commitment, analyst
):
    dates = [dt.date(2024, 3, 1), dt.date(2024, 5, 2)]
    for as_of in dates:
        factories.record(
            commitment, author=analyst, quote="curtail shipments", source=document, as_of=as_of
        )
    client.force_login(manager)
    body = client.get(document.get_absolute_url()).content.decode()
    assert f'{commitment.reference} <span class="muted">(update of 1 Mar 2024)</span>' in body
    assert f'{commitment.reference} <span class="muted">(update of 2 May 2024)</span>' in body


def test_analysts_may_quote_each_paragraph_and_get_the_selection_script(client, analyst, document):
    client.force_login(analyst)
    body = client.get(document.get_absolute_url()).content.decode()
    assert f'href="/sources/{document.pk}/quote/?paragraph=2"' in body
    assert 'src="/static/tracker/reader.js"' in body
    assert '<form id="quote-selection"' in body


def test_a_source_without_text_lists_its_quotes_as_unverified(client, analyst, commitment):
    source = factories.make_source("No text")
    update = factories.record(commitment, quote="Something said", source=source)
    client.force_login(analyst)
    body = client.get(source.get_absolute_url()).content.decode()
    assert "Unverified quotes" in body and "Something said" in body
    # Each quote links to its update in the commitment's history; the commitment is listed.
    page = commitment.get_absolute_url()
    assert f'<a href="{page}#update-{update.pk}">{commitment.reference}</a>' in body
    assert f'<li><a href="{page}">{commitment.reference}</a> <span class="small">' in body
    assert '<form method="post" enctype="multipart/form-data"' in body


def test_a_source_lists_its_unverified_quotes_a_page_at_a_time(
    client, analyst, commitment, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(reader, "UNVERIFIED_PER_PAGE", 2)
    source = factories.make_source("Cited often, no text")
    for n in range(1, 6):
        factories.record(commitment, quote=f"Quote number {n}", source=source)
    client.force_login(analyst)
    # As on a source with text: the same number of queries whatever the number of quotes.
    with django_assert_num_queries(7):
        body = client.get(source.get_absolute_url()).content.decode()
    assert "Quote number 1" in body and "Quote number 2" in body
    assert "Quote number 3" not in body
    assert "1–2 of 5" in body and "5 quotes." in body
    assert '<a href="?quotes=2#unverified-heading" rel="next">' in body
    # The commitment cited five times is listed once.
    assert body.count(f'<li><a href="{commitment.get_absolute_url()}">') == 1
    last = client.get(source.get_absolute_url(), {"quotes": "3"}).content.decode()
    assert "Quote number 5" in last and "Quote number 4" not in last
    assert "3 of 3</span>" in last and "5–5 of 5" in last
    # A page past the end shows the last; one that is not a number, the first.
    assert (
        "Quote number 5" in client.get(source.get_absolute_url(), {"quotes": "99"}).content.decode()
    )
    nonsense = client.get(source.get_absolute_url(), {"quotes": "x"})
    assert nonsense.status_code == 200 and "Quote number 1" in nonsense.content.decode()


def test_the_reader_pages_long_texts_and_swaps_them_through_htmx(client, analyst):
    text = "\n\n".join(f"Paragraph {n}." for n in range(1, 251))
    source = factories.make_document_source("Long", text=text)
    client.force_login(analyst)
    response = client.get(source.get_absolute_url(), {"page": "2"}, headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="source-text">')
    assert '<li id="p201" value="201">' in body and 'id="p200"' not in body
    full = client.get(source.get_absolute_url(), {"page": "nonsense"}).content.decode()
    assert '<li id="p1" value="1">' in full and "<html" in full


def test_the_reader_takes_a_constant_number_of_queries(
    client, analyst, document, django_assert_num_queries
):
    for _ in range(4):
        commitment = factories.make_commitment(owner=analyst)
        factories.record(commitment, quote="More needs to be done.", source=document)
    client.force_login(analyst)
    # session, user with their roles, source (+ who added it), paragraphs of the page,
    # evidence (+ updates, commitments), passages stating commitments (+ commitments),
    # nav count of returned updates
    with django_assert_num_queries(7):
        response = client.get(document.get_absolute_url())
    assert response.content.decode().count('<mark class="quoted">') == 1


def test_a_missing_source_is_404(client, analyst):
    client.force_login(analyst)
    assert client.get(reverse("source-detail", args=[999999])).status_code == 404


# The original


def test_the_original_downloads_as_an_attachment_never_inline(client, manager):
    html = b"<html><body><p>Hello</p><script>alert(1)</script></body></html>"
    source = factories.make_document_source("Page", data=html, filename="page.html")
    client.force_login(manager)
    response = client.get(reverse("source-download", args=[source.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == html


def test_a_source_without_an_original_has_nothing_to_download(client, manager):
    client.force_login(manager)
    source = factories.make_source()
    assert client.get(reverse("source-download", args=[source.pk])).status_code == 404


# Quoting from the reader


def test_quote_this_paragraph_offers_the_commitments_the_analyst_may_update(
    client, analyst, other_analyst, document
):
    mine = factories.make_commitment("MINE-1", owner=analyst)
    factories.make_commitment("THEIRS-1", owner=other_analyst)
    client.force_login(analyst)
    response = client.get(reverse("source-quote", args=[document.pk]), {"paragraph": "2"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "China has agreed to curtail shipments of precursor chemicals." in body
    assert "MINE-1" in body and "THEIRS-1" not in body
    start = TEXT.index("China")
    end = start + len("China has agreed to curtail shipments of precursor chemicals.")
    link = f"{mine.get_absolute_url()}?quote_source={document.pk}&amp;quote_span={start}-{end}"
    assert link in body


@pytest.mark.parametrize(
    "source, span", [("²", "0-5"), (None, "²-5"), (None, "0-9999999999"), (None, "5-1")]
)
def test_a_bad_quote_link_opens_the_form_empty(client, analyst, document, commitment, source, span):
    client.force_login(analyst)
    response = client.get(
        commitment.get_absolute_url(),
        {"quote_source": source or document.pk, "quote_span": span},
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[0].initial == {}


def test_the_update_form_opens_prefilled_with_the_quote_source_and_locator(
    client, analyst, document, commitment
):
    client.force_login(analyst)
    start = TEXT.index("agreed to restore")
    response = client.get(
        commitment.get_absolute_url(),
        {"quote_source": document.pk, "quote_span": f"{start}-{start + 17}"},
    )
    formset = response.context["formset"]
    assert formset.forms[0].initial == {
        "source": document,
        "quote": "agreed to restore",
        "locator": "paragraph 1",
    }
    body = response.content.decode()
    assert f'<option value="{document.pk}" selected>' in body
    assert '<details class="record-toggle" open>' in body


@pytest.mark.parametrize(
    "params,message",
    [
        ({"paragraph": "99"}, "The source has no paragraph “99”."),
        ({"paragraph": "x"}, "The source has no paragraph “x”."),
        ({"text": "words the text never had"}, "That selection is not a passage of the text"),
        ({"text": "a" * 1001}, "longer than 1,000 characters"),
        ({}, "Select a passage"),
    ],
)
def test_a_passage_that_is_not_in_the_text_is_refused(client, analyst, document, params, message):
    client.force_login(analyst)
    response = client.get(reverse("source-quote", args=[document.pk]), params)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_a_selected_passage_is_quoted_whatever_its_whitespace(client, analyst, document):
    client.force_login(analyst)
    response = client.get(
        reverse("source-quote", args=[document.pk]),
        {"text": "military communications.\n China has agreed"},
    )
    assert response.status_code == 200
    assert "paragraphs 1–2" in response.content.decode()


def test_a_bad_prefill_is_ignored(client, analyst, document, commitment):
    client.force_login(analyst)
    for span in ("5-2", "0-99999", "x-y", "1-2-3"):
        response = client.get(
            commitment.get_absolute_url(), {"quote_source": document.pk, "quote_span": span}
        )
        assert response.status_code == 200
        assert not response.context["formset"].initial


def test_the_timeline_marks_each_quote_verified_or_not(client, analyst, commitment, document):
    factories.record(commitment, author=analyst, quote="More needs to be done.", source=document)
    factories.record(
        commitment, author=analyst, quote="Said elsewhere", source=factories.make_source()
    )
    client.force_login(analyst)
    body = client.get(commitment.get_absolute_url()).content.decode()
    assert body.count(">Verified quote</a>") == 1
    assert body.count(">Unverified</span>") == 1
    assert f'href="{document.get_absolute_url()}#p3"' in body


def test_the_quote_page_answers_htmx_with_its_fragment(client, analyst, document):
    client.force_login(analyst)
    url = reverse("source-quote", args=[document.pk])
    body = client.get(url, {"paragraph": "1"}, headers=HTMX).content.decode()
    assert body.lstrip().startswith('<section id="quote-choice"')


@pytest.mark.parametrize("name", ["source-list", "source-detail", "source-add"])
def test_a_history_restore_gets_the_whole_page(client, analyst, document, name):
    client.force_login(analyst)
    url = reverse(name, args=[document.pk]) if name == "source-detail" else reverse(name)
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    assert "<html" in client.get(url, headers=headers).content.decode()


def test_an_overlong_library_search_says_so(client, analyst, document):
    client.force_login(analyst)
    response = client.get(reverse("source-list"), {"q": "x" * 10_000})
    assert response.status_code == 200
    assert "Searches are limited to 200 characters." in response.content.decode()
