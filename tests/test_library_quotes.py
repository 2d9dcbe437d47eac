"""The verification rule, and verified evidence as the tracker stores and shows it."""

from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests import factories
from tracker.library import quotes
from tracker.library import services as library
from tracker.models import Evidence, Source, StatusUpdate

TEXT = [
    "The leaders agreed to resume military-to-military communications.",
    "“That’s been restored,” he said — ensuring that we don’t have a miscommunication.",
    "More needs to be done, but it is progress.",
]


@pytest.fixture
def text():
    return quotes.Text(TEXT)


def stored(text, match):
    return [text.stored[a:b] for a, b in match.spans]


def test_a_verbatim_quote_is_found_with_its_span_paragraph_and_locator(text):
    match = text.find("agreed to resume military-to-military")
    assert stored(text, match) == ["agreed to resume military-to-military"]
    assert (match.paragraph, match.locator) == (1, "paragraph 1")


def test_whitespace_typographic_quotes_and_dashes_are_normalised_on_both_sides(text):
    match = text.find("\"That's been restored,\" he said -\n  ensuring that we don't")
    assert stored(text, match) == ["“That’s been restored,” he said — ensuring that we don’t"]
    assert match.paragraph == 2


def test_a_quote_across_a_paragraph_break_is_found(text):
    match = text.find("a miscommunication. More needs")
    assert stored(text, match) == ["a miscommunication.\n\nMore needs"]
    assert match.locator == "paragraphs 2–3"


@pytest.mark.parametrize("ellipsis", ["…", "...", " [...] ", " … "])
def test_an_ellipsis_stands_for_an_omitted_stretch_in_order(text, ellipsis):
    match = text.find(f"The leaders agreed{ellipsis}communications.")
    assert stored(text, match) == ["The leaders agreed", "communications."]
    with pytest.raises(quotes.Mismatch):
        text.find(f"communications.{ellipsis}The leaders agreed")


@pytest.mark.parametrize(
    "quote",
    [
        "the leaders agreed to resume",  # case counts
        "The leaders agreed to restore military communications.",  # a changed word
        "More needs to be done, but it's progress.",  # a contraction the source does not use
    ],
)
def test_anything_beyond_the_normalisation_is_a_mismatch(text, quote):
    with pytest.raises(quotes.Mismatch):
        text.find(quote)


def test_a_mismatch_names_the_closest_passage(text):
    with pytest.raises(quotes.Mismatch) as mismatch:
        text.find("The leaders agreed to restore military-to-military communications.")
    assert mismatch.value.closest == TEXT[0]


def test_a_quote_like_nothing_in_the_text_has_no_closest_passage(text):
    with pytest.raises(quotes.Mismatch) as mismatch:
        text.find("zebra xylophone quantum")
    assert mismatch.value.closest == ""


def test_stored_spans_are_rechecked(text):
    match = text.find("he said — ensuring")
    assert text.still_matches("he said - ensuring", match.spans)
    assert not text.still_matches("he said - ensuring", [[0, 5]])
    assert not quotes.Text(["He said — ensuring nothing"]).still_matches("he said", match.spans)


# Stored on the evidence


@pytest.fixture
def document(db):
    return factories.make_document_source("Readout", text="\n\n".join(TEXT))


def test_evidence_from_a_source_with_text_is_stored_verified(commitment, document, analyst):
    update = factories.record(
        commitment, author=analyst, quote="he said - ensuring that", source=document
    )
    evidence = update.evidence.get()
    assert evidence.is_verified
    assert evidence.source_sha256 == document.sha256
    assert evidence.paragraph == 2
    assert evidence.locator == "paragraph 2"
    start, end = evidence.spans[0]
    assert document.paragraphs.get(number=2).text in library.text_of(document).stored
    assert library.text_of(document).stored[start:end] == "he said — ensuring that"


def test_evidence_from_a_source_without_text_is_saved_unverified(commitment, analyst):
    update = factories.record(commitment, author=analyst, quote="Anything at all")
    evidence = update.evidence.get()
    assert not evidence.is_verified
    assert (evidence.spans, evidence.paragraph, evidence.source_sha256) == (None, None, "")


def test_the_service_refuses_a_quote_not_in_the_text_and_saves_nothing(commitment, document):
    before = StatusUpdate.objects.count()
    with pytest.raises(ValidationError) as error:
        factories.record(commitment, quote="The leaders refused to talk.", source=document)
    assert "does not occur in “Readout”" in str(error.value)
    assert StatusUpdate.objects.count() == before
    assert not Evidence.objects.exists()


def post_update(client, commitment, evidence, **kwargs):
    """Post the record-update form with one piece of evidence (its fields, unprefixed)."""
    data = {
        "status": "in_progress",
        "confidence": "moderate",
        "as_of": "2026-11-30",
        "evidence-TOTAL_FORMS": "1",
        "evidence-INITIAL_FORMS": "0",
        **{f"evidence-0-{name}": value for name, value in evidence.items()},
    }
    url = reverse("commitment-record-update", args=[commitment.reference])
    return client.post(url, data, **kwargs)


def test_the_form_refuses_a_mismatch_inline_with_the_closest_passage(
    client, commitment, document, analyst
):
    client.force_login(analyst)
    response = post_update(
        client,
        commitment,
        {"quote": "More needs to be done, and it is progress.", "source": str(document.pk)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "This quote does not occur in “Readout”" in body
    assert "Did you mean: “More needs to be done, but it is progress.”?" in body
    assert not StatusUpdate.objects.exists()


def test_adding_a_document_verifies_the_quotes_already_taken_from_that_source(commitment):
    source = factories.make_source("Readout")
    factories.record(commitment, quote="it is progress", source=source)
    factories.record(commitment, quote="a sentence it never had", source=source)
    data = "\n\n".join(TEXT).encode()
    from tracker.library import extract

    _, verified = library.add_document(
        source=source,
        document=extract.extract(data, "r.txt"),
        upload=library.Upload(data, "r.txt"),
        user=None,
    )
    assert verified == 1
    assert sorted(Evidence.objects.values_list("quote", "paragraph")) == [
        ("a sentence it never had", None),
        ("it is progress", 3),
    ]


def test_the_same_document_twice_offers_the_existing_source(document):
    from tracker.library import extract

    data = "\n\n".join(TEXT).encode()
    with pytest.raises(library.DuplicateDocument) as duplicate:
        library.add_document(
            source=Source(title="Again"),
            document=extract.extract(data, "again.txt"),
            upload=library.Upload(data, "again.txt"),
            user=None,
        )
    assert duplicate.value.existing == document
    assert Source.objects.count() == 1


def test_the_seed_document_is_the_seed_sources_text_and_every_seed_quote_is_verified(seeded):
    source = Source.objects.get()
    raw = Path("seeds/responsibly-managing-us-china-relationship.txt").read_text(encoding="utf-8")
    assert source.has_text and source.paragraph_count == len(
        [p for p in raw.split("\n\n") if p.strip()]
    )
    seed = yaml.safe_load(Path("seeds/us-china-2023.yaml").read_text(encoding="utf-8"))
    expected = [ev["quote"] for c in seed["commitments"] for ev in c["status_update"]["evidence"]]
    evidence = list(Evidence.objects.all())
    assert sorted(e.quote for e in evidence) == sorted(expected)
    text = library.text_of(source)
    for item in evidence:
        assert item.is_verified and item.source_sha256 == source.sha256
        assert text.still_matches(item.quote, item.spans)
        assert item.locator == f"paragraph {item.paragraph}"


# What each side says


def test_the_commitment_page_shows_each_bound_partys_latest_statements(client, analyst):
    import datetime as dt

    usa, china = factories.make_party("United States"), factories.make_party("China")
    commitment = factories.make_commitment("SIDES-1", owner=analyst, parties=[usa, china])
    source = factories.make_document_source(
        "Readout", text="The U.S. says it is restored.\n\nChina says talks continue."
    )
    for day, quote, party in [
        (1, "The U.S. says it is restored.", usa),
        (2, "China says talks continue.", china),
        (3, "The U.S. says it is restored", usa),
    ]:
        services_record(commitment, analyst, dt.date(2026, 1, day), quote, source, party)
    client.force_login(analyst)
    response = client.get(commitment.get_absolute_url())
    statements = response.context["statements"]
    assert {party.name: [e.as_of.day for e in items] for party, items in statements} == {
        "United States": [3, 1],
        "China": [2],
    }
    body = response.content.decode()
    assert "What each side says" in body
    assert '<blockquote class="small">China says talks continue.</blockquote>' in body


def test_what_each_side_says_shows_only_this_commitments_statements(client, analyst):
    import datetime as dt

    usa = factories.make_party("United States")
    shown = factories.make_commitment("SIDES-2", owner=analyst, parties=[usa])
    other = factories.make_commitment("SIDES-3", owner=analyst, parties=[usa])
    source = factories.make_document_source(
        "Readout", text="Channels are open.\n\nTariffs are under review."
    )
    services_record(shown, analyst, dt.date(2026, 1, 1), "Channels are open.", source, usa)
    services_record(other, analyst, dt.date(2026, 1, 2), "Tariffs are under review.", source, usa)
    client.force_login(analyst)
    body = client.get(shown.get_absolute_url()).content.decode()
    assert '<blockquote class="small">Channels are open.</blockquote>' in body
    assert "Tariffs are under review." not in body


def services_record(commitment, author, as_of, quote, source, party):
    from tracker import services

    services.record_status_update(
        commitment=commitment,
        author=author,
        status="in_progress",
        confidence="moderate",
        as_of=as_of,
        evidence=[services.EvidenceItem(quote=quote, source=source, speaker_party=party)],
    )


def test_the_seed_attributes_blinken_to_the_united_states(seeded):
    attributed = Evidence.objects.filter(speaker__contains="Blinken")
    assert attributed.exists()
    assert {e.speaker_party.name for e in attributed} == {"United States"}


def test_the_speaker_party_is_saved_from_the_form(client, analyst, commitment, document):
    usa = factories.make_party("United States")
    client.force_login(analyst)
    response = post_update(
        client,
        commitment,
        {
            "quote": "More needs to be done",
            "speaker": "A spokesperson",
            "speaker_party": str(usa.pk),
            "source": str(document.pk),
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.speaker_party == usa and evidence.is_verified
