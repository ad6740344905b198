"""Relations between documents and between places that follow from metadata, the hierarchy and the
administrative divisions rather than from one sentence (kg.relations finds those):

- ``implements``: a lower-level plan implements each upper-level plan in force for its year
  (:func:`kg.analysis.hierarchy.upper_documents`);
- ``revision_of``: a plan revises the same government's previous plan of the same type — the
  previous year's work points, the previous period's five-year plan (``prov:wasRevisionOf``);
- ``part_of``: a part of a compilation;
- ``within``: a place named in a text lies within its enclosing unit (kg.places' divisions).

Each is anchored in its document: the title line for the document relations, the place's mention
for ``within``; ``source`` says what it was derived from.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Mapping, Optional

from kg.analysis.hierarchy import RegionIndex, upper_documents
from kg.governments import government_of
from kg.records import Corpus, Document, DocumentMeta, Relation

TITLE_SEARCH_CHARS = 600  # a title stands at the top of its text


def title_span(doc: Document) -> tuple[Optional[int], Optional[int]]:
    """Where the document prints its title (its first non-empty line when the title is not found)."""
    head = doc.text[:TITLE_SEARCH_CHARS]
    title = doc.meta.title
    if title and title in head:
        start = head.index(title)
        return start, start + len(title)
    for line_start, line in _lines(head):
        if line.strip():
            offset = len(line) - len(line.lstrip())
            return line_start + offset, line_start + len(line.rstrip())
    return None, None


def _lines(text: str) -> Iterable[tuple[int, str]]:
    position = 0
    for line in text.splitlines(keepends=True):
        yield position, line.rstrip("\r\n")
        position += len(line)


def _anchored(doc: Document, **fields) -> Relation:
    start, end = title_span(doc)
    return Relation(doc_id=doc.doc_id, start=start, end=end,
                    text=doc.text[start:end] if start is not None else None, **fields)


def _label(meta: DocumentMeta) -> str:
    return meta.title or meta.doc_id


def implements(docs: list[Document], overrides: Optional[Mapping[str, list[str]]] = None) -> list[Relation]:
    metas = [doc.meta for doc in docs]
    by_id = {doc.doc_id: doc for doc in docs}
    regions = RegionIndex(metas)  # candidates by region, not every document for every document
    out = []
    for doc in docs:
        for upper in upper_documents(metas, doc.meta, overrides, regions=regions):
            out.append(_anchored(doc, type="implements", subject_type="document", subject=doc.doc_id,
                                 object_type="document", object=upper, source="upper-plan-in-force",
                                 subject_label=_label(doc.meta), object_label=_label(by_id[upper].meta)))
    return out


def revisions(docs: list[Document]) -> list[Relation]:
    """Each plan's previous plan of the same government and type, issued earlier."""
    series: dict[tuple[str, Optional[str]], list[Document]] = defaultdict(list)
    for doc in docs:
        if doc.meta.year is not None and doc.meta.doc_type:
            series[(government_of(doc.meta).key, doc.meta.doc_type)].append(doc)
    out = []
    for plans in series.values():
        plans.sort(key=lambda d: (d.meta.period_start or d.meta.year, d.meta.year, d.doc_id))
        for before, after in zip(plans, plans[1:]):
            if (after.meta.period_start or after.meta.year) <= (before.meta.period_end or before.meta.year):
                continue  # overlapping periods: two plans in force at once, not one after the other
            out.append(_anchored(after, type="revision_of", subject_type="document", subject=after.doc_id,
                                 object_type="document", object=before.doc_id,
                                 source="same-government-previous-plan",
                                 subject_label=_label(after.meta), object_label=_label(before.meta)))
    return out


def compilation_parts(docs: list[Document]) -> list[Relation]:
    return [_anchored(doc, type="part_of", subject_type="document", subject=doc.doc_id, object_type="document",
                      object=doc.meta.parent, source="compilation", subject_label=_label(doc.meta),
                      object_label=doc.meta.parent)
            for doc in docs if doc.meta.parent]


def places_within(corpus: Corpus) -> list[Relation]:
    """A named place within its enclosing unit, once per document, at its first mention."""
    seen, out = set(), []
    texts = {doc.doc_id: doc.text for doc in corpus.documents}
    for mention in corpus.mentions:
        if mention.type != "place" or not mention.parent or mention.doc_id not in texts:
            continue
        name = mention.canonical or mention.text
        place = f"{name}@{mention.scope}" if mention.scope else name
        if (mention.doc_id, place) in seen:
            continue
        seen.add((mention.doc_id, place))
        out.append(Relation(type="within", subject_type="place", subject=place, object_type="place",
                            object=mention.parent, doc_id=mention.doc_id, start=mention.start, end=mention.end,
                            text=texts[mention.doc_id][mention.start:mention.end], measure=mention.measure,
                            source="divisions", subject_label=name, object_label=mention.parent))
    return out


def lineage(corpus: Corpus) -> list[Relation]:
    """Every relation this module derives, for the whole corpus."""
    docs = corpus.documents
    return [*implements(docs, corpus.upper_overrides), *revisions(docs), *compilation_parts(docs),
            *places_within(corpus)]
