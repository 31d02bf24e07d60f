"""How a run uses the machine's CPU threads for the models (`--threads`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

from vidinvert.config import ExecutionConfig


@contextlib.contextmanager
def model_threads(execution: ExecutionConfig) -> Iterator[None]:
    """CPU threads for the models during a run (`--threads`; 0: all cores but one, so the stages
    around the models keep a core), restored afterwards. The same count serial or overlapped: the
    CPU kernels' rounding depends on it, and both ways give the same bytes."""
    threads = execution.threads or max(1, (os.cpu_count() or 1) - 1)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
