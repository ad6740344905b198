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


class Beside:
    """``function(report)`` started in a forked process beside this one; ``result()`` waits for its value.

    The child inherits everything this process holds, as ``forked_map``'s workers do; what comes
    back is pickled: its value (or its error, raised again by ``result()``) and each
    ``report(*args)`` it makes, which a thread here hands to ``on_report(*args)`` as it arrives.
    When forking is not safe here (``pool_context``) the call is made in this process, by
    ``result()``: later, with the same value and reports.
    """

    def __init__(self, function: Callable[[Callable[..., None]], Result],
                 on_report: Optional[Callable[..., None]] = None):
        self._function = function
        self._on_report = on_report or _ignore
        self._process = None
        self._outcome: tuple = (False, RuntimeError("the process beside this one ended without a result"))
        context = pool_context()
        if context.get_start_method() != "fork":
            return
        receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_run_and_send, args=(function, sender), name="kg-beside", daemon=True)
        self._process.start()  # forked: neither the function nor its arguments are pickled
        sender.close()  # the child holds the only writing end now: EOF here when it ends
        self._relay = threading.Thread(target=self._receive, args=(receiver,), name="kg-beside-relay", daemon=True)
        self._relay.start()

    def _receive(self, receiver) -> None:
        with receiver:
            while True:
                try:
                    kind, *payload = receiver.recv()
                except EOFError:  # ended without a result (killed, or out of memory)
                    return
                if kind == "report":
                    self._on_report(*payload)
                else:
                    self._outcome = tuple(payload)
                    return

    def result(self) -> Result:
        if self._process is None:
            return self._function(self._on_report)
        self._relay.join()
        self._process.join()
        succeeded, value = self._outcome
        if succeeded:
            return value
        if isinstance(value, RuntimeError) and self._process.exitcode:
            raise RuntimeError(f"{value} (exit code {self._process.exitcode})")
        raise value

    def cancel(self) -> None:
        """The value is no longer wanted (the caller failed): end the child now."""
        if self._process is not None:
            self._process.terminate()
            self._process.join()
            self._relay.join()


def beside(function: Callable[[Callable[..., None]], Result],
           on_report: Optional[Callable[..., None]] = None) -> Beside:
    """Run ``function(report)`` on another core while this process goes on (see ``Beside``)."""
    return Beside(function, on_report)


def _ignore(*_args) -> None:
    pass


def _run_and_send(function: Callable[[Callable[..., None]], Result], sender) -> None:
    def report(*args) -> None:
        sender.send(("report", *args))

    try:
        outcome = (True, function(report))
    except BaseException as err:  # raised again in the parent, by Beside.result
        outcome = (False, err)
    try:
        sender.send(("result", *outcome))
    except Exception as err:  # a value or error that cannot be pickled: say what it was
        sender.send(("result", False, RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]} ({err})")))
    finally:
        sender.close()
