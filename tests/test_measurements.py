"""Adding a measurement to an indicator, inline on the commitment page."""

import datetime as dt
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import HTMX
from tracker.models import Measurement, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicator(commitment):
    return factories.make_indicator(
        commitment, "Countries in the coalition", unit="countries", target=Decimal(160)
    )


@pytest.fixture
def source(db):
    return factories.make_source("Coalition readout")


def url(indicator):
    return f"/indicators/{indicator.pk}/measurements/"


def data(indicator, **fields):
    prefix = f"m{indicator.pk}"
    values = {"value": "141", "qualifier": "more_than", "measured_on": "2024-02-01", "note": ""}
    values.update(fields)
    return {f"{prefix}-{name}": value for name, value in values.items()}


# Permissions and methods


def test_anonymous_is_sent_to_login(client, indicator):
    assert client.post(url(indicator), {})["Location"].startswith("/accounts/login/")


def test_anonymous_htmx_gets_an_hx_redirect(client, indicator):
    assert client.post(url(indicator), {}, **HTMX)["HX-Redirect"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["manager", "other_analyst", "outsider"])
def test_only_the_owner_and_assignees_may_add(client, request, role, indicator, source):
    client.force_login(request.getfixturevalue(role))
    response = client.post(url(indicator), data(indicator, source=source.pk))
    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_it_only_answers_post(signed_in, indicator):
    assert signed_in.get(url(indicator)).status_code == 405


def test_an_unknown_indicator_is_404(signed_in):
    assert signed_in.post("/indicators/999/measurements/", {}).status_code == 404


# Adding


def test_adding_a_measurement_from_a_known_source_then_back_to_the_page(
    signed_in, analyst, indicator, source
):
    response = signed_in.post(url(indicator), data(indicator, source=source.pk, note="per readout"))
    assert response.status_code == 302
    assert response["Location"] == f"/commitments/USCN-TEST/#indicator-{indicator.pk}"
    measurement = Measurement.objects.get()
    assert measurement.value == Decimal(141) and measurement.qualifier == "more_than"
    assert measurement.measured_on == dt.date(2024, 2, 1)
    assert (measurement.source, measurement.note, measurement.recorded_by) == (
        source,
        "per readout",
        analyst,
    )
    page = signed_in.get(response["Location"]).content.decode()
    assert "Measurement added: more than 141." in page
    assert "<strong>more than 141</strong> countries" in page


def test_adding_a_measurement_with_a_new_source_and_no_date(signed_in, indicator):
    signed_in.post(
        url(indicator),
        data(
            indicator,
            measured_on="",
            qualifier="",
            new_source_title="Statement",
            new_source_url="https://example.org/s",
        ),
    )
    measurement = Measurement.objects.select_related("source").get()
    assert measurement.measured_on is None and measurement.qualifier == ""
    assert (measurement.source.title, measurement.source.url) == (
        "Statement",
        "https://example.org/s",
    )


def test_htmx_swaps_the_indicator_with_its_new_chart_and_a_fresh_form(signed_in, indicator, source):
    response = signed_in.post(url(indicator), data(indicator, source=source.pk), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert page.lstrip().startswith(f'<div class="indicator" id="indicator-{indicator.pk}">')
    assert "Measurement added: more than 141." in page
    assert "<svg" in page and "latest more than 141" in page
    assert f'name="m{indicator.pk}-value" step="0.0001" required' in page  # emptied
    assert f'name="m{indicator.pk}-value" step="0.0001" value=' not in page


# Bad input


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"value": ""}, "value", "This field is required"),
        ({"value": "lots"}, "value", "Enter a number"),
        ({"measured_on": "2999-01-01"}, "measured_on", "cannot be in the future"),
        ({"qualifier": "roughly"}, "qualifier", "Select a valid choice"),
        ({}, "source", "Choose a source, or add a new one"),
        ({"new_source_publisher": "AP"}, "new_source_title", "Give the new source a title"),
    ],
)
def test_errors_are_shown_next_to_their_field_and_nothing_is_saved(
    signed_in, indicator, fields, field, message
):
    sources_before = Source.objects.count()
    for headers in ({}, HTMX):
        response = signed_in.post(url(indicator), data(indicator, **fields), **headers)
        assert response.status_code == 422
        page = response.content.decode()
        error_id = f'id="id_m{indicator.pk}-{field}_error"'
        assert error_id in page
        assert message in page[page.index(error_id) :]
        assert ("<html" in page) is not bool(headers)
        # The form stays open so the error is seen.
        assert '<details class="add-measurement" open>' in page
    assert not Measurement.objects.exists()
    assert Source.objects.count() == sources_before


def test_a_refused_new_source_keeps_its_part_of_the_picker_open_with_what_was_typed(
    signed_in, indicator
):
    fields = {"new_source_title": "Readout", "new_source_url": "not a url"}
    page = signed_in.post(url(indicator), data(indicator, **fields), **HTMX).content.decode()
    picker = page[page.index('<fieldset class="source-picker">') :]
    assert 'hx-get="/sources/search/"' in picker  # the existing sources stay searchable
    assert '<details class="new-source" open>' in picker
    assert 'value="Readout"' in picker
    assert "Enter a valid URL" in picker
