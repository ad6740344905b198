"""Fonts for Chinese text: the CSS stack every page declares, and a CJK font for matplotlib.

Pages name a stack of system fonts (``font_stack`` in ontology/lexicon/views.yaml) and ship
none, so they stay small and offline; a machine without any CJK font shows boxes, which the
browser tests catch. matplotlib does not fall back across fonts, and registers a .ttc
collection under its first face's name (Noto Sans CJK *JP*), so asking for a family by name
fails silently; ``use_cjk_font`` instead finds an installed font that has the glyphs.
"""
from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Optional

from kg.resources import lexicon

FONT_STACK: list[str] = list(lexicon("views.yaml")["font_stack"])
GENERIC_FAMILIES = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}
SAMPLE = "中文政策规划"  # glyphs a usable font must have


def css_font_family(stack: list[str] = FONT_STACK) -> str:
    """The stack as a CSS font-family value: family names quoted, generic families bare."""
    return ", ".join(name if name in GENERIC_FAMILIES else f'"{name}"' for name in stack)


@lru_cache(maxsize=1)
def use_cjk_font(sample: str = SAMPLE) -> Optional[str]:
    """Make matplotlib draw Chinese: pick an installed font with ``sample``'s glyphs (the stack's
    families first) and put it first in ``font.sans-serif``. Returns its name, or warns once and
    returns None when no installed font has them."""
    # matplotlib is for notebooks only, not a dependency of the build
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    def has_glyphs(path: str) -> bool:
        try:
            font = FT2Font(path)
        except (OSError, RuntimeError):
            return False
        return all(font.get_char_index(ord(char)) for char in sample)

    preference = {name: rank for rank, name in enumerate(FONT_STACK)}
    candidates = sorted(font_manager.fontManager.ttflist,
                        key=lambda entry: (preference.get(entry.name, len(preference)), entry.name))
    for entry in candidates:
        if has_glyphs(entry.fname):
            matplotlib.rcParams["font.family"] = "sans-serif"
            matplotlib.rcParams["font.sans-serif"] = [entry.name, *matplotlib.rcParams["font.sans-serif"]]
            matplotlib.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack U+2212
            return entry.name
    warnings.warn("no installed font has Chinese glyphs: charts will show boxes. Install one, "
                  "e.g. `apt-get install fonts-noto-cjk` (Debian) or `brew install --cask font-noto-sans-cjk`",
                  stacklevel=2)
    return None
