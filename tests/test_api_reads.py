"""The API's reads: commitments, status updates, sources, the dashboard, the review queue.
Each list pages with a cursor at a constant number of queries, and answers 304 to a
matching If-None-Match."""

import datetime as dt

import pytest

from tests import factories
from tests.api_helpers import api_client, assert_problem
from tracker.models import CommitmentParty, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, analyst):
    return api_client(client, analyst, scope="read")


@pytest.fixture
def board(analyst, other_analyst, manager):
    china = factories.make_party("China", short_name="PRC")
    usa = factories.make_party("United States")
    narcotics = factories.make_area("Counternarcotics")
    fent = factories.make_commitment(
        "USCN-FENT", owner=analyst, area=narcotics, parties=[china], title="Curb fentanyl"
    )
    CommitmentParty.objects.create(commitment=fent, party=usa, must_deliver=False)
    mil = factories.make_commitment("USCN-MIL", owner=other_analyst, title="Military talks")
    factories.record(fent, status=Status.AT_RISK, quote="Shipments continue.")
    factories.record(mil, status=Status.IN_PROGRESS)
    pending = factories.record(fent, author=analyst, status=Status.STALLED, quote="Nothing.")
    return {"fent": fent, "mil": mil, "china": china, "narcotics": narcotics, "pending": pending}


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_commitments_list_with_official_status_and_parties(api, board):
    items = results(api.get("/api/commitments/"))
    assert [c["reference"] for c in items] == ["USCN-FENT", "USCN-MIL"]
    fent = items[0]
    assert fent["status"] == "at_risk" and fent["status_label"] == "At risk"
    assert fent["owner"] == "alice"
    assert fent["area"] == {"slug": board["narcotics"].slug, "name": "Counternarcotics"}
    assert {(p["name"], p["must_deliver"]) for p in fent["parties"]} == {
        ("China", True),
        ("United States", False),
    }
    assert fent["url"].endswith("/api/commitments/USCN-FENT/")
    assert fent["web_url"].endswith("/commitments/USCN-FENT/")


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"q": "fentanyl"}, ["USCN-FENT"]),
        ({"status": "in_progress"}, ["USCN-MIL"]),
        ({"owner": "oscar"}, ["USCN-MIL"]),
        ({"mine": "true"}, ["USCN-FENT"]),
        ({"overdue": "true"}, []),
    ],
)
def test_commitments_take_the_list_pages_filters(api, board, params, expected):
    assert [c["reference"] for c in results(api.get("/api/commitments/", params))] == expected


def test_commitments_filter_by_area_and_party(api, board):
    by_area = results(api.get("/api/commitments/", {"area": board["narcotics"].slug}))
    by_party = results(api.get("/api/commitments/", {"party": board["china"].pk}))
    assert [c["reference"] for c in by_area] == [c["reference"] for c in by_party] == ["USCN-FENT"]


@pytest.mark.parametrize(
    "params", [{"status": "nope"}, {"area": "no-such-area"}, {"party": "x"}, {"owner": "ghost"}]
)
def test_a_filter_not_understood_is_a_400_naming_it(api, board, params):
    problem = assert_problem(api.get("/api/commitments/", params), 400, "invalid-query")
    assert list(problem["errors"]) == list(params)


def test_commitment_detail_has_parties_status_indicators_and_children(api, board, analyst):
    indicator = factories.make_indicator(board["fent"], name="Seizures", unit="kg")
    source = factories.make_source("Customs report")
    factories.services.record_measurement(indicator=indicator, value=12, source=source)
    child = factories.make_commitment("USCN-FENT-1", parent=board["fent"], owner=analyst)
    detail = api.get("/api/commitments/USCN-FENT/").json()
    assert detail["status"] == "at_risk"
    assert detail["pending_updates"] == 1
    assert detail["children"] == [child.reference]
    assert detail["indicators"][0]["name"] == "Seizures"
    assert detail["indicators"][0]["latest"]["display_value"] == "12"
    assert detail["indicators"][0]["measurements"][0]["source"]["title"] == "Customs report"
    assert detail["updates"].endswith("/api/commitments/USCN-FENT/updates/")


def test_an_unknown_commitment_is_a_404_problem(api, board):
    assert_problem(api.get("/api/commitments/NOPE/"), 404)


def test_status_updates_carry_their_evidence(api, board):
    items = results(api.get("/api/commitments/USCN-FENT/updates/"))
    assert [u["status"] for u in items] == ["stalled", "at_risk"]
    pending, accepted = items
    assert pending["review_state"] == "submitted" and pending["author"] == "alice"
    assert accepted["evidence"][0]["quote"] == "Shipments continue."
    assert accepted["evidence"][0]["source"]["title"]


def test_status_updates_across_commitments_and_since(api, board, analyst):
    assert len(results(api.get("/api/updates/"))) == 3
    assert len(results(api.get("/api/updates/", {"commitment": "USCN-MIL"}))) == 1
    assert len(results(api.get("/api/updates/", {"review_state": "submitted"}))) == 1
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert results(api.get("/api/updates/", {"since": tomorrow})) == []
    assert len(results(api.get("/api/updates/", {"since": "2000-01-01T00:00:00Z"}))) == 3


def test_since_counts_a_decision_as_a_change(api, board, manager):
    before = factories.timezone.now()
    factories.services.accept_update(update=board["pending"], manager=manager)
    changed = results(api.get("/api/updates/", {"since": before.isoformat()}))
    assert [u["id"] for u in changed] == [board["pending"].pk]


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "1" * 300])
def test_a_bad_since_is_a_400(api, board, since):
    assert "since" in assert_problem(api.get("/api/updates/", {"since": since}), 400)["errors"]


def test_cursor_pages_are_stable_and_complete(api, board):
    for _ in range(7):
        factories.record(board["mil"], status=Status.IN_PROGRESS)
    seen, url = [], "/api/updates/?page_size=4"
    while url:
        page = api.get(url).json()
        seen += [u["id"] for u in page["results"]]
        # A new update on the way does not shift the pages already handed out.
        if len(seen) == 4:
            factories.record(board["mil"], status=Status.IN_PROGRESS)
        url = page["next"]
    assert len(seen) == len(set(seen)) == 10
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "cD1hYmM=", "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "cD3Csg=="],  # ..., p=²
)
def test_a_bad_cursor_is_a_400(api, board, cursor):
    assert_problem(api.get("/api/updates/", {"cursor": cursor}), 400, "invalid-query")


def test_the_update_list_has_constant_queries_per_page(api, board, django_assert_num_queries):
    api.get("/api/sources/")  # the token's first use notes it (once a minute at most)

    def page():
        # token with its user, its audit entry, the user's groups (role), the page of
        # updates with commitment, author and decider, their evidence with sources.
        with django_assert_num_queries(5):
            return results(api.get("/api/updates/"))

    assert len(page()) == 3
    for _ in range(20):
        factories.record(board["fent"], status=Status.AT_RISK, quote="More.")
    assert len(page()) == 23


def test_the_commitment_list_has_constant_queries_per_page(
    api, board, analyst, django_assert_num_queries
):
    api.get("/api/sources/")  # the token's first use notes it (once a minute at most)

    def page():
        # token and user, audit entry, the user's groups, the page with area, owner and
        # event, the parties bound.
        with django_assert_num_queries(5):
            return results(api.get("/api/commitments/"))

    assert len(page()) == 2
    for i in range(15):
        factories.make_commitment(f"X-{i:02d}", owner=analyst, parties=[board["china"]])
    assert len(page()) == 17


def test_an_unchanged_read_answers_304(api, board):
    first = api.get("/api/commitments/USCN-FENT/")
    tag = first["ETag"]
    assert tag and "Authorization" in first["Vary"]
    again = api.get("/api/commitments/USCN-FENT/", HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304 and again.content == b""
    factories.record(board["fent"], status=Status.AT_RISK)
    assert api.get("/api/commitments/USCN-FENT/", HTTP_IF_NONE_MATCH=tag).status_code == 200


def test_sources_list_search_and_detail(api, board):
    report = factories.make_source("Customs annual report", publisher="CBP")
    found = results(api.get("/api/sources/", {"q": "cbp"}))
    assert [s["id"] for s in found] == [report.pk]
    assert api.get(f"/api/sources/{report.pk}/").json()["title"] == "Customs annual report"
    assert_problem(api.get("/api/sources/999999/"), 404)


READOUT = "The leaders met in Woodside.\n\nChina agreed to curb fentanyl precursors."


def test_evidence_says_whether_it_was_verified_in_its_sources_text(api, board, analyst):
    readout = factories.make_document_source("Readout", text=READOUT)
    factories.services.record_status_update(
        commitment=board["mil"],
        author=analyst,
        status=Status.IN_PROGRESS,
        confidence="moderate",
        as_of=dt.date.today(),
        progress=None,
        assessment="",
        evidence=[
            factories.services.EvidenceItem(
                quote="China agreed to curb fentanyl", source=readout, speaker_party=board["china"]
            ),
        ],
    )
    newest = results(api.get("/api/updates/", {"commitment": "USCN-MIL"}))[0]
    verified = newest["evidence"][0]
    assert verified["verified"] is True
    assert verified["paragraph"] == 2 and verified["speaker_party"] == "China"
    start, end = verified["spans"][0]
    assert READOUT[start:end] == "China agreed to curb fentanyl"
    assert verified["reader_url"].endswith(f"/sources/{readout.pk}/#p2")
    assert verified["source"]["has_text"] is True
    assert verified["source"]["sha256"] == readout.sha256

    unverified = results(api.get("/api/updates/", {"commitment": "USCN-FENT"}))[0]["evidence"][0]
    assert unverified["verified"] is False
    assert (unverified["paragraph"], unverified["spans"], unverified["reader_url"]) == (
        None,
        None,
        None,
    )
    assert unverified["speaker_party"] is None and unverified["source"]["has_text"] is False


def test_the_source_list_shows_each_documents_metadata(api, board, analyst):
    readout = factories.make_document_source("Readout", text=READOUT, user=analyst)
    bare = factories.make_source("Press remarks")
    by_id = {s["id"]: s for s in results(api.get("/api/sources/"))}
    document = by_id[readout.pk]
    assert document["has_text"] is True and document["paragraph_count"] == 2
    assert document["media_type"] == "text/plain" and document["original_name"] == "document.txt"
    assert document["size"] == len(READOUT.encode()) and len(document["sha256"]) == 64
    assert document["download_url"].endswith(f"/sources/{readout.pk}/original/")
    plain = by_id[bare.pk]
    assert (plain["has_text"], plain["paragraph_count"], plain["sha256"]) == (False, 0, "")
    assert plain["download_url"] is None and plain["size"] is None


def test_the_source_detail_returns_its_text_as_numbered_paragraphs(api, analyst):
    readout = factories.make_document_source("Readout", text=READOUT, user=analyst)
    detail = api.get(f"/api/sources/{readout.pk}/").json()
    assert detail["text_added_by"] == "alice" and detail["text_added_at"]
    assert detail["web_url"].endswith(f"/sources/{readout.pk}/")
    assert [(p["number"], p["text"]) for p in detail["paragraphs"]] == [
        (1, "The leaders met in Woodside."),
        (2, "China agreed to curb fentanyl precursors."),
    ]
    second = detail["paragraphs"][1]
    assert READOUT[second["start"] :].startswith(second["text"])
    assert detail["next_paragraphs"] is None
    bare = api.get(f"/api/sources/{factories.make_source().pk}/").json()
    assert (bare["paragraphs"], bare["next_paragraphs"], bare["text_added_by"]) == ([], None, None)


def test_a_long_documents_text_comes_in_slices_of_200_paragraphs(
    api, analyst, django_assert_num_queries
):
    text = "\n\n".join(f"Paragraph {n}." for n in range(1, 451))
    long = factories.make_document_source("Long report", text=text, user=analyst)
    api.get("/api/")  # the token's first use notes it
    # token and user, audit entry, groups; the source with who added its text; the slice.
    with django_assert_num_queries(5):
        first = api.get(f"/api/sources/{long.pk}/").json()
    assert len(first["paragraphs"]) == 200 and first["paragraphs"][-1]["number"] == 200
    assert first["next_paragraphs"].endswith(f"/api/sources/{long.pk}/?paragraphs_from=201")
    second = api.get(first["next_paragraphs"]).json()
    assert [p["number"] for p in second["paragraphs"]][:1] == [201]
    last = api.get(second["next_paragraphs"]).json()
    assert [p["text"] for p in last["paragraphs"]][-1] == "Paragraph 450."
    assert len(last["paragraphs"]) == 50 and last["next_paragraphs"] is None
    beyond = api.get(f"/api/sources/{long.pk}/", {"paragraphs_from": 999}).json()
    assert beyond["paragraphs"] == [] and beyond["next_paragraphs"] is None


@pytest.mark.parametrize("value", ["0", "-3", "two", "1.5", "1e3", " ", "9" * 5000])
def test_a_bad_paragraphs_from_is_a_400(api, value):
    source = factories.make_document_source("Readout", text=READOUT)
    response = api.get(f"/api/sources/{source.pk}/", {"paragraphs_from": value})
    assert_problem(response, 400, "invalid-query")
    assert "paragraphs_from" in response.json()["errors"]


def test_the_source_list_has_constant_queries_per_page(api, analyst, django_assert_num_queries):
    api.get("/api/")  # the token's first use notes it

    def page():
        # token and user, audit entry, groups; the page of sources.
        with django_assert_num_queries(4):
            return results(api.get("/api/sources/"))

    factories.make_document_source("First", text=READOUT, user=analyst)
    assert len(page()) == 1
    for i in range(5):
        factories.make_document_source(f"Doc {i}", text=f"Text {i}.", user=analyst)
        factories.make_source(f"Bare {i}")
    assert len(page()) == 11


def test_the_dashboard_snapshot_today_and_as_of_a_date(api, board):
    today = api.get("/api/dashboard/").json()
    assert today["total"] == 2
    assert today["by_status"]["at_risk"] == 1 and today["by_status"]["in_progress"] == 1
    assert [row["commitment"] for row in today["at_risk"]] == ["USCN-FENT"]
    assert {row["slug"] for row in today["by_area"]} >= {board["narcotics"].slug}
    past = api.get("/api/dashboard/", {"as_of": "2000-01-01"}).json()
    assert past["as_of"] == "2000-01-01" and past["total"] == 0
    scoped = api.get("/api/dashboard/", {"area": board["narcotics"].pk}).json()
    assert scoped["total"] == 1


@pytest.mark.parametrize("params", [{"as_of": "2999-01-01"}, {"as_of": "x"}, {"area": "999"}])
def test_a_bad_dashboard_date_or_filter_is_a_400(api, board, params):
    assert list(assert_problem(api.get("/api/dashboard/", params), 400)["errors"]) == list(params)


def test_the_review_queue_is_for_managers_and_never_lists_their_own(client, board, manager):
    queue = api_client(client, manager, scope="read").get("/api/review/")
    assert [u["id"] for u in results(queue)] == [board["pending"].pk]
    assert results(queue)[0]["commitment_title"] == "Curb fentanyl"


def test_analysts_may_not_read_the_review_queue(api, board):
    assert (
        assert_problem(api.get("/api/review/"), 403)["detail"] == "Your role does not allow this."
    )


def test_users_without_a_role_are_refused_with_a_problem(client, outsider):
    response = api_client(client, outsider).get("/api/commitments/")
    assert_problem(response, 403)


def test_no_credentials_is_a_401_problem_not_a_redirect(client, board):
    response = client.get("/api/commitments/")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_browser_reads_the_api_with_its_session(client, analyst, board):
    client.force_login(analyst)
    assert len(results(client.get("/api/commitments/"))) == 2


def test_the_schema_describes_every_endpoint(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert {
        "/api/commitments/",
        "/api/commitments/{reference}/updates/",
        "/api/updates/{id}/accept/",
        "/api/dashboard/",
        "/api/review/",
    } <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["personalAccessToken"]["scheme"] == "bearer"


def test_the_root_links_to_the_lists_and_the_docs(api):
    links = api.get("/api/").json()
    assert links["commitments"] == "http://testserver/api/commitments/"
    assert links["docs"] == "http://testserver/api/docs/"


def test_the_detail_and_the_review_queue_have_constant_queries(
    client, board, analyst, manager, django_assert_num_queries
):
    api = api_client(client, manager, scope="read")
    api.get("/api/")  # the token's first use notes it
    indicator = factories.make_indicator(board["fent"])

    def counts():
        # Detail: token and user, audit entry, groups; the commitment with area, owner, event,
        # parent and pending count; its parties, its assignees; children, indicators and
        # their measurements with sources.
        with django_assert_num_queries(9):
            api.get("/api/commitments/USCN-FENT/")
        # Queue: token and user, audit entry, groups; the page of updates with commitment,
        # area, author, decider and revised update; their evidence with sources.
        with django_assert_num_queries(5):
            return results(api.get("/api/review/"))

    assert len(counts()) == 1
    for i in range(5):
        factories.services.record_measurement(
            indicator=indicator, value=i, source=factories.make_source()
        )
        factories.record(board["fent"], author=analyst, status=Status.STALLED)
    assert len(counts()) == 6


def test_head_answers_like_get_without_a_body(api, board):
    response = api.client.head("/api/commitments/", headers=api.headers)
    assert response.status_code == 200 and response.content == b""
    assert response["ETag"] == api.get("/api/commitments/")["ETag"]
