"""InterFaceGAN-style fitting with planted directions and synthetic scorers; face-mesh scorers on real faces."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model_factories import tiny_generator
from vidinvert.cli import main
from vidinvert.edit.directions import edit, load_direction, save_direction, Direction
from vidinvert.discover.fit import fit_direction, fit_linear_direction, project_out, sample_and_score
from vidinvert.images import to_uint8
from vidinvert.face.expression import ATTRIBUTES, FaceMeshScorer, landmark_scores
from vidinvert.errors import VidinvertError
from vidinvert.models import save_generator


@pytest.fixture(scope="module")
def G():
    torch.set_num_threads(1)
    return tiny_generator(seed=11, size=32, style_dim=64)


def planted(dim: int, seed: int) -> torch.Tensor:
    v = torch.randn(dim, generator=torch.Generator().manual_seed(seed))
    return v / v.norm()


def test_fit_recovers_a_planted_direction(G) -> None:
    # real W codes from the mapping network (correlated, unequal scales), scores linear in w plus noise
    w = G.sample_w(3000, seed=0)
    d = planted(64, 1)
    scores = (w @ d).numpy() + 0.05 * np.random.default_rng(0).standard_normal(3000) * float((w @ d).std())
    result = fit_linear_direction(w, scores, quantile=0.3)
    cosine = float(result.direction.offset[0] @ d)
    assert cosine > 0.9, cosine
    assert result.accuracy > 0.95 and result.n_used == 1800
    assert result.direction.offset.norm() == pytest.approx(1.0)


def test_conditioning_projects_out_other_directions(G) -> None:
    w = G.sample_w(3000, seed=3)
    d, other = planted(64, 4), planted(64, 5)
    scores = (w @ d).numpy()
    result = fit_linear_direction(w, scores, condition=[other])
    n = result.direction.offset[0]
    assert abs(float(n @ other)) < 1e-5
    expected = project_out(d, [other])
    assert float(n @ expected) > 0.9
    with pytest.raises(VidinvertError, match="span of the conditioning"):
        project_out(d, [d])


def test_fit_rejects_unusable_scores(G) -> None:
    w = G.sample_w(100, seed=0)
    with pytest.raises(VidinvertError, match="too few"):
        fit_linear_direction(w, np.full(100, np.nan))
    with pytest.raises(VidinvertError, match="too few"):
        fit_linear_direction(w, np.ones(100))


def brightness(images: np.ndarray) -> np.ndarray:
    """A synthetic scorer: mean intensity of each image."""
    return images.reshape(len(images), -1).mean(axis=1)


def test_fit_through_the_generator_moves_the_score(G, tmp_path: Path) -> None:
    result = fit_direction(G, attribute="brightness", output=tmp_path / "bright", scorer=brightness,
                           samples=600, batch_size=100, strengths="-3,0,3")
    assert result.accuracy > 0.8, result.accuracy
    saved = load_direction(tmp_path / "bright.npz")
    assert torch.equal(saved.offset, result.direction.offset)
    report = json.loads((tmp_path / "bright.json").read_text())
    assert report["accuracy"] == result.accuracy and report["scored"] == 600
    assert (tmp_path / "bright.png").is_file()
    # on fresh faces, moving along the direction brightens the image
    w = G.sample_w(64, seed=99)
    before = brightness(to_uint8(G.synthesize(w)))
    after = brightness(to_uint8(G.synthesize(edit(w.unsqueeze(1).repeat(1, G.n_latent, 1), result.direction, 2.0))))
    assert (after > before).mean() > 0.9


def test_scorer_nan_rows_are_dropped_and_shape_checked(G) -> None:
    def half_found(images):
        scores = brightness(images)
        scores[::2] = np.nan
        return scores

    w, scores = sample_and_score(G, half_found, 40, batch_size=16)
    assert w.shape == (40, 64) and np.isnan(scores).sum() == 20
    with pytest.raises(ValueError, match="scorer returned shape"):
        sample_and_score(G, lambda images: np.zeros(3), 8)


def test_fit_command_with_conditioning(G, tmp_path: Path, capsys) -> None:
    weights = save_generator(G, tmp_path / "tiny.pt")
    other = save_direction(Direction(planted(64, 8)[None], None, "other", "vidinvert"), tmp_path / "other.npz")
    # no face in a random tiny generator's images: the face-mesh scorer finds nothing, a clear error
    code = main(["directions", "fit", "--generator", str(weights), "--attribute", "yaw", "-o",
                 str(tmp_path / "yaw.npz"), "--samples", "20", "--condition", str(other), "--no-sheet"])
    assert code == 1
    assert "too few distinct scores to fit (0 scored samples" in capsys.readouterr().err
    assert not (tmp_path / "yaw.npz").exists()


def test_brow_score_is_brow_height_over_eye_distance() -> None:
    from vidinvert.face import expression as sc
    points = np.zeros((468, 2))
    points[[sc.RIGHT_EYE_OUTER, sc.RIGHT_EYE_INNER]] = [[0, 0], [20, 0]]  # eye centre (10, 0)
    points[[sc.LEFT_EYE_OUTER, sc.LEFT_EYE_INNER]] = [[60, 0], [40, 0]]  # eye centre (50, 0): 40 px apart
    points[sc.RIGHT_BROW_MIDDLE] = [10, -12]
    points[sc.LEFT_BROW_MIDDLE] = [50, -8]
    assert landmark_scores(points)["brows_raised"] == pytest.approx(10 / 40)
    points[[sc.RIGHT_BROW_MIDDLE, sc.LEFT_BROW_MIDDLE], 1] -= 4  # both brows 4 px higher
    assert landmark_scores(points)["brows_raised"] == pytest.approx(14 / 40)


def load_faces(root: Path, n: int, size: int = 256) -> np.ndarray:
    paths = sorted((root / "faces" / "celebahq").glob("*.jpg"))[:n]
    return np.stack([np.asarray(Image.open(p).convert("RGB").resize((size, size), Image.LANCZOS)) for p in paths])


def test_face_mesh_scores_on_real_faces(shared_data: Path) -> None:
    faces = load_faces(shared_data, 8)
    mirrored = faces[:, :, ::-1].copy()
    scorer = FaceMeshScorer("smile")
    try:
        points = [scorer.landmarks(f) for f in faces]
        points_m = [scorer.landmarks(f) for f in mirrored]
        assert all(p is not None for p in points + points_m)
        scores = [landmark_scores(p) for p in points]
        mirror = [landmark_scores(p) for p in points_m]
        for s, m in zip(scores, mirror):
            assert all(np.isfinite(s[a]) for a in ATTRIBUTES)
            assert s["yaw"] == pytest.approx(-m["yaw"], abs=0.05 + 0.25 * abs(s["yaw"]))  # mirror turns the other way
            for a in ("smile", "mouth_open", "eyes_open", "brows_raised", "pitch"):
                assert s[a] == pytest.approx(m[a], abs=0.03 + 0.15 * abs(s[a]))
            assert 0.1 < s["pitch"] < 0.9
        yaw = np.array([s["yaw"] for s in scores])
        assert np.corrcoef(yaw, [-m["yaw"] for m in mirror])[0, 1] > 0.95
        assert yaw.std() > 0.05
        assert np.std([s["smile"] for s in scores]) > 0.01  # different faces, different scores
        batch = scorer(np.concatenate([faces[:2], np.full((1, 256, 256, 3), 128, np.uint8)]))
        assert batch[:2] == pytest.approx([scores[0]["smile"], scores[1]["smile"]])
        assert np.isnan(batch[2])
    finally:
        scorer.close()
    with pytest.raises(VidinvertError, match="unknown attribute"):
        FaceMeshScorer("beard")


def test_std_scale_makes_strength_one_a_step_of_that_many_sample_deviations(G, tmp_path: Path) -> None:
    result = fit_direction(G, attribute="brightness", output=tmp_path / "bright", scorer=brightness,
                           samples=300, batch_size=100, sheet=False, std_scale=2.0, default_strength=1.5)
    unit = result.direction.offset[0]
    spread = float((G.sample_w(300, seed=0) @ unit).std())
    assert result.direction.scale == pytest.approx(2.0 * spread, rel=1e-4)
    assert load_direction(tmp_path / "bright.npz").scale == pytest.approx(result.direction.scale)
    assert load_direction(tmp_path / "bright.npz").default_strength == 1.5
    assert json.loads((tmp_path / "bright.json").read_text())["scale"] == pytest.approx(result.direction.scale)
