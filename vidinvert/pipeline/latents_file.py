"""`--save-latents FILE.npz`: the per-frame latents and crop quads of a run.

Arrays (N = frames with the face): `index` (N,) frame numbers, `time` (N,) seconds, `wplus`
(N, n_latent, style_dim) float32 inverted latents, `quad` (N, 4, 2) crop quads in frame pixels,
`cold` (N,) bool; `feature` (N, C, h, w) float16 when the encoder has a feature tensor; scalars
`fps`, `generator_size`, `encoder_kind`, `render` (the render mode: warp, delta or generated).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from vidinvert.models import Generator, InversionEncoder
from vidinvert.pipeline.frames import FaceFrame


class LatentsRecorder:
    """Collects the inversion of every face frame and writes them as one .npz at the end."""

    def __init__(self, render: str = "generated") -> None:
        self.render = render
        self.rows: dict[str, list] = {"index": [], "time": [], "wplus": [], "quad": [], "cold": [], "feature": []}

    def add(self, frame: FaceFrame) -> None:
        if frame.wplus is None:
            return
        self.rows["index"].append(frame.record.index)
        self.rows["time"].append(frame.record.time)
        self.rows["wplus"].append(frame.wplus.detach().float().cpu().numpy())
        self.rows["quad"].append(np.asarray(frame.quad, dtype=np.float32))
        self.rows["cold"].append(frame.cold)
        if frame.feature is not None:
            self.rows["feature"].append(frame.feature.detach().half().cpu().numpy())

    def save(self, path: str | os.PathLike, G: Generator, E: InversionEncoder, fps: float) -> Path:
        path = Path(path)
        arrays = {
            "index": np.asarray(self.rows["index"], dtype=np.int64),
            "time": np.asarray(self.rows["time"], dtype=np.float64),
            "wplus": np.asarray(self.rows["wplus"], dtype=np.float32).reshape(-1, G.n_latent, G.style_dim),
            "quad": np.asarray(self.rows["quad"], dtype=np.float32).reshape(-1, 4, 2),
            "cold": np.asarray(self.rows["cold"], dtype=bool),
            "fps": np.float64(fps),
            "generator_size": np.int64(G.size),
            "encoder_kind": np.str_(E.kind),
            "render": np.str_(self.render),
        }
        if self.rows["feature"]:
            arrays["feature"] = np.stack(self.rows["feature"])
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".npz", dir=path.parent)
        os.close(fd)
        try:
            np.savez(tmp, **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path
