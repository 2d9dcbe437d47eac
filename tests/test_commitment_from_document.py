"""New commitment from a passage of a source: prefilled, verified, linked and shown back."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests import factories
from tests.factories import HTMX
from tracker import services
from tracker.library import services as library
from tracker.models import AuditEvent, Commitment, CommitmentPassage

pytestmark = pytest.mark.django_db

PROMISE = "China will “tighten” controls on the export of fentanyl precursors by 2027."
TEXT = (
    "The leaders met in Woodside.\n\n"
    f"On precursors, the sides agreed as follows. {PROMISE} Both sides welcomed this.\n\n"
    "The sides will meet again in spring."
)
NEW = "/commitments/new/"


@pytest.fixture
def document(db):
    return factories.make_document_source("Woodside readout", text=TEXT)


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def area(db):
    return factories.make_area("Counternarcotics")


def form_data(area, source, description=PROMISE, **overrides):
    return {
        "reference": "C-FROM-DOC",
        "title": "Tighten precursor controls",
        "description": description,
        "area": area.pk,
        "review_cadence_days": "30",
        "from_source": source.pk,
        "from_span": "",
        **overrides,
    }


def span_of(source, passage):
    start = library.text_of(source).stored.index(passage)
    return f"{start}-{start + len(passage)}"


# The reader offers it to those who may create commitments


def test_managers_are_offered_a_new_commitment_from_each_paragraph(as_manager, document):
    body = as_manager.get(document.get_absolute_url()).content.decode()
    assert body.count(f"{NEW}?source={document.pk}&amp;paragraph=") == 3
    assert f'href="{NEW}?source={document.pk}&amp;paragraph=2"' in body
    assert '<form id="state-selection" method="get" action="/commitments/new/">' in body
    assert 'src="/static/tracker/reader.js"' in body


def test_analysts_never_see_it(client, analyst, document):
    client.force_login(analyst)
    body = client.get(document.get_absolute_url()).content.decode()
    assert "New commitment from" not in body and "state-selection" not in body
    assert "Quote this paragraph" in body


def test_admins_may_quote_and_create(client, admin_user, document):
    client.force_login(admin_user)
    body = client.get(document.get_absolute_url()).content.decode()
    assert "New commitment from this paragraph" in body and "Quote this paragraph" in body


def test_a_source_without_text_offers_nothing(as_manager):
    source = factories.make_source("No text")
    assert b"New commitment from" not in as_manager.get(source.get_absolute_url()).content


# The form opens prefilled


def test_a_paragraph_prefills_what_was_promised_verbatim(as_manager, document):
    response = as_manager.get(NEW, {"source": document.pk, "paragraph": 2})
    assert response.status_code == 200
    form = response.context["form"]
    paragraph = TEXT.split("\n\n")[1]
    assert form["description"].value() == paragraph
    assert form["from_source"].value() == document.pk
    assert form["from_span"].value() == span_of(document, paragraph)
    body = response.content.decode()
    assert "From a document." in body
    assert f'<a href="/sources/{document.pk}/#p2">Woodside readout</a>, ¶2' in body


def test_a_selection_prefills_the_sources_own_characters(as_manager, document):
    # The browser's selection: straight quotes, odd whitespace; the form gets the stored text.
    selected = ' China will "tighten"  controls on the export\nof fentanyl precursors by 2027. '
    response = as_manager.get(NEW, {"source": document.pk, "text": selected})
    assert response.status_code == 200
    assert response.context["form"]["description"].value() == PROMISE
    assert response.context["form"]["from_span"].value() == span_of(document, PROMISE)


def test_an_htmx_request_gets_only_the_form(as_manager, document):
    response = as_manager.get(NEW, {"source": document.pk, "paragraph": 1}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="new-commitment-form"') and "From a document." in body


@pytest.mark.parametrize(
    "query, status, message",
    [
        ({"source": "999999"}, 404, "There is no source “999999” in the library."),
        ({"source": "x1"}, 404, "There is no source “x1” in the library."),
        ({"source": "9" * 40}, 404, "There is no source"),
        ({"source": "²"}, 404, "There is no source “²” in the library."),
        ({"paragraph": "9"}, 400, "The source has no paragraph “9”."),
        ({"paragraph": "-1"}, 400, "The source has no paragraph “-1”."),
        ({"paragraph": "²"}, 400, "The source has no paragraph “²”."),
        ({"paragraph": "9" * 12}, 400, "The source has no paragraph “999999999999”."),
        ({"text": "Nobody said this."}, 400, "That selection is not a passage of the text"),
        ({"text": "a " * 600}, 400, "The selection is longer than 1,000 characters"),
        ({}, 400, "Select a passage, or choose a whole paragraph."),
    ],
)
def test_bad_queries_are_refused_in_words_and_the_form_starts_empty(
    as_manager, document, query, status, message
):
    response = as_manager.get(NEW, {"source": document.pk, **query})
    assert response.status_code == status
    body = response.content.decode()
    assert message in body and "The form below starts empty." in body
    assert response.context["form"]["description"].value() in (None, "")
    assert "From a document." not in body


def test_a_source_without_text_is_refused(as_manager):
    source = factories.make_source("Notes")
    response = as_manager.get(NEW, {"source": source.pk, "paragraph": 1})
    assert response.status_code == 400
    assert "The library has no text of “Notes”" in response.content.decode()


def test_only_those_who_may_create_commitments_get_the_form(client, analyst, document):
    client.force_login(analyst)
    assert client.get(NEW, {"source": document.pk, "paragraph": 2}).status_code == 403
    client.logout()
    response = client.get(NEW, {"source": document.pk, "paragraph": 2})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# Saving links the commitment to the passage


def test_saving_links_the_commitment_to_the_verified_passage(as_manager, document, area):
    data = form_data(area, document, from_span=span_of(document, PROMISE))
    response = as_manager.post(NEW, data)
    commitment = Commitment.objects.get(reference="C-FROM-DOC")
    assert response.status_code == 302 and response["Location"] == commitment.get_absolute_url()
    passage = commitment.passage
    start = TEXT.index(PROMISE)
    assert (passage.source, passage.quote, passage.paragraph) == (document, PROMISE, 2)
    assert passage.spans == [[start, start + len(PROMISE)]]
    assert passage.source_sha256 == document.sha256 and passage.locator == "paragraph 2"
    assert commitment.description == PROMISE
    audit = AuditEvent.objects.get(action="create")
    assert audit.detail == f"form: created from source {document.pk}, paragraph 2"
    page = as_manager.get(response["Location"]).content.decode()
    assert "Created C-FROM-DOC, stated in “Woodside readout”, paragraph 2." in page
    assert f'<a href="/sources/{document.pk}/#p2">Woodside readout, ¶2</a>' in page
    assert 'id="promise-verification"' in page


def test_the_reader_highlights_the_passage_and_lists_the_commitment(as_manager, document, area):
    as_manager.post(NEW, form_data(area, document))
    commitment = Commitment.objects.get()
    body = as_manager.get(document.get_absolute_url()).content.decode()
    assert f'<mark class="quoted">{PROMISE.replace("“", "&ldquo;")}' not in body  # escaped as is
    assert f'<mark class="quoted">{PROMISE}</mark>' in body
    assert f'States <a href="{commitment.get_absolute_url()}">C-FROM-DOC</a>' in body
    supports = body[body.index("Commitments it supports") :]
    assert "C-FROM-DOC" in supports[: supports.index("</section>")]
    assert "States 1 commitment in its own words." in body


def test_the_selected_occurrence_is_the_one_linked(as_manager, area):
    repeated = "Both sides will exchange data."
    source = factories.make_document_source("Twice", text=f"{repeated}\n\nAgain: {repeated}")
    second = span_of(source, f"Again: {repeated}")
    start = int(second.split("-")[0]) + len("Again: ")
    as_manager.post(
        NEW,
        form_data(area, source, repeated, from_span=f"{start}-{start + len(repeated)}"),
    )
    passage = CommitmentPassage.objects.get()
    assert passage.paragraph == 2 and passage.spans == [[start, start + len(repeated)]]


def test_a_bad_span_is_ignored_and_the_passage_found_where_it_occurs(as_manager, document, area):
    as_manager.post(NEW, form_data(area, document, from_span="99999999-1"))
    assert CommitmentPassage.objects.get().paragraph == 2


def test_a_shortened_passage_with_an_ellipsis_is_verified_in_pieces(as_manager, document, area):
    shortened = "China will “tighten” controls … by 2027."
    response = as_manager.post(NEW, form_data(area, document, shortened))
    assert response.status_code == 302
    assert len(CommitmentPassage.objects.get().spans) == 2


def test_an_edited_passage_is_refused_with_the_closest_and_nothing_saved(
    as_manager, document, area
):
    edited = "China will tighten controls on the export of all precursors by 2027."
    response = as_manager.post(NEW, form_data(area, document, edited))
    assert response.status_code == 422
    errors = response.context["form"].errors["description"]
    assert errors[0].startswith("This passage does not occur in “Woodside readout”. Did you mean:")
    assert "controls on the export of fentanyl precursors" in errors[0]
    assert "must be the source’s own words" in errors[1]
    assert not Commitment.objects.exists() and not CommitmentPassage.objects.exists()
    body = response.content.decode()
    assert "From a document." in body and 'name="from_source"' in body
    assert "start a commitment without the source</a>" in body


def test_an_htmx_post_redirects_or_returns_the_form(as_manager, document, area):
    bad = as_manager.post(NEW, form_data(area, document, "Not in it at all."), **HTMX)
    assert bad.status_code == 422 and "<html" not in bad.content.decode()
    good = as_manager.post(NEW, form_data(area, document), **HTMX)
    assert good["HX-Redirect"] == "/commitments/C-FROM-DOC/"


@pytest.mark.parametrize("source_id", ["999999", "abc", "9" * 30])
def test_an_unknown_source_is_an_inline_error(as_manager, document, area, source_id):
    response = as_manager.post(NEW, form_data(area, document, from_source=source_id))
    assert response.status_code == 422
    assert "The source: Select a valid choice." in response.content.decode()
    assert not Commitment.objects.exists()


def test_an_emptied_passage_is_refused_not_saved_unlinked(as_manager, document, area):
    response = as_manager.post(NEW, form_data(area, document, ""))
    assert response.status_code == 422
    assert response.context["form"].errors["description"] == [
        "Give the passage of the source that states the commitment."
    ]
    assert not Commitment.objects.exists()


def test_a_source_without_text_cannot_be_linked(as_manager, area):
    source = factories.make_source("Notes")
    response = as_manager.post(NEW, form_data(area, source))
    assert response.status_code == 422
    assert response.context["form"].errors["description"][0] == (
        "“Notes” has no text in the library to verify against."
    )
    assert not Commitment.objects.exists()


def test_without_a_source_the_form_is_as_before(as_manager, area):
    data = form_data(area, factories.make_source("unused"), "In my own words.", from_source="")
    assert as_manager.post(NEW, data).status_code == 302
    assert not CommitmentPassage.objects.exists()


def test_the_service_verifies_inside_its_transaction(manager, document, area):
    passage = library.Passage(source=document, quote="Words nobody wrote.")
    with pytest.raises(ValidationError):
        services.create_commitment(
            creator=manager,
            fields={"reference": "C-X", "title": "X", "area": area, "description": "x"},
            passage=passage,
        )
    assert not Commitment.objects.exists()


# Re-checked, and constant in queries


def test_verify_integrity_rechecks_the_passage(as_manager, document, area):
    as_manager.post(NEW, form_data(area, document))
    out = io.StringIO()
    call_command("verify_integrity", stdout=out)
    assert "Checked 1 verified quotes in 1 sources with text." in out.getvalue()
    CommitmentPassage.objects.update(spans=[[0, 10]])
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_integrity", stdout=out)
    assert "the passage stating C-FROM-DOC: the passage is no longer at its span" in (
        out.getvalue()
    )


def test_the_prefilled_form_runs_a_fixed_number_of_queries(
    as_manager, document, django_assert_num_queries
):
    for n in range(5):
        factories.make_commitment(f"EXTRA-{n}")
    as_manager.get(NEW, {"source": document.pk, "paragraph": 2})
    # Session, user with their roles; the source; the paragraph asked for; the source's text; the
    # suggestion; areas, events, parents, owners, parties twice, assignees; the navigation's
    # review count.
    with django_assert_num_queries(14):
        as_manager.get(NEW, {"source": document.pk, "paragraph": 2})


def test_the_reader_with_passages_runs_a_fixed_number_of_queries(
    as_manager, manager, document, area, django_assert_num_queries
):
    as_manager.post(NEW, form_data(area, document))
    # session, user with their roles, source (+ who added it), paragraphs, evidence, passages (+
    # commitments), the navigation's review count
    with django_assert_num_queries(7):
        as_manager.get(document.get_absolute_url())
    for n in range(3):
        services.create_commitment(
            creator=manager,
            fields={"reference": f"C-{n}", "title": "T", "area": area, "description": "d"},
            passage=library.Passage(source=document, quote="The sides will meet again"),
        )
    with django_assert_num_queries(7):
        body = as_manager.get(document.get_absolute_url()).content.decode()
    assert body.count("States <a") == 2


def test_the_commitment_page_costs_no_query_more_with_its_passage(
    as_manager, document, area, django_assert_num_queries
):
    factories.make_commitment("PLAIN", area=area, description="Typed in.")
    as_manager.post(NEW, form_data(area, document))
    # The passage and its source come with the commitment (one join): both pages cost the same.
    # session, user (+ roles); the commitment (+ area, owner, event, parent, passage, source,
    # pending count); parties; assignees; sub-commitments; the timeline (empty: no evidence
    # query); follows; indicators; the navigation's counters
    with django_assert_num_queries(10):
        as_manager.get(reverse("commitment-detail", args=["PLAIN"]))
    with django_assert_num_queries(10):
        body = as_manager.get(reverse("commitment-detail", args=["C-FROM-DOC"])).content.decode()
    assert "verified against" in body
