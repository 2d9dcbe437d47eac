"""A source's document as numbered paragraphs of text (tracker/library/)."""

from django.db import models

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
