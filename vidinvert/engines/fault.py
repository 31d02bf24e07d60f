"""A test hook for the engines' fault handling: the worker process holding a named video dies once.

With VIDINVERT_TEST_KILL_VIDEO set to a video's file name and VIDINVERT_TEST_KILL_MARKER to a file
path that does not exist yet, the process working on that video creates the marker and exits at
once (no clean-up, as a crashed or preempted worker would). The marker makes it happen on the first
attempt only, so the retry can succeed. Unset, the hook does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

KILL_VIDEO_ENV = "VIDINVERT_TEST_KILL_VIDEO"
KILL_MARKER_ENV = "VIDINVERT_TEST_KILL_MARKER"
#: Frames written before the batch hook ends the process, so a half-written output is left behind.
FRAMES_BEFORE_DEATH = 2


def armed(video: str | os.PathLike) -> bool:
    """Whether the hook names this video and has not fired yet."""
    marker = os.environ.get(KILL_MARKER_ENV)
    return bool(marker) and os.environ.get(KILL_VIDEO_ENV) == Path(video).name and not Path(marker).exists()


def die() -> None:
    """Leave the marker and end this process abruptly."""
    Path(os.environ[KILL_MARKER_ENV]).touch()
    os._exit(1)


def die_if_armed(video: str | os.PathLike) -> None:
    """End this process now when the hook names `video` (first attempt only)."""
    if armed(video):
        die()


def dying_stage_hook(video: str | os.PathLike):
    """A stage hook for `edit_video` that ends the process after FRAMES_BEFORE_DEATH composited
    frames of `video`, or None when the hook is not armed for it."""
    if not armed(video):
        return None

    def hook(name: str, items: Iterator) -> Iterator:
        if name != "composite":
            return items
        return _die_after(items, FRAMES_BEFORE_DEATH)

    return hook


def _die_after(items: Iterator, count: int) -> Iterator:
    for index, item in enumerate(items):
        if index == count:
            die()
        yield item
