"""Pixel metrics on aligned crops: MSE, PSNR, SSIM, batched in torch.

Conventions (the one place they are stated; every other module converts through
:func:`to_unit_range`):

- Images are float tensors (N, 3, H, W), RGB, values in [0, 1] (``DATA_RANGE`` = 1).
  Crops inside models are in [-1, 1]; uint8 HWC crops come from the video edges.
  :func:`to_unit_range` maps both to [0, 1] and clamps.
- The two images of a pair have the same size: the aligned input crop at the
  resolution of the reconstruction (the generator's output size); nothing is resized here.
- MSE: mean over channels and pixels of the squared difference, on [0, 1].
- PSNR: ``10 log10(DATA_RANGE**2 / MSE)`` per image; identical images give ``+inf``
  (a float, never an exception; reports write it JSON-safe).
- SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, K1 = 0.01, K2 = 0.03,
  population (biased) local statistics, computed per RGB channel over the "valid"
  window positions only (no padding) and averaged over channels and positions.
  This matches scikit-image's ``structural_similarity(gaussian_weights=True, sigma=1.5,
  use_sample_covariance=False, data_range=1, channel_axis=...)``.
- Published encoder papers report MSE on the [-1, 1] scale (their MSE and PSNR columns
  satisfy PSNR ~ 10 log10(4 / MSE)); multiply our MSE by 4 to compare with them.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

DATA_RANGE = 1.0
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
MSE_SCALE_TO_MODEL_RANGE = 4.0  # MSE on [-1, 1] images = 4 x MSE on [0, 1] images


def to_unit_range(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Convert crops to float (N, 3, H, W) RGB in [0, 1].

    Accepts uint8 numpy arrays HWC or NHWC (values 0..255) and float torch tensors
    CHW or NCHW in the model range [-1, 1].
    """
    if isinstance(images, np.ndarray):
        if images.dtype != np.uint8:
            raise TypeError(f"numpy crops must be uint8 HWC RGB, got {images.dtype}")
        tensor = torch.tensor(images)  # a copy: crops may be read-only views
        if tensor.ndim == 3:
            tensor = tensor[None]
        return tensor.permute(0, 3, 1, 2).float() / 255.0
    if not torch.is_floating_point(images):
        raise TypeError(f"tensor crops must be float in [-1, 1], got {images.dtype}")
    tensor = images[None] if images.ndim == 3 else images
    return ((tensor.float() + 1.0) / 2.0).clamp(0.0, 1.0)


def _check_pair(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape != b.shape or a.ndim != 4:
        raise ValueError(f"expected two (N, C, H, W) batches of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared error, shape (N,)."""
    _check_pair(a, b)
    return (a.float() - b.float()).pow(2).flatten(1).mean(1)


def psnr_from_mse(error: torch.Tensor) -> torch.Tensor:
    """PSNR in dB from per-image MSE on [0, 1]; zero error gives +inf."""
    return 10.0 * torch.log10(DATA_RANGE**2 / error.double()).float()


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB, shape (N,); identical images give +inf."""
    return psnr_from_mse(mse(a, b))


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """Normalised 1-D Gaussian weights of odd length ``size``."""
    offsets = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    weights = torch.exp(-(offsets**2) / (2 * sigma**2))
    return weights / weights.sum()


def ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """SSIM at every valid window position, shape (N, C, H - 10, W - 10)."""
    _check_pair(a, b)
    n, c, h, w = a.shape
    if min(h, w) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs crops of at least {SSIM_WINDOW}x{SSIM_WINDOW}, got {h}x{w}")
    a, b = a.float(), b.float()
    window = gaussian_window().to(a.device, torch.float32)
    # Five local moments of every channel, filtered at once by a separable grouped convolution.
    stack = torch.cat([a, b, a * a, b * b, a * b], dim=1)
    groups = stack.shape[1]
    filtered = F.conv2d(stack, window.view(1, 1, 1, -1).expand(groups, 1, 1, -1), groups=groups)
    filtered = F.conv2d(filtered, window.view(1, 1, -1, 1).expand(groups, 1, -1, 1), groups=groups)
    mu_a, mu_b, e_aa, e_bb, e_ab = filtered.split(c, dim=1)
    var_a = e_aa - mu_a * mu_a
    var_b = e_bb - mu_b * mu_b
    cov = e_ab - mu_a * mu_b
    c1 = (SSIM_K1 * DATA_RANGE) ** 2
    c2 = (SSIM_K2 * DATA_RANGE) ** 2
    numerator = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    denominator = (mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2)
    return numerator / denominator


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM averaged over channels and valid positions, shape (N,)."""
    return ssim_map(a, b).flatten(1).mean(1)

