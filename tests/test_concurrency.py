"""Stages on their own threads: order, bounded look-ahead, errors from either side, clean stops."""

from __future__ import annotations

import contextlib
import gc
import itertools
import threading
import time
import weakref

import pytest

from vidinvert.concurrency import Handoffs, ordered_map, run_ahead, tee
from vidinvert.errors import VidinvertError
from vidinvert.stage_timing import StageTimes


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("vidinvert-")]


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    yield
    assert worker_threads() == []


class Source:
    """Counts how far a producer has got and whether it was closed, on which thread."""

    def __init__(self, n: int, fail_at: int | None = None, error: BaseException | None = None) -> None:
        self.n, self.fail_at, self.error = n, fail_at, error
        self.produced = 0
        self.closed_on: str | None = None
        self.threads: set[str] = set()

    def __iter__(self):
        try:
            for i in range(self.n):
                self.threads.add(threading.current_thread().name)
                if i == self.fail_at:
                    raise self.error or ValueError(f"bad item {i}")
                self.produced += 1
                yield i
        finally:
            self.closed_on = threading.current_thread().name


def test_items_in_order_and_produced_on_the_worker():
    source = Source(200)
    assert list(run_ahead(source, maxsize=3, name="decode")) == list(range(200))
    assert source.threads == {"vidinvert-decode"}
    assert source.closed_on == "vidinvert-decode"


@pytest.mark.parametrize("maxsize", [1, 2, 5])
def test_producer_never_more_than_maxsize_ahead(maxsize):
    source = Source(50)
    ahead = []
    taken = 0
    for item in run_ahead(source, maxsize=maxsize):
        taken += 1
        time.sleep(0.002)  # give the worker every chance to run ahead
        ahead.append(source.produced - taken)
        assert item == taken - 1
    assert max(ahead) == maxsize  # it does run ahead, and no further than maxsize
    assert min(ahead) >= 0


def test_worker_error_raised_in_the_caller_with_its_type_after_the_items_before_it():
    source = Source(10, fail_at=6, error=VidinvertError("frame 6 is corrupt"))
    got = []
    with pytest.raises(VidinvertError, match="frame 6 is corrupt"):
        for item in run_ahead(source, maxsize=2):
            got.append(item)
    assert got == [0, 1, 2, 3, 4, 5]
    assert source.closed_on.startswith("vidinvert-")


def test_caller_error_stops_the_worker():
    source = Source(10_000)
    items = run_ahead(source, maxsize=4)
    with pytest.raises(RuntimeError, match="writer failed"), contextlib.closing(items):
        for item in items:
            if item == 10:
                raise RuntimeError("writer failed")
    assert source.produced <= 10 + 1 + 4 + 1  # taken, in hand, queued, being produced when stopped
    assert source.closed_on.startswith("vidinvert-")


def test_early_stop_closes_the_source_on_its_thread():
    source = Source(10_000)
    items = run_ahead(source, maxsize=2)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert source.closed_on.startswith("vidinvert-")
    assert source.produced < 10


def test_interrupt_while_waiting_stops_every_stage():
    """KeyboardInterrupt reaches the main thread while it waits on a chain of two workers."""
    release = threading.Event()

    def slow():
        for i in range(100):
            release.wait(0.01)
            yield i

    chained = run_ahead(run_ahead(slow(), maxsize=2, name="decode"), maxsize=2, name="model")
    timer = threading.Timer(0.05, lambda: __import__("_thread").interrupt_main())
    timer.start()
    with pytest.raises(KeyboardInterrupt), contextlib.closing(chained):
        for _ in chained:
            time.sleep(0.01)
    timer.join()
    assert worker_threads() == []


def test_nested_error_crosses_two_threads():
    def double(items):
        for item in items:
            yield 2 * item

    source = Source(20, fail_at=12, error=KeyError("lost"))
    stages = run_ahead(double(run_ahead(source, maxsize=2)), maxsize=2)
    with pytest.raises(KeyError, match="lost"):
        list(stages)


def test_unstarted_iterator_starts_no_thread():
    items = run_ahead(Source(3))
    assert worker_threads() == []
    items.close()


def test_maxsize_must_be_positive():
    with pytest.raises(ValueError, match="maxsize"):
        next(run_ahead(range(3), maxsize=0))


def test_ordered_map_keeps_order_when_items_finish_out_of_order():
    def slow_for_small(i):
        time.sleep(0.002 * (10 - i % 10))
        return i * i

    assert list(ordered_map(slow_for_small, range(40), workers=3)) == [i * i for i in range(40)]


def test_ordered_map_bounds_items_in_flight():
    pulled = [0]
    taken = [0]
    most = [0]

    def items():
        for i in range(60):
            pulled[0] += 1
            most[0] = max(most[0], pulled[0] - taken[0])
            yield i

    for _ in ordered_map(lambda i: i, items(), workers=2, maxsize=3):
        taken[0] += 1
    assert most[0] == 3


def test_ordered_map_raises_the_failing_items_error_in_turn():
    def check(i):
        if i == 7:
            raise VidinvertError("frame 7 has no face")
        return i

    got = []
    with pytest.raises(VidinvertError, match="frame 7"):
        for item in ordered_map(check, range(30), workers=2):
            got.append(item)
    assert got == list(range(7))


def test_ordered_map_early_stop_cancels_the_rest():
    calls = []
    results = ordered_map(calls.append, range(1000), workers=2, maxsize=4)
    next(results)
    results.close()
    assert len(calls) <= 5


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def working(self, seconds: float):
        def stage(items):
            for item in items:
                self.now += seconds
                yield item
        return stage


def test_stage_times_count_each_stages_own_work_on_one_thread():
    clock = FakeClock()
    times = StageTimes(clock)
    decode = times.timed("decode", lambda _: clock.working(0.002)(range(10)))
    model = times.timed("model", clock.working(0.030))
    encode = times.timed("encode", clock.working(0.005))
    assert list(encode(model(decode(())))) == list(range(10))
    own = {name: (stage.items, round(stage.ms_per_item, 9)) for name, stage in times.stages.items()}
    assert own == {"decode": (10, 2.0), "model": (10, 30.0), "encode": (10, 5.0)}
    assert times.slowest().name == "model"


def test_stage_times_leave_out_waiting_for_another_thread():
    def sleeping(seconds):
        def stage(items):
            for item in items:
                time.sleep(seconds)
                yield item
        return stage

    times = StageTimes()
    first = times.timed("first", sleeping(0.02))
    second = times.timed("second", sleeping(0.001))
    with contextlib.closing(run_ahead(first(range(20)), maxsize=2)) as items:
        assert list(second(items)) == list(range(20))
    # The second stage waits about 20 ms per item for the first one; that wait is not its work.
    # Bounds are loose because sleeps overshoot on a loaded machine.
    assert times.stages["first"].ms_per_item >= 20.0
    assert times.stages["second"].ms_per_item < 10.0
    assert times.slowest().name == "first"


def test_closing_a_timed_stage_closes_the_stage():
    times = StageTimes()
    source = Source(100)
    stage = times.timed("s", lambda items: iter(source))(())
    next(stage)
    stage.close()
    assert source.closed_on == threading.current_thread().name


@pytest.mark.parametrize("serial", [True, False])
def test_handoffs_chain_gives_the_same_items_and_stops_every_worker(serial):
    def where(name, items):
        for item in items:
            threads[name].add(threading.current_thread().name)
            yield item

    threads = {"decode": set(), "model": set(), "paste": set()}
    handoffs = Handoffs(serial, maxsize=2)
    source = Source(100)
    frames = handoffs.ahead(where("decode", source), "decode")
    frames = handoffs.ahead(where("model", (2 * f for f in frames)), "model")
    out = handoffs.output(where("paste", frames))
    assert [next(out) for _ in range(10)] == [2 * i for i in range(10)]
    assert sorted(t.name for t in worker_threads()) == ([] if serial else ["vidinvert-decode", "vidinvert-model"])
    out.close()
    if not serial:  # closed by its worker as the workers stop (a serial chain leaves that to the caller)
        assert source.closed_on == "vidinvert-decode"
    me = threading.current_thread().name
    expected = {"decode": {me}, "model": {me}, "paste": {me}} if serial else \
        {"decode": {"vidinvert-decode"}, "model": {"vidinvert-model"}, "paste": {me}}
    assert threads == expected


class _Item:
    pass


def _alive_while_teed(split, ahead: int) -> int:
    """The most items alive at once while one branch runs ``ahead`` items before the other."""
    refs: list[weakref.ref] = []

    def items():
        for _ in range(300):
            item = _Item()
            refs.append(weakref.ref(item))
            yield item

    lead, lag = split(items())
    most = 0
    for _ in range(ahead):
        next(lead)
    for index, got in enumerate(lag):
        assert refs[index]() is got  # in order, the same objects
        next(lead, None)
        del got
        gc.collect()
        most = max(most, sum(ref() is not None for ref in refs))
    return most


def test_tee_holds_only_the_items_between_its_branches():
    # 5 items apart: the 5 the leading branch has passed and the lagging one has not, plus the one
    # just taken by the lead; itertools.tee keeps whole blocks of 57
    assert _alive_while_teed(tee, 5) == 6
    assert _alive_while_teed(itertools.tee, 5) > 50
