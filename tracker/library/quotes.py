"""The verification rule: a quote must occur verbatim in its source's text.

Only three things are normalised, on both sides: runs of whitespace (a line or paragraph
break is a space), typographic quotes and apostrophes (“ ” ‘ ’ → " '), and dashes (– — ‐ → -).
An ellipsis (… or ..., optionally in brackets) stands for an omitted stretch: the pieces
around it must occur in order. Case, spelling and punctuation otherwise count.

A source's text is its paragraphs joined by blank lines ("\\n\\n"), each paragraph already
on one line with single spaces (extract.clean_paragraph), so the normalised text differs
from the stored one only in each paragraph break being one space instead of two characters:
positions convert with the paragraph's index.
"""

import bisect
import dataclasses
import difflib
import re

QUOTES = {ord(c): "'" for c in "‘’‚‛′`´"} | {ord(c): '"' for c in "“”„‟″«»"}
DASHES = {ord(c): "-" for c in "‐‑‒–—―−"}
TRANSLATION = QUOTES | DASHES
ELLIPSIS = re.compile(r"\s*\[?\s*(?:…|\.\.\.)\s*\]?\s*")
SEPARATOR = "\n\n"
MAX_CANDIDATES = 40
SUGGESTION_SLACK = 40


def normalise(text):
    """The matching form of a quote: mapped characters, single spaces, stripped."""
    return " ".join(text.translate(TRANSLATION).split())


@dataclasses.dataclass(frozen=True)
class Match:
    spans: list  # [(start, end), ...] in the stored text, one per piece of the quote
    paragraph: int  # 1-based number of the paragraph where the quote starts
    last_paragraph: int
    page: int | None = None  # of a PDF

    @property
    def locator(self):
        if self.paragraph == self.last_paragraph:
            where = f"paragraph {self.paragraph}"
        else:
            where = f"paragraphs {self.paragraph}–{self.last_paragraph}"
        return f"page {self.page}, {where}" if self.page else where


class Mismatch(Exception):
    def __init__(self, closest):
        super().__init__(closest)
        self.closest = closest  # the passage of the text most like the quote, or ""


class Text:
    """A source's stored text, ready for matching quotes against it."""

    def __init__(self, paragraphs, pages=None):
        self.paragraphs = list(paragraphs)
        self.pages = list(pages) if pages else [None] * len(self.paragraphs)
        self.stored = SEPARATOR.join(self.paragraphs)
        # Where each paragraph starts, in the stored and in the normalised text.
        self.starts, self.norm_starts = [], []
        position = 0
        for i, paragraph in enumerate(self.paragraphs):
            self.starts.append(position)
            self.norm_starts.append(position - i)
            position += len(paragraph) + len(SEPARATOR)
        # Characters map one to one; only each separator shrinks to a single space.
        self.normalised = " ".join(p.translate(TRANSLATION) for p in self.paragraphs)

    def stored_position(self, n, *, end=False):
        index = bisect.bisect_right(self.norm_starts, n - (1 if end else 0)) - 1
        return n + index * (len(SEPARATOR) - 1), index

    def paragraph_of(self, position):
        return bisect.bisect_right(self.starts, position)

    def find(self, quote, *, suggest=True):
        """The Match of `quote`, or raise Mismatch with the closest passage (none unless
        `suggest`: finding it costs more than the search)."""
        pieces = [normalise(p) for p in ELLIPSIS.split(normalise(quote))]
        pieces = [p for p in pieces if p]
        if not pieces:
            raise Mismatch("")
        spans, position = [], 0
        for piece in pieces:
            found = self.normalised.find(piece, position)
            if found < 0:
                raise Mismatch(self.closest(piece) if suggest else "")
            start, _ = self.stored_position(found)
            end, _ = self.stored_position(found + len(piece), end=True)
            spans.append((start, end))
            position = found + len(piece)
        return self.match_of(spans)

    def match_of(self, spans):
        first = self.paragraph_of(spans[0][0])
        return Match(
            spans=spans,
            paragraph=first,
            last_paragraph=self.paragraph_of(spans[-1][1] - 1),
            page=self.pages[first - 1],
        )

    def find_near(self, quote, spans):
        """The Match of `quote` at `spans` (the occurrence a reader's selection chose) when
        it is still there, else its first occurrence; raise Mismatch like find()."""
        try:
            return self.match_of([tuple(span) for span in self.find_all_at(quote, spans)])
        except (Mismatch, TypeError, ValueError, IndexError):
            return self.find(quote)

    def still_matches(self, quote, spans):
        """Does `quote` still occur at `spans` (as stored on a piece of evidence)?"""
        try:
            self.find_all_at(quote, spans)
        except (Mismatch, TypeError, ValueError):
            return False
        return True

    def find_all_at(self, quote, spans):
        pieces = [p for p in (normalise(p) for p in ELLIPSIS.split(normalise(quote))) if p]
        if len(pieces) != len(spans):
            raise Mismatch("")
        for piece, (start, end) in zip(pieces, spans, strict=True):
            if normalise(self.stored[start:end]) != piece:
                raise Mismatch("")
        return spans

    def closest(self, piece):
        """The passage most like `piece`: candidates placed by shared words, best ratio wins."""
        haystack = self.normalised
        words = piece.split()
        if not words or not haystack:
            return ""
        votes = {}
        for size in (3, 2, 1):
            grams = [
                (i, " ".join(words[i : i + size])) for i in range(max(1, len(words) - size + 1))
            ]
            for offset, gram in grams:
                if size == 1 and len(gram) < 5:
                    continue
                at = haystack.find(gram)
                hits = 0
                while at >= 0 and hits < 5:
                    lead = len(" ".join(words[:offset])) + (1 if offset else 0)
                    candidate = max(0, at - lead)
                    votes[candidate] = votes.get(candidate, 0) + 1
                    at = haystack.find(gram, at + 1)
                    hits += 1
            if votes:
                break
        if not votes:
            return ""
        best, best_ratio = None, 0.0
        for candidate, _ in sorted(votes.items(), key=lambda kv: -kv[1])[:MAX_CANDIDATES]:
            window = haystack[candidate : candidate + len(piece) + SUGGESTION_SLACK]
            matcher = difflib.SequenceMatcher(None, piece, window, autojunk=False)
            blocks = [b for b in matcher.get_matching_blocks() if b.size]
            # Stray single letters matched in the slack do not stretch the passage.
            blocks = [b for b in blocks if b.size >= 3] or blocks
            if not blocks:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                start = candidate + blocks[0].b
                end = candidate + blocks[-1].b + blocks[-1].size
                best, best_ratio = (start, end), ratio
        if best is None:
            return ""
        start, end = self.word_bounds(*best)
        return self.stored[
            self.stored_position(start)[0] : self.stored_position(end, end=True)[0]
        ].replace(SEPARATOR, " ")

    def word_bounds(self, start, end):
        text = self.normalised
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        return start, end
