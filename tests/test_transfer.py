"""Render modes: the generator's change carried onto the real face (warp, delta) or its face pasted
(generated), on real frames, real clips and the bundled model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _fixtures_video import decode_timed

from vidinvert.api import edit_video, load_default_models
from vidinvert.demo.clip import render_demo_clip
from vidinvert.errors import VidinvertError
from vidinvert.face.align import crop, ffhq_quad
from vidinvert.face.detect import MeshDetector
from vidinvert.face.mask import face_mask
from vidinvert.face.transfer import ChangeOptions, apply_change, estimate_change, hull_mask, work_size
from vidinvert.video import open_video

GEN = 64  # the bundled generator's size
WORK = work_size(GEN)


@pytest.fixture(scope="module")
def models():
    torch.set_num_threads(1)
    return load_default_models("cpu")


@pytest.fixture(scope="module")
def face(shared_data):
    """A real frame, its face mesh, the FFHQ crop at the bundled generator's size, and the face mask."""
    with open_video(shared_data / "videos" / "talk_audio.mp4", frames="0:1") as video:
        image = next(iter(video)).image
    with MeshDetector() as mesh:
        landmarks = mesh.detect(image)[0]
    aligned, transform = crop(image, ffhq_quad(landmarks), GEN)
    return image, landmarks, aligned, transform, face_mask(landmarks, image.shape)


@pytest.mark.parametrize("mode", ["warp", "delta"])
def test_equal_renders_keep_the_frame_exactly(face, mode):
    image, landmarks, aligned, transform, alpha = face
    field = estimate_change(aligned, aligned.copy(), hull_mask(landmarks, transform, WORK), ChangeOptions(mode))
    assert not field.any()
    assert np.array_equal(apply_change(image, field, transform, alpha), image)


@pytest.fixture(scope="module")
def crop_points(face):
    """The face mesh of the aligned crop, in crop (render) pixels."""
    from vidinvert.face.render_motion import RenderMesh

    mesh = RenderMesh()
    try:
        points = mesh.points(face[2])
    finally:
        mesh.close()
    assert points is not None
    return points


def test_a_known_motion_of_the_mesh_moves_the_real_face(face, crop_points):
    from vidinvert.face import mesh_indices as mi

    image, landmarks, aligned, transform, alpha = face
    shift = 1.5  # generator pixels: the mouth corners and the mesh points near them move outwards
    after_points = crop_points.copy()
    for corner, sign in ((mi.MOUTH_IMAGE_LEFT, -1), (mi.MOUTH_IMAGE_RIGHT, 1)):
        near = np.linalg.norm(crop_points - crop_points[corner], axis=1) < 3.0
        after_points[near, 0] += sign * shift
    after = aligned.copy()
    after[0, 0] ^= 1  # renders that differ (the points carry the motion)
    hull = hull_mask(landmarks, transform, WORK)
    field = estimate_change(aligned, after, hull, ChangeOptions("warp"), points=(crop_points, after_points))
    scale = WORK / GEN
    for index, sign in ((mi.MOUTH_IMAGE_LEFT, -1), (mi.MOUTH_IMAGE_RIGHT, 1)):
        x, y = np.rint((after_points[index] + 0.5) * scale - 0.5).astype(int)
        # after(x) ~ before(x + u): at the corner's new place u points back to where it was
        assert field[y, x, 0] == pytest.approx(-sign * shift * scale, abs=0.5 * shift * scale)
    # the eyes and the nose stay, the motion fades to exactly zero at the hull, and no colour is added
    for index in (33, 263, mi.NOSE_TIP):
        x, y = np.rint((crop_points[index] + 0.5) * scale - 0.5).astype(int)
        assert np.abs(field[y, x, :2]).max() < 0.2 * shift * scale
    assert not field[hull == 0].any()
    # the residual colour is grey and lives in the mouth opening alone
    assert np.array_equal(field[..., 2], field[..., 3]) and np.array_equal(field[..., 2], field[..., 4])
    ys, _ = np.nonzero(field[..., 2])
    nose_y = (crop_points[mi.NOSE_TIP, 1] + 0.5) * scale - 0.5
    assert len(ys) and ys.min() > nose_y  # nothing from the nose up: the eyes, brows and forehead keep their colour
    out = apply_change(image, field, transform, alpha)
    assert np.array_equal(out[alpha == 0], image[alpha == 0])
    assert (out != image).any()


def test_a_tint_of_the_renders_is_not_carried(face, crop_points):
    # the generator's renders redden (an entangled colour edit) and nothing moves: the warp adds no
    # colour anywhere outside the mouth opening, so the real skin keeps its colour exactly
    image, landmarks, aligned, transform, alpha = face
    after = aligned.copy()
    after[..., 0] = np.clip(aligned[..., 0].astype(int) + 25, 0, 255)
    field = estimate_change(aligned, after, hull_mask(landmarks, transform, WORK), ChangeOptions("warp"),
                            points=(crop_points, crop_points))
    assert not field[..., :2].any()
    out = apply_change(image, field, transform, alpha)
    cx, cy = landmarks.anchors[2].astype(int)  # the nose: skin, far from the mouth opening
    window = (slice(cy - 10, cy + 10), slice(cx - 10, cx + 10))
    assert np.array_equal(out[window], image[window])
    red_shift = out[..., 0].astype(float).mean() - image[..., 0].astype(float).mean()
    assert abs(red_shift) < 0.05  # levels over the frame, against +25 in the renders


def test_delta_adds_the_colour_change(face):
    image, landmarks, aligned, transform, alpha = face
    after = np.clip(aligned.astype(int) - 30, 0, 255).astype(np.uint8)  # well past the edit mask's upper threshold
    field = estimate_change(aligned, after, hull_mask(landmarks, transform, WORK), ChangeOptions("delta"))
    out = apply_change(image, field, transform, alpha)
    cx, cy = landmarks.anchors[2].astype(int)
    window = (slice(cy - 20, cy + 20), slice(cx - 20, cx + 20))
    change = out[window].astype(float).mean() - image[window].astype(float).mean()
    assert -30.5 <= change < -27  # the renders' -30 levels, a little less where clipped at 0
    assert not field[..., :2].any()


def test_edit_mask_thresholds_shrink_with_a_smaller_edit():
    options = ChangeOptions("warp", 6.0, 20.0)
    assert options.for_edit_size(1.0) is options and options.for_edit_size(3.0) is options
    assert (options.for_edit_size(0.5).low, options.for_edit_size(0.5).high) == (3.0, 10.0)
    smallest = options.for_edit_size(0.0)
    assert 0 < smallest.low < smallest.high


def test_the_change_grows_with_the_strength_up_to_the_default(models, tmp_path):
    # the renders' difference is close to linear in a small latent step, so with the mask keeping
    # its shape the change carried onto the face is too; fixed thresholds made it vanish below the
    # default strength (1: 0.21 of the change at 2, 0.5: 0.02, on this clip)
    clip = render_demo_clip(models.G, tmp_path / "demo.mp4", seconds=0.8, fps=10, size=192)
    source = decode_timed(clip)[1]
    change = {}
    for strength in (0.5, 1, 2):
        out = edit_video(clip, tmp_path / f"{strength}.mkv", attr=[f"smile={strength}"], codec="lossless",
                         models=models, quiet=True).output
        change[strength] = np.mean([np.abs(a.astype(np.float32) - b).mean()
                                    for a, b in zip(source, decode_timed(out)[1], strict=True)])
    assert change[2] > 0.2  # levels per pixel over the whole frame: the edit is there
    assert 0.35 < change[1] / change[2] < 0.7
    assert 0.15 < change[0.5] / change[2] < 0.4


def test_bad_mode_is_a_one_line_error():
    with pytest.raises(VidinvertError, match="unknown render mode 'paste'"):
        ChangeOptions("paste")


def _check_modes(clip, models, tmp_path, frames=None):
    """Run the three modes and a zero edit; return the decoded input and outputs."""
    outputs = {}
    for mode in ("generated", "warp", "delta"):
        summary = edit_video(clip, tmp_path / f"{mode}.mp4", attr=["smile=2"], render=mode, codec="lossless",
                             frames=frames, models=models, quiet=True, save_latents=tmp_path / f"{mode}.npz")
        assert summary.edited > 0, "the face must be found for the comparison to mean anything"
        assert str(np.load(summary.latents)["render"]) == mode
        outputs[mode] = decode_timed(summary.output)
    for mode in ("warp", "delta"):
        zero = edit_video(clip, tmp_path / f"zero_{mode}.mp4", attr=["smile=0"], render=mode, codec="lossless",
                          frames=frames, models=models, quiet=True)
        outputs[f"zero_{mode}"] = decode_timed(zero.output)
    return decode_timed(clip), outputs


def _assert_same_frames_and_off_face_pixels(source, outputs):
    pts, images = source
    for name, (out_pts, out_images) in outputs.items():
        assert out_pts == pts, name
        assert len(out_images) == len(images), name
    changed = np.zeros(images[0].shape[:2], bool)
    for name in ("generated", "warp", "delta"):
        for a, b in zip(images, outputs[name][1]):
            changed |= (a != b).any(axis=2)
    # every mode changes only the face: the pixels any mode changed form one blob, and outside the
    # box of what `generated` (the widest, the whole mask) changed, all three equal the input
    ys, xs = np.nonzero(changed)
    assert len(ys) > 0
    gen_changed = np.zeros_like(changed)
    for a, b in zip(images, outputs["generated"][1]):
        gen_changed |= (a != b).any(axis=2)
    gys, gxs = np.nonzero(gen_changed)
    inside = (ys >= gys.min()) & (ys <= gys.max()) & (xs >= gxs.min()) & (xs <= gxs.max())
    assert inside.all()
    assert gen_changed.mean() < 0.6
    for name in ("zero_warp", "zero_delta"):
        for a, b in zip(images, outputs[name][1]):
            assert np.array_equal(a, b), name


def test_modes_on_a_real_clip(shared_data, models, tmp_path):
    clip = shared_data / "videos" / "single_face.mp4"
    source, outputs = _check_modes(clip, models, tmp_path, frames="0:10")
    # frames outside --frames are copied, so the whole clip is compared
    _assert_same_frames_and_off_face_pixels(source, outputs)


def test_modes_on_the_bundled_models_own_clip(models, tmp_path):
    clip = render_demo_clip(models.G, tmp_path / "demo.mp4", seconds=0.8, fps=10, size=192)
    source, outputs = _check_modes(clip, models, tmp_path)
    _assert_same_frames_and_off_face_pixels(source, outputs)


def _face_frames(face, crops_and_pairs):
    from fractions import Fraction

    from vidinvert.pipeline.frames import FaceFrame
    from vidinvert.video import FrameRecord

    image, landmarks, _, transform, _ = face
    for i, (crop_image, (before, after)) in enumerate(crops_and_pairs):
        record = FrameRecord(i, i, Fraction(1, 30), 1, image)
        yield FaceFrame(record, landmarks, crop=crop_image, transform=transform, before=before, face=after)


def test_keyframes_at_strength_zero_give_the_input_back(models, tmp_path):
    # the change is smoothed per unit of edit and scaled by each frame's own strength: the frames
    # keyed at 0 are the input byte for byte, and the ramp eases in
    clip = render_demo_clip(models.G, tmp_path / "demo.mp4", seconds=1.6, fps=10, size=192)
    out = edit_video(clip, tmp_path / "ramp.mkv", attr=["smile=0s:0,0.5s:2,1.0s:2,1.5s:0"], codec="lossless",
                     models=models, quiet=True).output
    (_, source), (_, edited) = decode_timed(clip), decode_timed(out)
    change = [np.abs(a.astype(np.float32) - b).mean() for a, b in zip(source, edited, strict=True)]
    assert change[0] == 0.0 and change[15] == 0.0
    assert np.array_equal(source[0], edited[0]) and np.array_equal(source[15], edited[15])
    assert change[7] > 0.1  # at full strength the edit is there
    assert 0 < change[2] < change[5]  # a ramp: a quarter and most of the way up


def test_change_smoothing_stops_at_a_cut(face):
    from vidinvert.pipeline.transfer_stages import change_fields

    _, _, aligned, _, _ = face
    edited = (aligned, np.clip(aligned.astype(int) - 30, 0, 255).astype(np.uint8))
    unchanged = (aligned, aligned)
    other_shot = np.ascontiguousarray(aligned[::-1])  # a different picture: a cut
    for second_crop, cut in ((other_shot, True), (aligned, False)):
        items = [(aligned, edited)] * 4 + [(second_crop, unchanged)] * 4
        fields = [f.change for f in change_fields(_face_frames(face, items), ChangeOptions("delta"), "gaussian:2")]
        assert all(f.any() for f in fields[:4])
        # after a cut the unchanged shot gets no change at all; within a shot the smoothing carries it over
        if cut:
            assert not any(f.any() for f in fields[4:])
        else:
            assert fields[4].any()



def test_a_strong_edit_unreadable_far_out_carries_the_change_read_nearer(models, tmp_path):
    # far along a direction the generator's face may come apart and the mesh cannot read it (a real
    # phone clip lost its whole smile at smile=3); past 1.25 times the default strength the face is
    # drawn at that limit as well, and where the far render is unreadable, the change read at the
    # limit is carried, scaled to the whole edit
    from dataclasses import replace

    from vidinvert.config import RenderConfig, RunConfig
    from vidinvert.pipeline.build import build_pipeline
    from vidinvert.pipeline.transfer_stages import change_fields

    clip = render_demo_clip(models.G, tmp_path / "demo.mp4", seconds=0.5, fps=10, size=192)
    faces = {}
    for strength in (1.25, 3.75):
        config = RunConfig.from_options(attr=[f"smile={strength}"])
        with build_pipeline(models, config, 10.0) as pipeline, open_video(clip) as video:
            faces[strength] = [f for f in pipeline.faces(video) if f.change is not None]
    near, far = faces[1.25], faces[3.75]
    assert len(near) == len(far) >= 4
    assert all(f.near_face is None for f in near)  # within the limit: drawn as ever
    for one, three in zip(near, far):
        # the offset scaled back to the limit is the 1.25 offset up to float32 rounding, and a
        # render may round a pixel to the neighbouring level
        assert three.drawn_offset == pytest.approx(float((one.edited.wplus - one.base.wplus).norm()), rel=1e-5)
        assert np.abs(one.face.astype(int) - three.near_face).max() <= 1
        assert np.array_equal(one.before, three.before) and not np.array_equal(three.face, three.near_face)
    unreadable = [replace(f, face=np.full_like(f.face, 128)) for f in far]  # no face for the mesh to find
    options, smooth = ChangeOptions("warp"), RenderConfig.smooth_change
    carried = [f.change for f in change_fields(iter(unreadable), options, smooth, 10.0)]
    read = [f.change for f in change_fields(iter(near), options, smooth, 10.0)]
    assert max(np.abs(c[..., :2]).max() for c in read) > 1.0  # work-grid pixels: there is motion to carry
    for mine, theirs in zip(carried, read):
        # per unit of edit one field, but for the mesh's reading of a level's rounding (about a
        # hundredth of a pixel; 1% of the field measured)
        assert np.abs(mine - 3 * theirs).max() <= 0.05 * np.abs(mine).max()
