"""Summary statistics over videos: mean and 95% confidence interval (Student t)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats


def mean_ci95(values: Sequence[float]) -> dict[str, float | int | None]:
    """Mean, standard deviation and the 95% t-interval of the non-NaN ``values``.

    An infinite value makes the mean infinite and the interval undefined (None);
    fewer than two values leave the interval undefined.
    """
    kept = np.array([v for v in values if not math.isnan(v)], dtype=np.float64)
    count = len(kept)
    if count == 0:
        return {"n": 0, "mean": None, "std": None, "ci95_low": None, "ci95_high": None}
    mean = float(kept.mean())
    if count < 2 or not math.isfinite(mean):
        return {"n": count, "mean": mean, "std": None, "ci95_low": None, "ci95_high": None}
    std = float(kept.std(ddof=1))
    half = float(stats.t.ppf(0.975, count - 1)) * std / math.sqrt(count)
    return {"n": count, "mean": mean, "std": std, "ci95_low": mean - half, "ci95_high": mean + half}
