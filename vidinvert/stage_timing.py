"""Busy time of each iterator stage, on one thread or on several.

``StageTimes.observe(name, items)`` wraps a stage's output: every ``next()`` on it is timed, less the
time spent inside other observed stages it pulled from on the same thread and less the time spent
waiting for another thread (``run_ahead`` marks its waits with :func:`waiting`). What is left is the
stage's own work, so the same numbers name the slowest stage in a serial run and in an overlapped one
(where, on a busy CPU, a stage's busy time also holds the time it waited for a core or the GIL).
Work in unobserved code between two observed stages counts for the downstream one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

X = TypeVar("X")
Y = TypeVar("Y")

_local = threading.local()


class _Region:
    """One timed call on a thread's stack: the seconds spent in regions nested inside it."""

    __slots__ = ("clock", "nested")

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.nested = 0.0


def _stack() -> list[_Region]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


@contextlib.contextmanager
def _timed_region(clock: Callable[[], float]) -> Iterator[list[float]]:
    """Times the block; yields [own seconds], set on exit; the whole time counts as nested work of the
    enclosing region."""
    stack = _stack()
    region = _Region(clock)
    stack.append(region)
    own = [0.0]
    start = clock()
    try:
        yield own
    finally:
        elapsed = clock() - start
        stack.pop()
        if stack:
            stack[-1].nested += elapsed
        own[0] = elapsed - region.nested


@contextlib.contextmanager
def waiting() -> Iterator[None]:
    """A wait for another thread: not the work of the stage that waits."""
    stack = _stack()
    if not stack:
        yield
        return
    with _timed_region(stack[-1].clock):
        yield


@dataclass
class StageTime:
    """One stage's count of items given out and seconds of its own work."""

    name: str
    items: int = 0
    seconds: float = 0.0

    @property
    def ms_per_item(self) -> float:
        return 1000 * self.seconds / self.items if self.items else 0.0


class StageTimes:
    """The stages of one run, in the order they were first observed.

    Each stage's numbers are written only by the thread that drives that stage; read them once the
    run is over. ``clock`` is for tests.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.stages: dict[str, StageTime] = {}

    def observe(self, name: str, items: Iterable[X]) -> Iterator[X]:
        """``items`` (a stage's output) with its own time added to the stage ``name``. A name observed
        again (the same stage of each face's chain) adds up: its items are then faces, not frames."""
        record = self.stages.setdefault(name, StageTime(name))
        return self._measured(record, iter(items))

    def timed(self, name: str, stage: Callable[[Iterable[X]], Iterable[Y]]) -> Callable[[Iterable[X]], Iterator[Y]]:
        """The stage function ``stage`` with its output observed as ``name``."""
        return lambda items: self.observe(name, stage(items))

    def _measured(self, record: StageTime, items: Iterator[X]) -> Iterator[X]:
        try:
            while True:
                with _timed_region(self.clock) as own:
                    try:
                        item = next(items)
                    except StopIteration:
                        item = _END
                record.seconds += own[0]
                if item is _END:
                    return
                record.items += 1
                yield item
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def slowest(self) -> StageTime | None:
        """The stage with the most time per item (None before any stage gave out an item)."""
        busy = [s for s in self.stages.values() if s.items]
        return max(busy, key=lambda s: s.ms_per_item) if busy else None


_END = object()
