"""Busy time of each iterator stage, on one thread or on several.

A stage is a function ``Iterable[X] -> Iterator[Y]``. ``StageTimes.timed(name, stage)`` wraps it so
that every ``next()`` on its output is timed, less the time the stage spent pulling from its input:
what is left is the stage's own work. On one thread that removes the upstream stages' time; when the
input comes from another thread (``run_ahead``) it removes the waiting. The same numbers therefore
name the slowest stage in a serial run and in an overlapped one (where, on a busy CPU, a stage's busy
time also holds the time it waited for a core or the GIL).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

X = TypeVar("X")
Y = TypeVar("Y")


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
    """The stages of one run, in the order they were wrapped.

    Each stage's numbers are written only by the thread that drives that stage; read them once the
    run is over.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.stages: dict[str, StageTime] = {}

    def timed(self, name: str, stage: Callable[[Iterable[X]], Iterable[Y]]) -> Callable[[Iterable[X]], Iterator[Y]]:
        """``stage`` with its own time added to the stage ``name`` (a name may be wrapped once)."""
        if name in self.stages:
            raise ValueError(f"stage {name!r} is already timed")
        record = self.stages[name] = StageTime(name)
        clock = self.clock

        def run(items: Iterable[X]) -> Iterator[Y]:
            pulled = [0.0]

            def inputs() -> Iterator[X]:
                source = iter(items)
                while True:
                    start = clock()
                    try:
                        item = next(source)
                    except StopIteration:
                        pulled[0] += clock() - start
                        return
                    pulled[0] += clock() - start
                    yield item

            outputs = iter(stage(inputs()))
            try:
                while True:
                    before = pulled[0]
                    start = clock()
                    try:
                        item = next(outputs)
                    except StopIteration:
                        record.seconds += clock() - start - (pulled[0] - before)
                        return
                    record.seconds += clock() - start - (pulled[0] - before)
                    record.items += 1
                    yield item
            finally:
                close = getattr(outputs, "close", None)
                if close is not None:
                    close()

        return run

    def slowest(self) -> StageTime | None:
        """The stage with the most time per item (None before any stage gave out an item)."""
        busy = [s for s in self.stages.values() if s.items]
        return max(busy, key=lambda s: s.ms_per_item) if busy else None

    def table(self) -> list[StageTime]:
        return list(self.stages.values())


def throughput_line(load_seconds: float, frames: int, process_seconds: float, times: StageTimes | None = None) -> str:
    """"models loaded in 2.1 s; 135 frames in 9.8 s (13.8 frames/s); slowest stage: encode (31.0 ms/frame)"."""
    fps = frames / process_seconds if process_seconds > 0 else 0.0
    line = f"models loaded in {load_seconds:.1f} s; {frames} frames in {process_seconds:.1f} s ({fps:.2f} frames/s)"
    slowest = times.slowest() if times is not None else None
    if slowest is not None:
        line += f"; slowest stage: {slowest.name} ({slowest.ms_per_item:.1f} ms/frame)"
    return line
