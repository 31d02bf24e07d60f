from __future__ import annotations

import numpy as np
import pytest

from vidinvert.errors import VidinvertError
from vidinvert.face.align import quad_from_params, quad_params
from vidinvert.face.smooth import ema_quads, smooth_quads


def quad_at(cx, half=50.0):
    return quad_from_params((cx, 100.0), (half, 0.0), (0.0, half))


def centres(outputs):
    return [None if q is None else quad_params(q)[0][0] for _, q in outputs]


def test_constant_stays_constant():
    quad = quad_from_params((120.0, 80.0), (60.0, 5.0), (-5.0, 60.0))
    out = list(smooth_quads((i, quad) for i in range(30)))
    assert [i for i, _ in out] == list(range(30))
    for _, q in out:
        np.testing.assert_allclose(q, quad, atol=1e-9)


def test_step_is_smoothed_symmetrically():
    xs = [0.0] * 20 + [10.0] * 20
    out = centres(smooth_quads(enumerate(quad_at(x) for x in xs), sigma_centre=2.0))
    for k in range(8):
        assert out[20 + k] + out[19 - k] == pytest.approx(10.0)
    assert 0 < out[19] < 5 < out[20] < 10
    assert out[0] == pytest.approx(0) and out[-1] == pytest.approx(10)
    assert np.all(np.diff(out) >= -1e-12)


def test_axes_use_their_own_sigma():
    sizes = [40.0] * 15 + [60.0] * 15
    out = list(smooth_quads(enumerate(quad_at(0.0, s) for s in sizes), sigma_centre=1.0, sigma_axes=0.0))
    np.testing.assert_allclose([quad_params(q)[1][0] for _, q in out], sizes)


def test_gaps_split_the_track_and_pass_through():
    xs = [0.0] * 10 + [None] * 3 + [30.0] * 10
    items = [(i, None if x is None else quad_at(x)) for i, x in enumerate(xs)]
    out = list(smooth_quads(items))
    assert [i for i, _ in out] == list(range(23))
    assert centres(out)[10:13] == [None] * 3
    np.testing.assert_allclose(centres(out)[:10], 0.0, atol=1e-9)  # no blending across the gap
    np.testing.assert_allclose(centres(out)[13:], 30.0, atol=1e-9)


def test_lookahead_is_three_sigma():
    pulled = []

    def source():
        for i in range(40):
            pulled.append(i)
            yield i, quad_at(float(i))

    for index, _ in smooth_quads(source(), sigma_centre=1.0, sigma_axes=2.0):
        assert len(pulled) - 1 - index <= 6


def test_ramp_keeps_its_slope_inside_and_ema_lags():
    ramp = [2.0 * i for i in range(60)]
    gauss = centres(smooth_quads(enumerate(quad_at(x) for x in ramp)))
    np.testing.assert_allclose(gauss[10:50], ramp[10:50], atol=1e-9)  # a symmetric kernel has no lag
    alpha = 0.25
    ema = centres(ema_quads(enumerate(quad_at(x) for x in ramp), alpha_centre=alpha))
    lag = np.array(ramp[30:]) - np.array(ema[30:])
    np.testing.assert_allclose(lag, 2.0 * (1 - alpha) / alpha, rtol=1e-3)


def test_ema_restarts_after_a_gap():
    items = [(0, quad_at(0.0)), (1, None), (2, quad_at(50.0))]
    assert centres(ema_quads(items)) == [0.0, None, 50.0]


def test_bad_parameters():
    with pytest.raises(VidinvertError, match="sigma"):
        list(smooth_quads([(0, quad_at(0.0))], sigma_centre=-1))
    with pytest.raises(VidinvertError, match="alpha_axes"):
        list(ema_quads([(0, quad_at(0.0))], alpha_axes=0))
