"""PNG plots of a report: each metric per frame (every video and the mean) and its distribution over videos."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

LABELS = {
    "ssim": "SSIM",
    "psnr": "PSNR (dB)",
    "mse": "MSE ([0, 1] scale)",
    "lpips": "LPIPS",
    "id": "identity similarity",
    "tl_id": "TL-ID",
    "tg_id": "TG-ID",
    "flicker": "flicker (output / input change)",
    "jitter": "crop jitter (fraction of face size)",
}


def _save(figure: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def plot_per_frame(metric: str, curves: Mapping[str, Sequence[tuple[float, float]]], path: Path) -> bool:
    """Curves (frame, value) per video and their mean by frame; False when nothing is finite."""
    finite = {k: [(f, v) for f, v in c if math.isfinite(v)] for k, c in curves.items()}
    finite = {k: c for k, c in finite.items() if c}
    if not finite:
        return False
    figure = Figure(figsize=(7, 4))
    axes = figure.add_subplot()
    by_frame: dict[float, list[float]] = {}
    for points in finite.values():
        frames, values = zip(*points)
        axes.plot(frames, values, color="tab:blue", alpha=0.25, linewidth=0.8)
        for frame, value in points:
            by_frame.setdefault(frame, []).append(value)
    frames = sorted(by_frame)
    axes.plot(frames, [float(np.mean(by_frame[f])) for f in frames], color="black", linewidth=2, label="mean")
    axes.set_xlabel("frame")
    axes.set_ylabel(LABELS.get(metric, metric))
    axes.set_title(f"{LABELS.get(metric, metric)} per frame ({len(finite)} videos)")
    axes.legend()
    _save(figure, path)
    return True


def plot_distribution(metric: str, values: Sequence[float], path: Path) -> bool:
    """Histogram of per-video values; False when nothing is finite."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return False
    figure = Figure(figsize=(5, 4))
    axes = figure.add_subplot()
    axes.hist(finite, bins=min(30, max(5, len(finite) // 2)), color="tab:blue", edgecolor="white")
    axes.axvline(float(np.mean(finite)), color="black", linewidth=2, label="mean")
    axes.set_xlabel(LABELS.get(metric, metric))
    axes.set_ylabel("videos")
    axes.set_title(f"{LABELS.get(metric, metric)} over {len(finite)} videos")
    axes.legend()
    _save(figure, path)
    return True
