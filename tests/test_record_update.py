"""Recording a status update with evidence, inline on the commitment page."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests import factories
from tests.factories import HTMX, evidence_management
from tracker.models import Evidence, Source, Status, StatusUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(db):
    return factories.make_source("Joint statement", publisher="State Department")


def url(commitment):
    return f"/commitments/{commitment.reference}/updates/"


def post_data(**fields):
    """A complete, valid submission: a change of status with one quote from a known source."""
    evidence = fields.pop("evidence", None)
    data = {
        "status": Status.AT_RISK,
        "progress": "35",
        "confidence": "moderate",
        "as_of": timezone.localdate().isoformat(),
        "assessment": "Shipments *continue*.",
        "idempotency_key": fields.pop("key", "key-1"),
        **evidence_management(),
    }
    if evidence is None:
        evidence = [{"quote": "More needs to be done.", "speaker": "Blinken", "locator": "p. 8"}]
    for i, item in enumerate(evidence):
        for name, value in item.items():
            data[f"evidence-{i}-{name}"] = value
    data.update(fields)
    return data


def with_source(source, **item):
    return {"quote": "More needs to be done.", "source": str(source.pk), **item}


# Permissions and methods


def test_anonymous_is_sent_to_login(client, commitment):
    response = client.post(url(commitment), {})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_htmx_gets_an_hx_redirect(client, commitment):
    response = client.post(url(commitment), {}, **HTMX)
    assert response["HX-Redirect"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["manager", "other_analyst", "outsider"])
def test_only_the_owner_and_assignees_may_record(client, request, role, commitment, source):
    client.force_login(request.getfixturevalue(role))
    response = client.post(url(commitment), post_data(evidence=[with_source(source)]))
    assert response.status_code == 403
    assert not StatusUpdate.objects.exists()


def test_a_manager_cannot_post_updates_even_as_owner(client, manager, commitment, source):
    commitment.owner = manager
    commitment.save()
    client.force_login(manager)
    response = client.post(url(commitment), post_data(evidence=[with_source(source)]))
    assert response.status_code == 403


def test_an_assignee_may_record(client, other_analyst, commitment, source):
    commitment.assignees.add(other_analyst)
    client.force_login(other_analyst)
    response = client.post(url(commitment), post_data(evidence=[with_source(source)]))
    assert response.status_code == 302
    assert StatusUpdate.objects.get().author == other_analyst


def test_it_only_answers_post(signed_in, commitment):
    assert signed_in.get(url(commitment)).status_code == 405


def test_an_unknown_commitment_is_404(signed_in):
    assert signed_in.post("/commitments/NOPE/updates/", post_data()).status_code == 404


# Recording, with the review step (the default)


def test_recording_saves_the_update_and_its_evidence_then_redirects_back(
    signed_in, analyst, commitment, source
):
    response = signed_in.post(url(commitment), post_data(evidence=[with_source(source)]))
    update = StatusUpdate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/commitments/USCN-TEST/#update-{update.pk}"
    assert (update.status, update.progress, update.confidence) == ("at_risk", 35, "moderate")
    assert (update.author, update.previous_status) == (analyst, Status.NOT_ASSESSED)
    assert update.assessment == "Shipments *continue*."
    evidence = update.evidence.get()
    assert (evidence.quote, evidence.source, evidence.speaker) == (
        "More needs to be done.",
        source,
        "",
    )

    page = signed_in.get(response["Location"]).content.decode()
    assert "Your update was submitted for review" in page
    assert "1 update pending review" in page


def test_with_review_the_official_status_waits_for_a_manager(signed_in, commitment, source):
    signed_in.post(url(commitment), post_data(evidence=[with_source(source)]))
    commitment.refresh_from_db()
    assert commitment.current_status == Status.NOT_ASSESSED
    assert StatusUpdate.objects.get().is_pending


def test_without_review_the_update_is_official_at_once(settings, signed_in, commitment, source):
    settings.TRACKER_REVIEW_REQUIRED = False
    response = signed_in.post(url(commitment), post_data(evidence=[with_source(source)]))
    commitment.refresh_from_db()
    assert commitment.current_status == Status.AT_RISK
    assert commitment.current_progress == 35
    page = signed_in.get(response["Location"]).content.decode()
    assert "Your update was recorded. The status is now “At risk”." in page
    assert "pending review" not in page


def test_a_new_source_is_added_in_place(signed_in, commitment):
    item = {
        "quote": "We have taken down companies.",
        "speaker": "Blinken",
        "locator": "para 7",
        "new_source_title": "Press availability",
        "new_source_kind": "interview",
        "new_source_publisher": "State Department",
        "new_source_url": "https://www.state.gov/press",
        "new_source_published_on": "2023-11-16",
    }
    signed_in.post(url(commitment), post_data(evidence=[item]))
    evidence = Evidence.objects.select_related("source").get()
    assert (evidence.speaker, evidence.locator) == ("Blinken", "para 7")
    new = evidence.source
    assert (new.title, new.kind, new.publisher) == (
        "Press availability",
        "interview",
        "State Department",
    )
    assert (new.url, new.published_on) == ("https://www.state.gov/press", dt.date(2023, 11, 16))


def test_several_pieces_of_evidence(signed_in, commitment, source):
    items = [
        with_source(source, quote="First."),
        {"quote": "Second.", "new_source_title": "Readout"},
        with_source(source, quote="Third."),
    ]
    signed_in.post(url(commitment), post_data(evidence=items))
    assert list(Evidence.objects.values_list("quote", flat=True)) == ["First.", "Second.", "Third."]


def test_confirming_the_status_needs_no_evidence(settings, signed_in, commitment, source):
    settings.TRACKER_REVIEW_REQUIRED = False
    factories.record(commitment, status=Status.AT_RISK)
    response = signed_in.post(url(commitment), post_data(evidence=[], progress=""))
    assert response.status_code == 302
    latest = StatusUpdate.objects.latest("id")
    assert (latest.status, latest.progress, latest.evidence.count()) == ("at_risk", None, 0)


# Bad input: every error next to its field, nothing saved


def assert_nothing_saved():
    assert not StatusUpdate.objects.exists()
    assert not Evidence.objects.exists()


def test_a_change_of_status_without_evidence_is_refused(signed_in, commitment):
    response = signed_in.post(url(commitment), post_data(evidence=[]))
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="evidence-errors"' in page
    assert "A change of status needs at least one piece of evidence" in page
    assert "<html" in page  # without JavaScript: the whole page, with the errors
    assert_nothing_saved()


@pytest.mark.parametrize(
    "fields, field_id, message",
    [
        ({"status": "sideways"}, "id_status", "Select a valid choice"),
        ({"status": "not_assessed"}, "id_status", "Select a valid choice"),
        ({"progress": "101"}, "id_progress", "less than or equal to 100"),
        ({"progress": "-1"}, "id_progress", "greater than or equal to 0"),
        ({"confidence": ""}, "id_confidence", "This field is required"),
        ({"as_of": ""}, "id_as_of", "This field is required"),
        ({"as_of": "2999-01-01"}, "id_as_of", "cannot be in the future"),
    ],
)
def test_invalid_fields_are_reported_next_to_them(
    signed_in, commitment, source, fields, field_id, message
):
    response = signed_in.post(url(commitment), post_data(evidence=[with_source(source)], **fields))
    assert response.status_code == 422
    page = response.content.decode()
    errors = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', page)
    assert errors and message in errors.group(1)
    assert f'aria-describedby="{field_id}_error"' in page or f'{field_id}_error"' in page
    assert_nothing_saved()


@pytest.mark.parametrize(
    "item, field_id, message",
    [
        ({"quote": "A quote, but from where?"}, "id_evidence-0-source", "Choose a source"),
        (
            {"quote": "Both.", "source": "SOURCE", "new_source_title": "Also new"},
            "id_evidence-0-source",
            "not both",
        ),
        (
            {"quote": "Untitled.", "new_source_publisher": "Reuters"},
            "id_evidence-0-new_source_title",
            "Give the new source a title",
        ),
        ({"source": "SOURCE"}, "id_evidence-0-quote", "This field is required"),
        (
            {"quote": "Q", "new_source_title": "T", "new_source_url": "not a url"},
            "id_evidence-0-new_source_url",
            "Enter a valid URL",
        ),
        ({"quote": "Q", "source": "999999"}, "id_evidence-0-source", "Select a valid choice"),
    ],
)
def test_invalid_evidence_is_reported_next_to_its_field(
    signed_in, commitment, source, item, field_id, message
):
    item = {k: str(source.pk) if v == "SOURCE" else v for k, v in item.items()}
    response = signed_in.post(url(commitment), post_data(evidence=[item]))
    assert response.status_code == 422
    errors = re.search(
        rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', response.content.decode()
    )
    assert errors and message in errors.group(1)
    assert_nothing_saved()
    assert Source.objects.count() == 1


def test_a_failed_submission_keeps_what_was_typed(signed_in, commitment):
    data = post_data(evidence=[{"quote": "Kept quote", "new_source_title": "Kept source"}])
    data["as_of"] = "2999-01-01"
    page = signed_in.post(url(commitment), data).content.decode()
    assert "Kept quote</textarea>" in page
    assert 'value="Kept source"' in page
    assert "Shipments *continue*.</textarea>" in page


def test_raw_html_in_an_assessment_never_reaches_the_page(signed_in, commitment, source):
    data = post_data(
        evidence=[with_source(source)], assessment="<script>alert(1)</script> **bold**"
    )
    response = signed_in.post(url(commitment), data, follow=True)
    page = response.content.decode()
    assert "<strong>bold</strong>" in page
    assert "<script>alert(1)</script>" not in page


# Double submit


def test_a_double_submit_creates_one_update(signed_in, commitment, source):
    data = post_data(evidence=[with_source(source)], key="same-form")
    first = signed_in.post(url(commitment), data)
    second = signed_in.post(url(commitment), data)
    assert StatusUpdate.objects.count() == 1
    assert Evidence.objects.count() == 1
    assert first["Location"] == second["Location"]
    page = signed_in.get(second["Location"]).content.decode()
    assert "already been recorded; it was not saved a second time" in page


def test_another_analysts_key_never_drops_an_update(client, analyst, other_analyst, source):
    mine = factories.make_commitment("MINE-1", owner=analyst)
    theirs = factories.make_commitment("THEIRS-1", owner=other_analyst)
    client.force_login(analyst)
    client.post(url(mine), post_data(evidence=[with_source(source)], key="shared-key"))
    client.force_login(other_analyst)
    response = client.post(
        url(theirs), post_data(evidence=[with_source(source)], key="shared-key"), follow=True
    )
    theirs_update = StatusUpdate.objects.get(commitment=theirs)
    assert theirs_update.author == other_analyst
    assert response.redirect_chain[-1][0] == f"/commitments/THEIRS-1/#update-{theirs_update.pk}"
    assert b"already been recorded" not in response.content
    assert StatusUpdate.objects.count() == 2


def test_the_same_key_on_another_commitment_records_a_second_update(
    signed_in, analyst, commitment, source
):
    other = factories.make_commitment("MINE-2", owner=analyst)
    signed_in.post(url(commitment), post_data(evidence=[with_source(source)], key="k"))
    signed_in.post(url(other), post_data(evidence=[with_source(source)], key="k"))
    assert StatusUpdate.objects.filter(commitment=other).count() == 1


def test_a_key_reused_with_different_content_is_a_clear_error(signed_in, commitment, source):
    signed_in.post(url(commitment), post_data(evidence=[with_source(source)], key="k"))
    changed = post_data(evidence=[with_source(source)], key="k", assessment="Something else.")
    response = signed_in.post(url(commitment), changed)
    assert response.status_code == 422
    assert "already used for another update with different content" in response.content.decode()
    assert StatusUpdate.objects.count() == 1
    # The form comes back with what was typed and a fresh key: submitting again records it.
    fresh = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', response.content.decode())
    assert "Something else." in response.content.decode()
    again = dict(changed, idempotency_key=fresh.group(1))
    assert signed_in.post(url(commitment), again).status_code == 302
    assert StatusUpdate.objects.count() == 2


def test_each_rendered_form_carries_a_fresh_idempotency_key(signed_in, commitment):
    keys = [
        re.search(
            r'name="idempotency_key" value="([0-9a-f]{32})"',
            signed_in.get(commitment.get_absolute_url()).content.decode(),
        ).group(1)
        for _ in range(2)
    ]
    assert keys[0] != keys[1]


# HTMX: one response updates the timeline, the status header and the form


def test_htmx_success_rerenders_its_regions_in_constant_queries(
    settings, signed_in, commitment, analyst, source, django_assert_num_queries
):
    settings.TRACKER_REVIEW_REQUIRED = False

    # Reading: session, user with their roles; the commitment; the chosen source (the field; the
    # quote check reuses it). Writing (savepoints counted): savepoint, the idempotency key,
    # the commitment locked, savepoint, the update, release, its evidence, last_update_at,
    # savepoint, the commitment and its official update, current_* written, its periods
    # deleted and written, release, the audit event, release. Re-rendering the header, the
    # form and the timeline: the commitment read again with its pending count (no related
    # objects), the timeline, its evidence, recent sources and parties for the fresh form. Not
    # the navigation's counters (no region shows them), nor the pickers' choices before
    # validating (only a form shown again needs them), nor the sub-commitments, statements,
    # indicators or follows: those regions are not re-rendered.
    def post(key):
        data = post_data(evidence=[with_source(source)], key=key)
        with django_assert_num_queries(26):
            response = signed_in.post(url(commitment), data, **HTMX)
        assert "Your update was recorded" in response.content.decode()

    post("k-first")
    for _ in range(30):
        factories.record(commitment, author=analyst, status=Status.IN_PROGRESS)
        factories.make_commitment(parent=commitment)
    factories.make_indicator(commitment)
    post("k-second")


def test_htmx_success_updates_timeline_header_and_resets_the_form(
    settings, signed_in, commitment, source
):
    settings.TRACKER_REVIEW_REQUIRED = False
    response = signed_in.post(
        url(commitment), post_data(evidence=[with_source(source)], key="k-htmx"), **HTMX
    )
    assert response.status_code == 200
    page = response.content.decode()
    update = StatusUpdate.objects.get()
    assert "<html" not in page
    # The form comes back empty, with a new key, and says what happened.
    assert page.lstrip().startswith('<section id="record-update"')
    assert "Your update was recorded" in page
    assert 'value="k-htmx"' not in page
    assert "Shipments *continue*.</textarea>" not in page
    # The other regions are swapped out of band.
    assert re.search(r'<section id="commitment-status"[^>]* hx-swap-oob="true">', page)
    assert re.search(r'<section id="status-timeline"[^>]* hx-swap-oob="true">', page)
    header = page[page.index('id="commitment-status"') : page.index('id="status-timeline"')]
    assert ">At risk</span>" in header and "progress-fill w-35" in header
    timeline = page[page.index('id="status-timeline"') :]
    assert f'id="update-{update.pk}" class="card timeline-item review-accepted is-new"' in timeline


def test_htmx_success_with_review_shows_the_pending_count(signed_in, commitment, source):
    page = signed_in.post(url(commitment), post_data(evidence=[with_source(source)]), **HTMX)
    page = page.content.decode()
    header = page[page.index('id="commitment-status"') : page.index('id="status-timeline"')]
    assert "1 update pending review" in header
    assert ">Not yet assessed</span>" in header
    assert "Your update was submitted for review" in page


def test_htmx_errors_return_only_the_form(signed_in, commitment):
    response = signed_in.post(url(commitment), post_data(evidence=[]), **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    assert "<html" not in page and "hx-swap-oob" not in page
    assert page.lstrip().startswith('<section id="record-update"')
    assert "A change of status needs at least one piece of evidence" in page
    assert_nothing_saved()


def test_a_refused_form_keeps_its_chosen_source_and_offers_the_pickers_again(
    signed_in, commitment, source
):
    # The chosen source is older than the 30 recent sources the pickers list.
    older, *_ = [factories.make_source() for _ in range(31)]
    party = factories.make_party("Ministry of Trade")
    data = post_data(evidence=[with_source(source)], as_of="1850-01-01")
    response = signed_in.post(url(commitment), data, **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    assert f'<option value="{source.pk}" selected>{source}</option>' in page
    assert f'<option value="{older.pk}">' not in page
    assert page.count(f'<option value="{party.pk}">Ministry of Trade</option>') == 3
    assert_nothing_saved()


# Revising a returned update


@pytest.fixture
def returned(commitment, analyst, manager, source):
    update = factories.record(
        commitment,
        author=analyst,
        status=Status.STALLED,
        progress=10,
        source=source,
        assessment="First try.",
    )
    from tracker import services

    return services.return_update(update=update, manager=manager, comment="Which regulation?")


def test_revising_a_returned_update_links_the_two(signed_in, commitment, returned, source):
    data = post_data(evidence=[with_source(source)], revises=str(returned.pk), key="rev")
    assert signed_in.post(url(commitment), data).status_code == 302
    revision = StatusUpdate.objects.get(idempotency_key="rev")
    assert revision.revises == returned


def test_a_returned_update_is_revised_once(signed_in, commitment, returned, source):
    first = post_data(evidence=[with_source(source)], revises=str(returned.pk), key="rev-1")
    assert signed_in.post(url(commitment), first).status_code == 302
    second = post_data(evidence=[with_source(source)], revises=str(returned.pk), key="rev-2")
    response = signed_in.post(url(commitment), second)
    assert response.status_code == 422
    assert "has already been revised" in response.content.decode()
    assert returned.revisions.count() == 1
    # The service refuses too: a second tab that passed the form's check stores nothing.
    with pytest.raises(ValidationError, match="already been revised"):
        factories.record(commitment, author=returned.author, revises=returned, source=source)
    assert returned.revisions.count() == 1


@pytest.mark.parametrize("as_of", ["0001-01-01", "1899-12-31"])
def test_an_implausibly_old_date_is_refused_inline(signed_in, commitment, as_of):
    for headers in ({}, HTMX):
        response = signed_in.post(url(commitment), post_data(as_of=as_of), **headers)
        assert response.status_code == 422
        assert "Enter a date from 1 January 1900 on." in response.content.decode()
    assert not StatusUpdate.objects.exists()
    with pytest.raises(ValidationError):
        factories.record(commitment, as_of=dt.date(1, 1, 1))
    assert not StatusUpdate.objects.exists()


def test_the_first_plausible_date_is_accepted(signed_in, commitment, source):
    data = post_data(as_of="1900-01-01", evidence=[with_source(source)])
    assert signed_in.post(url(commitment), data).status_code == 302


def test_the_page_prefills_the_form_from_the_returned_update(signed_in, commitment, returned):
    page = signed_in.get(f"{commitment.get_absolute_url()}?revises={returned.pk}").content.decode()
    assert "Revising your update as of" in page
    assert "Which regulation?" in page
    assert f'name="revises" value="{returned.pk}"' in page
    assert '<option value="stalled" selected>' in page
    assert 'name="progress" value="10"' in page
    assert "First try.</textarea>" in page
    assert "A verbatim quote.</textarea>" in page


@pytest.mark.parametrize("case", ["accepted", "someone_elses", "other_commitment", "garbage"])
def test_only_ones_own_returned_update_on_this_commitment_can_be_revised(
    signed_in, analyst, other_analyst, manager, commitment, source, case
):
    if case == "garbage":
        target = "abc"
    else:
        author = other_analyst if case == "someone_elses" else analyst
        on = commitment
        if case == "other_commitment":
            on = factories.make_commitment(owner=analyst)
        if case == "someone_elses":
            commitment.assignees.add(other_analyst)
        update = factories.record(on, author=author, source=source)
        if case == "accepted":
            from tracker import services

            services.accept_update(update=update, manager=manager)
        else:
            from tracker import services

            services.return_update(update=update, manager=manager, comment="No.")
        target = str(update.pk)
    before = StatusUpdate.objects.count()
    response = signed_in.post(
        url(commitment), post_data(evidence=[with_source(source)], revises=target)
    )
    assert response.status_code == 422
    assert StatusUpdate.objects.count() == before
    page = response.content.decode()
    assert (
        "You can only revise one of your own returned updates on this commitment." in page
        or "Enter a whole number" in page
    )


def test_an_invalid_revises_link_starts_a_fresh_form(signed_in, commitment):
    page = signed_in.get(f"{commitment.get_absolute_url()}?revises=12345").content.decode()
    assert "That update cannot be revised here" in page
    assert 'name="revises" id=' in page and 'name="revises" value=' not in page
