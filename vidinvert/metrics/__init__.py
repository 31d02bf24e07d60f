"""Metrics on aligned face crops: pixel (SSIM, PSNR, MSE), LPIPS, identity, temporal.

Conventions (range [0, 1], RGB, same-size crops) are stated once in :mod:`vidinvert.metrics.pixel`.
"""

from vidinvert.metrics.identity import IdentityModel, cosine_similarity, load_identity_model
from vidinvert.metrics.perceptual import Lpips, load_lpips
from vidinvert.metrics.pixel import DATA_RANGE, mse, psnr, psnr_from_mse, ssim, ssim_map, to_unit_range
from vidinvert.metrics.temporal import crop_jitter, crop_jitter_curve, flicker_ratio, frame_change, tg_id, tl_id
from vidinvert.metrics.unavailable import Unavailable

__all__ = [
    "DATA_RANGE",
    "IdentityModel",
    "Lpips",
    "Unavailable",
    "cosine_similarity",
    "crop_jitter",
    "crop_jitter_curve",
    "flicker_ratio",
    "frame_change",
    "load_identity_model",
    "load_lpips",
    "mse",
    "psnr",
    "psnr_from_mse",
    "ssim",
    "ssim_map",
    "tg_id",
    "tl_id",
    "to_unit_range",
]
