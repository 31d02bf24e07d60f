"""Semantic face swap: the paste mask and colour matching, the paste as a step before the inversion,
photo and video swaps through the pipeline with their provenance tag, and the one-line refusals."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

from _fixtures_enc import encoder_generator, hyperinverter_checkpoint
from vidinvert.api import swap_image, swap_video
from vidinvert.cli import main
from vidinvert.config import RunConfig
from vidinvert.demo.clip import demo_frames, render_demo_clip
from vidinvert.demo.model import load_default_models
from vidinvert.errors import VidinvertError
from vidinvert.face.swap_paste import match_colour, paste_region, region_mask, weighted_stats
from vidinvert.images import read_rgb, write_rgb
from vidinvert.models import LoadedModels, load_encoder
from vidinvert.pipeline.build import build_pipeline
from vidinvert.pipeline.face_swap import SWAP_COMMENT, make_face_swap, pasted_inversion
from vidinvert.pipeline.frames import FaceFrame
from vidinvert.pipeline.photos import PHOTO_FPS, run_photo
from vidinvert.pipeline.swap_source import find_source_face
from vidinvert.video import FrameRecord, open_video

# ----------------------------------------------------------------------------- the paste


def test_the_region_mask_covers_the_centre_and_leaves_the_corners():
    mask = region_mask(64)
    assert mask.dtype == np.float32 and mask.min() >= 0 and mask.max() <= 1
    assert mask[38, 32] == 1  # the ellipse's centre, (0.5, 0.6) of the crop
    assert mask[0, 0] == mask[0, -1] == mask[-1, 0] == mask[-1, -1] == 0
    assert np.array_equal(mask, mask[:, ::-1])  # left-right symmetric: both eyes alike
    wider = region_mask(64, 1.3)
    assert (wider >= mask).all() and wider.sum() > mask.sum()
    with pytest.raises(VidinvertError, match="--region-scale"):
        region_mask(64, 0)


def crops(seed: int) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed)
    source = gen.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    target = gen.integers(40, 200, (64, 64, 3), dtype=np.uint8)
    return source, target


def test_the_paste_leaves_the_target_where_the_mask_is_zero():
    source, target = crops(0)
    mask = region_mask(64)
    for colour in (True, False):
        pasted = paste_region(source, target, mask, colour)
        outside = mask == 0
        assert outside.any() and np.array_equal(pasted[outside], target[outside])
    plain = paste_region(source, target, mask, colour=False)
    inside = mask == 1
    assert np.array_equal(plain[inside], source[inside])  # 1 * source + 0 * target, rounded: the source
    with pytest.raises(VidinvertError, match="same size"):
        paste_region(source[:32], target, mask)


def test_colour_matching_gives_the_targets_weighted_mean_and_spread():
    source, target = crops(1)
    mask = region_mask(64)
    matched = match_colour(source, target, mask)
    mean, std = weighted_stats(matched, mask)
    target_mean, target_std = weighted_stats(target, mask)
    # float64 throughout on values up to 255: a linear map's statistics agree to rounding, far below 1e-9
    np.testing.assert_allclose(mean, target_mean, rtol=0, atol=1e-9)
    np.testing.assert_allclose(std, target_std, rtol=1e-12, atol=1e-9)
    flat = np.full_like(source, 90)
    np.testing.assert_allclose(weighted_stats(match_colour(flat, target, mask), mask)[0], target_mean, atol=1e-9)


def test_the_inversion_sees_pasted_crops_and_every_frame_gets_its_own_back():
    source, target = crops(2)
    swap = make_face_swap(source)
    record = FrameRecord(index=0, pts=0, time_base=1, duration=1, image=target)
    frames = [FaceFrame(record, crop=target.copy()), FaceFrame(record), FaceFrame(record, crop=target[::-1].copy())]
    seen = []

    def invert(items):
        for frame in items:
            seen.append(frame.crop)
            yield frame

    out = list(pasted_inversion(frames, swap, invert))
    assert np.array_equal(seen[0], swap.paste(target)) and seen[1] is None
    assert np.array_equal(seen[2], swap.paste(target[::-1]))
    assert [frame.crop for frame in out] == [frame.crop for frame in frames]


# ----------------------------------------------------------------------------- photos and videos


@pytest.fixture(scope="module")
def bundled() -> LoadedModels:
    return load_default_models("cpu")


@pytest.fixture(scope="module")
def faces(bundled, tmp_path_factory) -> tuple[Path, Path]:
    """Two face photos rendered from the bundled generator (two identities), so the tests need no data."""
    folder = tmp_path_factory.mktemp("faces")
    paths = []
    for seed in (0, 3):
        record = next(demo_frames(bundled.G, 1, 25, 256, seed=seed))
        paths.append(folder / f"face{seed}.png")
        Image.fromarray(record.image).save(paths[-1])
    return paths[0], paths[1]


def test_the_pasted_crop_is_what_the_pipeline_inverts(bundled, faces):
    source, target = faces
    swap = find_source_face(source).swap(bundled.E.input_size)
    image = read_rgb(target)
    with build_pipeline(bundled, RunConfig(), PHOTO_FPS) as plain:
        own = run_photo(plain, image, target).frame
    with build_pipeline(bundled, RunConfig(), PHOTO_FPS, swap=swap) as pipeline:
        swapped = run_photo(pipeline, image, target).frame
    assert np.array_equal(swapped.crop, own.crop)  # the target's own crop again after the inversion
    assert not torch.equal(swapped.inverted.wplus, own.inverted.wplus)  # the pasted face was inverted
    assert not np.array_equal(swapped.face, own.face)


def test_a_photo_swap_changes_the_face_only_and_is_tagged(bundled, faces, tmp_path):
    source, target = faces
    out = swap_image(source, target, tmp_path / "swapped.png", models=bundled)
    swapped, photo = read_rgb(out), read_rgb(target)
    assert swapped.shape == photo.shape
    changed = np.abs(swapped.astype(np.int16) - photo).max(axis=2) > 0
    assert not changed[:16].any() and not changed[:, :16].any() and not changed[:, -16:].any()  # away from the face
    h, w = changed.shape
    assert changed[h // 3:2 * h // 3, w // 3:2 * w // 3].mean() > 0.5  # the face itself is new
    with Image.open(out) as picture:
        assert picture.text["Comment"] == SWAP_COMMENT


def test_a_jpeg_output_carries_the_comment(tmp_path):
    out = write_rgb(tmp_path / "tagged.jpg", np.zeros((16, 16, 3), np.uint8), comment=SWAP_COMMENT)
    with Image.open(out) as picture:
        assert picture.info["comment"] == SWAP_COMMENT.encode()
    with pytest.raises(VidinvertError, match="cannot hold a comment"):
        write_rgb(tmp_path / "tagged.bmp", np.zeros((16, 16, 3), np.uint8), comment=SWAP_COMMENT)
    assert not (tmp_path / "tagged.bmp").exists()


def _video_frames(path: Path) -> list[tuple[int, object]]:
    with av.open(str(path)) as container:
        return [(frame.pts, frame.time_base) for frame in container.decode(video=0)]


def _audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(packet) for packet in container.demux(audio=0) if packet.size]


def test_a_video_swap_keeps_frames_timing_audio_and_the_background_and_is_tagged(bundled, faces, tmp_path):
    clip = render_demo_clip(bundled.G, tmp_path / "talk.mp4", seconds=0.2, fps=25, size=256, seed=3)
    summary = swap_video(faces[0], clip, tmp_path / "swapped.mp4", models=bundled, quiet=True, codec="lossless")
    assert summary.frames == 5 and summary.edited == 5
    assert _video_frames(summary.output) == _video_frames(clip)
    with open_video(clip) as before, open_video(summary.output) as after:
        for original, swapped in zip(before, after, strict=True):
            changed = np.abs(swapped.image.astype(np.int16) - original.image).max(axis=2) > 0
            assert not changed[:16].any() and not changed[:, :16].any() and not changed[:, -16:].any()
            assert changed.mean() > 0.05  # the face
    assert _audio_packets(summary.output) == _audio_packets(clip)
    with av.open(str(summary.output)) as container:
        assert container.metadata["comment"] == SWAP_COMMENT


def test_an_official_layout_checkpoint_swaps(faces, tmp_path):
    """HyperInverter's checkpoint layout with random weights: its own input size and weight residuals."""
    G = encoder_generator()
    torch.save(hyperinverter_checkpoint(G), tmp_path / "hyper_inverter_ffhq.pt")
    hyper = LoadedModels(G, load_encoder(tmp_path / "hyper_inverter_ffhq.pt"))
    out = swap_image(*faces, tmp_path / "hyper.jpg", models=hyper)
    assert read_rgb(out).shape == read_rgb(faces[1]).shape
    with Image.open(out) as picture:
        assert picture.info["comment"] == SWAP_COMMENT.encode()


# ----------------------------------------------------------------------------- the command's errors


@pytest.fixture
def no_models(monkeypatch):
    """Loading models fails the test: the refusals come before."""
    def refuse(*args, **kwargs):
        raise AssertionError("models were loaded before the input was checked")

    monkeypatch.setattr("vidinvert.api.load_configured_models", refuse)


def _fails(capsys, argv: list[str], message: str, output: Path) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code != 0 and len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err and not output.exists()


def test_the_command_refuses_bad_input_in_one_line_before_models_load(bundled, faces, tmp_path, capsys, no_models):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (90, 120, 200)).save(blank)
    source, target = (str(path) for path in faces)
    out = tmp_path / "out.png"
    _fails(capsys, ["swap", str(blank), target, "-o", str(out)], "no face found in the swap source blank.png", out)
    _fails(capsys, ["swap", source, str(blank), "-o", str(out)], "no face found in", out)
    _fails(capsys, ["swap", str(tmp_path / "gone.png"), target, "-o", str(out)], "does not exist", out)
    _fails(capsys, ["swap", source, str(tmp_path / "gone.png"), "-o", str(out)], "does not exist", out)
    _fails(capsys, ["swap", source, target, "-o", str(out), "--render", "warp"], "--render warp cannot show a swap", out)
    _fails(capsys, ["swap", source, target, "-o", str(out), "--face", "all"], "--face all", out)
    _fails(capsys, ["swap", source, target, "-o", str(tmp_path / "out.webp")], "comment tag", tmp_path / "out.webp")
    _fails(capsys, ["swap", source, target, "-o", str(out), "--region-scale", "0"], "--region-scale", out)
    clip = render_demo_clip(bundled.G, tmp_path / "clip.mp4", seconds=0.08, fps=25, size=64)
    video_out = tmp_path / "out.mp4"
    _fails(capsys, ["swap", str(clip), target, "-o", str(out)], "must be a photo", out)
    _fails(capsys, ["swap", source, str(clip), "-o", str(video_out), "--render", "delta"], "--render delta", video_out)
    _fails(capsys, ["swap", source, str(clip), "-o", str(video_out), "--face", "all"], "--face all", video_out)
    _fails(capsys, ["swap", str(blank), str(clip), "-o", str(video_out)], "no face found in the swap source", video_out)
    frames = tmp_path / "frames.%04d.png"
    _fails(capsys, ["swap", source, str(clip), "-o", str(frames)], "image sequence", tmp_path / "frames.0000.png")


def test_the_command_writes_a_tagged_swap(faces, tmp_path, capsys):
    out = tmp_path / "cli.png"
    assert main(["swap", *(str(path) for path in faces), "-o", str(out), "--region-scale", "1.2",
                 "--no-colour-match", "-q"]) == 0
    with Image.open(out) as picture:
        assert picture.text["Comment"] == SWAP_COMMENT and picture.size == Image.open(faces[1]).size
