"""Expressions defined by their motion: targets on real meshes, directions solved through the bundled
generator, their names in the registry, and the spline that spreads a motion over the face."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.interpolate import RBFInterpolator

from vidinvert.api import load_default_models
from vidinvert.edit.directions import Direction
from vidinvert.edit.registry import MOTION_EXPRESSIONS, resolve_edits
from vidinvert.errors import VidinvertError
from vidinvert.face import mesh_indices as mi
from vidinvert.face.detect import MeshDetector
from vidinvert.face.expression_targets import EXPRESSIONS, face_axes, target_motion
from vidinvert.face.render_motion import RenderMesh, expression_displacement, thin_plate_spline
from vidinvert.pipeline.expression_directions import SOURCE_FORMAT, expression_direction, pulled, render
from vidinvert.video import open_video


@pytest.fixture(scope="module")
def real_points(shared_data):
    with open_video(shared_data / "videos" / "talk_audio.mp4", frames="0:1") as video, MeshDetector() as mesh:
        return mesh.detect(next(iter(video)).image)[0].points[:, :2]


def test_the_registry_and_the_expressions_name_the_same_four():
    assert tuple(EXPRESSIONS) == MOTION_EXPRESSIONS


def test_a_smile_moves_the_mouth_corners_out_and_up_on_any_tilt(real_points):
    motion, weight = target_motion("smile", real_points)
    x, y, d = face_axes(real_points)
    left, right = motion[mi.MOUTH_IMAGE_LEFT], motion[mi.MOUTH_IMAGE_RIGHT]
    assert left @ x < 0 < right @ x and left @ y < 0 and right @ y < 0  # outwards, and up (y is down)
    assert np.linalg.norm(right) == pytest.approx(d * np.hypot(0.07, 0.04))
    assert weight[mi.MOUTH_IMAGE_LEFT] == 1 and weight[mi.NOSE_TIP] < 1 and not motion[mi.NOSE_TIP].any()
    # the same face turned by 30 degrees gets the same targets turned with it
    angle = np.deg2rad(30)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    turned, _ = target_motion("smile", real_points @ turn.T)
    np.testing.assert_allclose(turned, motion @ turn.T, atol=1e-9)


def test_the_spline_is_the_smoothing_thin_plate_spline():
    # the same spline as scipy's, written out so that its cost is one small solve per frame;
    # both solve the same float64 system, so they agree to far below a thousandth of a pixel
    rng = np.random.default_rng(0)
    centres, values, at = rng.uniform(0, 128, (300, 2)), rng.normal(size=(300, 2)), rng.uniform(0, 128, (500, 2))
    reference = RBFInterpolator(centres, values, kernel="thin_plate_spline", smoothing=4.0, degree=1)(at)
    np.testing.assert_allclose(thin_plate_spline(centres, values, at, 4.0), reference, atol=1e-6)


@pytest.fixture(scope="module")
def generator():
    torch.set_num_threads(1)
    return load_default_models("cpu").G


def test_a_solved_smile_makes_the_generators_face_smile(generator):
    G = generator
    anchors = pulled(G, G.latent_avg.expand(G.n_latent, -1))
    direction = expression_direction(G, "smile", anchors)
    assert isinstance(direction, Direction) and direction.source_format == SOURCE_FORMAT
    delta = direction.delta(G.n_latent, G.style_dim)
    images = render(G, torch.stack([anchors[1], anchors[1] + delta]), "stored")
    mesh = RenderMesh()
    try:
        before, after = mesh.points(images[0]), mesh.points(images[1])
    finally:
        mesh.close()
    assert before is not None and after is not None
    _, moved = expression_displacement(before, after)
    target, weight = target_motion("smile", before)
    chosen = weight == 1
    reached = float((-moved[chosen] * target[chosen]).sum() / (target[chosen] ** 2).sum())
    # a 64 px generator and the mesh's noise on its renders: a third of the target is the floor,
    # a solve in the wrong direction gives below 0
    assert reached > 0.3
    left = -moved[mi.MOUTH_IMAGE_LEFT] @ face_axes(before)[0]
    right = -moved[mi.MOUTH_IMAGE_RIGHT] @ face_axes(before)[0]
    assert right - left > 0  # the mouth is wider


def test_motion_names_resolve_to_the_solve_and_files_keep_their_precedence(tmp_path):
    solved = []

    def expression(name):
        solved.append(name)
        return Direction(torch.ones(1, 512), None, name, SOURCE_FORMAT)

    user = tmp_path / "user"
    user.mkdir()
    from vidinvert.edit.directions import save_direction
    save_direction(Direction(torch.ones(1, 512) * 2, None, "smile", "fitted"), user / "smile.npz")
    edits = resolve_edits(attr=["mouth_open", "smile", "motion:smile=2"], directions_dir=user, expression=expression)
    assert solved == ["mouth_open", "smile"]
    assert [e.direction.source_format for e in edits] == [SOURCE_FORMAT, "fitted", SOURCE_FORMAT]
    with pytest.raises(VidinvertError, match="motion expressions are smile, mouth_open, eyes_closed, brows_raised"):
        resolve_edits(attr=["motion:age"], expression=expression)
    with pytest.raises(VidinvertError, match="no direction named 'age'"):
        resolve_edits(attr=["age"], directions_dir=user, expression=expression)
