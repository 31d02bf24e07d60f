"""The whole pipeline with no downloaded or shared data: the bundled model renders a talking face with
a voice, and `vidinvert edit` edits it through the CLI (detection, inversion, edit, compositing,
encoding)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from _fixtures_video import decode_all, outside_quad, packets
from vidinvert.cli import main
from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.model import load_default_models

FRAMES = 30  # 1.2 s at 25 fps


@pytest.fixture(scope="module")
def talking_clip(tmp_path_factory) -> Path:
    torch.set_num_threads(2)
    G, _ = load_default_models("cpu")
    return render_demo_clip(G, tmp_path_factory.mktemp("clip") / "talk.mp4", seconds=FRAMES / 25, fps=25, size=256)


@pytest.fixture(scope="module")
def edited(talking_clip, tmp_path_factory):
    folder = tmp_path_factory.mktemp("edited")
    out, latents = folder / "smile.mp4", folder / "smile.npz"
    argv = ["edit", str(talking_clip), "--attr", "smile=2", "-o", str(out), "--codec", "lossless", "--device", "cpu",
            "--save-latents", str(latents)]
    return main(argv), out, latents


def test_every_face_is_found_and_edited(edited, capsys):
    code, out, latents = edited
    assert code == 0
    saved = np.load(latents)
    assert len(saved["index"]) >= FRAMES - 2  # the bundled model's faces are found by the face mesh
    moved = np.abs(saved["edited_wplus"] - saved["wplus"]).max(axis=(1, 2))
    assert (moved > 0.1).all()  # the smile offset reached every rendered face


def test_frames_timing_and_audio_come_out_as_they_went_in(talking_clip, edited):
    _, out, _ = edited
    src_pts, _ = decode_all(talking_clip, keep=set())
    out_pts, _ = decode_all(out, keep=set())
    assert out_pts == src_pts and len(out_pts) == FRAMES
    assert packets(out, "audio") == packets(talking_clip, "audio")


def test_only_the_face_changes(talking_clip, edited):
    _, out, latents = edited
    saved = np.load(latents)
    _, src = decode_all(talking_clip)
    _, dst = decode_all(out)
    changed = 0
    for index, quad in zip(saved["index"], saved["quad"]):
        keep = outside_quad(quad, src[index].shape, margin=0.1)
        assert keep.mean() > 0.2
        assert np.array_equal(dst[index][keep], src[index][keep])  # lossless: off-face pixels are exact
        changed += not np.array_equal(dst[index], src[index])
    assert changed >= len(saved["index"]) - 1
