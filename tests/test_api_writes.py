"""The API's writes go through the web's forms and services: the same validation, the same
review rules, the same access policy; a repeated Idempotency-Key records one update."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.api_helpers import api_client, assert_problem
from tracker.models import AuditEvent, Evidence, Measurement, Source, Status, StatusUpdate

pytestmark = pytest.mark.django_db

URL = "/api/commitments/USCN-TEST/updates/"


@pytest.fixture
def source(db):
    return factories.make_source("Joint statement", publisher="State Department")


@pytest.fixture
def api(client, analyst, commitment):
    return api_client(client, analyst)


def body(source, **fields):
    data = {
        "status": "at_risk",
        "confidence": "moderate",
        "as_of": timezone.localdate().isoformat(),
        "progress": 35,
        "assessment": "Shipments *continue*.",
        "evidence": [
            {
                "quote": "More needs to be done.",
                "speaker": "Blinken",
                "source": source and source.pk,
            }
        ],
    }
    data.update(fields)
    return data


def rows():
    return [m.objects.count() for m in (StatusUpdate, Evidence, Source, Measurement)]


def test_it_records_an_update_with_evidence_for_review(api, commitment, source, analyst):
    response = api.post(URL, body(source))
    assert response.status_code == 201, response.content
    update = StatusUpdate.objects.get()
    assert response["Location"].endswith(f"/api/updates/{update.pk}/")
    assert response.json()["id"] == update.pk
    assert (update.author, update.status, update.progress) == (analyst, "at_risk", 35)
    assert update.review_state == "submitted"  # a manager still has to accept it
    commitment.refresh_from_db()
    assert commitment.current_status == Status.NOT_ASSESSED
    [evidence] = update.evidence.all()
    assert (evidence.quote, evidence.speaker, evidence.source) == (
        "More needs to be done.",
        "Blinken",
        source,
    )
    assert AuditEvent.objects.filter(action="status_update", user=analyst).exists()


def test_it_creates_a_new_source_described_in_the_body(api, commitment):
    new = {"title": "Readout", "kind": "readout", "url": "https://example.org/r"}
    evidence = [{"quote": "We agreed.", "new_source": new}]
    response = api.post(URL, {**body(None, evidence=evidence)})
    assert response.status_code == 201, response.content
    assert response.json()["evidence"][0]["source"]["title"] == "Readout"
    assert Source.objects.get().url == "https://example.org/r"


def test_a_repeated_idempotency_key_records_once_and_answers_200(api, commitment, source):
    key = {"Idempotency-Key": "2f1c-retry-1"}
    first = api.post(URL, body(source), headers=key)
    again = api.post(URL, body(source), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert StatusUpdate.objects.count() == 1 and Evidence.objects.count() == 1


def test_a_reused_key_with_another_body_is_refused(api, commitment, source):
    key = {"Idempotency-Key": "k-1"}
    assert api.post(URL, body(source), headers=key).status_code == 201
    before = rows()
    response = api.post(URL, body(source, confidence="high"), headers=key)
    assert_problem(response, 422, "idempotency-key-reused")
    other_quote = body(source, evidence=[{"quote": "Something else.", "source": source.pk}])
    assert_problem(api.post(URL, other_quote, headers=key), 422, "idempotency-key-reused")
    assert rows() == before


def test_keys_are_scoped_to_the_caller_and_the_commitment(client, api, analyst, source):
    other = factories.make_commitment("USCN-OTHER", owner=analyst)
    key = {"Idempotency-Key": "same"}
    assert api.post(URL, body(source), headers=key).status_code == 201
    response = api.post(f"/api/commitments/{other.reference}/updates/", body(source), headers=key)
    assert response.status_code == 201
    assert StatusUpdate.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 201, "with space", "naïve"])
def test_a_malformed_idempotency_key_is_a_400(api, commitment, source, key):
    before = rows()
    response = api.post(URL, body(source), headers={"Idempotency-Key": key})
    assert_problem(response, 400)
    assert rows() == before


# The web's rules, refused alike by the web form and the API.

WEB_FIELD = {"evidence": "evidence-0-quote"}


@pytest.mark.parametrize(
    "change,field",
    [
        ({"progress": 101}, "progress"),
        ({"progress": -1}, "progress"),
        ({"status": "not_assessed"}, "status"),
        ({"status": "maybe"}, "status"),
        ({"confidence": ""}, "confidence"),
        ({"as_of": "2999-01-01"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"evidence": []}, "evidence"),  # a change of status needs evidence
        ({"evidence": [{"quote": "No source."}]}, "evidence[0].source"),
        ({"evidence": [{"quote": "", "source": 1}]}, "evidence[0].quote"),
        (
            {"evidence": [{"quote": "Both.", "source": 1, "new_source": {"title": "T"}}]},
            "evidence[0].source",
        ),
        ({"evidence": [{"quote": "q", "new_source": {"title": "T", "url": "no"}}]}, None),
        ({"revises": 999999}, "revises"),
        ({"assessment": "x" * 10_001}, "assessment"),
        ({"evidence": [{"quote": "q" * 5_001, "source": 1}]}, "evidence[0].quote"),
        ({"evidence": [{"quote": "q", "speaker": "s" * 201, "source": 1}]}, "evidence[0].speaker"),
    ],
)
def test_it_refuses_what_the_web_form_refuses(client, analyst, commitment, source, change, field):
    data = body(source, **change)
    if data["evidence"] and data["evidence"][0].get("source") == 1:
        data["evidence"][0]["source"] = source.pk
    before = rows()
    problem = assert_problem(api_client(client, analyst).post(URL, data), 422, "validation")
    if field:
        assert field in problem["errors"], problem["errors"]
    assert rows() == before

    # The same submission through the web form is refused too.
    web = {key: value for key, value in data.items() if key != "evidence" and value is not None}
    web.update({"evidence-TOTAL_FORMS": "3", "evidence-INITIAL_FORMS": "0"})
    for i, item in enumerate(data["evidence"]):
        for name, value in item.items():
            if name == "new_source":
                for sub, v in value.items():
                    web[f"evidence-{i}-new_source_{sub}"] = v
            else:
                web[f"evidence-{i}-{name}"] = value
    client.force_login(analyst)
    assert client.post(f"/commitments/{commitment.reference}/updates/", web).status_code == 422
    assert rows() == before


@pytest.mark.parametrize(
    "data,path",
    [
        ({"status": ["at_risk"]}, "status"),
        ({"status": True}, "status"),
        ({"colour": "red"}, "colour"),
        ({"evidence": "a quote"}, "evidence"),
        ({"evidence": ["a quote"]}, "evidence[0]"),
        ({"evidence": [{"quote": {"text": "q"}}]}, "evidence[0].quote"),
        ({"evidence": [{"quote": "q", "new_source": "T"}]}, "evidence[0].new_source"),
        (
            {"evidence": [{"quote": "q", "new_source": {"name": "T"}}]},
            "evidence[0].new_source.name",
        ),
        ({"evidence": [{"quote": "q"}] * 21}, "evidence"),
    ],
)
def test_a_body_of_the_wrong_shape_is_refused_by_field(api, commitment, source, data, path):
    before = rows()
    problem = assert_problem(api.post(URL, {**body(source), **data}), 422, "validation")
    assert path in problem["errors"], problem["errors"]
    assert rows() == before


@pytest.mark.parametrize("raw", ["{bad json", "[1, 2]", '"text"', "null", ""])
def test_a_body_that_is_not_a_json_object_is_a_400(api, commitment, raw):
    assert_problem(api.post(URL, raw=raw), 400, "invalid-body")
    assert rows() == [0, 0, 0, 0]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_another_content_type_is_a_415(api, commitment, content_type):
    assert_problem(api.post(URL, raw="status=at_risk", content_type=content_type), 415)


def test_a_read_only_token_cannot_write(client, analyst, commitment, source):
    response = api_client(client, analyst, scope="read").post(URL, body(source))
    assert "read scope" in assert_problem(response, 403)["detail"]
    assert rows()[0] == 0


@pytest.mark.parametrize("who", ["other_analyst", "manager", "outsider"])
def test_only_the_owner_or_an_assignee_records(request, client, commitment, source, who):
    user = request.getfixturevalue(who)
    assert_problem(api_client(client, user).post(URL, body(source)), 403)
    assert rows()[0] == 0
    assert AuditEvent.objects.filter(action="permission_denied", user=user).exists()


def test_an_assignee_records_too(client, other_analyst, commitment, source):
    commitment.assignees.add(other_analyst)
    assert api_client(client, other_analyst).post(URL, body(source)).status_code == 201


def test_a_session_needs_the_csrf_token(analyst, commitment, source):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(analyst)
    response = browser.post(URL, body(source), content_type="application/json")
    assert "CSRF" in assert_problem(response, 403)["detail"]


def test_it_revises_a_returned_update(api, analyst, manager, commitment, source):
    returned = factories.record(commitment, author=analyst, status=Status.AT_RISK)
    factories.services.return_update(update=returned, manager=manager, comment="Which port?")
    response = api.post(URL, body(source, revises=returned.pk))
    assert response.status_code == 201, response.content
    assert response.json()["revises"] == returned.pk


# Review: accept and return.


@pytest.fixture
def pending(commitment, analyst):
    return factories.record(commitment, author=analyst, status=Status.AT_RISK)


def decide(client, user, update, action, **data):
    return api_client(client, user).post(f"/api/updates/{update.pk}/{action}/", data)


def test_a_manager_accepts_and_the_status_becomes_official(client, manager, pending, commitment):
    response = decide(client, manager, pending, "accept", comment="Well sourced.")
    assert response.status_code == 200, response.content
    assert response.json()["review_state"] == "accepted"
    assert response.json()["decided_by"] == "maria"
    commitment.refresh_from_db()
    assert commitment.current_status == Status.AT_RISK


def test_deciding_twice_is_a_409(client, manager, other_manager, pending):
    assert decide(client, manager, pending, "accept").status_code == 200
    problem = assert_problem(decide(client, other_manager, pending, "return", comment="x"), 409)
    assert problem["detail"] == "Already accepted by Maria Manager."


def test_returning_needs_a_comment(client, manager, pending):
    problem = assert_problem(decide(client, manager, pending, "return"), 422, "validation")
    assert "comment" in problem["errors"]
    pending.refresh_from_db()
    assert pending.is_pending
    assert decide(client, manager, pending, "return", comment="Which port?").status_code == 200
    pending.refresh_from_db()
    assert pending.is_returned


def test_nobody_reviews_their_own_update(client, admin_user, commitment):
    own = factories.record(commitment, author=admin_user, status=Status.AT_RISK)
    problem = assert_problem(decide(client, admin_user, own, "accept"), 403)
    assert problem["detail"] == "Nobody reviews their own status update."


@pytest.mark.parametrize("who", ["analyst", "other_analyst"])
def test_analysts_do_not_review(request, client, pending, who):
    assert_problem(decide(client, request.getfixturevalue(who), pending, "accept"), 403)
    pending.refresh_from_db()
    assert pending.is_pending


def test_an_unknown_update_is_a_404(client, manager):
    assert_problem(api_client(client, manager).post("/api/updates/999999/accept/", {}), 404)


# Measurements.


@pytest.fixture
def indicator(commitment):
    return factories.make_indicator(commitment, name="Countries", unit="countries")


def test_it_adds_a_measurement(api, indicator, source, analyst):
    data = {"value": "140", "qualifier": "more_than", "source": source.pk, "note": "Coalition"}
    response = api.post(f"/api/indicators/{indicator.pk}/measurements/", data)
    assert response.status_code == 201, response.content
    assert response.json()["display_value"] == "more than 140"
    assert Measurement.objects.get().recorded_by == analyst
    listed = api.get(f"/api/indicators/{indicator.pk}/measurements/").json()
    assert [m["display_value"] for m in listed] == ["more than 140"]


@pytest.mark.parametrize(
    "data,field",
    [
        ({"value": "lots"}, "value"),
        ({"value": "1e400"}, "value"),
        (
            {"value": 1, "measured_on": (dt.date.today() + dt.timedelta(days=9)).isoformat()},
            "measured_on",
        ),
        ({"value": 1, "qualifier": "roughly"}, "qualifier"),
        ({"value": 1, "source": None}, "source"),
    ],
)
def test_a_bad_measurement_is_refused(api, indicator, source, data, field):
    data = {"source": source.pk, **data}
    problem = assert_problem(
        api.post(f"/api/indicators/{indicator.pk}/measurements/", data), 422, "validation"
    )
    assert field in problem["errors"]
    assert Measurement.objects.count() == 0


def test_only_the_owner_adds_measurements(client, other_analyst, indicator, source):
    response = api_client(client, other_analyst).post(
        f"/api/indicators/{indicator.pk}/measurements/", {"value": 1, "source": source.pk}
    )
    assert_problem(response, 403)
    assert Measurement.objects.count() == 0
