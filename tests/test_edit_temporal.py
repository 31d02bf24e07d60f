"""Temporal filters on known signals: constants, steps, ramps, noise, causal lag, gaps, layer groups."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vidinvert.temporal import EMAFilter, GaussianFilter, Identity, LayerGroups, OneEuroFilter, parse_filter
from vidinvert.errors import VidinvertError


def run(filt, signal):
    return list(filt(iter(signal)))


def scalar_series(values):
    return [np.array([[v]], dtype=np.float64) for v in values]


def as_values(frames):
    return np.array([f[0, 0] for f in frames])


@pytest.mark.parametrize("filt", [GaussianFilter(2.0), EMAFilter(0.3), OneEuroFilter(1.0, beta=0.5)])
def test_constant_passes_unchanged(filt) -> None:
    frames = [np.full((18, 512), 0.7, dtype=np.float32) for _ in range(25)]
    out = run(filt, frames)
    assert len(out) == 25
    for f in out:
        np.testing.assert_allclose(f, 0.7, rtol=1e-6)


def test_gaussian_ramp_exact_inside_bounded_at_ends() -> None:
    ramp = np.arange(40, dtype=np.float64)
    out = as_values(run(GaussianFilter(2.0), scalar_series(ramp)))
    np.testing.assert_allclose(out[6:-6], ramp[6:-6], atol=1e-9)  # symmetric kernel keeps a line
    assert np.all(np.abs(out - ramp) < 2.0)
    assert np.all(np.diff(out) > 0)


def test_gaussian_step_is_symmetric_and_monotone() -> None:
    step = np.r_[np.zeros(20), np.ones(20)]
    out = as_values(run(GaussianFilter(2.0), scalar_series(step)))
    assert np.all(np.diff(out) >= -1e-12)
    assert out[19] + out[20] == pytest.approx(1.0)  # odd symmetry about the edge
    assert 0.05 < out[18] < 0.5 and out[10] < 1e-6 and out[30] > 1 - 1e-6


def test_gaussian_bounded_window_and_streaming() -> None:
    filt = GaussianFilter(2.0)
    assert filt.latency == 6
    pulled = []

    def source():
        for i in range(30):
            pulled.append(i)
            yield np.array([[float(i)]])

    it = filt(source())
    next(it)
    assert len(pulled) == filt.latency + 1  # first output needs only the look-ahead
    for _ in range(5):
        next(it)
    assert len(pulled) == filt.latency + 6


@pytest.mark.parametrize("filt, max_ratio", [(GaussianFilter(2.0), 0.2), (EMAFilter(0.2), 0.2),
                                             (OneEuroFilter(0.5, fps=30.0), 0.2)])
def test_noise_variance_reduction(filt, max_ratio) -> None:
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((400, 4, 8))
    out = np.stack(run(filt, list(noise)))
    ratio = out[50:-50].var() / noise[50:-50].var()
    assert ratio < max_ratio
    if isinstance(filt, GaussianFilter):  # white noise through a unit-sum kernel: variance = sum of w^2
        k = np.exp(-0.5 * (np.arange(-6, 7) / 2.0) ** 2)
        k /= k.sum()
        assert ratio == pytest.approx((k ** 2).sum(), rel=0.15)


def test_ema_causal_lag_on_ramp() -> None:
    alpha = 0.25
    ramp = np.arange(200, dtype=np.float64)
    out = as_values(run(EMAFilter(alpha), scalar_series(ramp)))
    assert (ramp - out)[-1] == pytest.approx((1 - alpha) / alpha, rel=1e-6)
    step = as_values(run(EMAFilter(alpha), scalar_series(np.r_[np.zeros(5), np.ones(5)])))
    np.testing.assert_allclose(step[5:], 1 - (1 - alpha) ** np.arange(1, 6))  # nothing before it happens
    assert not step[:5].any()


def test_one_euro_lags_less_when_beta_is_up() -> None:
    ramp = np.arange(100, dtype=np.float64) * 0.5
    slow = as_values(run(OneEuroFilter(0.5, beta=0.0, fps=30), scalar_series(ramp)))
    fast = as_values(run(OneEuroFilter(0.5, beta=1.0, fps=30), scalar_series(ramp)))
    assert (ramp - fast)[-1] < 0.25 * (ramp - slow)[-1]
    assert (ramp - fast)[-1] > 0  # causal: always behind a rising ramp


def test_layer_groups_smooth_coarse_harder() -> None:
    rng = np.random.default_rng(2)
    frames = list(rng.standard_normal((200, 18, 16)).astype(np.float32))
    groups = LayerGroups(coarse=4.0, middle=1.0, fine=0.0)
    out = np.stack(run(GaussianFilter(groups), frames))
    raw = np.stack(frames)
    var = out[20:-20].var(axis=(0, 2)) / raw[20:-20].var(axis=(0, 2))
    assert var[:4].max() < 0.15 < var[4:8].min() and var[4:8].max() < 0.5
    np.testing.assert_array_equal(out[:, 8:], raw[:, 8:])  # sigma 0: fine layers untouched
    ema = np.stack(run(EMAFilter(LayerGroups(0.1, 0.5, 1.0)), frames))
    np.testing.assert_array_equal(ema[:, 8:], raw[:, 8:])
    assert ema[20:, :4].var() < ema[20:, 4:8].var()


def test_torch_tensors_and_feature_tensors() -> None:
    frames = [torch.full((512, 4, 4), float(i)) for i in range(20)]
    out = run(GaussianFilter(1.5, layer_axis=0), frames)
    assert all(isinstance(f, torch.Tensor) and f.shape == (512, 4, 4) for f in out)
    assert torch.allclose(out[10], frames[10], atol=1e-5)
    wplus = [torch.randn(14, 512) for _ in range(10)]
    out = run(OneEuroFilter(LayerGroups(0.5, 1.0, 2.0), beta=0.1), wplus)
    assert isinstance(out[-1], torch.Tensor) and out[-1].dtype == torch.float32


def test_gaps_split_the_sequence() -> None:
    seq = scalar_series([1.0] * 5) + [None] + scalar_series([5.0] * 5)
    for filt in (GaussianFilter(3.0), EMAFilter(0.2), OneEuroFilter(0.3)):
        out = run(filt, seq)
        assert out[5] is None
        np.testing.assert_allclose(as_values(out[:5]), 1.0)
        np.testing.assert_allclose(as_values(out[6:]), 5.0)


def test_parse_filter() -> None:
    assert isinstance(parse_filter("none"), Identity)
    g = parse_filter("gaussian:3,2,1")
    assert isinstance(g, GaussianFilter) and g.sigma == LayerGroups(3, 2, 1) and g.latency == 9
    assert parse_filter("gaussian:2:truncate=2").latency == 4
    e = parse_filter("one-euro:1.5:beta=0.01", fps=25)
    assert isinstance(e, OneEuroFilter) and e.beta == 0.01 and e.fps == 25
    assert parse_filter("ema").alpha == 0.5
    for bad in ("median:3", "gaussian:a", "gaussian:1,2", "ema:2", "ema:0.5:beta=1", "gaussian:-1"):
        with pytest.raises(VidinvertError):
            parse_filter(bad)
