"""`--save-latents FILE.npz`: the per-frame latents and crop quads of a run.

Arrays (N = frames with the face): `index` (N,) frame numbers, `time` (N,) seconds, `wplus`
(N, n_latent, style_dim) float32 latents as inverted, `edited_wplus` the same after temporal
smoothing and the edit (what was rendered; equal to `wplus` when nothing changed them), `quad`
(N, 4, 2) crop quads in frame pixels, `cold` (N,) bool; `feature` and `edited_feature`
(N, C, h, w) float16 when the encoder has a feature tensor; scalars `fps`, `generator_size`,
`encoder_kind`, `render` (the render mode: warp, delta or generated) and `change_from` (warp and
delta: the latents the change was drawn from, as `--change-from` takes it). Per-image generator
weight residuals (HyperInverter) are not stored: at 1024 px they are about 94 MB a frame; a run
that needs them again inverts the frames again.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vidinvert.config import RenderConfig
from vidinvert.files import atomic_path
from vidinvert.models import Generator, InversionEncoder
from vidinvert.pipeline.frames import FaceFrame


class LatentsRecorder:
    """Collects the latents of every face frame and writes them as one .npz at the end."""

    def __init__(self, render: RenderConfig) -> None:
        """`render`: the run's render settings, stored with the latents."""
        self.render = render.render
        self.change_from = render.change_from
        self.rows: dict[str, list] = {name: [] for name in
                                      ("index", "time", "wplus", "edited_wplus", "quad", "cold", "feature",
                                       "edited_feature")}

    def add(self, frame: FaceFrame) -> None:
        if frame.inverted is None:
            return
        final = frame.final
        self.rows["index"].append(frame.record.index)
        self.rows["time"].append(frame.record.time)
        self.rows["wplus"].append(frame.inverted.wplus.detach().float().cpu().numpy())
        self.rows["edited_wplus"].append(final.wplus.detach().float().cpu().numpy())
        self.rows["quad"].append(np.asarray(frame.quad, dtype=np.float32))
        self.rows["cold"].append(frame.cold)
        if frame.inverted.feature is not None:
            self.rows["feature"].append(frame.inverted.feature.detach().half().cpu().numpy())
            self.rows["edited_feature"].append(final.feature.detach().half().cpu().numpy())

    def save(self, path: str | os.PathLike, G: Generator, E: InversionEncoder, fps: float) -> Path:
        shape = (-1, G.n_latent, G.style_dim)
        arrays = {
            "index": np.asarray(self.rows["index"], dtype=np.int64),
            "time": np.asarray(self.rows["time"], dtype=np.float64),
            "wplus": np.asarray(self.rows["wplus"], dtype=np.float32).reshape(shape),
            "edited_wplus": np.asarray(self.rows["edited_wplus"], dtype=np.float32).reshape(shape),
            "quad": np.asarray(self.rows["quad"], dtype=np.float32).reshape(-1, 4, 2),
            "cold": np.asarray(self.rows["cold"], dtype=bool),
            "fps": np.float64(fps),
            "generator_size": np.int64(G.size),
            "encoder_kind": np.str_(E.kind),
            "render": np.str_(self.render),
        }
        if self.render != "generated":
            arrays["change_from"] = np.str_(self.change_from)
        if self.rows["feature"]:
            arrays["feature"] = np.stack(self.rows["feature"])
            arrays["edited_feature"] = np.stack(self.rows["edited_feature"])
        path = Path(path)
        with atomic_path(path) as tmp:
            np.savez(tmp, **arrays)
        return path
