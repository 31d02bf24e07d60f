from __future__ import annotations

import numpy as np
import pytest

from _fixtures_face import clip_frames, portraits
from vidinvert.errors import VidinvertError
from vidinvert.face.detect import MeshDetector
from vidinvert.face.track import FaceTracker, parse_face


def run_tracker(frames, **options):
    with MeshDetector(video=True) as detector:
        return [tracked for _, tracked in FaceTracker(detector, **options).track(enumerate(frames))]


def test_face_then_no_face(shared_data):
    frames = clip_frames(shared_data / "videos" / "face_noface.mov")
    tracked = run_tracker(frames, max_gap=3)
    found = np.array([t.found for t in tracked])
    assert len(tracked) == len(frames) == 169
    first_missing = int(np.argmin(found))
    assert first_missing > 50  # the face is there from the start...
    assert not found[first_missing:].any()  # ...and once gone, it stays gone
    assert found[:first_missing].all()


@pytest.fixture(scope="module")
def talk_frames(shared_data):
    return clip_frames(shared_data / "videos" / "talk_audio.mp4", 24)


def blank(frames, indices):
    frames = list(frames)
    for i in indices:
        frames[i] = np.full_like(frames[i], 90)
    return frames


def test_short_gap_is_interpolated(talk_frames):
    tracked = run_tracker(blank(talk_frames, [8, 9, 10]), max_gap=3)
    assert all(t.found for t in tracked)
    assert [i for i, t in enumerate(tracked) if t.interpolated] == [8, 9, 10]
    before, after = tracked[7].landmarks, tracked[11].landmarks
    np.testing.assert_allclose(tracked[9].landmarks.anchors, (before.anchors + after.anchors) / 2)
    np.testing.assert_allclose(tracked[8].landmarks.points, 0.75 * before.points + 0.25 * after.points)


def test_long_gap_passes_frames_through(talk_frames):
    gap = list(range(6, 12))
    tracked = run_tracker(blank(talk_frames, gap), max_gap=3)
    assert [i for i, t in enumerate(tracked) if not t.found] == gap
    assert not any(t.interpolated for t in tracked)


def test_lookahead_is_bounded(talk_frames):
    frames = blank(talk_frames, range(4, 20))
    pulled = []

    def source():
        for i, frame in enumerate(frames):
            pulled.append(i)
            yield i, frame

    with MeshDetector(video=True) as detector:
        for index, _ in FaceTracker(detector, max_gap=2).track(source()):
            assert len(pulled) - 1 - index <= 3  # at most max_gap + 1 frames ahead of the output


@pytest.fixture(scope="module")
def two_faces(shared_data):
    big, small = portraits(shared_data, 2)
    canvas = np.full((1024, 1600, 3), 128, np.uint8)
    canvas[:, 576:] = big[:, :1024]
    canvas[300:812, 20:532] = small[::2, ::2]
    return [canvas] * 3


def test_face_option_picks_another_face(two_faces):
    largest = run_tracker(two_faces)
    second = run_tracker(two_faces, face=1)
    left = run_tracker(two_faces, face="left")
    point = run_tracker(two_faces, face=(1000.0, 500.0))
    assert largest[0].landmarks.centre[0] > 800
    assert second[0].landmarks.centre[0] < 600
    assert left[0].landmarks.centre[0] < 600
    assert point[0].landmarks.centre[0] > 800
    assert all(t.found for t in second)
    assert not any(t.found for t in run_tracker(two_faces, face=2))


def test_follows_a_moving_head(shared_data):
    frames = clip_frames(shared_data / "videos" / "head_d18.mp4", 60)
    tracked = run_tracker(frames)
    assert all(t.found for t in tracked)
    centres = np.array([t.landmarks.centre for t in tracked])
    steps = np.hypot(*np.diff(centres, axis=0).T)
    assert steps.max() < 40  # the same face every frame, no jumps
    assert np.ptp(centres, axis=0).max() > 5  # and the head does move


def test_parse_face():
    assert parse_face("2") == 2
    assert parse_face("Left") == "left"
    assert parse_face("320,200") == (320.0, 200.0)
    with pytest.raises(VidinvertError, match="bad face selector"):
        parse_face("biggest")
