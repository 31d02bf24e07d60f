"""`vidinvert eval` measures the frames `vidinvert edit` writes: with the same options, the frames
an evaluation composites are the edit's output frames, pixel for pixel."""

from __future__ import annotations

import numpy as np
import pytest
from _fixtures_batch import MODEL_OPTIONS

from vidinvert.cli import main
from vidinvert.eval.face_score import FaceScorer
from vidinvert.video import open_video

FRAMES = 5
#: Options from every group that shapes a frame: tracking, inversion, edit, render, mask, smoothing, threads.
OPTIONS = ["--attr", "smile=1.5", "--render", "delta", "--smooth", "1", "--face", "0", "--steps", "2",
           "--next-steps", "1", "--smooth-latents", "gaussian:1", "--smooth-change", "gaussian:2",
           "--change-from", "latents:0.5", "--mask-feather", "0.08", "--mask-dilate", "0.05", "--batch-size", "2",
           "--precision", "fp32", "--threads", "1", "--device", "cpu", *MODEL_OPTIONS]


def test_eval_composites_the_frames_edit_writes(shared_data, tmp_path, monkeypatch):
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "clip.mp4").symlink_to(shared_data / "videos" / "single_face.mp4")
    scored: dict[int, np.ndarray] = {}
    add = FaceScorer.add

    def recording(self, index, source, output):
        scored[index] = output.copy()
        return add(self, index, source, output)

    monkeypatch.setattr(FaceScorer, "add", recording)
    assert main(["eval", str(folder), "-o", str(tmp_path / "report"), "--max-frames", str(FRAMES), "--no-lpips",
                 "--no-plots", "-q", *OPTIONS]) == 0
    out = tmp_path / "edited.mkv"
    assert main(["edit", str(folder / "clip.mp4"), "-o", str(out), "--codec", "lossless", "--frames", f"0:{FRAMES}",
                 "-q", *OPTIONS]) == 0
    with open_video(out) as video:
        written = [record.image for record, _ in zip(video, range(FRAMES))]
    with open_video(folder / "clip.mp4") as video:
        source = [record.image for record, _ in zip(video, range(FRAMES))]
    assert sorted(scored) == list(range(FRAMES))
    assert all(not np.array_equal(a, b) for a, b in zip(written, source))  # the edit reached every frame
    for index, image in enumerate(written):
        assert np.array_equal(scored[index], image), f"frame {index}"


@pytest.mark.parametrize("args, message", [
    (["--mask-feather", "-1"], "--mask-feather"),
    (["--smooth", "fast"], "--smooth takes a sigma"),
])
def test_eval_refuses_bad_frame_options_as_edit_does(shared_data, tmp_path, capsys, args, message):
    assert main(["eval", str(shared_data / "videos"), "-o", str(tmp_path / "report"), *args]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and message in err[0]
    assert not (tmp_path / "report").exists()
