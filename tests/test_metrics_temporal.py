"""TL-ID / TG-ID, flicker and crop jitter against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vidinvert.metrics.temporal import crop_jitter, crop_jitter_curve, flicker_ratio, frame_change, tg_id, tl_id


def test_identical_videos_score_one():
    embeddings = torch.randn(12, 512, generator=torch.Generator().manual_seed(0))
    assert tl_id(embeddings, embeddings) == pytest.approx(1.0, abs=1e-12)
    assert tg_id(embeddings, embeddings) == pytest.approx(1.0, abs=1e-12)


def test_small_case_by_hand():
    source = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.8, 0.6]])
    output = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8]])
    # S_src: s01 = 0.6, s02 = 0.8, s12 = 0.96; S_out: 1.0, 0.6, 0.6.
    r01, r02, r12 = 1.0 / 0.6, 0.6 / 0.8, 0.6 / 0.96
    assert tl_id(source, output) == pytest.approx((r01 + r12) / 2)
    assert tg_id(source, output) == pytest.approx((r01 + r02 + r12) / 3)
    # Embeddings are L2-normalised first: their scale does not matter.
    assert tg_id(3 * source, 0.5 * output) == pytest.approx((r01 + r02 + r12) / 3)


def test_fewer_than_two_frames_is_nan():
    one = torch.ones(1, 8)
    assert math.isnan(tl_id(one, one)) and math.isnan(tg_id(one, one))
    with pytest.raises(ValueError):
        tl_id(torch.ones(3, 8), torch.ones(4, 8))


def test_flicker_ratio():
    frames = torch.rand(6, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    changes_in = frame_change(frames[:-1], frames[1:]).numpy()
    assert flicker_ratio(changes_in, changes_in) == pytest.approx(1.0)
    calmer = frames * 0.5 + 0.25
    changes_out = frame_change(calmer[:-1], calmer[1:]).numpy()
    assert flicker_ratio(changes_out, changes_in) == pytest.approx(0.5, rel=1e-5)
    static = frames[:1].expand_as(frames)
    assert flicker_ratio(frame_change(static[:-1], static[1:]).numpy(), changes_in) == 0.0
    assert flicker_ratio(np.zeros(3), np.zeros(3)) == 1.0
    assert flicker_ratio(np.ones(3), np.zeros(3)) == math.inf
    assert math.isnan(flicker_ratio(np.array([]), np.array([])))


def _square(x: float, y: float, side: float) -> np.ndarray:
    return np.array([[x, y], [x, y + side], [x + side, y + side], [x + side, y]])


def test_jitter_of_steady_motion_is_zero():
    quads = np.stack([_square(3.0 * t, 100 - 2.0 * t, 50.0) for t in range(8)])
    assert crop_jitter(quads) == pytest.approx(0.0, abs=1e-12)


def test_jitter_by_hand():
    quads = np.stack([_square(0, 0, 10), _square(0, 0, 10), _square(1, 0, 10)])
    curve = crop_jitter_curve(quads)
    assert math.isnan(curve[0]) and math.isnan(curve[2])
    assert curve[1] == pytest.approx(0.1)  # second difference 1 px on every corner / side 10 px
    assert crop_jitter(quads) == pytest.approx(0.1)
    assert crop_jitter(quads * 4) == pytest.approx(0.1)  # relative to face size
    assert math.isnan(crop_jitter(quads[:2]))
