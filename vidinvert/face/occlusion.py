"""Occluder masks for aligned face crops: which pixels are hands, objects, hair strands or glasses in front of the face.

A small U-Net (vidinvert/face/occlusion_net.py) trained on CelebA faces with synthetic occluders
(vidinvert/train/occluders.py); the bundled weights and what they were measured to do are in
vidinvert/data/occluders/ (see its MODEL_CARD.md).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import cv2
import numpy as np
import torch

from vidinvert.checkpoint import load_checkpoint
from vidinvert.errors import VidinvertError
from vidinvert.face.occlusion_net import OccluderNet

BUNDLED_FILE = Path(__file__).resolve().parents[1] / "data" / "occluders" / "occluders.pt"
FORMAT = "vidinvert-occluders"


def to_input(crops: np.ndarray, size: int) -> torch.Tensor:
    """uint8 RGB (N, S, S, 3) -> float (N, 3, size, size) in [-1, 1] (area-resized when S != size)."""
    if crops.shape[1] != size:
        interpolation = cv2.INTER_AREA if crops.shape[1] > size else cv2.INTER_LINEAR
        crops = np.stack([cv2.resize(c, (size, size), interpolation=interpolation) for c in crops])
    return torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


class OcclusionSegmenter:
    """Per-pixel probability that an aligned face crop's pixel is an occluder in front of the face."""

    def __init__(self, net: OccluderNet, input_size: int, meta: dict | None = None) -> None:
        self.net = net.eval()
        self.input_size = int(input_size)
        self.meta = dict(meta or {})

    @classmethod
    def load(cls, path: str | os.PathLike) -> OcclusionSegmenter:
        """Read a weights file written by bin/train_occluders.py."""
        data = load_checkpoint(path, what="occluder model")
        if not isinstance(data, dict) or data.get("format") != FORMAT or "state_dict" not in data:
            raise VidinvertError(f"occluder model file {path} is not a {FORMAT} file")
        meta = data.get("meta", {})
        try:
            net = OccluderNet(tuple(meta["channels"]))
            net.load_state_dict({k: v.float() for k, v in data["state_dict"].items()})
            size = int(meta["input_size"])
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise VidinvertError(f"occluder model file {path} does not fit the network: {reason}") from None
        return cls(net, size, meta)

    @classmethod
    def bundled(cls) -> OcclusionSegmenter:
        """The weights shipped with the package (read once per process)."""
        return _bundled()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the weights (float16) with their metadata."""
        from vidinvert.checkpoint import save_checkpoint

        state = {k: v.half() if v.is_floating_point() else v for k, v in self.net.state_dict().items()}
        meta = {**self.meta, "input_size": self.input_size, "channels": list(self.net.channels)}
        return save_checkpoint({"format": FORMAT, "state_dict": state, "meta": meta}, path)

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        """uint8 RGB crops (N, S, S, 3) -> float32 (N, S, S) occluder probabilities in [0, 1]."""
        crops = np.asarray(crops)
        if crops.dtype != np.uint8 or crops.ndim != 4 or crops.shape[-1] != 3 or crops.shape[1] != crops.shape[2]:
            raise VidinvertError(f"expected uint8 RGB square crops (N, S, S, 3), got {crops.dtype} {crops.shape}")
        size = crops.shape[1]
        if len(crops) == 0:
            return np.zeros((0, size, size), np.float32)
        with torch.inference_mode():
            logits = self.net(to_input(crops, self.input_size))
            if size != self.input_size:
                logits = torch.nn.functional.interpolate(logits, size=(size, size), mode="bilinear",
                                                         align_corners=False)
            return torch.sigmoid(logits)[:, 0].numpy().astype(np.float32)


@functools.lru_cache(maxsize=1)
def _bundled() -> OcclusionSegmenter:
    return OcclusionSegmenter.load(BUNDLED_FILE)
