"""TL-ID and TG-ID through dlib's embedding when no official identity backbone is on disk, on FFHQ
crops of the shared clips; the official backbone stays preferred."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from _fixtures_identity import write_identity_file
from _fixtures_recognition import recognizer  # noqa: F401  (fixture)
from vidinvert.config import RunConfig
from vidinvert.engines.local import LocalEngine
from vidinvert.eval.evaluation import MetricOptions, VideoSelection
from vidinvert.eval.records import EvalFrame
from vidinvert.eval.runner import evaluate_folder
from vidinvert.eval.suite import MetricSuite
from vidinvert.eval.video_eval import evaluate_video
from vidinvert.face.align import crop, ffhq_quad
from vidinvert.face.detect import MeshDetector
from vidinvert.face.recognition import BACKBONE
from vidinvert.video import open_video

FRAMES = 6


@functools.lru_cache(maxsize=None)
def aligned(path: Path, frames: int) -> tuple[tuple[int, np.ndarray, np.ndarray], ...]:
    """(index, 256 px FFHQ crop, quad) of the first `frames` frames that show a face."""
    found = []
    with open_video(path, frames=f"0:{frames}") as video, MeshDetector(video=True) as mesh:
        for record in video:
            faces = mesh.detect(record.image)
            if faces:
                quad = ffhq_quad(faces[0])
                found.append((record.index, crop(record.image, quad, 256)[0], quad))
    return tuple(found)


@dataclass(frozen=True)
class AlignedClip:
    """The clip's FFHQ crops against themselves ("same"), blurred ("blur"), or every other frame
    swapped for the crop of another person's clip ("swap")."""

    output: str = "same"
    other: Path | None = None

    def __call__(self, path: Path, max_frames: int | None):
        others = aligned(self.other, max_frames) if self.other else ()
        for i, (index, face, quad) in enumerate(aligned(path, max_frames)):
            result = face
            if self.output == "blur":
                result = cv2.GaussianBlur(face, (0, 0), 1.5)
            elif self.output == "swap" and i % 2:
                result = others[i][1]
            yield EvalFrame(index, face, result, quad)


@pytest.fixture()
def empty_weights_store(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("VIDINVERT_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "empty"


@pytest.fixture()
def clips(shared_data) -> dict[str, Path]:
    return {name: shared_data / "videos" / f"{name}.mp4" for name in ("single_face", "head_d18", "talk_audio")}


def test_dlib_fills_tl_and_tg_id_but_not_id(recognizer, clips, empty_weights_store):
    suite = MetricSuite.load(lpips=False, weights_dir=empty_weights_store)
    assert suite.sources()["identity"] is None and suite.sources()["tl_id/tg_id identity"] == BACKBONE
    same = evaluate_video(clips["single_face"], AlignedClip("same"), suite, FRAMES)
    # R = S_out / S_src of one matrix with itself: exactly 1 up to the float64 division's rounding
    assert same.values["tl_id"] == pytest.approx(1.0, abs=1e-12)
    assert same.values["tg_id"] == pytest.approx(1.0, abs=1e-12)
    assert np.isnan(same.values["id"]) and "not on the published ID scale" in same.unavailable["id"]
    assert "tl_id" not in same.unavailable and "tg_id" not in same.unavailable

    blurred = evaluate_video(clips["single_face"], AlignedClip("blur"), suite, FRAMES).values
    other = AlignedClip("swap", clips["head_d18"])
    swapped = evaluate_video(clips["single_face"], other, suite, FRAMES).values
    # another person in every other frame: adjacent frames are far less alike than in the input
    assert swapped["tl_id"] < 0.95 and swapped["tg_id"] < 0.97
    assert swapped["tl_id"] < blurred["tl_id"] and abs(blurred["tl_id"] - 1) < 0.03


def test_the_report_names_the_backbone_of_tl_and_tg_id(recognizer, clips, tmp_path, empty_weights_store):
    root = tmp_path / "videos"
    root.mkdir()
    for name in ("single_face", "talk_audio"):
        (root / f"{name}.mp4").symlink_to(clips[name])
    summary = evaluate_folder(root, tmp_path / "report", RunConfig.from_options(weights_dir=str(empty_weights_store)),
                              VideoSelection(max_frames=3), MetricOptions(plots=False, lpips=False), LocalEngine(1),
                              video_fn=AlignedClip("same"), progress=False)
    assert summary["models"]["tl_id/tg_id identity"] == BACKBONE
    assert summary["metrics"]["tl_id"]["available"] and summary["metrics"]["tl_id"]["mean"] == pytest.approx(1.0)
    assert not summary["metrics"]["id"]["available"]
    markdown = (tmp_path / "report" / "summary.md").read_text()
    assert f"TL-ID and TG-ID identity: {BACKBONE}." in markdown
    assert f"tl_id/tg_id identity: {BACKBONE}" in markdown


def test_the_official_backbone_is_preferred(clips, tmp_path, empty_weights_store):
    weights = write_identity_file(tmp_path / "store" / "model_ir_se50.pth")
    suite = MetricSuite.load(lpips=False, weights_dir=weights.parent)
    assert suite.recognition is None and suite.temporal_identity() is suite.identity
    assert suite.sources()["tl_id/tg_id identity"] == str(weights) == suite.sources()["identity"]
    values = evaluate_video(clips["single_face"], AlignedClip("same"), suite, 3).values
    assert values["id"] == pytest.approx(1.0, abs=1e-6) and values["tl_id"] == pytest.approx(1.0, abs=1e-6)
