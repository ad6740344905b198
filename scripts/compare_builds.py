"""Compare two build directories file by file: are their outputs byte-identical?

    python scripts/compare_builds.py BUILD_A BUILD_B

Every file is compared except what differs by nature between two runs: the build marker and
lock (`.kg-build.json` holds a fresh build id and time) and the Oxigraph store's binary files
(`store/`; its content is `graph.trig`, which is compared) and `cache/` (per-document analyses
kept for the next build). Exit 0 when identical, 1 otherwise.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

SKIPPED_NAMES = {".kg-build.json", ".kg-build.lock"}
SKIPPED_FOLDERS = {"store", "cache"}  # cache: per-document analyses kept for the next build, not an output


def digests(root: Path) -> dict[str, str]:
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or path.name in SKIPPED_NAMES or relative.parts[0] in SKIPPED_FOLDERS:
            continue
        found[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    first, second = (digests(Path(arg)) for arg in argv)
    only_first = sorted(set(first) - set(second))
    only_second = sorted(set(second) - set(first))
    different = sorted(name for name in set(first) & set(second) if first[name] != second[name])
    for label, names in (("only in " + argv[0], only_first), ("only in " + argv[1], only_second),
                         ("different", different)):
        for name in names:
            print(f"{label}: {name}")
    same = len(set(first) & set(second)) - len(different)
    print(f"{same} files identical, {len(different)} different, {len(only_first) + len(only_second)} unpaired")
    return 0 if not (only_first or only_second or different) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
