"""dlib's face recognizer for the tests, skipped with the reason when the `identity` extra is absent."""

from __future__ import annotations

import pytest

from vidinvert.face.recognition import FaceRecognizer, recognition_available, unavailable_reason


@pytest.fixture(scope="session")
def recognizer() -> FaceRecognizer:
    if not recognition_available():
        pytest.skip(f"the identity extra is not installed ({unavailable_reason()})")
    return FaceRecognizer()
