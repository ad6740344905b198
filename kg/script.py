"""Traditional and simplified script: one matching form for both, offsets unchanged.

A plan printed in traditional characters (繁體) must give the entities and metadata of its
simplified source. Rules, gazetteers and lexicons are written in simplified characters, so
matching runs on a simplified copy of the text of exactly the same length (OpenCC's t2s, line by
line; a line whose phrase conversion would change its length is converted character by
character), and every offset found there is an offset into the text as printed.
Simplified documents are left exactly as they are (t2s would still touch the odd character).
Settings: ``ontology/lexicon/script.yaml``.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from kg.errors import require
from kg.resources import lexicon as load_yaml

SIMPLIFIED, TRADITIONAL = "simplified", "traditional"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _t2s():
    opencc = require("opencc", "opencc", needed_for="reading traditional-script text")
    return opencc.OpenCC(load_yaml("script.yaml")["opencc_config"])


@lru_cache(maxsize=None)
def _character(char: str) -> str:
    converted = _t2s().convert(char)
    return converted if len(converted) == 1 else char


def simplified_line(line: str) -> str:
    """``line`` in simplified characters, of exactly the same length."""
    if not HAN.search(line):
        return line
    converted = _t2s().convert(line)
    if len(converted) == len(line):
        return converted
    return "".join(_character(char) for char in line)


def detect_script(text: str) -> str:
    """``traditional`` when enough of the Han characters change under t2s, else ``simplified``."""
    settings = load_yaml("script.yaml")
    sample = text[: settings["sample_chars"]]
    han = len(HAN.findall(sample))
    if han < settings["min_han"]:
        return SIMPLIFIED
    converted = _t2s().convert(sample)
    if len(converted) != len(sample):
        converted = "\n".join(simplified_line(line) for line in sample.split("\n"))
    changed = sum(1 for a, b in zip(sample, converted) if a != b)
    return TRADITIONAL if changed / han >= settings["traditional_share"] else SIMPLIFIED


def matching_form(text: str, script: Optional[str] = None) -> str:
    """The text matching runs on: ``text`` itself, or its simplified form for traditional text."""
    if (script or detect_script(text)) != TRADITIONAL:
        return text
    return "\n".join(simplified_line(line) for line in text.split("\n"))
