"""`vidinvert score`: face quality of an output against its input, on real clips and known pairs."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest

from _fixtures_recognition import recognizer  # noqa: F401  (fixture)
from vidinvert.cli import main
from vidinvert.errors import VidinvertError
from vidinvert.eval.face_score import score_videos
from vidinvert.face.detect import MeshDetector
from vidinvert.face.recognition import SAME_PERSON
from vidinvert.metrics.face_quality import (SUMMARY_KEYS, FaceQuality, FlowWarp, eye_distance, laplacian_variance,
                                            masked_psnr, oval_mask, rigid_displacement)
from vidinvert.video import open_video, transcode

FRAMES = "0:12"


@pytest.fixture(scope="module")
def clip(shared_data):
    return shared_data / "videos" / "single_face.mp4"


@pytest.fixture(scope="module")
def mesh_points(clip):
    with open_video(clip, frames="0:1") as video, MeshDetector() as mesh:
        image = next(iter(video)).image
        return image, mesh.detect(image)[0].points


def test_identical_videos_score_perfectly(clip, tmp_path):
    report = score_videos(clip, clip, frames=FRAMES, json_path=tmp_path / "s.json")
    s = report.summary
    assert report.frames == 12 and s["face_frames"] == 12 and s["output_face_frames"] == 12
    assert math.isinf(s["psnr"])
    assert s["sharpness"] == 1.0
    assert s["displacement"] == 0.0
    assert s["warp_error_ratio"] == 1.0 and s["warp_error_input"] > 0
    assert s["smile_change"] == 0.0 and s["smile_rose_share"] == 0.0
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["summary"]["psnr"] == "inf" and len(saved["per_frame"]) == 12


def test_summary_keys_are_listed_in_order():
    assert tuple(FaceQuality().summary()) == SUMMARY_KEYS  # the evaluation's columns follow this list


def test_blurred_face_loses_sharpness_and_fidelity(clip, tmp_path):
    def blur(records):
        for record in records:
            yield record.with_image(cv2.GaussianBlur(record.image, (0, 0), 3))

    blurred = transcode(clip, tmp_path / "blur.mp4", blur, frames=FRAMES, codec="lossless").output
    s = score_videos(clip, blurred, frames=FRAMES).summary
    assert s["sharpness"] < 0.2  # a sigma-3 blur removes most of the Laplacian's energy
    assert 20 < s["psnr"] < 40
    # a blur of the whole frame keeps the flow-predictable part: the warp error falls, not rises
    assert s["warp_error_ratio"] < 1.0


def test_identity_distance_of_a_clip_with_itself_is_zero(clip, recognizer, tmp_path):
    report = score_videos(clip, clip, frames=FRAMES, json_path=tmp_path / "s.json")
    # the same pixels and the same rectangle give the same embedding bits
    assert report.identity["median"] == 0.0 and report.identity["worst"] == 0.0 and report.identity["frames"] == 12
    assert [row["identity_distance"] for row in report.rows] == [0.0] * 12
    assert report.lines()[-1].startswith("identity            distance in / out      0.0000 median, worst 0.0000 at frame")
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["identity"]["available"] and saved["identity"]["backbone"] == "dlib ResNet (128-D)"
    assert saved["per_frame"][0]["identity_distance"] == 0.0


def test_a_blurred_face_stays_the_same_person(clip, recognizer, tmp_path):
    def blur(records):
        for record in records:
            yield record.with_image(cv2.GaussianBlur(record.image, (0, 0), 3))

    blurred = transcode(clip, tmp_path / "blur.mp4", blur, frames="0:4", codec="lossless").output
    identity = score_videos(clip, blurred, frames="0:4").identity
    # a sigma-3 blur of a 640x360 frame moves dlib's embedding by about 0.3: visibly, within one person
    assert 0.1 < identity["median"] <= identity["worst"] < SAME_PERSON
    assert identity["worst_frame"] in range(4)


def test_identity_is_na_with_the_reason_without_recognition(clip, tmp_path, monkeypatch, capsys):
    import vidinvert.eval.face_score as face_score

    monkeypatch.setattr(face_score, "recognition_available", lambda: False)
    monkeypatch.setattr(face_score, "unavailable_reason", lambda: "face recognition needs dlib (dlib-bin): pip ...")
    report = score_videos(clip, clip, frames="0:2", json_path=tmp_path / "s.json")
    assert report.lines()[-1] == "identity            n/a: face recognition needs dlib (dlib-bin): pip ..."
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["identity"] == {"available": False, "reason": "face recognition needs dlib (dlib-bin): pip ..."}
    assert "identity_distance" not in saved["per_frame"][0]
    assert main(["score", str(clip), str(clip), "--frames", "0:2", "-q", "--no-identity"]) == 0
    assert "identity            n/a: not measured (--no-identity)" in capsys.readouterr().out


def test_score_cli_writes_json_and_refuses_mismatched_sizes(clip, tmp_path, capsys):
    assert main(["score", str(clip), str(clip), "--frames", FRAMES, "-q", "--json", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "face PSNR           output against input   inf dB" in out and "skin colour cast" in out
    assert json.loads((tmp_path / "r.json").read_text())["frames"] == 12

    def shrink(records):
        for record in records:
            yield record.with_image(np.ascontiguousarray(record.image[:-2, :-2]))

    small = transcode(clip, tmp_path / "small.mp4", shrink, codec="lossless").output
    with pytest.raises(VidinvertError, match="score compares frames of one size"):
        score_videos(clip, small, frames=FRAMES)
    assert main(["score", str(clip), str(small), "-q"]) == 1


def test_rigid_displacement_is_the_shift_over_the_eye_distance(mesh_points):
    _, points = mesh_points
    shift = 0.1 * eye_distance(points)
    assert rigid_displacement(points, points + (shift, 0.0)) == pytest.approx(0.1, rel=1e-9)  # float64 arithmetic


def test_masked_psnr_and_sharpness_inside_the_oval_only(mesh_points):
    image, points = mesh_points
    oval = oval_mask(points, image.shape)
    assert 0.02 < oval.mean() < 0.5
    changed = image.copy()
    changed[~oval] = 0  # outside the oval: ignored
    assert math.isinf(masked_psnr(image, changed, oval))
    assert laplacian_variance(changed, oval) > 0
    brighter = image.astype(np.int16)
    brighter[oval] += 10
    brighter = np.clip(brighter, 0, 255).astype(np.uint8)
    expected = 10 * math.log10(1 / np.mean(((brighter[oval].astype(float) - image[oval]) / 255) ** 2))
    # the error is summed in float64; the dB value comes back as float32 (7 significant digits)
    assert masked_psnr(image, brighter, oval) == pytest.approx(expected, rel=1e-6)


def test_flow_warp_recovers_a_known_shift(mesh_points):
    image, _ = mesh_points
    previous = image[100:300, 200:400]
    current = image[100:300, 203:403]  # the content moves 3 px left
    where, valid = FlowWarp().between(previous, current)
    grid_x = np.arange(previous.shape[1], dtype=np.float32)[None, :]
    inner = (slice(20, -20), slice(20, -20))
    assert np.median((where[..., 0] - grid_x)[inner]) == pytest.approx(3.0, abs=0.25)  # DIS sub-pixel accuracy
    mask = valid.copy()
    mask[:, -10:] = False
    assert FlowWarp.error(previous, current, where, mask) < 0.02


def test_identical_frames_have_no_cast_no_seam_and_equal_grey_scores(clip):
    s = score_videos(clip, clip, frames="0:4").summary
    assert s["skin_delta_e"] == 0.0 and s["skin_delta_e_p95"] == 0.0
    assert s["seam_edit"] == 0.0 and s["seam_crop"] == 0.0
    assert s["smile_grey_change"] == 0.0 and s["smile_grey_rose_share"] == 0.0
    assert not math.isnan(s["smile_grey_input"])


def test_a_tint_of_the_skin_is_a_cast_and_its_hard_edge_a_seam(mesh_points):
    from vidinvert.metrics.edit_artifacts import seam, seam_bands, skin_cast, skin_mask

    image, points = mesh_points
    d = eye_distance(points)
    skin = skin_mask(points, image.shape, d)
    oval = oval_mask(points, image.shape)
    assert skin.sum() < 0.9 * oval.sum()
    for index in (61, 13, 159, 105):  # mouth corner, inner lip, upper lid, brow: none of them skin
        x, y = np.rint(points[index, :2]).astype(int)
        assert not skin[y, x]
    tinted = image.astype(np.int16)
    tinted[..., 0] += 12  # +12 red levels over the whole frame: a cast with no edge near the face
    tinted = np.clip(tinted, 0, 255).astype(np.uint8)
    median, p95 = skin_cast(image, tinted, skin, d)
    expected = np.linalg.norm(cv2.cvtColor(np.clip(tinted[skin], 0, 255)[None].astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
                              - cv2.cvtColor(image[skin][None].astype(np.float32) / 255, cv2.COLOR_RGB2Lab), axis=-1)
    assert median == pytest.approx(float(np.median(expected)), rel=0.25)  # low-passed frames: close, not equal
    assert 3 < median <= p95
    band, _ = seam_bands(points, None, image.shape, d)
    hard = image.copy()
    hard[oval] = tinted[oval]  # the same tint stopping in a step at the oval
    soft_alpha = cv2.GaussianBlur(oval.astype(np.float32), (0, 0), 0.3 * d)[..., None]
    soft = np.rint(image * (1 - soft_alpha) + tinted * soft_alpha).astype(np.uint8)
    assert seam(image, hard, band, d) > 2 * seam(image, soft, band, d)
    assert seam(image, image, band, d) == 0.0
