"""Run iterator stages on their own threads, with bounded hand-offs.

``run_ahead(items, maxsize)`` consumes ``items`` on a worker thread and hands the items over as the
caller iterates: the worker is never more than ``maxsize`` items ahead of the caller. An exception
from ``items`` is raised in the caller (the same exception object, so its type is kept). When the
caller stops early (``close()``, an error of its own, KeyboardInterrupt), the worker stops after the
item it is producing, closes ``items`` on its own thread, and is joined: no thread outlives the
iteration.

``ordered_map(fn, items, workers, maxsize)`` applies ``fn`` to independent items on ``workers``
threads and yields the results in input order, with at most ``maxsize`` items in flight.

Both only move work between threads; each item goes through the same calls in the same order as it
would on one thread, so results are the same. The speed-up comes from code that releases the GIL
(FFmpeg, torch, OpenCV, mediapipe's graph).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from vidinvert.stage_timing import waiting

T = TypeVar("T")
R = TypeVar("R")


class _Handoff:
    """The items a worker has produced and the caller has not taken yet, and how the worker ended."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.lock = threading.Condition()
        self.items: deque = deque()
        self.finished = False  # the worker will add nothing more
        self.error: BaseException | None = None
        self.stopped = False  # the caller takes nothing more

    def produce(self, source: Iterator) -> None:
        """The worker's loop: wait for room, take the next item, hand it over."""
        try:
            while True:
                with self.lock:
                    while len(self.items) >= self.maxsize and not self.stopped:
                        self.lock.wait()
                    if self.stopped:
                        return
                try:
                    item = next(source)
                except StopIteration:
                    return
                with self.lock:
                    self.items.append(item)
                    self.lock.notify_all()
        except BaseException as exc:  # handed to the caller, which raises it
            with self.lock:
                self.error = exc
        finally:
            close = getattr(source, "close", None)
            try:
                if close is not None:
                    close()
            except BaseException as exc:
                with self.lock:
                    self.error = self.error or exc
            with self.lock:
                self.finished = True
                self.lock.notify_all()

    def take(self) -> tuple[bool, object]:
        """(True, item), or (False, None) once the worker has ended; raises the worker's error."""
        with self.lock:
            if not self.items and not self.finished:
                with waiting():
                    while not self.items and not self.finished:
                        self.lock.wait()
            if self.items:
                item = self.items.popleft()
                self.lock.notify_all()
                return True, item
            if self.error is not None:
                error, self.error = self.error, None
                raise error
            return False, None

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            self.items.clear()
            self.lock.notify_all()


def run_ahead(items: Iterable[T], maxsize: int = 4, name: str = "stage") -> Iterator[T]:
    """Iterate ``items`` on a worker thread (named ``name``), at most ``maxsize`` items ahead.

    The worker starts at the first ``next()``. Close the returned iterator (or exhaust it) to stop
    the worker; ``contextlib.closing`` does that on errors.
    """
    if maxsize < 1:
        raise ValueError(f"maxsize must be at least 1, got {maxsize}")
    handoff = _Handoff(maxsize)
    # A daemon, so that a caller that drops the iterator without closing it cannot keep the process
    # alive at exit; closing (or exhausting) it joins the worker.
    worker = threading.Thread(target=handoff.produce, args=(iter(items),), name=f"vidinvert-{name}", daemon=True)
    worker.start()
    try:
        while True:
            more, item = handoff.take()
            if not more:
                return
            yield item  # type: ignore[misc]
    finally:
        handoff.stop()
        worker.join()


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int = 2, maxsize: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` on ``workers`` threads, results in input order, at most ``maxsize``
    (default ``2 * workers``) items submitted and not yet yielded.

    Items are pulled from ``items`` on the caller's thread. An exception from ``fn`` is raised when
    its item's turn comes; on that, or when the caller stops early, the items not started are
    cancelled and the threads joined.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    limit = 2 * workers if maxsize is None else maxsize
    if limit < 1:
        raise ValueError(f"maxsize must be at least 1, got {limit}")
    source = iter(items)
    pending: deque[Future[R]] = deque()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vidinvert-map")
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < limit:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(pool.submit(fn, item))
            if not pending:
                return
            with waiting():
                result = pending.popleft().result()
            yield result
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)


class Handoffs:
    """The places in a chain of iterator stages where the stages upstream move to a thread of their
    own. With ``serial=True`` there are none: the chain runs on the caller's thread, as written.

        handoffs = Handoffs(serial)
        frames = handoffs.ahead(track(decode(...)), "landmarks")   # decode + track on one thread
        frames = handoffs.ahead(invert(frames), "model")           # the model on another
        for frame in handoffs.output(paste(frames)): ...           # the caller's thread

    ``output`` closes every hand-off, last first, when the iteration ends, fails or is closed, so
    every worker is stopped and joined.
    """

    def __init__(self, serial: bool = False, maxsize: int = 4) -> None:
        self.serial = serial
        self.maxsize = maxsize
        self.opened: list[Iterator] = []

    def ahead(self, items: Iterable[T], name: str, maxsize: int | None = None) -> Iterator[T]:
        """``items`` produced on a thread of its own (as it is, when serial)."""
        if self.serial:
            return iter(items)
        handed = run_ahead(items, self.maxsize if maxsize is None else maxsize, name)
        self.opened.append(handed)
        return handed

    def output(self, items: Iterable[T]) -> Iterator[T]:
        try:
            yield from items
        finally:
            self.close()

    def close(self) -> None:
        while self.opened:
            self.opened.pop().close()


def tee(items: Iterable[T], n: int = 2) -> tuple[Iterator[T], ...]:
    """``n`` iterators over ``items``, like `itertools.tee`, holding each item only until every one
    of them has passed it.

    `itertools.tee` keeps its items in blocks of 57 that are freed only when every iterator has left
    the whole block, so it holds up to 57 items more than the iterators' distance apart: 57 frames
    of a 4K 16-bit video are about 4 GiB. Not thread-safe: all ``n`` iterators belong to one thread.
    """
    source = iter(items)
    queues: list[deque[T]] = [deque() for _ in range(n)]

    def branch(queue: deque[T]) -> Iterator[T]:
        while True:
            if not queue:
                try:
                    item = next(source)
                except StopIteration:
                    return
                for other in queues:
                    other.append(item)
            yield queue.popleft()

    return tuple(branch(queue) for queue in queues)
