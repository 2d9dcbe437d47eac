"""Random and hostile values in every form and query string: never a 500, nothing saved from
invalid input, everything user-written rendered escaped."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tracker import access, limits
from tracker.access import MANAGER_FIELDS
from tracker.models import Commitment, Evidence, Measurement, Source, StatusUpdate

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE tracker_commitment; --",
    "1 OR 1=1",
    "\x00",
    "nul\x00byte",
    "x" * 1_000_000,
    "\u202eevil",
    "😀" * 50,
    "Ω≈ç√∫",
    "",
    " ",
    "-1",
    "-999999999999",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "0",
    "100",
    "101",
    "2024-02-30",
    "9999-12-31",
    "0000-00-00",
    "2023-11-15",
    "javascript:alert(1)",
    "../../etc/passwd",
    "%00",
    "{{ 7*7 }}",
]
hostile = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=200))


def query_strings(names, max_size):
    """Query strings of known (`names`) and random parameters with hostile values."""
    return st.dictionaries(
        st.one_of(st.sampled_from(names), st.text(max_size=20)), hostile, max_size=max_size
    )


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def rows():
    return [m.objects.count() for m in (StatusUpdate, Evidence, Source, Measurement, Commitment)]


def check(response, before, *, allowed_to_save=False):
    assert response.status_code < 500
    assert SCRIPT.encode() not in response.content
    if response.status_code >= 400 or not allowed_to_save:
        assert rows() == before


def form_data(fields):
    return st.fixed_dictionaries({}, optional=dict.fromkeys(fields, hostile))


@pytest.fixture
def world(analyst, manager):
    commitment = factories.make_commitment("HOSTILE-1", owner=analyst)
    factories.record(commitment, status="in_progress")
    indicator = factories.make_indicator(commitment)
    pending = factories.record(commitment, author=analyst, status="in_progress", quote="")
    return {"commitment": commitment, "indicator": indicator, "pending": pending}


EVIDENCE_FIELDS = [
    f"evidence-0-{name}"
    for name in (
        "quote",
        "speaker",
        "locator",
        "source",
        "new_source_title",
        "new_source_kind",
        "new_source_publisher",
        "new_source_url",
        "new_source_published_on",
    )
] + ["evidence-TOTAL_FORMS", "evidence-INITIAL_FORMS", "evidence-MAX_NUM_FORMS"]
UPDATE_FIELDS = [
    "status",
    "progress",
    "confidence",
    "as_of",
    "assessment",
    "idempotency_key",
    "revises",
    *EVIDENCE_FIELDS,
]


@SETTINGS
@given(data=form_data(UPDATE_FIELDS))
def test_record_update_survives_hostile_input(client, analyst, world, data):
    client.force_login(analyst)
    before = rows()
    response = client.post("/commitments/HOSTILE-1/updates/", data, HTTP_HX_REQUEST="true")
    # A random post may by chance be valid (e.g. the same status, no evidence needed).
    check(response, before, allowed_to_save=response.status_code == 200)


@SETTINGS
@given(data=form_data(UPDATE_FIELDS))
def test_record_update_without_javascript_survives_hostile_input(client, analyst, world, data):
    client.force_login(analyst)
    before = rows()
    response = client.post("/commitments/HOSTILE-1/updates/", data)
    check(response, before, allowed_to_save=response.status_code == 302)


@SETTINGS
@given(data=st.data())
def test_add_measurement_survives_hostile_input(client, analyst, world, data):
    prefix = f"m{world['indicator'].pk}"
    fields = [
        f"{prefix}-{name}"
        for name in (
            "value",
            "qualifier",
            "measured_on",
            "note",
            "source",
            "new_source_title",
            "new_source_kind",
            "new_source_url",
            "new_source_published_on",
        )
    ]
    payload = data.draw(form_data(fields))
    client.force_login(analyst)
    before = rows()
    response = client.post(f"/indicators/{world['indicator'].pk}/measurements/", payload)
    check(response, before, allowed_to_save=response.status_code in (200, 302))


EDIT_FIELDS = [*MANAGER_FIELDS, "version"]


@SETTINGS
@given(data=form_data(EDIT_FIELDS))
def test_edit_commitment_survives_hostile_input(client, manager, world, data):
    client.force_login(manager)
    before = Commitment.objects.values().get(reference="HOSTILE-1")
    response = client.post("/commitments/HOSTILE-1/edit/", data)
    assert response.status_code < 500
    assert SCRIPT.encode() not in response.content
    if response.status_code >= 400:
        assert Commitment.objects.values().get(reference="HOSTILE-1") == before


@SETTINGS
@given(comment=hostile)
def test_review_return_survives_hostile_input(client, manager, world, comment):
    client.force_login(manager)
    response = client.post(
        f"/review/{world['pending'].pk}/return/", {"comment": comment}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code < 500
    assert SCRIPT.encode() not in response.content


@SETTINGS
@given(username=hostile, password=hostile)
def test_sign_in_survives_hostile_input(client, username, password):
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code < 500
    assert SCRIPT.encode() not in response.content


QUERY_PARAMS = [
    "q",
    "status",
    "area",
    "party",
    "owner",
    "mine",
    "overdue",
    "sort",
    "page",
    "as_of",
    "period",
    "start",
    "end",
    "from",
    "to",
    "analyst",
]
PAGES = [
    "/",
    "/commitments/",
    "/review/",
    "/sources/search/",
    "/export/commitments.csv",
    "/export/commitments.json",
    "/export/history.csv",
    "/feed/updates.atom",
]


@SETTINGS
@given(
    page=st.sampled_from(PAGES),
    params=query_strings(QUERY_PARAMS, max_size=6),
    htmx=st.booleans(),
)
def test_query_strings_never_cause_a_500(client, manager, world, page, params, htmx):
    client.force_login(manager)
    headers = factories.HTMX if htmx else {}
    response = client.get(page, params, **headers)
    assert response.status_code < 500
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert SCRIPT.encode() not in body


@SETTINGS
@given(reference=hostile)
def test_hostile_references_in_urls_are_a_404(client, manager, reference):
    from urllib.parse import quote

    client.force_login(manager)
    path = quote(reference.replace("/", ""), safe="") or "x"
    response = client.get(f"/commitments/{path}/")
    assert response.status_code in (200, 400, 404)  # 400: a NUL byte in the address


def test_user_written_text_is_rendered_escaped(client, analyst, manager, world, settings):
    settings.TRACKER_REVIEW_REQUIRED = False
    client.force_login(analyst)
    client.post(
        "/commitments/HOSTILE-1/updates/",
        {
            "status": "at_risk",
            "confidence": "low",
            "as_of": "2025-01-02",
            "assessment": f"{SCRIPT} **bold** [link](javascript:alert(1))",
            "evidence-TOTAL_FORMS": "1",
            "evidence-INITIAL_FORMS": "0",
            "evidence-0-quote": f"quote {SCRIPT}",
            "evidence-0-speaker": '"><img src=x onerror=alert(1)>',
            "evidence-0-new_source_title": f"source {SCRIPT}",
            "evidence-0-new_source_kind": "statement",
        },
    )
    update = StatusUpdate.objects.get(status="at_risk")
    assert SCRIPT in update.assessment  # stored as written…
    for url in ("/commitments/HOSTILE-1/", "/", "/commitments/"):
        client.force_login(manager)
        page = client.get(url).content.decode()
        assert SCRIPT not in page  # …never rendered raw
        assert "onerror=alert(1)>" not in page
        assert 'href="javascript:' not in page
    page = client.get("/commitments/HOSTILE-1/").content.decode()
    assert "<strong>bold</strong>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/review/?area={HUGE}&analyst={HUGE}",
        f"/commitments/?party={HUGE}&area={HUGE}&owner={HUGE}",
        f"/?area={HUGE}&party={HUGE}&owner={HUGE}",
        f"/export/history.csv?area={HUGE}",
        "/commitments/?q=nul%00byte",
        "/sources/search/?q=nul%00byte",
    ],
)
def test_out_of_range_ids_and_nul_bytes_in_query_strings(client, manager, world, url):
    client.force_login(manager)
    assert client.get(url).status_code in (200, 400)


@pytest.mark.parametrize("field", ["assignees", "area", "event", "parent", "owner"])
def test_out_of_range_ids_in_the_edit_form_are_an_inline_error(client, manager, world, field):
    client.force_login(manager)
    before = Commitment.objects.values().get(reference="HOSTILE-1")
    response = client.post(
        "/commitments/HOSTILE-1/edit/", {field: HUGE, "title": "Changed", "version": 1}
    )
    assert response.status_code == 422
    assert b"Select a valid choice" in response.content
    assert Commitment.objects.values().get(reference="HOSTILE-1") == before


def test_out_of_range_source_in_the_update_form_is_an_inline_error(client, analyst, world):
    client.force_login(analyst)
    before = rows()
    response = client.post(
        "/commitments/HOSTILE-1/updates/",
        {
            "status": "at_risk",
            "confidence": "low",
            "as_of": "2025-01-02",
            "evidence-TOTAL_FORMS": "1",
            "evidence-INITIAL_FORMS": "0",
            "evidence-0-quote": "q",
            "evidence-0-source": HUGE,
        },
    )
    assert response.status_code == 422
    assert rows() == before


NEW_COMMITMENT_FIELDS = ["reference", *access.MANAGER_FIELDS, "parties", "delivering"]


@SETTINGS
@given(data=form_data(NEW_COMMITMENT_FIELDS))
def test_new_commitment_survives_hostile_input(client, manager, world, data):
    client.force_login(manager)
    count = Commitment.objects.count()
    response = client.post("/commitments/new/", data)
    assert response.status_code < 500
    assert SCRIPT.encode() not in response.content
    if response.status_code >= 400:
        assert Commitment.objects.count() == count


def hostile_file(columns):
    """A CSV of hostile cells under a real header, as bytes in one of several encodings."""
    row = st.lists(hostile, min_size=len(columns), max_size=len(columns))
    return st.tuples(st.lists(row, min_size=1, max_size=4), st.sampled_from([",", ";"]))


@SETTINGS
@given(
    body=st.one_of(
        hostile_file(["reference", "title", "area", "parties", "owner", "target_date", "parent"]),
        hostile_file(["update_id", "commitment", "as_of", "status", "confidence", "quote"]),
    ),
    header=st.sampled_from(["commitments", "history"]),
)
def test_hostile_files_are_reported_never_a_crash(manager, world, body, header):
    from tests.spreadsheets import csv_bytes
    from tracker.imports.run import run

    rows, delimiter = body
    columns = {
        "commitments": ["reference", "title", "area", "parties", "owner", "target_date", "parent"],
        "history": ["update_id", "commitment", "as_of", "status", "confidence", "quote"],
    }[header][: len(rows[0])]
    data = csv_bytes([columns, *rows], delimiter=delimiter)
    before = (Commitment.objects.count(), StatusUpdate.objects.count())
    outcome = run(data, "hostile.csv", user=manager, commit=True)
    if not outcome.applied:
        assert (Commitment.objects.count(), StatusUpdate.objects.count()) == before


@SETTINGS
@given(data=st.binary(max_size=3000))
def test_random_bytes_are_refused_in_words(manager, world, data):
    from tracker.imports.run import run

    outcome = run(b"PK\x03\x04" + data, "random.xlsx", user=manager, commit=True)
    assert outcome.problem and not outcome.applied
    outcome = run(data, "random.csv", user=manager, commit=False)
    assert outcome.problem or outcome.counts


# Limits on every text field: shown on the form, over the limit an inline error, nothing saved.

OVER = {
    "assessment": limits.ASSESSMENT,
    "evidence-0-quote": limits.QUOTE,
    "evidence-0-speaker": 200,
    "evidence-0-locator": 100,
    "evidence-0-new_source_title": 500,
    "evidence-0-new_source_publisher": 200,
}


def valid_update(**fields):
    return {
        "status": "at_risk",
        "confidence": "low",
        "as_of": "2025-01-02",
        "assessment": "Fine.",
        "evidence-TOTAL_FORMS": "1",
        "evidence-INITIAL_FORMS": "0",
        "evidence-0-quote": "A quote.",
        "evidence-0-new_source_title": "A source",
        "evidence-0-new_source_kind": "statement",
        **fields,
    }


@pytest.mark.parametrize("field", list(OVER))
def test_update_fields_over_their_limit_are_an_inline_error(client, analyst, world, field):
    client.force_login(analyst)
    limit = OVER[field]
    before = rows()
    response = client.post("/commitments/HOSTILE-1/updates/", valid_update(**{field: "x" * limit}))
    assert response.status_code == 302  # exactly at the limit: saved
    assert rows() != before
    before = rows()
    response = client.post(
        "/commitments/HOSTILE-1/updates/", valid_update(**{field: "x" * (limit + 1)})
    )
    assert response.status_code == 422
    assert f"Ensure this value has at most {limit} characters".encode() in response.content
    assert rows() == before


def test_a_measurement_note_over_its_limit_is_an_inline_error(client, analyst, world):
    client.force_login(analyst)
    prefix = f"m{world['indicator'].pk}"
    before = rows()
    response = client.post(
        f"/indicators/{world['indicator'].pk}/measurements/",
        {f"{prefix}-value": "3", f"{prefix}-note": "x" * 301, f"{prefix}-new_source_title": "S"},
    )
    assert response.status_code == 422
    assert b"Ensure this value has at most 300 characters" in response.content
    assert rows() == before


def test_a_description_over_its_limit_is_an_inline_error(client, manager, world):
    client.force_login(manager)
    before = Commitment.objects.values().get(reference="HOSTILE-1")
    data = {
        "title": "T",
        "description": "x" * (limits.DESCRIPTION + 1),
        "area": world["commitment"].area_id,
        "review_cadence_days": 30,
        "version": world["commitment"].version,
    }
    response = client.post("/commitments/HOSTILE-1/edit/", data)
    assert response.status_code == 422
    assert f"at most {limits.DESCRIPTION} characters".encode() in response.content
    assert Commitment.objects.values().get(reference="HOSTILE-1") == before


def test_a_return_comment_over_its_limit_is_refused(client, manager, world):
    client.force_login(manager)
    pending = world["pending"]
    response = client.post(
        f"/review/{pending.pk}/return/", {"comment": "x" * (limits.DECISION_COMMENT + 1)}
    )
    assert response.status_code == 422
    pending.refresh_from_db()
    assert pending.is_pending


def test_the_forms_tell_the_user_each_limit(client, analyst, manager, world):
    client.force_login(analyst)
    page = client.get("/commitments/HOSTILE-1/").content.decode()
    for limit in (limits.ASSESSMENT, limits.QUOTE, 200, 100, 500, 300):
        assert f'maxlength="{limit}"' in page
        assert f"Up to {limit:,} characters." in page
    client.force_login(manager)
    page = client.get("/commitments/HOSTILE-1/edit/").content.decode()
    assert f'maxlength="{limits.DESCRIPTION}"' in page
    assert f"Up to {limits.DESCRIPTION:,} characters." in page
    page = client.get("/review/").content.decode()
    assert f'maxlength="{limits.DECISION_COMMENT}"' in page
    assert f"up to {limits.DECISION_COMMENT:,} characters" in page


@pytest.mark.parametrize("digit", ["²", "①", "٣", "1²"])
def test_a_source_id_of_unicode_digits_is_an_inline_error(client, analyst, world, digit):
    client.force_login(analyst)
    before = rows()
    data = valid_update(**{"evidence-0-source": digit, "evidence-0-new_source_title": ""})
    response = client.post("/commitments/HOSTILE-1/updates/", data)
    assert response.status_code == 422
    assert rows() == before
    prefix = f"m{world['indicator'].pk}"
    response = client.post(
        f"/indicators/{world['indicator'].pk}/measurements/",
        {f"{prefix}-value": "3", f"{prefix}-source": digit},
    )
    assert response.status_code == 422
    assert b"Select a valid choice" in response.content
    assert rows() == before


@pytest.mark.parametrize("htmx", [False, True])
def test_a_search_longer_than_the_limit_is_refused_with_a_message(client, manager, world, htmx):
    client.force_login(manager)
    headers = factories.HTMX if htmx else {}
    long = "a%" * 25_000
    response = client.get("/sources/search/", {"q": long}, **headers)
    assert response.status_code == 422
    assert f"Searches are limited to {limits.SEARCH_QUERY} characters".encode() in (
        response.content
    )
    response = client.get("/commitments/", {"q": long}, **headers)
    assert response.status_code == 200
    assert f"Searches are limited to {limits.SEARCH_QUERY} characters".encode() in (
        response.content
    )
    assert long.encode() not in response.content
