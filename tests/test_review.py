"""Review and sign-off: managers accept or return analysts' status updates."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from pytest_django.asserts import assertContains

from tests import factories
from tests.factories import HTMX
from tracker import services
from tracker.models import ANALYSTS, Evidence, Status, StatusUpdate
from tracker.views.review import PAGE_SIZE

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(commitment, analyst):
    return factories.record(commitment, author=analyst, status=Status.AT_RISK, progress=30)


def state(update):
    update.refresh_from_db()
    return update.review_state


# The state machine ---------------------------------------------------------------


def test_an_analysts_update_is_submitted_and_pending(pending):
    assert pending.review_state == StatusUpdate.ReviewState.SUBMITTED
    assert pending.decided_at is None


def test_accepting_makes_it_official_and_keeps_who_when_and_why(pending, manager, commitment):
    services.accept_update(update=pending, manager=manager, comment="Well sourced.")
    pending.refresh_from_db()
    assert pending.is_accepted
    assert (pending.decided_by, pending.decision_comment) == (manager, "Well sourced.")
    assert pending.decided_at is not None
    commitment.refresh_from_db()
    assert commitment.current_status == Status.AT_RISK


def test_returning_needs_a_comment_and_leaves_the_official_status(pending, manager, commitment):
    with pytest.raises(ValidationError):
        services.return_update(update=pending, manager=manager, comment="  ")
    assert state(pending) == "submitted"
    services.return_update(update=pending, manager=manager, comment="Which regulation?")
    assert state(pending) == "returned"
    commitment.refresh_from_db()
    assert commitment.current_status == Status.NOT_ASSESSED


@pytest.mark.parametrize("first", ["accept", "return"])
@pytest.mark.parametrize("second", ["accept", "return"])
def test_a_decided_update_cannot_be_decided_again(pending, manager, other_manager, first, second):
    decide = {
        "accept": lambda u, m: services.accept_update(update=u, manager=m),
        "return": lambda u, m: services.return_update(update=u, manager=m, comment="No."),
    }
    stale = StatusUpdate.objects.get(pk=pending.pk)  # loaded before the first decision
    decide[first](pending, manager)
    with pytest.raises(services.ReviewConflict):
        decide[second](stale, other_manager)
    pending.refresh_from_db()
    assert pending.decided_by == manager


@pytest.fixture
def analyst_and_manager(commitment):
    """One person in both groups: records updates like an analyst, reviews like a manager."""
    user = factories.make_manager("both")
    user.groups.add(Group.objects.get(name=ANALYSTS))
    commitment.assignees.add(user)
    return user


def test_nobody_accepts_their_own_update(commitment, analyst_and_manager):
    own = factories.record(commitment, author=analyst_and_manager)
    assert state(own) == "submitted"
    with pytest.raises(PermissionDenied):
        services.accept_update(update=own, manager=analyst_and_manager)
    assert state(own) == "submitted"


def test_an_admins_own_update_is_official_at_once(commitment, admin_user):
    """Admins are the last reviewer: their update is never left waiting for review."""
    own = factories.record(commitment, author=admin_user, status=Status.FULFILLED)
    assert state(own) == "accepted"
    commitment.refresh_from_db()
    assert commitment.current_status == Status.FULFILLED


def test_an_analyst_cannot_decide(pending, other_analyst):
    with pytest.raises(PermissionDenied):
        services.accept_update(update=pending, manager=other_analyst)


def test_a_revision_references_the_returned_update(pending, manager, analyst, commitment):
    services.return_update(update=pending, manager=manager, comment="Add the source.")
    revision = factories.record(commitment, author=analyst, status=Status.AT_RISK, revises=pending)
    assert revision.revises == pending
    assert list(pending.revisions.all()) == [revision]


def test_with_the_review_step_off_updates_are_accepted_on_creation(commitment, analyst, settings):
    settings.TRACKER_REVIEW_REQUIRED = False
    update = factories.record(commitment, author=analyst, status=Status.STALLED)
    assert update.is_accepted
    commitment.refresh_from_db()
    assert commitment.current_status == Status.STALLED


# The review queue -----------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/review/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_htmx_requests_get_a_client_redirect(client):
    response = client.post("/review/1/accept/", **HTMX)
    assert response["HX-Redirect"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["analyst", "outsider"])
def test_only_managers_see_the_queue(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/review/").status_code == 403


def test_the_queue_lists_pending_updates_oldest_first(client, manager, commitment, analyst):
    older = factories.record(commitment, author=analyst, assessment="older one")
    newer = factories.record(commitment, author=analyst, assessment="newer one")
    client.force_login(manager)
    page = client.get("/review/").content.decode()
    assert page.index(f'id="review-{older.pk}"') < page.index(f'id="review-{newer.pk}"')
    assert "2 updates waiting" in page
    assert "<html" in page


def test_the_queue_shows_twenty_updates_a_page(client, manager, commitment, analyst):
    updates = [factories.record(commitment, author=analyst) for _ in range(21)]
    client.force_login(manager)
    first = client.get("/review/").content.decode()
    assert first.count('class="card queue-item') == 20
    assert "21 updates waiting · page 1 of 2" in first
    second = client.get("/review/", {"page": 2}).content.decode()
    assert second.count('class="card queue-item') == 1
    assert f'id="review-{updates[-1].pk}"' in second


def test_the_queue_filters_by_area_and_analyst_through_htmx(
    client, manager, analyst, other_analyst, commitment
):
    elsewhere = factories.make_commitment(owner=other_analyst)
    mine = factories.record(commitment, author=analyst)
    theirs = factories.record(elsewhere, author=other_analyst)
    client.force_login(manager)
    response = client.get(f"/review/?area={elsewhere.area_id}", **HTMX)
    body = response.content.decode()
    assert "<html" not in body
    assert f'id="review-{theirs.pk}"' in body
    assert f'id="review-{mine.pk}"' not in body
    body = client.get(f"/review/?analyst={analyst.pk}").content.decode()
    assert f'id="review-{mine.pk}"' in body
    assert f'id="review-{theirs.pk}"' not in body


def test_unknown_filter_values_are_reported_not_a_500(client, manager, pending):
    client.force_login(manager)
    response = client.get("/review/?area=abc&analyst=999999&page=zzz")
    assert response.status_code == 200
    assert b"not recognised" in response.content
    assert f'id="review-{pending.pk}"'.encode() in response.content


def test_the_queue_issues_a_constant_number_of_queries(
    client, manager, analyst, commitment, django_assert_num_queries
):
    def load():
        client.get("/review/")

    client.force_login(manager)
    for _ in range(2):
        factories.record(commitment, author=analyst)
    load()  # warm the session
    # session, user with their roles, nav counts (review, not returned: managers only; also
    # the queue's total), filter choices (areas, analysts), page of updates, evidence
    with django_assert_num_queries(7) as small:
        load()
    for _ in range(20):
        factories.record(factories.make_commitment(owner=analyst), author=analyst)
    with django_assert_num_queries(len(small.captured_queries)):
        load()


def test_the_queue_only_answers_get(client, manager):
    client.force_login(manager)
    assert client.post("/review/").status_code == 405


# Accept and return ------------------------------------------------------------------


def test_accept_through_htmx_swaps_the_item_and_the_navigation_count(
    client, manager, pending, commitment
):
    client.force_login(manager)
    response = client.post(f"/review/{pending.pk}/accept/", {"comment": "Good"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "Accepted" in body and "Good" in body
    assert 'id="nav-review-count" hx-swap-oob="true"' in body
    assert state(pending) == "accepted"
    commitment.refresh_from_db()
    assert commitment.current_status == Status.AT_RISK


def test_accept_without_javascript_redirects_to_the_queue(client, manager, pending):
    client.force_login(manager)
    response = client.post(f"/review/{pending.pk}/accept/")
    assert response.status_code == 302
    assert response["Location"] == "/review/"
    assert state(pending) == "accepted"


def test_returning_without_a_comment_shows_an_inline_error_and_saves_nothing(
    client, manager, pending
):
    client.force_login(manager)
    response = client.post(f"/review/{pending.pk}/return/", {"comment": ""}, **HTMX)
    assert response.status_code == 422
    assert b"Say what is missing" in response.content
    assert state(pending) == "submitted"
    # Without JavaScript: the same message on a page, not a 500 or a lost form.
    response = client.post(f"/review/{pending.pk}/return/", {"comment": ""})
    assert response.status_code == 422
    assert b"Say what is missing" in response.content
    assert b"<html" in response.content


def test_return_with_a_comment_returns_it_to_the_analyst(client, manager, analyst, pending):
    client.force_login(manager)
    client.post(f"/review/{pending.pk}/return/", {"comment": "Quote the regulation."}, **HTMX)
    assert state(pending) == "returned"
    client.force_login(analyst)
    page = client.get("/returned/").content.decode()
    assert "Quote the regulation." in page
    assert f"?revises={pending.pk}" in page
    assert 'aria-label="1 returned"' in page  # the count in the navigation


def test_a_second_decision_is_told_it_came_too_late(client, manager, other_manager, pending):
    client.force_login(manager)
    client.post(f"/review/{pending.pk}/accept/", **HTMX)
    client.force_login(other_manager)
    response = client.post(f"/review/{pending.pk}/return/", {"comment": "No"}, **HTMX)
    assert response.status_code == 409
    assert b"Already accepted by Maria Manager" in response.content
    assert state(pending) == "accepted"


def test_decisions_refuse_wrong_roles_methods_and_own_updates(
    client, analyst, outsider, admin_user, analyst_and_manager, pending, commitment
):
    for user in (analyst, outsider):
        client.force_login(user)
        assert client.post(f"/review/{pending.pk}/accept/").status_code == 403
    client.force_login(admin_user)
    assert client.get(f"/review/{pending.pk}/accept/").status_code == 405
    assert client.post("/review/999999/accept/").status_code == 404
    own = factories.record(commitment, author=analyst_and_manager)
    client.force_login(analyst_and_manager)
    assert client.post(f"/review/{own.pk}/accept/").status_code == 403
    assert state(own) == "submitted"
    assert state(pending) == "submitted"


def test_a_revised_update_leaves_the_returned_list(client, manager, analyst, pending, commitment):
    services.return_update(update=pending, manager=manager, comment="More evidence.")
    factories.record(commitment, author=analyst, status=Status.AT_RISK, revises=pending)
    client.force_login(analyst)
    page = client.get("/returned/").content.decode()
    assert "Nothing returned" in page


def test_managers_have_no_returned_list(client, manager):
    client.force_login(manager)
    assert client.get("/returned/").status_code == 403


def test_updates_and_decisions_are_in_the_audit_log(commitment, analyst, manager):
    from tracker.models import AuditEvent

    first = factories.record(commitment, author=analyst, status=Status.AT_RISK)
    services.return_update(update=first, manager=manager, comment="Which regulation?")
    second = factories.record(commitment, author=analyst, status=Status.AT_RISK, revises=first)
    services.accept_update(update=second, manager=manager)
    log = list(
        AuditEvent.objects.order_by("id").values_list("action", "username", "target", "detail")
    )
    assert log == [
        ("status_update", "alice", "USCN-TEST", f"update {first.pk}: At risk as of {first.as_of}"),
        ("return", "maria", "USCN-TEST", f"update {first.pk}: Which regulation?"),
        (
            "status_update",
            "alice",
            "USCN-TEST",
            f"update {second.pk}: At risk as of {second.as_of}",
        ),
        ("accept", "maria", "USCN-TEST", f"update {second.pk}"),
    ]


# A seeded update: imported accepted, with no author and no decider -----------------


@pytest.mark.parametrize("decision", ["accept", "return"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_deciding_a_seeded_update_says_it_was_imported_never_a_500(
    client, manager, seeded, decision, htmx
):
    update = StatusUpdate.objects.get(commitment__reference="USCN-FENTANYL")
    assert update.author is None and update.decided_by is None and update.is_accepted
    client.force_login(manager)
    headers = HTMX if htmx else {}
    response = client.post(f"/review/{update.pk}/{decision}/", {"comment": "Why?"}, **headers)
    assert response.status_code == 409
    assertContains(
        response,
        '<p class="form-errors" role="alert">Already accepted by the seed import.</p>',
        status_code=409,
        html=True,
    )
    assertContains(
        response,
        '<p class="decision-outcome" role="status">'
        '<span class="badge badge-accepted">Accepted</span> by the seed import on '
        f'<time datetime="{update.decided_at.isoformat()}">'
        f"{update.decided_at:%-d %b %Y, %H:%M}</time>"
        "</p>",
        status_code=409,
        html=True,
    )
    assert state(update) == "accepted"


def test_accept_and_return_look_different_and_say_what_they_do(client, manager, pending):
    client.force_login(manager)
    page = client.get("/review/")
    assertContains(
        page,
        '<button type="submit" class="button button-accept">'
        '<span aria-hidden="true">✓</span> Accept</button>',
        html=True,
    )
    assertContains(
        page,
        '<button type="submit" class="button button-return">'
        '<span aria-hidden="true">↩</span> Return to analyst</button>',
        html=True,
    )


# The totals: the queue's and the returned list's come from the navigation's counts ---------


def test_the_queue_total_counts_what_the_filter_keeps(client, manager, analyst):
    here, there = factories.make_area(), factories.make_area()
    for area in (here, here, there):
        factories.record(factories.make_commitment(owner=analyst, area=area), author=analyst)
    client.force_login(manager)
    assert "3 updates waiting" in client.get("/review/").content.decode()
    assert "2 updates waiting" in client.get(f"/review/?area={here.pk}").content.decode()


def test_the_returned_list_pages_through_every_returned_update(
    client, manager, analyst, django_assert_num_queries
):
    def return_one():
        update = factories.record(factories.make_commitment(owner=analyst), author=analyst)
        services.return_update(update=update, manager=manager, comment="More evidence.")

    return_one()
    client.force_login(analyst)
    client.get("/returned/")  # warm the session
    # session, user with their roles, nav counts (returned, unread; also the list's total),
    # page of updates (its cards show no evidence)
    with django_assert_num_queries(4) as small:
        client.get("/returned/")
    for _ in range(PAGE_SIZE):
        return_one()
    with django_assert_num_queries(len(small.captured_queries)):
        first = client.get("/returned/").content.decode()
    assert f'aria-label="{PAGE_SIZE + 1} returned"' in first
    assert "Page 1 of 2" in first and first.count('class="card') >= PAGE_SIZE
    second = client.get("/returned/?page=2").content.decode()
    assert "Page 2 of 2" in second and "Nothing returned" not in second


def test_a_decision_shows_the_count_after_it_not_before(client, manager, analyst, pending):
    factories.record(factories.make_commitment(owner=analyst), author=analyst)
    client.force_login(manager)
    assert 'aria-label="2 waiting"' in client.get("/review/").content.decode()
    body = client.post(f"/review/{pending.pk}/accept/", {"comment": "Good"}, **HTMX)
    assert 'aria-label="1 waiting"' in body.content.decode()
    assert "1 update waiting" in client.get("/review/").content.decode()


def test_the_queue_and_the_status_history_show_each_piece_of_evidence_in_full(
    client, manager, analyst, commitment
):
    source = factories.make_source(
        "Budget report", url="https://example.org/report", publisher="Treasury"
    )
    update = factories.record(commitment, author=analyst, quote="We will build it.", source=source)
    party = factories.make_party("Green Party")
    Evidence.objects.create(
        status_update=update,
        commitment=commitment,
        source=factories.make_source("Minutes"),
        quote="It is built.",
        speaker="Ana Ruiz",
        speaker_party=party,
        locator="p. 4",
        paragraph=12,
        source_sha256="0" * 64,
    )
    client.force_login(manager)
    for page in ("/review/", commitment.get_absolute_url()):
        html = client.get(page).content.decode()
        first, second = html.index("We will build it."), html.index("It is built.")
        assert first < second  # in the order recorded
        link = '<a href="https://example.org/report" rel="noopener noreferrer">Budget report</a>'
        assert f"{link}, Treasury" in html
        assert "Unverified" in html[first:second]
        assert (
            '<span class="speaker">Ana Ruiz</span> <span class="muted">(Green Party)</span>' in html
        )
        assert "<cite>Minutes</cite>" in html
        assert '<span class="locator">p. 4</span>' in html
        reader = f"/sources/{Evidence.objects.get(quote='It is built.').source_id}/#p12"
        assert f'<a class="badge badge-verified" href="{reader}"' in html
