"""The local engine: videos in this process (or, for `eval`, in `workers` local processes)."""

from __future__ import annotations

from dataclasses import dataclass

from vidinvert.errors import VidinvertError


@dataclass(frozen=True)
class LocalEngine:
    """Run the videos here: one after the other, or `workers` at a time in worker processes."""

    workers: int = 1

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise VidinvertError(f"--workers must be 1 or more, got {self.workers}")
