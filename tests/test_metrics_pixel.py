"""Pixel metrics on real face crops against hand computations."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter

from vidinvert.record_files import decode_float, encode_float
from vidinvert.metrics.pixel import mse, psnr, ssim, ssim_map, to_unit_range


@pytest.fixture(scope="module")
def faces(shared_data) -> np.ndarray:
    """Three real CelebA-HQ portraits at 96x96, uint8 NHWC."""
    paths = sorted((shared_data / "faces" / "celebahq").glob("*.jpg"))[:3]
    return np.stack([np.asarray(Image.open(p).convert("RGB").resize((96, 96), Image.BILINEAR)) for p in paths])


def _noisy(images: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    unit = images.astype(np.float64) / 255.0
    return np.clip(unit + np.random.default_rng(seed).normal(0.0, sigma, unit.shape), 0.0, 1.0)


def test_identical_images(faces):
    batch = to_unit_range(faces)
    assert torch.allclose(ssim(batch, batch), torch.ones(3), atol=1e-5)
    assert torch.equal(mse(batch, batch), torch.zeros(3))
    values = psnr(batch, batch)
    assert torch.isinf(values).all() and (values > 0).all()
    # Reports stay strict JSON.
    text = json.dumps([encode_float(v) for v in values.tolist()], allow_nan=False)
    assert [decode_float(v) for v in json.loads(text)] == [math.inf] * 3


def test_gaussian_noise_psnr_follows_measured_mse(faces):
    sigma = 0.05
    clean = faces.astype(np.float64) / 255.0
    noisy = _noisy(faces, sigma)
    measured = ((noisy - clean) ** 2).reshape(3, -1).mean(1)
    a = torch.from_numpy(clean).permute(0, 3, 1, 2).float()
    b = torch.from_numpy(noisy).permute(0, 3, 1, 2).float()
    np.testing.assert_allclose(mse(a, b).numpy(), measured, rtol=1e-4)
    np.testing.assert_allclose(psnr(a, b).numpy(), 10 * np.log10(1.0 / measured), atol=1e-3)
    # Clipping only removes noise: the MSE is at most sigma^2 and close to it on these faces.
    assert np.all(measured <= sigma**2) and np.all(measured > 0.8 * sigma**2)


def _gaussian(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    offsets = np.arange(size) - size // 2
    weights = np.exp(-(offsets**2) / (2 * sigma**2))
    return weights / weights.sum()


def test_ssim_one_window_by_hand(faces):
    clean = faces[:1].astype(np.float64) / 255.0
    noisy = _noisy(faces[:1], 0.1, seed=3)
    a = torch.from_numpy(clean).permute(0, 3, 1, 2).float()
    b = torch.from_numpy(noisy).permute(0, 3, 1, 2).float()
    values = ssim_map(a, b)
    assert values.shape == (1, 3, 86, 86)
    window = np.outer(_gaussian(), _gaussian())
    c1, c2 = 0.01**2, 0.03**2
    for channel, row, col in [(0, 0, 0), (1, 40, 17), (2, 85, 85)]:
        x = clean[0, row : row + 11, col : col + 11, channel]
        y = noisy[0, row : row + 11, col : col + 11, channel]
        mu_x, mu_y = (window * x).sum(), (window * y).sum()
        var_x = (window * x * x).sum() - mu_x**2
        var_y = (window * y * y).sum() - mu_y**2
        cov = (window * x * y).sum() - mu_x * mu_y
        expected = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
        assert values[0, channel, row, col].item() == pytest.approx(expected, abs=2e-5)


def _reference_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM the scikit-image way: Gaussian filtering (sigma 1.5, 11 taps), borders cropped."""
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        pass
    else:
        return structural_similarity(
            x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=2
        )
    scores = []
    for channel in range(x.shape[2]):
        u, v = x[..., channel], y[..., channel]
        blur = lambda image: gaussian_filter(image, 1.5, truncate=3.5)  # noqa: E731
        mu_u, mu_v = blur(u), blur(v)
        var_u = blur(u * u) - mu_u**2
        var_v = blur(v * v) - mu_v**2
        cov = blur(u * v) - mu_u * mu_v
        c1, c2 = 0.01**2, 0.03**2
        full = ((2 * mu_u * mu_v + c1) * (2 * cov + c2)) / ((mu_u**2 + mu_v**2 + c1) * (var_u + var_v + c2))
        scores.append(full[5:-5, 5:-5].mean())
    return float(np.mean(scores))


@pytest.mark.parametrize("sigma", [0.02, 0.1, 0.3])
def test_ssim_matches_reference(faces, sigma):
    clean = faces.astype(np.float64) / 255.0
    noisy = _noisy(faces, sigma, seed=7)
    a = torch.from_numpy(clean).permute(0, 3, 1, 2).float()
    b = torch.from_numpy(noisy).permute(0, 3, 1, 2).float()
    ours = ssim(a, b).numpy()
    expected = [_reference_ssim(clean[i], noisy[i]) for i in range(3)]
    np.testing.assert_allclose(ours, expected, atol=1e-4)
    assert np.all(ours < 1.0)


def test_ssim_falls_with_noise(faces):
    clean = to_unit_range(faces)
    scores = [ssim(clean, torch.from_numpy(_noisy(faces, s)).permute(0, 3, 1, 2).float()).mean().item() for s in (0.01, 0.05, 0.2)]
    assert scores[0] > scores[1] > scores[2]


def test_uint8_and_model_range_agree(faces):
    from_uint8 = to_unit_range(faces)
    model_range = torch.from_numpy(faces).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    assert torch.allclose(to_unit_range(model_range), from_uint8, atol=1e-6)
    assert to_unit_range(faces[0]).shape == (1, 3, 96, 96)
    with pytest.raises(TypeError):
        to_unit_range(faces.astype(np.float32))


def test_batched_equals_one_by_one(faces):
    a = to_unit_range(faces)
    b = torch.from_numpy(_noisy(faces, 0.05)).permute(0, 3, 1, 2).float()
    together = torch.stack([ssim(a, b), psnr(a, b), mse(a, b)])
    alone = torch.stack([torch.cat([f(a[i : i + 1], b[i : i + 1]) for i in range(3)]) for f in (ssim, psnr, mse)])
    assert torch.allclose(together, alone, rtol=1e-5)


def test_mismatched_sizes_are_refused(faces):
    a = to_unit_range(faces)
    with pytest.raises(ValueError):
        ssim(a, a[:, :, :90])
    with pytest.raises(ValueError):
        ssim(a[:, :, :8, :8], a[:, :, :8, :8])
