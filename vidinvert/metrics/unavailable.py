"""A metric that cannot be computed here, and why (never silently replaced by another)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unavailable:
    """Stands in for a metric model that could not be loaded; ``reason`` says why."""

    metric: str
    reason: str

    def __str__(self) -> str:
        return f"{self.metric} unavailable: {self.reason}"
