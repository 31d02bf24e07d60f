from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real clips and faces beside the checkout; tests that need them skip when absent, except in
    CI (CI=true), where the data must be there."""
    if not SHARED_DATA.is_dir() and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"real test data not found at {SHARED_DATA}: CI must provide ../shared/data")
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (expected ../shared/data beside the checkout)")
    return SHARED_DATA
