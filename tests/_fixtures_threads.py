"""The pipeline's worker threads (named vidinvert-*), and a fixture that fails a test leaving any behind."""

from __future__ import annotations

import threading

import pytest


def workers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("vidinvert-") and t.name != "vidinvert-stderr"]


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    yield
    assert workers() == []
