"""verify_integrity re-checks verified quotes; verify_quotes verifies existing evidence."""

import io

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from tracker.models import Evidence, SourceParagraph

TEXT = "First paragraph says this.\n\nSecond paragraph says that."


def run(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def failing(command, *args):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(command, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def quoted(commitment):
    source = factories.make_document_source("Readout", text=TEXT)
    factories.record(commitment, quote="Second paragraph says", source=source)
    return Evidence.objects.get()


def test_every_verified_quote_matching_its_source_is_clean(quoted):
    output = run("verify_integrity")
    assert "Checked 1 verified quotes in 1 sources with text." in output
    assert "Every verified quote matches its source." in output


def test_a_changed_text_is_reported(quoted):
    SourceParagraph.objects.filter(number=2).update(text="Second paragraph said that.")
    output = failing("verify_integrity")
    assert f"source {quoted.source_id}: its stored text no longer has its hash" in output
    assert f"evidence {quoted.pk} (USCN-TEST): the quote is no longer at its span" in output


def test_a_quote_edited_after_verification_is_reported(quoted):
    Evidence.objects.filter(pk=quoted.pk).update(quote="Second paragraph said")
    assert "the quote is no longer at its span" in failing("verify_integrity")


def test_a_quote_verified_against_another_document_is_reported(quoted):
    Evidence.objects.filter(pk=quoted.pk).update(source_sha256="0" * 64)
    assert "verified against another document" in failing("verify_integrity")


def test_a_changed_or_missing_original_is_reported(quoted):
    source = quoted.source
    path = source.document.path
    with open(path, "wb") as handle:
        handle.write(b"tampered")
    assert "the original file has changed" in failing("verify_integrity")
    source.document.storage.delete(source.document.name)
    assert "the original file is missing" in failing("verify_integrity")


def test_verify_quotes_verifies_existing_evidence_and_reports_the_rest(commitment):
    source = factories.make_source("Readout")
    factories.record(commitment, quote="First paragraph says this.", source=source)
    factories.record(commitment, quote="Never said.", source=source)
    # The text arrives behind the services' back (as after an older version of the tracker).
    other = factories.make_document_source("Same text", text=TEXT)
    SourceParagraph.objects.filter(source=other).update(source=source)
    type(source).objects.filter(pk=source.pk).update(
        paragraph_count=2, sha256="a" * 64, text_sha256=other.text_sha256
    )
    output = failing("verify_quotes")
    assert "Verified 1 quote." in output
    assert "1 quote(s) do not occur in their source's text:" in output
    assert "“Never said.” in “Readout”" in output
    first = Evidence.objects.get(quote="First paragraph says this.")
    assert first.is_verified and first.paragraph == 1 and first.spans == [[0, 26]]


def test_verify_quotes_on_a_verified_library_says_so(quoted):
    assert "Every quote from a source with text is verified." in run("verify_quotes")
