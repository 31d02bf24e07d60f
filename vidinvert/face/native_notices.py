"""mediapipe's native start-up notices (TFLite delegate, absl feedback-manager warnings) kept off
the terminal: the process's stderr is pointed at /dev/null only while its graph starts and runs its
first frame; everything else written to stderr stays visible."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator

_shown = False


def show_native_notices(show: bool = True) -> None:
    """Let the notices through (the CLI's -vv)."""
    global _shown
    _shown = show


@contextlib.contextmanager
def native_notices_silenced() -> Iterator[None]:
    """Native code writing to file descriptor 2 inside this block writes to /dev/null."""
    if _shown:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, AttributeError, ValueError):
        yield
        return
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
