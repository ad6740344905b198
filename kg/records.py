"""Plain typed records that flow between the pipeline stages.

ingest -> structure -> extract -> link -> graph -> (query | view | report)

Every stage takes and returns these dataclasses, so each stage can be tested alone
and the build directory (CSV / JSON Lines) round-trips them without loss.
Character offsets are always into the *cleaned* text of the document
(``build/text/<doc_id>.txt``), Python ``str`` indices (code points), end exclusive.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal, Optional, get_args

from kg.script import matching_form

Level = Literal["national", "province", "city", "city-agency", "district", "county", "unknown"]
DocStatus = Literal["complete", "outline-only", "truncated"]
MentionType = Literal["program", "organization", "cited_document", "place", "person", "target"]
TargetKind = Literal["target", "baseline", "achieved"]
Comparator = Literal["=", ">=", ">", "<=", "<"]
SegmentKind = Literal["body", "outline", "cover"]
# the heading kinds of ontology/lexicon/headings.yaml, and the text before the first heading
SectionKind = Literal["part", "article", "subsection", "measure", "paragraph", "item", "column", "project", "table", "preamble"]
# what kg.relations and kg.analysis.lineage state between two things (see README, relations.jsonl)
RelationType = Literal["carries_out", "sets_target", "target_for", "responsible_for", "cites", "implements",
                       "revision_of", "part_of", "within"]
RelationRole = Literal["lead", "support", "oversight"]  # of responsible_for
# what a relation's subject or object is; its id is read in the relation's document where needed
NodeType = Literal["document", "section", "program", "target", "organization", "place", "work"]


def record_dict(value: Any) -> Any:
    """``dataclasses.asdict`` for the records' values, without its deep copy: fields in declaration
    order, nested records, lists, tuples and dicts converted, anything else (str, numbers, None)
    as it is. asdict deep-copies every leaf, which made writing the tables and the cache of a few
    hundred documents take seconds."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: record_dict(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return kind(record_dict(item) for item in value)
    if isinstance(value, dict):
        return {record_dict(key): record_dict(item) for key, item in value.items()}
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_LEAVES = frozenset({str, int, float, bool, type(None)})


def check_choice(record: object, name: str, allowed: Any, optional: bool = False) -> None:
    """Raise ValueError naming the field if ``record.<name>`` is not one of the Literal ``allowed``:
    a misspelt level or mention type fails where the record is made, not in a later stage."""
    value = getattr(record, name)
    if optional and value is None:
        return
    choices = get_args(allowed)
    if value not in choices:
        raise ValueError(f"{type(record).__name__}.{name} must be one of {', '.join(map(repr, choices))}, "
                         f"not {value!r}")


@dataclass
class DocumentMeta:
    """Metadata of one (possibly contained) document; the columns of documents.csv."""

    doc_id: str
    title: Optional[str] = None
    issuer: Optional[str] = None  # the lead issuer
    level: Level = "unknown"
    region: Optional[str] = None
    year: Optional[int] = None
    period_start: Optional[int] = None
    period_end: Optional[int] = None
    doc_type: Optional[str] = None
    doc_number: Optional[str] = None
    signatory: Optional[str] = None
    parent: Optional[str] = None  # doc_id of the compilation this document is part of
    measures: int = 0
    sha256: Optional[str] = None  # of the source file (shared by the parts of a compilation)
    status: DocStatus = "complete"
    source: Optional[str] = None  # source file name inside the corpus folder
    source_format: Optional[str] = None  # txt | docx | pdf | html
    encoding: Optional[str] = None  # detected encoding of a .txt / .html source
    script: Optional[str] = None  # simplified | traditional (None: not yet detected)
    co_issuers: list[str] = field(default_factory=list)  # the other issuers of a joint document, as printed

    def __post_init__(self) -> None:
        check_choice(self, "level", Level)
        check_choice(self, "status", DocStatus)


DOCUMENT_COLUMNS = [f.name for f in fields(DocumentMeta)]


@dataclass
class Segment:
    """A stretch of a document's cleaned text with a role (compilations mix outline and body)."""

    kind: SegmentKind
    start: int
    end: int

    def __post_init__(self) -> None:
        check_choice(self, "kind", SegmentKind)


@dataclass
class Document:
    meta: DocumentMeta
    text: str  # cleaned text as printed; all offsets point into it
    segments: list[Segment] = field(default_factory=list)
    _matching: Optional[tuple[str, str]] = field(default=None, init=False, repr=False, compare=False)

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    @property
    def match_text(self) -> str:
        """The text rules and lexicons match on: ``text`` itself, or for a traditional-script
        document its simplified form, of the same length (offsets are the same in both)."""
        if self._matching is None or self._matching[0] is not self.text:
            self._matching = (self.text, matching_form(self.text, self.meta.script))
        return self._matching[1]


# Text files of a build: `text/<doc_id>.txt`, unless the id would make an awkward or unsafe file
# name (too long, leading `-` or `.`, a path separator); then a readable prefix and a hash of the
# id. Ids shaped like a hashed name are hashed too, so two ids never share a file.
MAX_FILE_NAME_BYTES = 200
HASHED_NAME = re.compile(r"~[0-9a-f]{16}$")
UNSAFE_IN_FILE_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


def text_file_name(doc_id: str) -> str:
    """The file name of a document's cleaned text in a build's `text/` folder."""
    name = f"{doc_id}.txt"
    if (len(name.encode("utf-8")) <= MAX_FILE_NAME_BYTES and not doc_id.startswith(("-", "."))
            and not UNSAFE_IN_FILE_NAME.search(doc_id) and not HASHED_NAME.search(doc_id)):
        return name
    digest = hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:16]
    prefix = UNSAFE_IN_FILE_NAME.sub("_", doc_id).lstrip("-.")
    while len(prefix.encode("utf-8")) > 80:
        prefix = prefix[:-1]
    return f"{prefix or 'doc'}~{digest}.txt"


@dataclass
class Section:
    """A node of a document's heading hierarchy.

    ``label`` is the shortest heading path unique in the document: ``17`` (a measure
    numbered across the document), ``三(三)2``, ``一(一)3(1)``, ``专栏2``, ``工程14``.
    ``start``/``end`` span the heading and everything under it.
    """

    doc_id: str
    label: str
    kind: SectionKind
    number: Optional[str]  # the number as printed: 三, 三 in （三）, 2, 14 ...
    title: str  # heading text without its number
    start: int
    end: int
    heading_end: int  # end of the heading line (body text follows)
    parent: Optional[str] = None  # label of the enclosing section
    depth: int = 0
    is_measure: bool = False  # a numbered measure (counted in documents.csv `measures`)
    outline_only: bool = False  # known only from a compilation's outline

    def __post_init__(self) -> None:
        check_choice(self, "kind", SectionKind)


@dataclass
class Mention:
    """One extracted mention, with its evidence position."""

    doc_id: str
    type: MentionType
    text: str  # exactly text[start:end] of the cleaned document text
    start: int
    end: int
    measure: Optional[str] = None  # label of the innermost enclosing section, None in the preamble
    canonical: Optional[str] = None  # canonical label of the linked concept
    concept: Optional[str] = None  # concept id (stable slug), see kg.link
    sentence_start: Optional[int] = None
    sentence_end: Optional[int] = None
    source: Optional[str] = None  # which rule / component found it
    subtype: Optional[str] = None  # org type, place level, cited-document kind, program kind
    parent: Optional[str] = None  # for places: the enclosing administrative unit
    # quantitative targets only
    indicator: Optional[str] = None
    value: Optional[str] = None  # as printed, "96", "81.85", "3-5"
    unit: Optional[str] = None
    comparator: Optional[Comparator] = None
    year: Optional[int] = None
    kind: Optional[TargetKind] = None
    # organizations and places: the government (kg.governments key) a short or masked name was
    # read in (市教育局 in a Zhengzhou plan), None when the name says where it belongs by itself
    scope: Optional[str] = None
    # the span in the document's matching form (simplified) where it differs from `text`; names
    # are made from it. Not written out: `canonical` carries what it decided.
    match_text: Optional[str] = None

    def __post_init__(self) -> None:
        check_choice(self, "type", MentionType)
        check_choice(self, "comparator", Comparator, optional=True)
        check_choice(self, "kind", TargetKind, optional=True)

    @property
    def matching(self) -> str:
        return self.match_text or self.text

    def to_json(self) -> dict[str, Any]:
        data = record_dict(self)
        data.pop("match_text")
        if self.type != "target":
            for key in ("indicator", "value", "unit", "comparator", "year", "kind"):
                data.pop(key)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Mention":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class DocumentAnalysis:
    """What the per-document stages give for one document: its sections, its mentions before
    linking, its measure count (``DocumentMeta.measures``). Kept in the build cache."""

    sections: list[Section]
    mentions: list[Mention]
    measures: int

    def to_json(self) -> dict[str, Any]:
        # every field, match_text included: a cached analysis must link as a fresh one does
        return {"sections": [record_dict(s) for s in self.sections], "mentions": [record_dict(m) for m in self.mentions],
                "measures": self.measures}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DocumentAnalysis":
        return cls([Section(**row) for row in data["sections"]], [Mention(**row) for row in data["mentions"]],
                   int(data["measures"]))


@dataclass
class Concept:
    """A SKOS concept: one program (or indicator) across its variant names."""

    concept_id: str  # slug used in IRIs
    pref_label: str
    scheme: str = "programs"  # programs | indicators
    alt_labels: list[str] = field(default_factory=list)
    kind: Optional[str] = None
    curated: bool = False  # from ontology/programs.skos.ttl rather than discovered
    broader: list[str] = field(default_factory=list)  # concept ids of the programs it is a part of


@dataclass
class Organization:
    """One organization of the corpus: every printed form of it within its government.

    ``key`` is its identity: the full name (郑州市教育局) when the name places it by itself,
    else the full name read in one government (``XX市教育局@<doc id>`` for a masked city of one
    compilation part). Made by :func:`kg.link.link_organizations`.
    """

    key: str
    label: str  # the full name: 郑州市教育局, not 市教育局
    alt_labels: list[str] = field(default_factory=list)  # other printed forms
    org_type: Optional[str] = None  # organizations.yaml type: government, party, school, section …
    parent: Optional[str] = None  # key of the body it is part of (org:subOrganizationOf)
    government: Optional[str] = None  # kg.governments key of the government it belongs to


@dataclass
class Relation:
    """A typed statement between two things, with the exact text that states it.

    ``subject``/``object`` are ids of their ``*_type``: a doc id (document), a section label of
    ``doc_id`` (section), a concept id (program), ``start-end`` of a target mention of ``doc_id``
    (target), an Organization key, a place name or key, a cited title (work).
    ``start``/``end`` span the sentence (or title line) of ``doc_id`` that states it, and ``text`` is
    exactly that text; a relation derived from metadata and the divisions alone (``within``, a plan's
    revision found by issuer and year) has no span and says so in ``source``.
    """

    type: RelationType
    subject_type: NodeType
    subject: str
    object_type: NodeType
    object: str
    doc_id: str
    start: Optional[int] = None
    end: Optional[int] = None
    text: Optional[str] = None
    measure: Optional[str] = None  # label of the section that states it
    role: Optional[RelationRole] = None
    source: str = ""  # the rule that found it
    subject_label: Optional[str] = None  # human names, for tables and views
    object_label: Optional[str] = None

    def __post_init__(self) -> None:
        check_choice(self, "type", RelationType)
        check_choice(self, "subject_type", NodeType)
        check_choice(self, "object_type", NodeType)
        check_choice(self, "role", RelationRole, optional=True)


@dataclass(frozen=True)
class EvidenceSpan:
    """A stretch of the lower text copied verbatim from the upper one: offsets into each text."""

    lower_start: int
    lower_end: int
    upper_start: int
    upper_end: int
    text: str


@dataclass
class Alignment:
    """A lower-level measure taking up an upper-level passage (or being local only)."""

    lower_doc: str
    lower_measure: str
    upper_doc: Optional[str] = None
    upper_measure: Optional[str] = None
    score: float = 0.0
    strength: Optional[str] = None  # direct | thematic
    rank: int = 0
    shared_programs: list[str] = field(default_factory=list)
    shared_targets: list[str] = field(default_factory=list)
    reuse_ratio: float = 0.0  # share of the lower text copied verbatim from the upper text
    method: Optional[str] = None
    evidence: list[EvidenceSpan] = field(default_factory=list)  # verbatim spans
    local_only: bool = False
    # the upper document against the lower's year (kg.analysis.hierarchy.period_relation): only an
    # upper plan in force is a link; "later" passages are context, never the best link or a quotation
    period: Optional[str] = None

    def __post_init__(self):
        # alignments.jsonl holds the spans as objects
        self.evidence = [EvidenceSpan(**span) if isinstance(span, dict) else span for span in self.evidence]

    def to_json(self) -> dict[str, Any]:
        if self.local_only:
            return {"lower_doc": self.lower_doc, "lower_measure": self.lower_measure, "local_only": True}
        return record_dict(self)


@dataclass
class Corpus:
    """Everything one build knows; what the graph, views and reports are made from."""

    documents: list[Document] = field(default_factory=list)
    sections: dict[str, list[Section]] = field(default_factory=dict)  # doc_id -> sections
    mentions: list[Mention] = field(default_factory=list)
    concepts: list[Concept] = field(default_factory=list)
    alignments: list[Alignment] = field(default_factory=list)
    organizations: list[Organization] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    # doc_id -> upper-level doc ids declared in the manifest; overrides the derived hierarchy
    upper_overrides: dict[str, list[str]] = field(default_factory=dict)

    def document(self, doc_id: str) -> Document:
        """The document with this id (the first, should two share it), by a dict lookup: reports
        and alignment ask once per measure and per upper document, so a scan would make them
        quadratic in documents."""
        doc = self._documents_by_id().get(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        return doc

    def _documents_by_id(self) -> dict[str, Document]:
        # built again when the list is replaced or grows or shrinks (the build filters it once);
        # kept outside the dataclass fields, so equality, repr and record_dict ignore it
        state = (id(self.documents), len(self.documents))
        if getattr(self, "_document_index_state", None) != state:
            index: dict[str, Document] = {}
            for doc in self.documents:
                index.setdefault(doc.doc_id, doc)
            self._document_index, self._document_index_state = index, state
        return self._document_index
