"""The changed area of an edit, from the matte `edit --matte-out` wrote (`score --matte`)."""

from __future__ import annotations

import numpy as np

from vidinvert.video.holdout import matte_values
from vidinvert.video.records import FrameRecord


class MatteArea:
    """Fed each frame's matte record; the share of the frame each edit touched, and how strongly."""

    def __init__(self) -> None:
        self.touched: list[float] = []
        self.weight: list[float] = []

    def add(self, record: FrameRecord) -> None:
        alpha = matte_values(record)
        self.touched.append(float((alpha > 0).mean()))
        self.weight.append(float(alpha.mean()))

    def summary(self) -> dict[str, float]:
        touched = np.array(self.touched)
        return {"matte_frames_changed": float((touched > 0).sum()),
                "matte_area_median": float(np.median(touched)) if touched.size else 0.0,
                "matte_area_max": float(touched.max()) if touched.size else 0.0,
                "matte_alpha_mean": float(np.mean(self.weight)) if self.weight else 0.0}

    @staticmethod
    def line(summary: dict[str, float], frames: int) -> str:
        return (f"changed area        from the matte         {100 * summary['matte_area_median']:.2f}% of the frame "
                f"(median; largest {100 * summary['matte_area_max']:.2f}%), mean alpha "
                f"{summary['matte_alpha_mean']:.4f}, {int(summary['matte_frames_changed'])} of {frames} frames changed")
