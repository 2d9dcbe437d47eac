"""Hits of the index → what the search page shows: what each is, where it links, its snippet."""

import dataclasses

from ..library.reader import page_of
from ..models import Commitment, Evidence, SourceParagraph, StatusUpdate
from . import query
from .index import KINDS, LABELS, kind_of, object_id

PAGE_SIZE = 20
MAX_PAGES = 50
KIND_OF_CODE = {code: kind for kind, code in KINDS.items()}


@dataclasses.dataclass
class Hit:
    kind: str
    obj: object
    snippet: list  # [(text, matched)]
    title: str = ""
    url: str = ""
    when: object = None

    @property
    def label(self):
        return LABELS[self.kind]


def snippet_parts(snippet):
    """'a \ue000b\ue001 c' → [("a ", False), ("b", True), (" c", False)]."""
    parts = []
    for i, chunk in enumerate(snippet.split(query.MARK_START)):
        matched, _, rest = chunk.partition(query.MARK_END) if i else ("", "", chunk)
        if matched:
            parts.append((matched, True))
        if rest:
            parts.append((rest, False))
    return parts


def fetch(ids_by_kind):
    """The objects of the hits, one query per kind present."""
    wanted = {kind: ids for kind, ids in ids_by_kind.items() if ids}
    found = {}
    if "commitment" in wanted:
        found["commitment"] = Commitment.objects.select_related("area").in_bulk(
            wanted["commitment"]
        )
    if "assessment" in wanted:
        found["assessment"] = StatusUpdate.objects.select_related("commitment").in_bulk(
            wanted["assessment"]
        )
    if "quote" in wanted:
        found["quote"] = Evidence.objects.select_related(
            "status_update__commitment", "source"
        ).in_bulk(wanted["quote"])
    if "text" in wanted:
        found["text"] = (
            SourceParagraph.objects.select_related("source").defer("text").in_bulk(wanted["text"])
        )
    return found


def describe(hit):
    obj = hit.obj
    if hit.kind == "commitment":
        hit.title, hit.url = f"{obj.reference} · {obj.title}", obj.get_absolute_url()
    elif hit.kind == "assessment":
        commitment = obj.commitment
        hit.title = f"{commitment.reference} · assessment as of {obj.as_of:%d %b %Y}"
        hit.url, hit.when = f"{commitment.get_absolute_url()}#update-{obj.pk}", obj.as_of
    elif hit.kind == "quote":
        commitment = obj.status_update.commitment
        hit.title = f"{commitment.reference} · quote from {obj.source.title}"
        hit.url = f"{commitment.get_absolute_url()}#update-{obj.status_update_id}"
        hit.when = obj.status_update.as_of
    else:
        page = page_of(obj.number)
        hit.title = f"{obj.source.title} · paragraph {obj.number}"
        hit.url = obj.source.get_absolute_url() + (f"?page={page}" if page > 1 else "")
        hit.url += f"#p{obj.number}"
        hit.when = obj.source.published_on
    return hit


def search(clauses, filters, *, page=1):
    """(hits of the page, whether more follow): two queries at most, plus one per kind."""
    offset = (page - 1) * PAGE_SIZE
    rows = query.run(clauses, filters, limit=PAGE_SIZE + 1, offset=offset)
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    ids_by_kind = {kind: [] for kind in KINDS}
    for index_id, _ in rows:
        ids_by_kind[KIND_OF_CODE[kind_of(index_id)]].append(object_id(index_id))
    found = fetch(ids_by_kind)
    hits = []
    for index_id, snippet in rows:
        kind = KIND_OF_CODE[kind_of(index_id)]
        obj = found.get(kind, {}).get(object_id(index_id))
        if obj is not None:  # deleted between the two queries
            hits.append(describe(Hit(kind, obj, snippet_parts(snippet or ""))))
    return hits, more
