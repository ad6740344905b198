"""Evidence in tooltips: document and measure names, citations and quotes around mentions."""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Optional

from kg import places
from kg.records import Corpus, Document, Mention, Section
from kg.resources import lexicon
from kg.text import clip, one_line

QUOTE_CHARS = 140
QUOTES_PER_TIP = 3
MORE_QUOTES = 60  # quotes a node lists on demand; the reports hold every one

TYPOGRAPHY = lexicon("views.yaml")
CITATION_OPEN, CITATION_CLOSE = TYPOGRAPHY["citation"].split("{title}")
LIST_SEPARATOR: str = TYPOGRAPHY["list_separator"]


class Evidence:
    """Looks up document titles, section titles and quotes around mentions."""

    def __init__(self, corpus: Corpus):
        self.documents: dict[str, Document] = {doc.doc_id: doc for doc in corpus.documents}
        self.sections: dict[tuple[str, str], Section] = {
            (doc_id, sec.label): sec for doc_id, secs in corpus.sections.items() for sec in secs
        }
        self.short_names = document_short_names(corpus.documents)
        # a measure is cited in the tip of every link to it: each citation and title is made once
        self._citations: dict[tuple[str, Optional[str]], str] = {}
        self._measure_titles: dict[tuple[str, str], str] = {}

    def short_name(self, doc_id: str) -> str:
        return self.short_names.get(doc_id, doc_id)

    def measure_label(self, doc_id: str, label: str) -> str:
        """What a measure box shows: the document's short name and the label, "Huiji2023 · 17"."""
        return f"{self.short_name(doc_id)} · {label}"

    def measure_title(self, doc_id: str, label: str) -> str:
        key = (doc_id, label)
        if key not in self._measure_titles:
            section = self.sections.get(key)
            self._measure_titles[key] = " ".join(section.title.split()) if section and section.title else ""
        return self._measure_titles[key]

    def doc_name(self, doc_id: str) -> str:
        doc = self.documents.get(doc_id)
        return (doc.meta.title if doc and doc.meta.title else doc_id)

    def doc_year(self, doc_id: str) -> Optional[int]:
        doc = self.documents.get(doc_id)
        return document_year(doc) if doc else None

    def doc_level(self, doc_id: str) -> str:
        doc = self.documents.get(doc_id)
        return doc.meta.level if doc and doc.meta.level else "unknown"

    def quote(self, mention: Mention) -> str:
        doc = self.documents.get(mention.doc_id)
        if doc is None:
            return mention.text
        if mention.sentence_start is not None and mention.sentence_end is not None:
            start, end = mention.sentence_start, mention.sentence_end
        else:
            start, end = mention.start - QUOTE_CHARS // 2, mention.end + QUOTE_CHARS // 2
        start, end = max(0, start), min(len(doc.text), end)
        if end - start > QUOTE_CHARS:  # centre long sentences on the mention
            start = max(start, mention.start - (QUOTE_CHARS - (mention.end - mention.start)) // 2)
            end = min(end, start + QUOTE_CHARS)
        snippet = one_line(doc.text[start:end])
        return ("…" if start > 0 else "") + snippet + ("…" if end < len(doc.text) else "")

    def citation(self, doc_id: str, measure: Optional[str]) -> str:
        key = (doc_id, measure)
        if key not in self._citations:
            title = self.doc_name(doc_id).removeprefix(CITATION_OPEN).removesuffix(CITATION_CLOSE)
            where = f"{CITATION_OPEN}{title}{CITATION_CLOSE}"
            self._citations[key] = f"{where} {measure_name(measure)}" if measure else f"{where} preamble"
        return self._citations[key]

    def mention_evidence(self, mention: Mention) -> str:
        return f"“{self.quote(mention)}”\n— {self.citation(mention.doc_id, mention.measure)}"

    def measure_text(self, doc_id: str, label: str, chars: int = QUOTE_CHARS) -> str:
        section = self.sections.get((doc_id, label))
        doc = self.documents.get(doc_id)
        if section is None or doc is None:
            return ""
        text = " ".join(doc.text[section.start:section.end].split())
        return text[:chars] + ("…" if len(text) > chars else "")


def measure_name(label: str) -> str:
    return f"measure {label}" if label and label[0].isdigit() else (label or "")


def document_year(doc: Document) -> Optional[int]:
    return doc.meta.year or doc.meta.period_start


def entity_key(mention: Mention) -> str:
    return mention.concept or mention.canonical or mention.text


def entity_label(mention: Mention) -> str:
    return mention.canonical or mention.text


def short(text: str, chars: int = 16) -> str:
    """A label of at most ``chars`` characters (16 fits a node on the canvas)."""
    return clip(text, chars)


def place_name(doc: Document) -> str:
    """The smallest administrative unit of a document, without its suffix (the district
    of Huiji in Zhengzhou city is shown as Huiji).

    Units come from the gazetteer (kg.places); an anonymised region is shown as printed.
    """
    for text in (doc.meta.region, doc.meta.issuer, doc.meta.title):
        if not text:
            continue
        chain = () if places.is_anonymised(text) else places.region_chain(text)  # 河南省XX市 is no 河南
        if chain:
            return places.short_name(chain[-1].name)
        if places.is_anonymised(text):
            return text
    return short(doc.meta.title or doc.doc_id, 6)


def period_name(doc: Document) -> str:
    start = document_year(doc)
    end = doc.meta.period_end
    if not start:
        return ""
    return f"{start}–{str(end)[-2:]}" if end and end != start else str(start)


def document_short_names(documents: Iterable[Document]) -> dict[str, str]:
    """doc_id -> a short, unique name (place and years, as Huiji2023 or Zhengzhou2021–25) for labels on a canvas."""
    documents = list(documents)
    names = {doc.doc_id: place_name(doc) + period_name(doc) for doc in documents}
    clashes = Counter(names.values())
    for doc in documents:
        if clashes[names[doc.doc_id]] > 1:  # e.g. the parts of one compilation: name them by part
            part = doc.doc_id.rsplit("#", 1)[1] if "#" in doc.doc_id else doc.doc_id[:8]
            names[doc.doc_id] += f"#{part}"
    return names


def evidence_parts(items: Iterable[str]) -> tuple[str, list[str]]:
    """A tooltip's quotes and the rest, which the page lists on demand ("more" in the side panel).

    Two mentions in one sentence give the same quote: each quote is shown once."""
    unique = list(dict.fromkeys(items))
    shown, rest = unique[:QUOTES_PER_TIP], unique[QUOTES_PER_TIP:]
    more = f"\n(+{len(rest)} more: click to list them)" if rest else ""
    return "\n\n".join(shown) + more, rest[:MORE_QUOTES]


def evidence_block(items: Iterable[str]) -> str:
    return evidence_parts(items)[0]


def more_field(rest: list[str]) -> dict[str, list[str]]:
    """Node or edge attribute with the quotes a tooltip leaves out (none when it shows them all)."""
    return {"more": rest} if rest else {}


def first_per_doc(mentions: list[Mention]) -> list[Mention]:
    """One mention per document first, so a tooltip shows the spread before repetition."""
    seen, first, rest = set(), [], []
    for mention in mentions:
        (rest if mention.doc_id in seen else first).append(mention)
        seen.add(mention.doc_id)
    return first + rest
