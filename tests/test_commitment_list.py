"""The commitments list: search, filters, sort, pagination, HTMX swaps and query count."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests import factories
from tests.factories import HTMX
from tracker.models import Commitment, Status

pytestmark = pytest.mark.django_db

URL = "/commitments/"


def references(response):
    """The commitments shown, in order."""
    return re.findall(r'<tr id="row-([^"]+)"', response.content.decode())


@pytest.fixture
def board(analyst, other_analyst, manager):
    """Four commitments across areas, parties, owners and statuses."""
    narcotics = factories.make_area("Counternarcotics")
    military = factories.make_area("Military communications")
    china = factories.make_party("China", short_name="China")
    usa = factories.make_party("United States", short_name="U.S.")
    fent = factories.make_commitment(
        "USCN-FENTANYL",
        owner=analyst,
        area=narcotics,
        parties=[china],
        title="Curb fentanyl precursor shipments",
        description="Chemicals diverted to criminal enterprises.",
    )
    comms = factories.make_commitment(
        "USCN-MIL",
        owner=other_analyst,
        area=military,
        parties=[usa, china],
        title="Restore hotline",
    )
    ai = factories.make_commitment(
        "USCN-AI", owner=other_analyst, area=military, parties=[usa], title="Talks on AI risk"
    )
    ai.assignees.add(analyst)
    factories.make_commitment("USCN-EMPTY", owner=None, area=narcotics, title="Another pledge")
    factories.record(fent, status=Status.AT_RISK, progress=40)
    factories.record(comms, status=Status.FULFILLED, progress=100)
    factories.record(ai, status=Status.STALLED)
    return {"fent": fent, "comms": comms, "ai": ai, "china": china, "narcotics": narcotics}


# Permissions and methods


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/commitments/"


def test_anonymous_htmx_gets_an_hx_redirect(client):
    response = client.get(URL, headers={"HX-Request": "true", "HX-Current-URL": "/commitments/"})
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_users_without_a_role_get_403(client, outsider):
    client.force_login(outsider)
    response = client.get(URL)
    assert response.status_code == 403
    assert b"no role yet" in response.content


@pytest.mark.parametrize("role", ["analyst", "manager", "admin_user"])
def test_every_role_may_read_the_list(client, request, role, board):
    client.force_login(request.getfixturevalue(role))
    assert client.get(URL).status_code == 200


def test_it_only_answers_get(signed_in):
    assert signed_in.post(URL).status_code == 405


# What a row shows


def test_rows_show_what_an_analyst_needs(signed_in, board):
    Commitment.objects.filter(pk=board["fent"].pk).update(
        last_update_at=timezone.now() - dt.timedelta(days=3)
    )
    page = signed_in.get(URL).content.decode()
    row = page[page.index('id="row-USCN-FENTANYL"') :]
    row = row[: row.index("</tr>")]
    assert "Curb fentanyl precursor shipments" in row
    assert 'href="/commitments/USCN-FENTANYL/"' in row
    assert "China" in row
    # The status badge carries its label and its definition for hover and focus.
    assert 'class="badge status-at-risk ' in row
    assert ">At risk</span>" in row
    assert 'title="Action is under way, but evidence suggests' in row
    assert 'tabindex="0"' in row
    assert "progress-fill w-40" in row and "40 %" in row
    assert "Moderate confidence" in row
    assert "Alice Analyst" in row
    assert "3 days ago" in row


def test_an_overdue_review_is_marked_in_words(signed_in, board):
    Commitment.objects.filter(pk=board["fent"].pk).update(next_review_due=factories.days_ago(2))
    page = signed_in.get(URL).content.decode()
    row = page[page.index('id="row-USCN-FENTANYL"') :]
    assert '<span class="overdue-tag">Overdue</span>' in row[: row.index("</tr>")]
    other = page[page.index('id="row-USCN-MIL"') :]
    assert "overdue-tag" not in other[: other.index("</tr>")]


def test_a_commitment_never_updated_says_so(signed_in, board):
    page = signed_in.get(URL).content.decode()
    row = page[page.index('id="row-USCN-EMPTY"') :]
    row = row[: row.index("</tr>")]
    assert "Never" in row and "Unassigned" in row and "Not yet assessed" in row


# Search, filters and sort


@pytest.mark.parametrize(
    "query, expected",
    [
        ("fentanyl", ["USCN-FENTANYL"]),  # title
        ("uscn-mil", ["USCN-MIL"]),  # reference, any case
        ("criminal enterprises", ["USCN-FENTANYL"]),  # description
        ("nothing like this", []),
    ],
)
def test_search_looks_at_reference_title_and_description(signed_in, board, query, expected):
    assert references(signed_in.get(URL, {"q": query})) == expected


def test_filter_by_status(signed_in, board):
    assert references(signed_in.get(URL, {"status": "stalled"})) == ["USCN-AI"]


def test_filter_by_area_uses_its_slug(signed_in, board):
    slug = board["narcotics"].slug
    assert references(signed_in.get(URL, {"area": slug})) == ["USCN-EMPTY", "USCN-FENTANYL"]


def test_filter_by_party(signed_in, board):
    response = signed_in.get(URL, {"party": board["china"].pk})
    assert references(response) == ["USCN-FENTANYL", "USCN-MIL"]


def test_the_owner_choices_are_analysts_and_owners_each_once(signed_in, board, manager):
    idle = factories.make_user("idle-analyst", group="Analysts")  # owns nothing
    nobody = factories.make_user("no-role")  # neither analyst nor owner
    factories.make_commitment("USCN-MGR", owner=manager, area=board["narcotics"])
    options = re.findall(r'<option value="([^"]*)"', signed_in.get(URL).content.decode())
    for username in ("oscar", idle.username, manager.username):
        assert options.count(username) == 1
    assert nobody.username not in options


def test_the_owner_choices_follow_new_owners_and_names(signed_in, board):
    # The owners' SQL is compiled once per process; their rows are read on every page.
    assert "Newly Hired" not in signed_in.get(URL).content.decode()
    newcomer = factories.make_analyst("newcomer", first_name="Newly", last_name="Hired")
    options = re.findall(r'<option value="([^"]*)">([^<]*)<', signed_in.get(URL).content.decode())
    assert ("newcomer", "Newly Hired") in options
    newcomer.first_name = "Renamed"
    newcomer.save()
    assert "Renamed Hired" in signed_in.get(URL).content.decode()


def test_filter_by_owner_uses_the_username(signed_in, board):
    assert references(signed_in.get(URL, {"owner": "oscar"})) == ["USCN-AI", "USCN-MIL"]


def test_mine_means_owned_or_assigned(signed_in, board):
    assert references(signed_in.get(URL, {"mine": "on"})) == ["USCN-AI", "USCN-FENTANYL"]


def test_overdue_for_review(signed_in, board):
    Commitment.objects.filter(pk=board["comms"].pk).update(next_review_due=factories.days_ago(1))
    assert references(signed_in.get(URL, {"overdue": "on"})) == ["USCN-MIL"]


def test_filters_combine(signed_in, board):
    response = signed_in.get(URL, {"party": board["china"].pk, "status": "at_risk", "q": "curb"})
    assert references(response) == ["USCN-FENTANYL"]


def test_sort_by_status_puts_the_most_at_risk_first(signed_in, board):
    assert references(signed_in.get(URL, {"sort": "status"})) == [
        "USCN-AI",  # stalled
        "USCN-FENTANYL",  # at risk
        "USCN-MIL",  # fulfilled
        "USCN-EMPTY",  # not yet assessed
    ]


def test_sort_by_title(signed_in, board):
    assert references(signed_in.get(URL, {"sort": "title"})) == [
        "USCN-EMPTY",
        "USCN-FENTANYL",
        "USCN-MIL",
        "USCN-AI",
    ]


def test_sort_by_last_update_newest_first(signed_in, board):
    Commitment.objects.filter(pk=board["fent"].pk).update(
        last_update_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert references(signed_in.get(URL, {"sort": "-updated"}))[:1] == ["USCN-FENTANYL"]
    # Oldest first starts with the one never updated.
    assert references(signed_in.get(URL, {"sort": "updated"}))[:1] == ["USCN-EMPTY"]


def test_sort_by_next_review(signed_in, board):
    Commitment.objects.filter(pk=board["ai"].pk).update(next_review_due=factories.days_ago(9))
    assert references(signed_in.get(URL, {"sort": "review"}))[:1] == ["USCN-AI"]


# Invalid values: ignored and reported, never a 500


@pytest.mark.parametrize(
    "params, notice",
    [
        ({"status": "bogus"}, "“bogus” is not a valid status"),
        ({"owner": "x"}, "“x” is not a valid owner"),
        ({"area": "nowhere"}, "“nowhere” is not a valid area"),
        ({"party": "abc"}, "“abc” is not a valid party"),
        ({"sort": "sideways"}, "“sideways” is not a valid sort by"),
        ({"page": "abc"}, "There is no page “abc”: showing page 1 of 1"),
        ({"page": "99999"}, "There is no page “99999”: showing page 1 of 1"),
    ],
)
def test_invalid_values_are_ignored_and_reported(signed_in, board, params, notice):
    response = signed_in.get(URL, params)
    assert response.status_code == 200
    assert len(references(response)) == 4
    assert notice in response.content.decode()


def test_a_valid_filter_still_applies_beside_an_invalid_one(signed_in, board):
    response = signed_in.get(URL, {"status": "stalled", "owner": "ghost"})
    assert references(response) == ["USCN-AI"]


# Pagination


def test_pages_of_25_keep_the_filters(signed_in, analyst):
    area = factories.make_area()
    for n in range(30):
        factories.make_commitment(f"P-{n:02d}", owner=analyst, area=area)
    first = signed_in.get(URL, {"q": "P-"})
    assert len(references(first)) == 25
    assert "30 commitments match" in first.content.decode()
    assert 'href="?q=P-&amp;page=2"' in first.content.decode()
    second = signed_in.get(URL, {"q": "P-", "page": "2"})
    assert references(second) == [f"P-{n}" for n in range(25, 30)]
    beyond = signed_in.get(URL, {"q": "P-", "page": "7"})
    assert references(beyond) == references(second)


# HTMX: only the results, and the URL pushed


def test_htmx_gets_only_the_results_and_a_clean_url_to_push(signed_in, board):
    response = signed_in.get(
        URL, {"q": "", "status": "stalled", "area": "", "sort": "", "owner": "ghost"}, **HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and "<form" not in page
    assert page.lstrip().startswith('<section id="results"')
    assert references(response) == ["USCN-AI"]
    # Empty and invalid parameters are left out of the pushed (bookmarkable) address.
    assert response["HX-Push-Url"] == "/commitments/?status=stalled"
    assert "HX-Request" in response["Vary"]


def test_the_same_url_without_htmx_renders_the_whole_page_with_the_filters_set(signed_in, board):
    response = signed_in.get(URL, {"status": "stalled", "mine": "on"})
    page = response.content.decode()
    assert "<html" in page and 'id="results"' in page
    assert '<option value="stalled" selected>' in page
    assert 'name="mine" id="id_mine" checked' in page
    assert "HX-Push-Url" not in response


def test_htmx_history_restore_gets_the_whole_page(signed_in, board):
    response = signed_in.get(
        URL, {"status": "stalled"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )
    assert b"<html" in response.content


def test_the_filter_form_swaps_results_and_works_without_javascript(signed_in, board):
    page = signed_in.get(URL).content.decode()
    form = page[page.index('<form class="card filters"') :]
    form = form[: form.index(">")]
    assert 'method="get" action="/commitments/"' in form
    assert 'hx-get="/commitments/"' in form and 'hx-target="#results"' in form


# Query count


def make_rows(n, owner):
    area = factories.make_area()
    parties = [factories.make_party(), factories.make_party()]
    for _ in range(n):
        c = factories.make_commitment(owner=owner, area=area, parties=parties)
        factories.record(c, status=Status.IN_PROGRESS, progress=50)


def test_the_query_count_does_not_grow_with_rows(signed_in, analyst, django_assert_num_queries):
    make_rows(3, analyst)
    # session, user with their roles, "returned to me" count (navigation); areas, parties and
    # owners (filter choices); count; page of commitments with area, owner and event;
    # parties bound.
    with django_assert_num_queries(9):
        assert len(references(signed_in.get(URL))) == 3
    make_rows(20, factories.make_analyst())
    with django_assert_num_queries(9):
        assert len(references(signed_in.get(URL))) == 23


def test_the_query_count_with_every_filter_set(
    signed_in, analyst, board, django_assert_num_queries
):
    params = {
        "q": "u",
        "status": "at_risk",
        "area": board["narcotics"].slug,
        "party": board["china"].pk,
        "owner": "alice",
        "mine": "on",
        "overdue": "",
        "sort": "status",
    }
    # As above, plus validating the area, party and owner given.
    with django_assert_num_queries(12):
        assert references(signed_in.get(URL, params)) == ["USCN-FENTANYL"]


def test_a_new_area_or_party_is_offered_at_once(signed_in):
    """The filters' options are read every request (their SQL is compiled once)."""
    signed_in.get(URL)
    area, party = factories.make_area("Cyber dialogue"), factories.make_party("Vietnam")
    page = signed_in.get(URL).content.decode()
    assert f'<option value="{area.slug}">Cyber dialogue</option>' in page
    assert f'<option value="{party.pk}">Vietnam</option>' in page
    assert references(signed_in.get(URL, {"area": area.slug, "party": party.pk})) == []


def test_one_requests_filters_are_not_the_next_ones(signed_in, board):
    """The filter form's class is built once (filters.FormBuiltOnce): each request's form is
    still its own, never showing what an earlier request chose."""
    chosen = signed_in.get(URL, {"status": "stalled", "mine": "on", "q": "fentanyl"})
    assert '<option value="stalled" selected>' in chosen.content.decode()
    page = signed_in.get(URL).content.decode()
    assert "selected>" not in page.replace('<option value="" selected>', "")
    assert 'id="id_mine" checked' not in page and "fentanyl" not in page.lower().split("<tbody")[0]
    assert len(references(signed_in.get(URL))) == 4


def test_a_filter_whose_options_depend_on_the_request_is_refused():
    import django_filters

    from tracker.filters import FormBuiltOnce
    from tracker.models import Area

    class PerRequest(FormBuiltOnce, django_filters.FilterSet):
        area = django_filters.ModelChoiceFilter(queryset=lambda request: Area.objects.all())

        class Meta:
            model = Commitment
            fields = []

    with pytest.raises(TypeError, match="built once"):
        PerRequest({}).form  # noqa: B018 - building it is the test
