"""Generate a varied synthetic collection of plans for the scale benchmarks (issue 12).

The bundled corpus is read as templates at the structure level (kg.ingest, kg.structure): the
parts of its 工作要点 and the parts, subsections and measures of its 规划. Each generated document
belongs to a real government of one province (cities, districts and counties from the `cpca`
divisions, through kg.places) and a year (2016-2024), and draws a random subset of parts and of
their measures in a new order, with the places, years and the digits of targets changed, some
sentences left out and program names of ontology/programs.skos.ttl mixed in. District and county
plans cite their city's plan of the same year, city plans the province's: the hierarchy a real
collection has. No manifest is written, so all metadata comes from the texts, as printed.

    python benchmarks/generate.py --documents 200 --seed 1 --out DIR

Deterministic for a seed. When the province has fewer candidate documents than asked for, the
next provinces (in adcode order) are added.
"""
from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
PROGRAMS = REPO / "ontology" / "programs.skos.ttl"
YEARS = range(2016, 2025)
FIVE_YEAR_PLANS = {2016: ("十三五", 2020), 2021: ("十四五", 2025)}

# The places the bundled templates name, replaced by the generated document's own (see `localise`).
TEMPLATE_PROVINCE = ("河南省", "河南")
TEMPLATE_CITY = ("郑州市", "郑州")
TEMPLATE_LOCAL = ("惠济区", "惠济")
TEMPLATE_MASKS = ("XX市", "XX县", "XX区")
WHOLE_AREA = re.compile(r"全(?:市|区|县|省)")
# Boilerplate of a plan's masthead and preamble: the shapes the bundled documents print.
UNIT_WORD = {"province": "省", "city": "市", "city-agency": "市", "district": "区", "county": "县"}
RECIPIENTS = {
    "province": "各省辖市、济源示范区教育局，厅机关各处室、直属各单位",
    "city": "各区县（市）教育局，局属各学校（单位），局机关各处室",
    "city-agency": "各有关单位，中心各科室",
    "district": "各中心学校、局直学校（园），局机关各科室、各二级机构",
    "county": "各乡镇中心校、县直各学校，局机关各股室",
}
GUIDING_IDEAS = [
    "以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针，落实立德树人根本任务",
    "坚持党对教育工作的全面领导，坚持以人民为中心，深化教育领域综合改革",
    "聚焦教育高质量发展，坚持目标导向、问题导向，推动各项工作协同提质",
    "坚持优先发展教育事业，办好人民满意的教育，加快推进教育现代化",
]
PROGRAM_SENTENCES = ["深入推进“{}”工作。", "扎实开展{}，形成一批可复制可推广的经验。", "持续实施“{}”，健全长效机制。"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国伟明军华平东海洋红霞丽娟志强勇杰磊鹏飞春晓文静兰英秀敏燕琳涛斌超"
AGENCIES = ["教育科学规划与评估中心", "教育事业发展中心"]
CHINESE_NUMERALS = "一二三四五六七八九十"


# ----------------------------------------------------------------------------- governments

@dataclass(frozen=True)
class Government:
    name: str  # as it leads an issuer: 河南省, 郑州市, 中牟县
    level: str  # province | city | district | county
    parent: Optional["Government"] = None

    @property
    def stem(self) -> str:
        """The name without its unit word (郑州市 -> 郑州), as plans write it in running text."""
        short = re.sub(r"(省|市|区|县|自治区|自治州|自治县)$", "", self.name)
        return short if len(short) >= 2 else self.name

    @property
    def full_name(self) -> str:
        """A district is printed with its city (郑州市惠济区): district names repeat across cities."""
        if self.level == "district" and self.parent:
            return self.parent.name + self.name
        return self.name

    @property
    def city(self) -> "Government":
        return self if self.level in ("city", "province") else (self.parent or self)


def provinces_from(first: str) -> list["Government"]:
    """The provinces in adcode order, starting with `first`."""
    from kg import places

    by_code, _ = places.gazetteer()
    ordered = sorted((p for p in by_code.values() if p.level == "province"), key=lambda p: p.adcode)
    start = next((i for i, p in enumerate(ordered) if p.name == first), None)
    if start is None:
        sys.exit(f"unknown province {first!r}")
    return [Government(p.name, "province") for p in ordered[start:] + ordered[:start]]


def governments_of(province: Government) -> list[Government]:
    """The province, its cities and their districts and counties, in adcode order."""
    from kg import places

    by_code, _ = places.gazetteer()
    prefix = next(p.adcode[:2] for p in by_code.values() if p.name == province.name and p.level == "province")
    inside = sorted((p for p in by_code.values() if p.adcode.startswith(prefix)), key=lambda p: p.adcode)
    cities = {p.adcode: Government(p.name, "city", province) for p in inside if p.level == "city"}
    locals_ = [Government(p.name, p.level, cities[p.parent_code]) for p in inside
               if p.level in ("district", "county") and p.parent_code in cities]
    return [province, *cities.values(), *locals_]


# ----------------------------------------------------------------------------- templates

@dataclass
class Node:
    """A heading of a template and what it holds: measures below a part or subsection."""
    kind: str  # part | subsection | measure
    title: str
    body: str  # the text under the heading before its first child (a measure: all of it)
    children: list["Node"] = field(default_factory=list)


@dataclass
class Templates:
    annual_parts: list[tuple[int, Node]]  # (template year, part) of the 工作要点
    plan_parts: list[tuple[int, Node]]  # of the 规划
    intros: list[str]  # the openings of the 工作要点 after their "思路是："
    programs: list[str]


HEADING_NUMBER = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）]|\d+[.．、])\s*")


def node_of(document, section, by_parent) -> Node:
    text = document.text
    children = [s for s in by_parent.get(section.label, []) if s.kind in ("subsection", "measure")]
    if section.kind == "measure":
        return Node("measure", section.title, HEADING_NUMBER.sub("", text[section.start:section.end]).strip())
    body_end = children[0].start if children else section.end
    body = text[section.heading_end:body_end].strip()
    return Node(section.kind, section.title, body, [node_of(document, c, by_parent) for c in children])


def load_templates(corpus_dir: Path = CORPUS) -> Templates:
    from kg.ingest import ingest_corpus
    from kg.structure import parse_structure

    annual, plans, intros = [], [], []
    for document in ingest_corpus(corpus_dir).documents:
        sections = parse_structure(document)
        by_parent: dict[Optional[str], list] = {}
        for section in sections:
            by_parent.setdefault(section.parent, []).append(section)
        parts = [node_of(document, s, by_parent) for s in by_parent.get(None, []) if s.kind == "part"]
        # an outline (measure headings without bodies, as in a compilation's table of contents) is no template
        parts = [p for p in parts if p.children and sum(len(m.body) for m in flat_measures(p)) > 60 * len(flat_measures(p))]
        year = document.meta.year or 2024
        if document.meta.doc_type == "规划":
            plans += [(year, p) for p in parts]
        else:
            annual += [(year, p) for p in parts]
            opening = re.search(r"思路是：(.+?)(?:\n|$)", document.text)
            if opening:
                intros.append(opening.group(1).rstrip("。"))
    labels = re.findall(r'skos:prefLabel\s+"([^"]+)"', PROGRAMS.read_text(encoding="utf-8"))
    return Templates(annual, plans, intros, labels)


# ----------------------------------------------------------------------------- varying text

NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])")


def is_year(value: str) -> bool:
    return len(value) == 4 and value.isdigit() and 2000 <= int(value) <= 2040


def vary_numbers(text: str, rng: random.Random, year_shift: int) -> str:
    """Years moved with the plan's year; other figures (targets, counts) perturbed by up to 15 %,
    written with as many decimals as printed, a percentage kept at or below 100."""

    def replace(found: re.Match) -> str:
        value = found.group(1)
        if text[found.start() - 1:found.start()] in ("（", "(") or text[found.end():found.end() + 1] in ("）", ")"):
            return value  # an item's number, （1） …
        if is_year(value):
            return str(int(value) + year_shift)
        if rng.random() < 0.4:
            return value
        decimals = len(value.split(".")[1]) if "." in value else 0
        number = float(value) * rng.uniform(0.85, 1.15)
        if text[found.end():found.end() + 1] in ("%", "％"):
            number = min(number, 100.0)
        number = max(number, 1.0) if float(value) >= 1 else number
        return f"{number:.{decimals}f}"

    return NUMBER.sub(replace, text)


def localise(text: str, government: Government) -> str:
    """The template's places and area words replaced by the generated document's own."""
    city = government.city
    province = government if government.level == "province" else (city.parent or city)
    names = {TEMPLATE_PROVINCE[0]: province.name, TEMPLATE_PROVINCE[1]: province.stem,
             TEMPLATE_CITY[0]: city.name, TEMPLATE_CITY[1]: city.stem,
             TEMPLATE_LOCAL[0]: government.name, TEMPLATE_LOCAL[1]: government.stem,
             TEMPLATE_MASKS[0]: city.name, TEMPLATE_MASKS[1]: government.name, TEMPLATE_MASKS[2]: government.name}
    pattern = re.compile("|".join(sorted(map(re.escape, names), key=len, reverse=True)))
    text = pattern.sub(lambda m: names[m.group(0)], text)
    return WHOLE_AREA.sub("全" + UNIT_WORD[government.level], text)


def vary_sentences(body: str, rng: random.Random, programs: list[str]) -> str:
    """The first sentence (the measure's own heading) kept, the others each left out with
    probability 0.2, two neighbours sometimes swapped, a program name sometimes added."""
    lines = []
    for line in body.split("\n"):
        sentences = [s + "。" for s in line.split("。") if s.strip()]
        if line.rstrip().endswith("。") is False and sentences:
            sentences[-1] = sentences[-1][:-1]
        head, rest = sentences[:1], [s for s in sentences[1:] if rng.random() > 0.2]
        if len(rest) > 2 and rng.random() < 0.5:
            i = rng.randrange(len(rest) - 1)
            rest[i], rest[i + 1] = rest[i + 1], rest[i]
        lines.append("".join(head + rest))
    if programs and rng.random() < 0.35:
        lines[-1] += ("" if lines[-1].endswith("。") else "。") + rng.choice(PROGRAM_SENTENCES).format(rng.choice(programs))
    return "\n".join(line for line in lines if line)


def chinese_number(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    return ("" if n < 20 else CHINESE_NUMERALS[n // 10 - 1]) + "十" + (CHINESE_NUMERALS[n % 10 - 1] if n % 10 else "")


def pick(items: list, rng: random.Random, low: float, high: float) -> list:
    """A random subset (a fraction between low and high, at least one) in a new order."""
    count = max(1, round(len(items) * rng.uniform(low, high)))
    return rng.sample(items, min(count, len(items)))


# ----------------------------------------------------------------------------- documents

@dataclass(frozen=True)
class Plan:
    """One document to generate: whose, which year, which kind."""
    government: Government
    year: int
    kind: str  # annual | projects (未来三年重点工程及…工作要点) | agency | plan (五年规划)

    @property
    def issuer(self) -> str:
        g = self.government
        if self.kind == "agency":
            return g.name + AGENCIES[sum(map(ord, g.name)) % len(AGENCIES)]
        if g.level == "province":
            return g.name + "教育厅"
        bureau = "教育体育局" if g.level == "county" and sum(map(ord, g.name)) % 3 == 0 else "教育局"
        return g.full_name + bureau

    @property
    def title(self) -> str:
        g = self.government
        if self.kind == "plan":
            return f"{g.full_name}教育事业发展“{FIVE_YEAR_PLANS[self.year][0]}”规划"
        issuer = self.issuer if g.level != "district" else self.issuer[len(g.parent.name):]
        if self.kind == "projects":
            return f"{issuer}未来三年重点工程及{self.year}年工作要点"
        return f"{issuer}{self.year}年工作要点"

    def upper(self) -> Optional["Plan"]:
        """The plan this one implements, as `candidates` makes it: the city bureau's for a city agency,
        the city's for a district or county, the province's for a city."""
        g = self.government
        above = g if self.kind == "agency" else g.parent
        if above is None:
            return None
        return Plan(above, self.year, "plan" if self.kind == "plan" else annual_kind(above, self.year))


def annual_kind(government: Government, year: int) -> str:
    """Some years a city's 工作要点 also sets out three years of key projects, as the bundled one of 2016."""
    return "projects" if government.level == "city" and year % 4 == 0 else "annual"


def candidates(provinces: list[Government]) -> list[Plan]:
    out = []
    for province in provinces:
        for g in governments_of(province):
            out += [Plan(g, year, "plan") for year in FIVE_YEAR_PLANS]
            for year in YEARS:
                out.append(Plan(g, year, annual_kind(g, year)))
                if g.level == "city":
                    out.append(Plan(g, year, "agency"))
    return out


def choose(count: int, province: str, rng: random.Random) -> list[Plan]:
    """`count` documents: upper levels, and the first cities of a seeded order, more likely, so a
    small collection still holds a province, cities and their districts (levels 0.5 : 0.8 : 1,
    times 1 + 2r for the city of rank r in the seeded order)."""
    provinces = provinces_from(province)
    pool: list[Plan] = []
    used = 0
    while len(pool) < count and used < len(provinces):
        pool += candidates([provinces[used]])
        used += 1
    cities = sorted({p.government.city.name for p in pool if p.government.level != "province"})
    rng.shuffle(cities)
    rank = {name: r for r, name in enumerate(cities)}
    level_factor = {"province": 0.5, "city": 0.8, "district": 1.0, "county": 1.0}

    def key(plan: Plan) -> float:
        g = plan.government
        spread = 1.0 if g.level == "province" else 1 + 2 * rank[g.city.name]
        return rng.random() * level_factor[g.level] * spread

    keyed = sorted((key(p), i) for i, p in enumerate(pool))
    chosen = [pool[i] for _, i in keyed[:count]]
    order = {"province": 0, "city": 1, "district": 2, "county": 2}
    return sorted(chosen, key=lambda p: (order[p.government.level], p.government.full_name, p.year, p.kind))


def masthead(plan: Plan, rng: random.Random, serial: int) -> list[str]:
    g = plan.government
    stem = g.stem if g.level != "province" else g.stem[:1]
    lines = [f"{plan.issuer}文件", "", f"{stem[:1]}教〔{plan.year}〕{serial}号", ""]
    if rng.random() < 0.5:
        lines += [f"签发人：{rng.choice(SURNAMES)}{''.join(rng.sample(GIVEN, rng.choice((1, 2))))}", ""]
    level = "city-agency" if plan.kind == "agency" else g.level
    lines += [f"{plan.issuer} 关于印发《{plan.title}》的通知", "", f"{RECIPIENTS[level]}：", "",
              f"现将《{plan.title}》印发给你们，请结合实际，认真贯彻落实。", "", "", ""]
    return lines


def annual_document(plan: Plan, templates: Templates, rng: random.Random, serial: int) -> str:
    g = plan.government
    lines = masthead(plan, rng, serial) if rng.random() < 0.8 else []
    lines += [plan.title, ""]
    upper = plan.upper()
    follow = f"全面落实《{upper.title}》部署，" if upper else ""
    clauses = [c for c in rng.choice(templates.intros).split("，") if rng.random() < 0.7]
    lines += [f"{plan.year}年，{g.stem}教育工作总体思路是：{rng.choice(GUIDING_IDEAS)}，{follow}"
              + localise("，".join(clauses), g) + "。", ""]
    number = 0
    for index, (year, part) in enumerate(pick(templates.annual_parts, rng, 0.22, 0.33), start=1):
        lines += [f"{chinese_number(index)}、{localise(part.title, g)}", ""]
        for measure in pick(flat_measures(part), rng, 0.6, 1.0):
            number += 1
            body = vary_sentences(localise(measure.body, g), rng, templates.programs)
            lines += [f"{number}. {vary_numbers(body, rng, plan.year - year)}", ""]
    return "\n".join(lines) + "\n"


def flat_measures(node: Node) -> list[Node]:
    return [m for child in node.children for m in ([child] if child.kind == "measure" else flat_measures(child))]


def plan_document(plan: Plan, templates: Templates, rng: random.Random) -> str:
    g = plan.government
    name, last = FIVE_YEAR_PLANS[plan.year]
    lines = [plan.title, f"（{plan.year}—{last}）", ""]
    upper = plan.upper()
    cited = f"《{upper.title}》" if upper else "《国家教育事业发展规划》"
    economic_plan = f"《{g.full_name}国民经济和社会发展第{'十三' if name == '十三五' else '十四'}个五年规划纲要》"
    lines += [f"为深入推动教育高质量发展，办好人民满意的教育，根据《中国教育现代化2035》{cited}和{economic_plan}，特制定本规划。",
              ""]
    # a district or county plan is shorter than its city's: fewer subsections and measures
    share = (0.7, 1.0) if g.level in ("province", "city") else (0.5, 0.8)
    parts = rng.sample(templates.plan_parts, max(1, round(len(templates.plan_parts) * rng.uniform(0.75, 1.0))))
    parts.sort(key=templates.plan_parts.index)  # 发展基础 before 主要任务 before 保障措施
    for index, (year, part) in enumerate(parts, start=1):
        shift = plan.year - year
        lines += [f"{chinese_number(index)}、{localise(part.title, g)}"]
        if part.body:
            lines.append(vary_numbers(localise(part.body, g), rng, shift))
        for sub_index, sub in enumerate(pick(part.children, rng, *share), start=1):
            if sub.kind == "measure":
                lines.append(f"{sub_index}.{vary_numbers(vary_sentences(localise(sub.body, g), rng, templates.programs), rng, shift)}")
                continue
            lines.append(f"（{chinese_number(sub_index)}）{localise(sub.title, g)}")
            if sub.body:
                lines.append(vary_numbers(localise(sub.body, g), rng, shift))
            for m_index, measure in enumerate(pick(sub.children, rng, *share), start=1):
                body = vary_sentences(localise(measure.body, g), rng, templates.programs)
                lines.append(f"{m_index}.{vary_numbers(body, rng, shift)}")
    text = "\n".join(lines) + "\n"
    return text.replace("十四五", name) if name != "十四五" else text


def generate(count: int, seed: int, out: Path, province: str = "河南省", corpus_dir: Path = CORPUS) -> list[Path]:
    """Write `count` documents to `out` (earlier generated .txt files there are replaced)."""
    rng = random.Random(seed)
    templates = load_templates(corpus_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.txt"):
        old.unlink()
    written = []
    for serial, plan in enumerate(choose(count, province, rng), start=1):
        doc_rng = random.Random(f"{seed}:{plan.government.full_name}:{plan.year}:{plan.kind}")
        text = (plan_document(plan, templates, doc_rng) if plan.kind == "plan"
                else annual_document(plan, templates, doc_rng, serial % 40 + 1))
        # the name says nothing about the document: metadata must come from the text
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        path = out / f"{serial - 1:05d}_{digest}.txt"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--province", default="河南省", help="province whose divisions name the governments")
    args = parser.parse_args()
    written = generate(args.documents, args.seed, args.out, args.province)
    chars = sum(len(p.read_text(encoding="utf-8")) for p in written)
    print(f"{len(written)} documents, {chars} characters -> {args.out}")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
