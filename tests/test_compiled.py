"""Reads compiled once give what their querysets give, for any values, on either database."""

import datetime as dt

import pytest
from django.db.models import F

from tests import factories
from tracker.compiled import Compiled
from tracker.library import reader
from tracker.models import Evidence, SourceParagraph

TEXT = "First paragraph.\n\nThe sides agreed to curtail shipments.\n\nThird paragraph."


@pytest.fixture
def sources(commitment, analyst):
    """Two documents quoted on different days, and a source without text (its quote unverified)."""
    first = factories.make_document_source("First", text=TEXT, user=analyst)
    second = factories.make_document_source("Second", text=TEXT.upper(), user=analyst)
    no_text = factories.make_source("Without text")
    for source, quote, day in [
        (first, "agreed to curtail shipments", dt.date(2024, 3, 1)),
        (first, "First paragraph", dt.date(2024, 4, 2)),
        (second, "THIRD PARAGRAPH", dt.date(2024, 5, 3)),
        (no_text, "Words nobody can check", dt.date(2024, 6, 4)),
    ]:
        factories.record(commitment, author=analyst, quote=quote, source=source, as_of=day)
    return first, second, no_text


def orm_citations(source):
    return list(
        Evidence.objects.filter(source=source)
        .order_by("commitment__reference", "status_update_id", "id")
        .values_list(*reader.CITATION_COLUMNS)
    )


def test_a_statement_gives_the_querysets_rows_with_python_values(sources):
    for source in sources:
        rows = reader.CITATIONS.rows(source.pk)
        assert rows == orm_citations(source) and len(rows) in (1, 2)
        # Converted as the ORM converts them: a date, the spans' JSON as a list.
        assert all(isinstance(row[2], dt.date) for row in rows)
    first, _, no_text = sources
    assert all(isinstance(row[7], list) and row[7] for row in reader.CITATIONS.rows(first.pk))
    assert [row[7] for row in reader.CITATIONS.rows(no_text.pk)] == [None]


def test_each_run_takes_its_own_values(sources):
    first, second, no_text = sources
    assert [row[5] for row in reader.CITATIONS.rows(first.pk)] == [
        "agreed to curtail shipments",
        "First paragraph",
    ]
    assert [row[5] for row in reader.CITATIONS.rows(second.pk)] == ["THIRD PARAGRAPH"]
    assert reader.CITATIONS.rows(no_text.pk + 1000) == []


def test_several_values_take_their_places(sources):
    first, _, _ = sources
    assert [p.number for p in reader.paragraphs_of(first, 1)] == [1, 2, 3]
    middle = Compiled(
        lambda source_id, low, high: (
            SourceParagraph.objects.filter(source_id=source_id, number__gte=low, number__lte=high)
            .order_by("number")
            .values_list("number", "text")
        )
    )
    assert middle.rows(first.pk, 2, 2) == [(2, "The sides agreed to curtail shipments.")]
    assert middle.rows(first.pk, 2, 3) == [
        (2, "The sides agreed to curtail shipments."),
        (3, "Third paragraph."),
    ]


def test_a_run_is_one_query(sources, django_assert_num_queries):
    reader.CITATIONS.rows(sources[0].pk)  # compiled once, beforehand or here
    with django_assert_num_queries(1):
        reader.CITATIONS.rows(sources[1].pk)


@pytest.mark.parametrize(
    "build, reason",
    [
        (
            lambda source_id: Evidence.objects.filter(source_id=source_id).values_list("id")[:5],
            "slice",
        ),
        (
            lambda source_id: (
                Evidence.objects.filter(source_id=source_id)
                .annotate(who=F("status_update__author_id"))
                .values_list("id", "who")
            ),
            "annotations",
        ),
        (lambda source_id: Evidence.objects.filter(source_id=source_id), "values_list"),
        # The value never reaches the SQL: every run would give the same rows.
        (lambda source_id: Evidence.objects.values_list("id"), "parameters"),
        # A positive field is never below zero: the ORM drops the comparison altogether.
        (
            lambda number: SourceParagraph.objects.filter(number__gte=-number).values_list("id"),
            "parameters",
        ),
    ],
)
def test_a_statement_that_would_freeze_or_lose_its_values_is_refused(db, build, reason):
    with pytest.raises(ValueError, match=reason):
        Compiled(build).rows(1)


def quotes_of(commitment_id):
    return (
        Evidence.objects.filter(commitment_id=commitment_id)
        .order_by("-id")
        .values_list("id", "quote")
    )


def quotes_for(update_ids):
    return (
        Evidence.objects.filter(status_update_id__in=update_ids)
        .order_by("id")
        .values_list("status_update_id", "quote")
    )


@pytest.mark.parametrize("limit", [1, 2, 3, 10])
def test_a_slice_of_rows_is_the_querysets_slice(sources, limit):
    statement = Compiled(quotes_of)
    commitment_id = Evidence.objects.values_list("commitment_id", flat=True).first()
    for offset in range(6):
        sliced = list(quotes_of(commitment_id)[offset : offset + limit])
        assert statement.rows(commitment_id, limit=limit, offset=offset) == sliced
    assert len(statement.rows(commitment_id, limit=limit)) == min(limit, 4)


def test_a_list_of_ids_takes_one_statement_per_length(sources, django_assert_num_queries):
    by_update = Compiled(quotes_for)
    updates = list(Evidence.objects.order_by("id").values_list("status_update_id", flat=True))
    for ids in [updates[:1], updates[1:3], updates[::-1], [updates[2], updates[2]], set(updates)]:
        expected = list(quotes_for(ids))
        assert by_update.rows(ids) == expected and expected
    with django_assert_num_queries(0):
        assert by_update.rows([]) == []  # as the ORM: no query for an empty list


def test_the_pickers_offer_the_latest_sources_named_as_everywhere(db):
    from tracker.models import Source
    from tracker.views.commitments import RECENT_SOURCES, recent_source_choices

    for n in range(RECENT_SOURCES + 2):
        factories.make_source(
            f"Readout {n}",
            publisher="State Department" if n % 2 else "",
            published_on=dt.date(2023, 11, 15) if n % 3 else None,
        )
    latest = Source.objects.order_by("-created_at", "-id")[:RECENT_SOURCES]
    choices = recent_source_choices()
    assert choices[0] == ("", "— Choose a source —")
    assert choices[1:] == [(source.pk, str(source)) for source in latest]
    labels = list(dict(choices[1:]).values())
    assert labels[:2] == ["Readout 31 (State Department, 15 Nov 2023)", "Readout 30"]
    assert labels[-1] == "Readout 2 (15 Nov 2023)"  # the two oldest are not offered
