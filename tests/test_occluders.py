"""What must stay as it is: hands in front of a face (`--occluders`), the compositor's holdout matte
(`--holdout`), and the matte handed back (`--matte-out`)."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import torch

from _fixtures_face import clip_frames
from _fixtures_hands import detected_hands, hand_over_face
from vidinvert.cli import main
from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.model import load_default_models
from vidinvert.eval.face_score import score_videos
from vidinvert.face.composite import blend, paste_with_alpha
from vidinvert.face.align import crop_transform
from vidinvert.face.detect import MeshDetector
from vidinvert.face.landmarks import MOUTH_LEFT, MOUTH_RIGHT
from vidinvert.face.occluders import FADE, Occluders, region_matte
from vidinvert.face.transfer import change_with_alpha
from vidinvert.video import open_video

FRAMES = 10
EDIT = ["--attr", "smile=3", "--device", "cpu", "-q"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    torch.set_num_threads(2)
    G, _ = load_default_models("cpu")
    return render_demo_clip(G, tmp_path_factory.mktemp("clip") / "talk.mp4", seconds=FRAMES / 25, fps=25, size=256)


@pytest.fixture(scope="module")
def frames(clip) -> list[np.ndarray]:
    """The clip as the pipeline decodes it (an H.264 clip's colour conversion is the reader's)."""
    with open_video(clip) as reader:
        return [record.image for record in reader]


@pytest.fixture(scope="module")
def mouth_box(frames) -> tuple[slice, slice]:
    """A square over the mouth of the clip's first frame (the talking face moves little)."""
    detector = MeshDetector(video=False)
    try:
        face = detector.detect(frames[0])[0]
    finally:
        detector.close()
    x, y = face.anchors[[MOUTH_LEFT, MOUTH_RIGHT]].mean(axis=0)
    r = int(0.2 * face.size)
    return slice(int(y) - r, int(y) + r), slice(int(x) - r, int(x) + r)


def edit(clip: Path, out: Path, *args: str) -> list[np.ndarray]:
    assert main(["edit", str(clip), "-o", str(out), "--codec", "lossless", *EDIT, *args]) == 0
    return clip_frames(out)


@pytest.fixture(scope="module")
def free(clip, tmp_path_factory) -> list[np.ndarray]:
    return edit(clip, tmp_path_factory.mktemp("free") / "out.mp4")


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a != b).any(axis=-1)


# --- hands ------------------------------------------------------------------------------------------

def test_a_real_hand_over_the_mouth_is_left_exactly_as_it_was(shared_data, tmp_path):
    composed = hand_over_face(shared_data, tmp_path / "hand.mkv", frames=8)
    hands = detected_hands(composed)
    source = clip_frames(composed)
    assert all(region.sum() > 2000 for region in hands)  # the landmarker finds the pasted hand on every frame
    out = tmp_path / "out.mkv"
    assert main(["edit", str(composed), "-o", str(out), "--codec", "ffv1", *EDIT]) == 0
    edited = clip_frames(out)
    for before, after, hand in zip(source, edited, hands):
        moved = changed(before, after)
        assert not moved[hand].any()
        assert moved[~hand].sum() > 5000  # the rest of the face is edited
    auto = tmp_path / "auto.mkv"  # the segmenter adds to the hands, never takes from them
    assert main(["edit", str(composed), "-o", str(auto), "--codec", "ffv1", "--occluders", "auto", *EDIT]) == 0
    for before, after, hand in zip(source, clip_frames(auto), hands):
        assert not changed(before, after)[hand].any()
    loose = tmp_path / "loose.mkv"
    assert main(["edit", str(composed), "-o", str(loose), "--codec", "ffv1", "--occluders", "none", *EDIT]) == 0
    assert sum(changed(b, a)[h].sum() for b, a, h in zip(source, clip_frames(loose), hands)) > 1000


def test_without_hands_the_default_writes_what_occluders_none_writes(clip, free, tmp_path):
    assert all((a == b).all() for a, b in zip(free, edit(clip, tmp_path / "none.mp4", "--occluders", "none")))


def test_a_hand_region_is_one_inside_the_grown_hull_and_feathered_outside():
    points = np.array([[50.0, 50.0], [80.0, 50.0], [65.0, 90.0]])
    matte = region_matte(points, (120, 140), grow=6.0, feather=4.0)
    assert matte[60, 65] == 1.0 and matte[50, 44] == 1.0  # inside, and 6 px out from the hull's edge
    assert 0.0 < matte[50, 42] < 1.0  # the feather
    assert matte[50, 38] == 0.0 and matte[5, 5] == 0.0


def test_a_hand_lost_for_a_frame_fades_instead_of_popping_and_reset_forgets_it():
    occluders = Occluders("hands")
    try:
        angles = np.linspace(0, 2 * np.pi, 21, endpoint=False)
        hand = np.column_stack([75 + 15 * np.cos(angles), 75 + 15 * np.sin(angles)])
        hand[0], hand[9] = (75, 100), (75, 65)  # wrist and middle knuckle: a 35 px palm
        occluders._hands.find = lambda image: [hand] if image.mean() < 100 else []
        dark, light = np.full((160, 160, 3), 60, np.uint8), np.full((160, 160, 3), 61, np.uint8)
        from vidinvert.face.landmarks import from_mesh
        face = from_mesh(np.column_stack([np.linspace(40, 120, 468), np.linspace(40, 120, 468)]))
        first = occluders(dark, [(face, None, None)])
        assert first is not None and first.max() == 1.0
        occluders._hands.find = lambda image: []
        faded = occluders(light, [(face, None, None)])
        assert np.allclose(faded, first * FADE)
        occluders.reset()  # a shot cut
        assert occluders(light, [(face, None, None)]) is None
    finally:
        occluders.close()


# --- holdout mattes -----------------------------------------------------------------------------------

def write_matte(path: Path, values: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), np.rint(values * 65535).astype(np.uint16))
    return path


def test_nothing_under_the_white_of_a_holdout_changes(clip, frames, free, mouth_box, tmp_path):
    values = np.zeros(frames[0].shape[:2])
    values[mouth_box] = 1.0
    out = edit(clip, tmp_path / "held.mp4", "--holdout", str(write_matte(tmp_path / "matte.png", values)))
    for before, after, loose in zip(frames, out, free):
        assert not changed(before, after)[mouth_box].any()
        assert changed(before, after).sum() > 1000  # the face around the square is edited
        assert changed(before, loose)[mouth_box].any()  # ... as the square would be without the matte


def test_grey_holds_the_edit_back_in_proportion(clip, frames, free, tmp_path):
    out = edit(clip, tmp_path / "grey.mp4", "--holdout",
               str(write_matte(tmp_path / "grey.png", np.full(frames[0].shape[:2], 0.75))))
    full = sum(np.abs(f.astype(int) - b).sum() for f, b in zip(free, frames))
    quarter = sum(np.abs(o.astype(int) - b).sum() for o, b in zip(out, frames))
    # a quarter of the alpha (and of the motion) is left: the change shrinks to about a quarter or less
    assert 0.05 * full < quarter < 0.4 * full


def test_a_holdout_video_goes_frame_by_frame(clip, frames, mouth_box, tmp_path):
    matte = tmp_path / "matte.mkv"
    with av.open(str(matte), "w") as container:
        stream = container.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "gray16le"
        for i in range(FRAMES):
            values = np.zeros(frames[0].shape[:2], np.uint16)
            if i % 2 == 0:
                values[mouth_box] = 65535
            for packet in stream.encode(av.VideoFrame.from_ndarray(values, format="gray16le")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    out = edit(clip, tmp_path / "held.mp4", "--holdout", str(matte))
    held = [not changed(b, a)[mouth_box].any() for b, a in zip(frames, out)]
    assert held == [i % 2 == 0 for i in range(FRAMES)]


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("shape, frames_in_matte, expected", [
    ((100, 120), None, "is 120x100; the input is 256x256"),
    ((256, 256), 3, "has 3 frames; the input has 10"),
])
def test_a_holdout_of_the_wrong_size_or_too_short_is_one_line_before_any_model(
        clip, tmp_path, capsys, monkeypatch, shape, frames_in_matte, expected):
    import vidinvert.api

    monkeypatch.setattr(vidinvert.api, "load_configured_models", lambda *a: pytest.fail("models loaded"))
    if frames_in_matte is None:
        matte = write_matte(tmp_path / "m.png", np.zeros(shape))
    else:
        folder = tmp_path / "seq"
        folder.mkdir()
        for i in range(frames_in_matte):
            write_matte(folder / f"m.{i:04d}.png", np.zeros(shape))
        matte = folder / "m.%04d.png"
    out = tmp_path / "out.mp4"
    assert main(["edit", str(clip), "-o", str(out), "--holdout", str(matte), *EDIT]) != 0
    assert expected in one_line(capsys)
    assert not out.exists()


# --- the matte handed back ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["matte.mkv", "matte.%04d.png"])
def test_the_matte_out_has_the_outputs_frames_and_is_zero_exactly_where_nothing_changed(
        clip, frames, tmp_path, name):
    out, matte = tmp_path / "out.mov", tmp_path / name
    assert main(["edit", str(clip), "-o", str(out), "--codec", "lossless", "--matte-out", str(matte), *EDIT]) == 0
    edited = clip_frames(out)
    if name.endswith(".png"):
        files = sorted(tmp_path.glob("matte.*.png"))
        assert [f.name for f in files] == [f"matte.{i:04d}.png" for i in range(FRAMES)]
        mattes = [cv2.imread(str(f), cv2.IMREAD_UNCHANGED) for f in files]
        assert mattes[0].dtype == np.uint16
    else:
        with av.open(str(matte)) as container, av.open(str(out)) as video:
            mattes = [f.to_ndarray(format="gray16le") for f in container.decode(video=0)]
            container.seek(0)
            times = [float(f.time) for f in av.open(str(matte)).decode(video=0)]
            out_times = [float(f.time) for f in video.decode(video=0)]
        assert times == pytest.approx(out_times, abs=1e-3)  # Matroska keeps milliseconds
    assert len(mattes) == len(edited) == FRAMES
    for before, after, alpha in zip(frames, edited, mattes):
        moved = changed(before, after)
        assert moved.any()
        assert not moved[alpha == 0].any()
        assert alpha.shape == before.shape[:2]
    if name.endswith(".mkv"):  # `score --matte` reports the changed area the matte gives
        report = score_videos(clip, out, matte=matte, identity=False)
        assert report.matte["matte_frames_changed"] == FRAMES
        assert report.matte["matte_area_median"] == pytest.approx(np.median([(a > 0).mean() for a in mattes]))


def test_recompositing_the_input_and_the_unblended_edit_with_the_alpha_gives_the_output():
    rng = np.random.default_rng(0)
    frame = rng.random((96, 96, 3), dtype=np.float32)  # float: no rounding between the two blends
    transform = crop_transform(np.array([[12.0, 10], [16, 80], [86, 76], [82, 6]]), 64)
    field = np.zeros((64, 64, 5), np.float32)
    field[16:48, 16:48, :2] = 1.5
    field[20:44, 20:44, 2:] = 6.0
    mask = np.zeros((96, 96), np.float32)
    mask[20:70, 15:75] = np.linspace(0.1, 1.0, 60, dtype=np.float32)
    still = np.zeros((96, 96), np.float32)
    still[40:50, 30:40] = 1.0
    out, alpha = change_with_alpha(frame, field, transform, mask, still)
    unblended, _ = change_with_alpha(frame, field, transform, (mask > 0).astype(np.float32), still)
    assert np.allclose(blend(frame, unblended, alpha), out, rtol=0, atol=1e-6)  # as below
    motion_only = field.copy()
    motion_only[..., 2:] = 0
    moved, _ = change_with_alpha(frame, motion_only, transform, mask, still)
    assert np.array_equal(moved[40:50, 30:40], frame[40:50, 30:40])  # no motion where `still` is 1
    assert ((moved != frame).any(axis=-1) & (still == 0)).sum() > 100  # and motion around it
    crop = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
    pasted, alpha = paste_with_alpha(frame, crop, transform, mask)
    whole, coverage = paste_with_alpha(frame, crop, transform, (mask > 0).astype(np.float32))
    inside = coverage == 1  # where the crop's edge covers a pixel in part, "unblended" has no meaning
    assert inside.sum() > 1000
    # float32 arithmetic in two orders: a few ulps of values in [0, 1]
    assert np.allclose(blend(frame, whole, alpha)[inside], pasted[inside], rtol=0, atol=1e-6)


@pytest.mark.parametrize("name, expected", [
    ("matte.mp3", "write a .mkv, .avi, .mov, .mp4 video or a numbered PNG sequence"),
    ("matte.%04d.tif", "a matte sequence is written as 16-bit PNG"),
    ("out.mp4", "is the output"),
])
def test_a_matte_out_it_cannot_write_is_one_line(clip, tmp_path, capsys, name, expected):
    out = tmp_path / "out.mp4"
    assert main(["edit", str(clip), "-o", str(out), "--matte-out", str(tmp_path / name), *EDIT]) != 0
    assert expected in one_line(capsys)
    assert not out.exists()
