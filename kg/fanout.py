"""Work spread over forked processes: the one place that decides how kg starts worker processes.

``kg.parallel`` sends documents to a pool for the per-document stages; ``forked_map`` serves a
corpus-wide stage whose per-item work reads large indexes built in this process (alignment):
the workers are forked once the indexes exist and inherit them, so nothing but the items and
the results is pickled.
"""
from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Optional, Sequence, TypeVar

Item, Result = TypeVar("Item"), TypeVar("Result")
# a chunk is the unit sent to a worker: small enough that two workers end together, large
# enough that sending it costs little beside working on it
CHUNKS_PER_WORKER = 4


def pool_context():
    """fork when this process runs one thread (workers start at once, with kg already imported);
    forking a process with threads (a Dask client, a browser driver) can deadlock, so then forkserver."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def balanced_chunks(items: Sequence[Item], weight: Callable[[Item], int], count: int) -> list[list[Item]]:
    """``items`` in order, cut into about ``count`` consecutive runs of about the same total
    ``weight``: the output order is the input order, and one heavy item does not keep a worker
    busy alone."""
    target = max(1, sum(map(weight, items)) / max(1, count))
    chunks: list[list[Item]] = []
    size = 0
    for item in items:
        if not chunks or size >= target:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += weight(item)
    return chunks


def forked_map(function: Callable[[Item], Result], items: list[Item], workers: int) -> list[Result]:
    """``[function(item) for item in items]``, in order, spread over ``workers`` forked processes.

    ``function`` may be a closure over anything this process holds: it is never pickled. In this
    process when ``workers`` is 1, there are fewer than two items, or forking is not safe here
    (``pool_context``)."""
    global _FORKED_FUNCTION
    context = pool_context()
    if workers <= 1 or len(items) < 2 or context.get_start_method() != "fork":
        return [function(item) for item in items]
    _FORKED_FUNCTION = function
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=context) as pool:
            return list(pool.map(_call_forked_function, items))
    finally:
        _FORKED_FUNCTION = None


_FORKED_FUNCTION: Optional[Callable] = None  # what forked_map's workers run: set before they fork


def _call_forked_function(item):
    return _FORKED_FUNCTION(item)
