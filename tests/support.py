"""Helpers shared by the tests (imported as ``support``; fixtures are in conftest.py).

* the bundled documents' ids;
* ``synthetic_corpus()``: a small Corpus from the real texts of 001 (Huiji 2023, district) and
  002 (the city's 2021–2025 plan) with hand-placed sections, mentions, concepts and alignments,
  so graph, query and export tests do not depend on the extraction pipeline;
* a tiny store build and a running ``kg serve`` for the endpoint tests.
"""
from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox

from kg.analysis.lineage import title_span
from kg.link import link_organizations
from kg.records import Alignment, Concept, Corpus, Document, DocumentMeta, Mention, Relation, Section
from kg.serve import make_server

REPO = Path(__file__).resolve().parent.parent
CENTRE = "000_16f97bdad5560e56"  # 郑州市教育科学规划与评估中心2024年工作要点
HUIJI = "001_56320e920f24c20a"  # 惠济区教育局2023年工作要点
CITY = PLAN = "002_37f57ac8b3229a3d"  # 郑州市教育事业发展“十四五”规划（2021—2025）
Y2016 = "003_e4eb59aa704bb68c"  # 郑州市教育局未来三年重点工程及2016年工作要点
COMPILATION = "004_f29dea3288537dee"  # 教育局2024年工作要点汇编(5篇)

CORPUS_DIR = REPO / "corpus"


def _read(doc_id: str) -> str:
    return (CORPUS_DIR / f"{doc_id}.txt").read_text(encoding="utf-8")


def _measure(doc_id: str, text: str, number: int, parent: str | None = None) -> Section:
    """A numbered measure "N. title。body" as a Section spanning its line."""
    match = re.search(rf"(?m)^{number}\. ?([^。\n]+)。[^\n]*", text)
    assert match, f"measure {number} not found in {doc_id}"
    return Section(doc_id=doc_id, label=str(number), kind="measure", number=str(number), title=match.group(1),
                   start=match.start(), end=match.end(), heading_end=match.end(), parent=parent, depth=1,
                   is_measure=True)


def _mention(doc_id: str, text: str, surface: str, type: str, measure: str | None, nth: int = 0,
             **fields) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = text.find(surface, start + 1)
    assert start >= 0, f"{surface!r} not in {doc_id}"
    end = start + len(surface)
    sentence_start = max(text.rfind("。", 0, start), text.rfind("\n", 0, start)) + 1
    sentence_end = min(i for i in (text.find("。", end), text.find("\n", end), len(text)) if i >= 0)
    return Mention(doc_id=doc_id, type=type, text=surface, start=start, end=end, measure=measure,
                   sentence_start=sentence_start, sentence_end=sentence_end, source="test", **fields)


def synthetic_corpus() -> Corpus:
    huiji_text, city_text = _read(HUIJI), _read(CITY)
    huiji = Document(DocumentMeta(doc_id=HUIJI, title="惠济区教育局2023年工作要点", issuer="惠济区教育局",
                                  level="district", region="郑州市惠济区", year=2023, period_start=2023,
                                  period_end=2023, doc_type="工作要点", doc_number="惠教〔2023〕4号", measures=3,
                                  source=f"{HUIJI}.txt", source_format="txt"), huiji_text)
    city = Document(DocumentMeta(doc_id=CITY, title="郑州市教育事业发展“十四五”规划（2021—2025）",
                                 issuer="郑州市教育局", level="city", region="郑州市", year=2021, period_start=2021,
                                 period_end=2025, doc_type="规划", measures=2), city_text)
    part = city_text.index("三、")
    city_sections = [
        Section(CITY, "三", "part", "三", city_text[part + 2:city_text.index("\n", part)], part, len(city_text),
                city_text.index("\n", part), None, 0),
    ]
    new_quality = city_text.index("继续开展“新优质初中”建设")
    line_start = city_text.rfind("\n", 0, new_quality) + 1
    line_end = city_text.index("\n", new_quality)
    city_sections.append(Section(CITY, "三(三)2", "paragraph", "2", "新优质初中", line_start, line_end, line_start,
                                 "三", 1, True))
    kindergartens = city_text.index("普惠性幼儿园覆盖率巩固在85%以上")
    line_start = city_text.rfind("\n", 0, kindergartens) + 1
    line_end = city_text.index("\n", kindergartens)
    city_sections.append(Section(CITY, "二(一)1", "paragraph", "1", "学前教育", line_start, line_end, line_start,
                                 None, 1, True))  # a city measure no district plan takes up
    huiji_sections = [_measure(HUIJI, huiji_text, n) for n in (1, 2, 10)]
    huiji_sections.append(_measure(HUIJI, huiji_text, 12))
    new_quality_measure = next(s for s in (_measure(HUIJI, huiji_text, n) for n in range(13, 31))
                               if "新优质初中" in huiji_text[s.start:s.end])
    huiji_sections.append(new_quality_measure)
    nq_label = new_quality_measure.label
    mentions = [
        _mention(HUIJI, huiji_text, "新优质初中", "program", nq_label, canonical="新优质初中", concept="xin-you-zhi",
                 subtype="project"),
        _mention(HUIJI, huiji_text, "县管校聘", "program", "10", canonical="县管校聘", concept="xian-guan-xiao-pin"),
        _mention(HUIJI, huiji_text, "双培养", "program", "2", canonical="双培养", concept="shuang-pei-yang"),
        _mention(HUIJI, huiji_text, "惠济区教育局", "organization", None, subtype="government"),
        _mention(HUIJI, huiji_text, "惠济", "place", "1", canonical="惠济区", subtype="district", parent="郑州市"),
        _mention(HUIJI, huiji_text, "《中国共产党章程》", "cited_document", "1", subtype="law"),
        _mention(HUIJI, huiji_text, "3-5 所", "target", "10", indicator="党组织领导的校长负责制试点学校数",
                 value="3-5", unit="所", comparator="=", year=2023, kind="target"),
        _mention(CITY, city_text, "新优质初中", "program", "三(三)2", nth=2, canonical="新优质初中",
                 concept="xin-you-zhi"),
        _mention(CITY, city_text, "165所", "target", "三(三)2", indicator="新优质初中", value="165", unit="所",
                 comparator="=", year=2025, kind="target"),
        _mention(CITY, city_text, "81.85%", "target", None, indicator="普惠性幼儿园覆盖率", value="81.85",
                 unit="%", comparator="=", year=2020, kind="achieved"),
        _mention(CITY, city_text, "郑州市教育局", "organization", None, subtype="government"),
        _mention(HUIJI, huiji_text, "90%", "target", None, indicator="普惠性幼儿园覆盖率", value="90", unit="%",
                 comparator=">=", year=2023, kind="target"),
    ]
    for m in mentions:
        assert m.text == (huiji_text if m.doc_id == HUIJI else city_text)[m.start:m.end]
    concepts = [
        Concept("xin-you-zhi", "新优质初中", alt_labels=["“新优质初中”"], kind="project", curated=True),
        Concept("xian-guan-xiao-pin", "县管校聘", alt_labels=["“县管校聘”改革"], kind="reform", curated=True),
        Concept("shuang-pei-yang", "双培养", kind="mechanism"),
    ]
    alignments = [
        Alignment(HUIJI, nq_label, CITY, "三(三)2", score=0.82, strength="direct", rank=1,
                  shared_programs=["xin-you-zhi"], reuse_ratio=0.12, method="test", period="in_force",
                  evidence=[{"lower_start": mentions[0].start, "lower_end": mentions[0].end,
                             "upper_start": mentions[7].start, "upper_end": mentions[7].end, "text": "新优质初中"}]),
        Alignment(HUIJI, "10", CITY, "三", score=0.31, strength="thematic", rank=1, method="test", period="in_force"),
        Alignment(HUIJI, "12", local_only=True),
    ]
    mentions, organizations = link_organizations(mentions, [huiji.meta, city.meta])
    bureau = next(m for m in mentions if m.doc_id == HUIJI and m.type == "organization")
    charter, share = mentions[5], mentions[-1]
    relations = [
        _stated(huiji, "responsible_for", "organization", bureau.concept, "section", "10", bureau, role="lead"),
        _stated(huiji, "cites", "document", HUIJI, "work", "中国共产党章程", charter),
        _stated(huiji, "implements", "document", HUIJI, "work", "中国共产党章程", charter),
        _stated(huiji, "target_for", "target", f"{share.start}-{share.end}", "place", "郑州市惠济区", share),
        _stated(huiji, "implements", "document", HUIJI, "document", CITY, None, source="upper-plan-in-force"),
        _stated(city, "sets_target", "program", "xin-you-zhi", "target", f"{mentions[8].start}-{mentions[8].end}",
                mentions[8]),
    ]
    return Corpus(documents=[huiji, city], sections={HUIJI: huiji_sections, CITY: city_sections},
                  mentions=mentions, concepts=concepts, alignments=alignments, organizations=organizations,
                  relations=relations)


def _stated(doc: Document, type: str, subject_type: str, subject: str, object_type: str, object: str,
            mention: Mention | None, **fields) -> Relation:
    """A relation stated by the sentence of ``mention`` (or the document's title line)."""
    start, end = (mention.sentence_start, mention.sentence_end) if mention else title_span(doc)
    return Relation(type=type, subject_type=subject_type, subject=subject, object_type=object_type, object=object,
                    doc_id=doc.doc_id, start=start, end=end, text=doc.text[start:end],
                    measure=mention.measure if mention else None, source=fields.pop("source", "test"), **fields)



# --------------------------------------------------------------------------- the endpoint

EX = "http://example.org/"
XSS_LABEL = '<img src=x onerror="window.__xss=1;alert(1)">工程'
LABELS = ["新优质初中", "集团化办学", XSS_LABEL]
# a cross product that keeps Oxigraph busy far longer than the test time limit
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }"


def make_build(root: Path) -> Path:
    """A build directory whose store holds three labelled programs in two named graphs."""
    store = ox.Store(str(root / "store"))
    for i, label in enumerate(LABELS):
        graph = ox.NamedNode(f"{EX}graph/{i % 2}")
        store.add(ox.Quad(ox.NamedNode(f"{EX}program/{i}"), ox.NamedNode(f"{EX}label"), ox.Literal(label), graph))
        store.add(ox.Quad(ox.NamedNode(f"{EX}program/{i}"), ox.NamedNode(f"{EX}rank"), ox.Literal(i), graph))
    for i in range(40):  # filler for the slow query
        store.add(ox.Quad(ox.NamedNode(f"{EX}filler/{i}"), ox.NamedNode(f"{EX}p"), ox.Literal(i), ox.DefaultGraph()))
    store.flush()
    del store
    return root


class Running:
    def __init__(self, build_dir: Path, timeout: float = 1.5):
        self.server = make_server(build_dir, "127.0.0.1", 0, timeout=timeout, workers=2)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = self.server.url
        self.endpoint = self.url + "sparql"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def http(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type"), err.read()


class Elements(HTMLParser):
    """The start tags of a page and their attributes, in order."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags
