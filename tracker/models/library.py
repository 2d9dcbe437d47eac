"""A source's document as numbered paragraphs of text (tracker/library/)."""

from django.db import models
from django.urls import reverse

from .. import limits
from .reference import Source


class SourceParagraph(models.Model):
    """One numbered paragraph of a source's text; `start` is its offset in the whole text
    (the paragraphs joined by blank lines), where evidence spans point."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="paragraphs")
    number = models.PositiveIntegerField()
    page = models.PositiveIntegerField(null=True, blank=True)
    start = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["source", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "number"], name="tracker_sourceparagraph_number_unique"
            ),
        ]

    def __str__(self):
        return f"{self.source_id} ¶{self.number}"


class CommitmentPassage(models.Model):
    """The passage of a source that states a commitment: what was promised, verbatim.

    Made with the commitment when a manager creates it from a passage in the reader, and
    verified like a quote (tracker/library/quotes.py): its spans in the source's text, its
    first paragraph and the hash of the document. It is never unverified: a passage that
    does not occur in the text is refused. `quote` keeps the words as verified, whatever
    later edits do to the commitment's description.
    """

    commitment = models.OneToOneField(
        "tracker.Commitment", on_delete=models.CASCADE, related_name="passage"
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="passages")
    quote = models.TextField(max_length=limits.DESCRIPTION)
    spans = models.JSONField()
    paragraph = models.PositiveIntegerField()
    locator = models.CharField(max_length=100, blank=True)
    source_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "paragraph", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source_sha256=""), name="tracker_commitmentpassage_verified"
            ),
        ]

    def __str__(self):
        return f"{self.commitment_id} stated in {self.source_id} ¶{self.paragraph}"

    # Read by the reader like a verified piece of evidence.
    is_verified = True

    def reader_url(self):
        from ..library.reader import page_of

        url = reverse("source-detail", args=[self.source_id])
        page = page_of(self.paragraph)
        return f"{url}?page={page}#p{self.paragraph}" if page > 1 else f"{url}#p{self.paragraph}"
