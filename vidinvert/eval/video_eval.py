"""Metrics of one video from its frame records, streamed in batches (bounded memory).

Identity embeddings come from the records when they carry them, else from the official identity
model (ID, TL-ID, TG-ID), else from dlib's embedding (TL-ID and TG-ID only; ID stays unavailable).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from vidinvert.eval.records import EvalFrame, VideoFn
from vidinvert.eval.suite import MetricSuite
from vidinvert.metrics.face_quality import SUMMARY_KEYS
from vidinvert.metrics.identity import IdentityModel, cosine_similarity
from vidinvert.metrics.perceptual import Lpips
from vidinvert.metrics.recognition_identity import RecognitionIdentity
from vidinvert.metrics.pixel import mse, psnr_from_mse, ssim, to_unit_range
from vidinvert.metrics.temporal import crop_jitter, crop_jitter_curve, flicker_ratio, frame_change, tg_id, tl_id

FRAME_METRICS = ("ssim", "psnr", "mse", "lpips", "id")
VIDEO_METRICS = FRAME_METRICS + ("tl_id", "tg_id", "flicker", "jitter")
FRAME_COLUMNS = ("frame",) + FRAME_METRICS + ("change_in", "change_out", "jitter")
#: `vidinvert score`'s summary as per-video metrics: its keys behind "face_" (face_frames keeps its name).
FACE_METRICS = tuple(key if key.startswith("face_") else f"face_{key}" for key in SUMMARY_KEYS)


@dataclass
class VideoMetrics:
    """Per-frame rows, per-video values and the metrics that could not be computed (with reasons).

    ``frames_without_face``: decoded frames that gave no record, when the video function counts them.
    ``values`` holds the FACE_METRICS too when the video function scores faces.
    """

    rows: list[dict[str, float]]
    values: dict[str, float]
    unavailable: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    frames_without_face: int | None = None


class _Accumulator:
    def __init__(self, suite: MetricSuite) -> None:
        self.suite = suite
        self.rows: list[dict[str, float]] = []
        self.quads: list[np.ndarray | None] = []
        self.input_embeddings: list[torch.Tensor] = []
        self.output_embeddings: list[torch.Tensor] = []
        self.identity_missing = False
        self.id_not_comparable = False
        self.previous: tuple[torch.Tensor, torch.Tensor] | None = None

    @torch.no_grad()
    def add(self, batch: Sequence[EvalFrame]) -> None:
        device = self.suite.device
        inputs = torch.cat([to_unit_range(r.input_crop) for r in batch]).to(device)
        outputs = torch.cat([to_unit_range(r.output_crop) for r in batch]).to(device)
        errors = mse(inputs, outputs)
        columns: dict[str, list[float]] = {
            "ssim": ssim(inputs, outputs).tolist(),
            "psnr": psnr_from_mse(errors).tolist(),
            "mse": errors.tolist(),
            "lpips": self._lpips(inputs, outputs),
            "id": self._identity(batch, inputs, outputs),
        }
        changes_in, changes_out = self._changes(inputs, outputs)
        for offset, record in enumerate(batch):
            row = {"frame": record.index}
            row.update({name: float(values[offset]) for name, values in columns.items()})
            row.update(change_in=changes_in[offset], change_out=changes_out[offset], jitter=math.nan)
            self.rows.append(row)
            self.quads.append(None if record.quad is None else np.asarray(record.quad, dtype=np.float64))

    def _lpips(self, inputs: torch.Tensor, outputs: torch.Tensor) -> list[float]:
        if isinstance(self.suite.lpips, Lpips):
            return self.suite.lpips(inputs, outputs).tolist()
        return [math.nan] * len(inputs)

    def _identity(self, batch: Sequence[EvalFrame], inputs: torch.Tensor, outputs: torch.Tensor) -> list[float]:
        if all(r.input_embedding is not None and r.output_embedding is not None for r in batch):
            source = torch.stack([torch.as_tensor(r.input_embedding).float().flatten() for r in batch])
            result = torch.stack([torch.as_tensor(r.output_embedding).float().flatten() for r in batch])
        elif isinstance(self.suite.identity, IdentityModel):
            source, result = self.suite.identity.embed(inputs).cpu(), self.suite.identity.embed(outputs).cpu()
        elif isinstance(self.suite.recognition, RecognitionIdentity):
            self.input_embeddings.append(self.suite.recognition.embed(inputs))
            self.output_embeddings.append(self.suite.recognition.embed(outputs))
            self.id_not_comparable = True
            return [math.nan] * len(batch)
        else:
            self.identity_missing = True
            return [math.nan] * len(batch)
        self.input_embeddings.append(source.cpu())
        self.output_embeddings.append(result.cpu())
        return cosine_similarity(source, result).tolist()

    def _changes(self, inputs: torch.Tensor, outputs: torch.Tensor) -> tuple[list[float], list[float]]:
        if self.previous is None:
            previous_in, previous_out = inputs[:1], outputs[:1]
            changes_in = [math.nan] + frame_change(inputs[:-1], inputs[1:]).tolist()
            changes_out = [math.nan] + frame_change(outputs[:-1], outputs[1:]).tolist()
        else:
            previous_in = torch.cat([self.previous[0], inputs[:-1]])
            previous_out = torch.cat([self.previous[1], outputs[:-1]])
            changes_in = frame_change(previous_in, inputs).tolist()
            changes_out = frame_change(previous_out, outputs).tolist()
        self.previous = (inputs[-1:], outputs[-1:])
        return changes_in, changes_out

    def finish(self, unavailable_models: dict[str, str]) -> VideoMetrics:
        if not self.rows:
            return VideoMetrics([], {})
        unavailable: dict[str, str] = {}
        values = {name: _mean([row[name] for row in self.rows]) for name in FRAME_METRICS}
        if "lpips" in unavailable_models:
            unavailable["lpips"] = unavailable_models["lpips"]
        reason = unavailable_models.get("identity", "no identity embeddings")
        if self.identity_missing or not self.input_embeddings:
            unavailable["id"] = reason
            reasons = "; ".join(filter(None, (reason, unavailable_models.get("recognition"))))
            unavailable["tl_id"] = unavailable["tg_id"] = f"needs an identity model ({reasons})"
            values.update(id=math.nan, tl_id=math.nan, tg_id=math.nan)
        else:
            source, result = torch.cat(self.input_embeddings), torch.cat(self.output_embeddings)
            values.update(tl_id=tl_id(source, result), tg_id=tg_id(source, result))
        if self.id_not_comparable:
            unavailable["id"] = (f"{reason} ({RecognitionIdentity.source} measures TL-ID and TG-ID only: its similarity "
                                 "is not on the published ID scale)")
            values["id"] = math.nan
        pairs = [row for row in self.rows if not math.isnan(row["change_in"])]
        values["flicker"] = flicker_ratio(
            np.array([row["change_out"] for row in pairs]), np.array([row["change_in"] for row in pairs])
        )
        if any(quad is None for quad in self.quads):
            unavailable["jitter"] = "the video function gave no crop quads"
            values["jitter"] = math.nan
        else:
            quads = np.stack(self.quads)
            for row, value in zip(self.rows, crop_jitter_curve(quads)):
                row["jitter"] = float(value)
            values["jitter"] = crop_jitter(quads)
        return VideoMetrics(self.rows, values, unavailable)


def _mean(values: list[float]) -> float:
    finite_or_inf = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite_or_inf)) if finite_or_inf else math.nan


def _batches(records: Iterable[EvalFrame], size: int) -> Iterable[list[EvalFrame]]:
    batch: list[EvalFrame] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def evaluate_video(path: Path, video_fn: VideoFn, suite: MetricSuite, max_frames: int | None) -> VideoMetrics:
    """Run ``video_fn`` on ``path`` and measure every frame record it yields."""
    started = time.perf_counter()
    accumulator = _Accumulator(suite)
    records = video_fn(path, max_frames)
    for batch in _batches(records, suite.batch_size):
        accumulator.add(batch)
    result = accumulator.finish(suite.unavailable())
    result.seconds = time.perf_counter() - started
    result.frames_without_face = getattr(records, "frames_without_face", None)
    face_scores = getattr(records, "face_scores", None)
    if face_scores is not None:
        result.values.update(zip(FACE_METRICS, (face_scores[key] for key in SUMMARY_KEYS)))
    return result

