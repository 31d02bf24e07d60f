"""Published video-inversion results on RAVDESS (FeatureStyleEncoder, Table 2: 120 random videos,
inversion of aligned crops; ID is CurricularFace cosine similarity, LPIPS the AlexNet variant)."""

from __future__ import annotations

TABLE2_COLUMNS = ("ssim", "psnr", "mse", "lpips", "id")
TABLE2_ROWS: dict[str, tuple[float, float, float, float, float]] = {
    "pSp": (0.736, 22.30, 0.025, 0.196, 0.687),
    "e4e": (0.713, 20.57, 0.037, 0.220, 0.620),
    "ReStyle": (0.761, 23.17, 0.021, 0.189, 0.781),
    "HFGI": (0.783, 24.04, 0.017, 0.182, 0.810),
    "FSE": (0.818, 26.64, 0.009, 0.122, 0.895),
}
