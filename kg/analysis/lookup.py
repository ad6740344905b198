"""Names a researcher types (a document, program or indicator) resolved against a built corpus.

Every command that takes such a name answers an unknown one the same way: one line naming the
option, the name and the nearest known names (an InputError, exit 2), before any output is
written. Nearness is difflib's ratio over normalised names (kg.text.normalise_name), the measure
git and click use for "did you mean".
"""
from __future__ import annotations

import difflib
from typing import Iterable, Optional

from kg.errors import InputError
from kg.records import Corpus
from kg.resources import lexicon
from kg import text

NEAREST = 3  # names offered after an unknown one
NAME_MARKS: str = lexicon("views.yaml")["name_marks"]  # quote and title marks a typed name may carry


def normalise_name(name: str) -> str:
    """A typed or printed name as compared: without spaces and the marks of NAME_MARKS, lower case."""
    return text.normalise_name(name, NAME_MARKS).lower()


def nearest_names(name: str, known: Iterable[str], count: int = NEAREST) -> list[str]:
    """The ``count`` known names closest to ``name`` (containment first, then difflib ratio)."""
    wanted = normalise_name(name)
    by_key: dict[str, str] = {}
    for candidate in known:
        by_key.setdefault(normalise_name(candidate), candidate)
    containing = [by_key[key] for key in sorted(by_key, key=len) if wanted and (wanted in key or key in wanted)]
    scored = sorted((-_closeness(wanted, key), key) for key in by_key)
    close = [by_key[key] for score, key in scored[:count] if -score >= CLOSE]
    return list(dict.fromkeys([*containing, *close]))[:count]


CLOSE = 0.5  # difflib ratio below which a name is not offered


def _closeness(wanted: str, key: str) -> float:
    """difflib's ratio, also against the key's start: a typed prefix of a long id is close to it."""
    matcher = difflib.SequenceMatcher(None, wanted, key)
    whole = matcher.ratio()
    return max(whole, difflib.SequenceMatcher(None, wanted, key[:len(wanted)]).ratio())


def unknown_name(option: str, kind: str, name: str, known: Iterable[str]) -> InputError:
    known = list(known)
    near = nearest_names(name, known)
    if near:
        hint = f"; nearest: {', '.join(near)}"
    else:
        hint = f"; none of its {len(set(known))} {kind} names is close" if known else f"; the build has no {kind}s"
    return InputError(option, f"no {kind} named {name!r} in the build{hint}")


def document_names(corpus: Corpus) -> dict[str, str]:
    """Every name a document answers to (its id, its title) -> doc id."""
    names: dict[str, str] = {}
    for doc in corpus.documents:
        names[doc.doc_id] = doc.doc_id
        if doc.meta.title:
            names.setdefault(doc.meta.title, doc.doc_id)
    return names


def resolve_document(corpus: Corpus, name: str, option: str = "--document") -> str:
    """The doc id of a document given by id or by title (whole, or a part only one title has)."""
    names = document_names(corpus)
    if name in names:
        return names[name]
    wanted = normalise_name(name)
    matches = {doc_id for title, doc_id in names.items() if wanted and wanted in normalise_name(title)}
    if len(matches) == 1:
        return matches.pop()
    if matches:
        raise InputError(option, f"{name!r} names {len(matches)} documents: "
                                 f"{', '.join(sorted(matches)[:NEAREST])} …; give a doc id")
    raise unknown_name(option, "document", name, [doc.doc_id for doc in corpus.documents]
                       + [doc.meta.title for doc in corpus.documents if doc.meta.title])


def program_names(corpus: Corpus) -> dict[str, str]:
    """Every name a program answers to (concept id, labels, printed forms) -> its concept key,
    the key mentions carry (``concept or canonical or text``); concepts first, in corpus order."""
    names: dict[str, str] = {}
    for concept in corpus.concepts:
        if concept.scheme != "programs":  # indicator concepts share the list
            continue
        for label in (concept.concept_id, concept.pref_label, *concept.alt_labels):
            if label:
                names.setdefault(label, concept.concept_id)
    for mention in corpus.mentions:
        if mention.type == "program":
            key = mention.concept or mention.canonical or mention.text
            for label in (mention.text, mention.canonical):
                if label:
                    names.setdefault(label, key)
    return names


def find_program(corpus: Corpus, name: str) -> Optional[str]:
    """The concept key of a program given by concept id, label, alias or printed form (quote marks
    and spaces ignored); None when the build has no such program."""
    wanted = normalise_name(name)
    return next((key for label, key in program_names(corpus).items() if normalise_name(label) == wanted), None)


def resolve_program(corpus: Corpus, name: str, option: str = "--program") -> str:
    """``find_program``, or an InputError with the nearest known names."""
    found = find_program(corpus, name)
    if found is None:
        raise unknown_name(option, "program", name, program_names(corpus))
    return found
