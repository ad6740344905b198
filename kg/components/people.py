"""People: names after a signature cue such as 签发人：寇爽."""
from __future__ import annotations

import functools
import re

from spacy.language import Language
from spacy.tokens import Doc

from kg.components import alternation, doc_text, load_yaml, make_span, set_spans


@functools.lru_cache(maxsize=1)
def person_pattern() -> re.Pattern:
    config = load_yaml("people.yaml")
    return re.compile(rf"(?P<role>{alternation(config['cues'])}){config['cue_separator']}"
                      rf"(?P<name>{config['name_pattern']})(?![\u4e00-\u9fff])")


def find_people(text: str) -> list[tuple[int, int, str]]:
    """(start, end, role) of each name; the role is the cue before it (签发人)."""
    return [(m.start("name"), m.end("name"), m.group("role")) for m in person_pattern().finditer(text)]


@Language.factory("kg_people")
def make_people(nlp: Language, name: str):
    person_pattern()

    def people(doc: Doc) -> Doc:
        return set_spans(doc, "kg_people", (
            make_span(doc, start, end, "person", subtype=role, source="signature-cue")
            for start, end, role in find_people(doc_text(doc))
        ))

    return people
