"""The cyclic garbage collector held off while a stage allocates many small records.

Alignment makes millions of short-lived n-gram strings, tuples and spans, none of them in a
reference cycle (reference counting frees them). Each allocation burst still triggers the
cyclic collector, whose full passes walk the whole heap, the corpus included: the larger the
corpus, the more each pass costs, so a stage's time would grow faster than the corpus.
"""
from __future__ import annotations

import contextlib
import functools
import gc
from typing import Callable, Iterator, TypeVar

T = TypeVar("T", bound=Callable)


@contextlib.contextmanager
def cycles_collected_later() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is switched back on after it (if it
    was on), and collects any cycle then."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect_cycles_later(function: T) -> T:
    """``function`` run inside :func:`cycles_collected_later`."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with cycles_collected_later():
            return function(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
