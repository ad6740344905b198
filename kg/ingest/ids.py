"""Document ids: one unique, stable id per source file of a corpus folder.

Shared by reading (ingest) and the manifest, which names documents by these ids.
"""
from __future__ import annotations

from pathlib import Path

from kg.errors import InputError

# Reserved in ids derived from file names: `#` marks compilation parts (`<id>#1`), `%` the escape.
ID_ESCAPES = {"%": "%25", "#": "%23"}


def doc_id_of(file_name: str, whole_name: bool = False) -> str:
    """The document id a file name gives: its stem (or whole name), `#` and `%` percent-encoded,
    so that `comp#1.txt` (`comp%231`) never collides with part 1 of the compilation `comp.txt`."""
    name = file_name if whole_name else Path(file_name).stem
    return "".join(ID_ESCAPES.get(char, char) for char in name)


def document_ids(files: list[Path]) -> tuple[dict[Path, str], list[str]]:
    """A unique, stable id for every source file, and a notice for each set of files sharing a stem.

    The id is the stem; files sharing one (`x.txt`, `x.docx`) are all named by their file name
    instead (`x.txt`, `x.docx`), again until no two share an id (`x.txt.pdf` next to them).
    """
    ids = {path: doc_id_of(path.name) for path in files}
    notices = []
    while True:
        by_id: dict[str, list[Path]] = {}
        for path in files:
            by_id.setdefault(ids[path], []).append(path)
        shared = [group for group in by_id.values() if len(group) > 1]
        if not shared:
            return ids, notices
        for group in shared:
            for path in group:
                ids[path] = doc_id_of(path.name, whole_name=True)
            notices.append(f"{', '.join(p.name for p in group)}: same file stem, so each document's id is its "
                           f"file name ({', '.join(ids[p] for p in group)})")


def case_collisions(ids: dict[Path, str]) -> list[InputError]:
    """Ids that differ only by case would overwrite each other's text file on a case-insensitive
    disk (macOS, Windows): all but the first (in file name order) are refused."""
    errors = []
    first: dict[str, Path] = {}
    for path in sorted(ids):
        key = ids[path].casefold()
        if key in first:
            errors.append(InputError(path, f"id {ids[path]!r} differs only by case from {ids[first[key]]!r} of "
                                           f"{first[key].name}; rename one of the two files"))
        else:
            first[key] = path
    return errors
