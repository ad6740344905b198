"""What a build reuses of the graph of the build it replaces: unchanged named graphs, and the store.

``cache/graph-index.json`` records, for each named graph, a digest of its sorted N-Triples lines
and where Oxigraph's serialisation of it lies in ``graph.trig`` and in ``graph.ttl``. The next
build into the same folder digests each graph it produces: an unchanged graph's bytes are copied
from the old files instead of being serialised again, and the old store is checkpointed and
updated graph by graph instead of bulk-loading every quad (kg.rdf.store.write_graph_reusing).

Nothing is taken on trust: the index names the serialiser that wrote the files (Oxigraph's
version, the prefixes), both files must still have the size and sha256 it recorded, and the old
store the quad count. Otherwise the previous build offers nothing and the graph is written anew.
"""
from __future__ import annotations

import hashlib
import json
import mmap
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from kg.fileio import write_json

INDEX_PATH = Path("cache") / "graph-index.json"
INDEX_FORMAT = 1


@dataclass(frozen=True)
class Block:
    """One named graph's serialisation in a file: the digest of the lines it was made from, where it is."""
    digest: str
    offset: int
    length: int
    triples: int


@dataclass
class FileIndex:
    blocks: dict[str, Block] = field(default_factory=dict)  # graph name (<iri>) -> its block
    size: int = 0
    sha256: str = ""


@dataclass
class GraphIndex:
    serializer: str  # what wrote the blocks: the same lines give the same bytes only from the same writer
    trig: FileIndex = field(default_factory=FileIndex)
    ttl: FileIndex = field(default_factory=FileIndex)

    @property
    def quads(self) -> int:
        """graph.trig's quads, which are the store's."""
        return sum(block.triples for block in self.trig.blocks.values())


def lines_digest(lines: Iterable[str]) -> str:
    """The digest of a graph's sorted N-Triples lines (the writer's input, not its output)."""
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


class IndexedFile:
    """A file being written block by block, with the index of its blocks and its running sha256."""

    def __init__(self, file, index: FileIndex):
        self._file = file
        self._hash = hashlib.sha256()
        self.index = index

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._hash.update(chunk)
        self.index.size += len(chunk)

    def write_block(self, name: str, block: bytes, digest: str, triples: int) -> None:
        self.index.blocks[name] = Block(digest, self.index.size, len(block), triples)
        self.write(block)

    def finish(self) -> None:
        self.index.sha256 = self._hash.hexdigest()


def write_index(index: GraphIndex, build_dir: Path | str) -> None:
    write_json(Path(build_dir) / INDEX_PATH, {"format": INDEX_FORMAT, **asdict(index)})


def read_index(build_dir: Path | str) -> Optional[GraphIndex]:
    """The index a build wrote; None if absent, unreadable or of another format."""
    try:
        data = json.loads((Path(build_dir) / INDEX_PATH).read_text(encoding="utf-8"))
        if data.get("format") != INDEX_FORMAT:
            return None
        files = {name: FileIndex({graph: Block(**block) for graph, block in data[name]["blocks"].items()},
                                 data[name]["size"], data[name]["sha256"]) for name in ("trig", "ttl")}
        return GraphIndex(data["serializer"], files["trig"], files["ttl"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


class PreviousGraphs:
    """The previous build's graph files, mapped for reading blocks, and their index.

    ``open`` returns None when there is nothing trustworthy to reuse (see the module's notes)."""

    def __init__(self, build_dir: Path, index: GraphIndex, trig: mmap.mmap, ttl: mmap.mmap):
        self.build_dir = build_dir
        self.index = index
        self._trig, self._ttl = trig, ttl

    @classmethod
    def open(cls, build_dir: Path | str, serializer: str) -> Optional["PreviousGraphs"]:
        build_dir = Path(build_dir)
        index = read_index(build_dir)
        if index is None or index.serializer != serializer:
            return None
        mapped = []
        for name, file_index in (("graph.trig", index.trig), ("graph.ttl", index.ttl)):
            data = _mapped(build_dir / name)
            if data is not None:
                mapped.append(data)
            if data is None or len(data) != file_index.size or hashlib.sha256(data).hexdigest() != file_index.sha256:
                for opened in mapped:
                    opened.close()
                return None
        return cls(build_dir, index, *mapped)

    @property
    def store_dir(self) -> Path:
        return self.build_dir / "store"

    def trig_block(self, name: str) -> Optional[bytes]:
        return self._block(self._trig, self.index.trig.blocks.get(name))

    def ttl_block(self, name: str) -> Optional[bytes]:
        return self._block(self._ttl, self.index.ttl.blocks.get(name))

    @staticmethod
    def _block(data: mmap.mmap, block: Optional[Block]) -> Optional[bytes]:
        return None if block is None else data[block.offset:block.offset + block.length]

    def close(self) -> None:
        self._trig.close()
        self._ttl.close()


def _mapped(path: Path) -> Optional[mmap.mmap]:
    try:
        with path.open("rb") as file:
            if not path.stat().st_size:
                return None
            return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
