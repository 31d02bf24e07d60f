"""The code that is hidden: W+ latents and, optionally, the feature tensor, quantised to float16.

float16 keeps 11 significant bits: the code's values (|w| < 10 for a face, a few units for the
feature tensor) move by under 0.005 and the render by a fraction of a grey level, at half the
bits of float32. E2Style keeps only the integer part, which is far coarser (docs/hiding.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch

from vidinvert.errors import VidinvertError
from vidinvert.models import Generator

_STORED = np.dtype(">f2")  # big-endian float16 on every machine


@dataclass(frozen=True)
class Code:
    """The quantised code: W+ (n_latent, style_dim) and the feature tensor (C, h, w) or None, float16."""

    wplus: np.ndarray
    feature: np.ndarray | None = None

    @property
    def n_bytes(self) -> int:
        return _STORED.itemsize * (self.wplus.size + (0 if self.feature is None else self.feature.size))

    def to_bytes(self) -> bytes:
        parts = [self.wplus] + ([] if self.feature is None else [self.feature])
        return b"".join(part.astype(_STORED).tobytes() for part in parts)

    def tensors(self, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor | None]:
        """W+ and the feature tensor as float32 tensors, exactly the values stored."""
        feature = None if self.feature is None else torch.from_numpy(self.feature.astype(np.float32)).to(device)
        return torch.from_numpy(self.wplus.astype(np.float32)).to(device), feature


def quantise(wplus: torch.Tensor, feature: torch.Tensor | None = None) -> Code:
    """The code of an inversion, refused when a value does not fit float16."""
    parts = [wplus] + ([] if feature is None else [feature])
    with np.errstate(over="ignore"):  # an overflow becomes inf, refused below
        stored = [part.detach().float().cpu().numpy().astype(np.float16) for part in parts]
    if not all(np.isfinite(part).all() for part in stored):
        raise VidinvertError("the inversion has values float16 cannot hold (beyond 65504); nothing was hidden")
    return Code(stored[0], stored[1] if len(stored) > 1 else None)


def code_from_bytes(data: bytes, n_latent: int, style_dim: int, feature_shape: tuple[int, int, int] | None) -> Code:
    """The code stored in `data` with the header's shapes."""
    n_w = n_latent * style_dim
    n_f = 0 if feature_shape is None else int(np.prod(feature_shape))
    if len(data) != _STORED.itemsize * (n_w + n_f):
        raise VidinvertError(f"the hidden code has {len(data)} bytes; its header's shapes need "
                             f"{_STORED.itemsize * (n_w + n_f)}")
    values = np.frombuffer(data, dtype=_STORED).astype(np.float16)
    feature = None if feature_shape is None else values[n_w:].reshape(feature_shape)
    return Code(values[:n_w].reshape(n_latent, style_dim), feature)


def generator_fingerprint(G: Generator) -> bytes:
    """16 bytes of the SHA-256 of the generator's every parameter and buffer (stored noise included):
    the same for the same weights wherever they are loaded, different after any change."""
    digest = hashlib.sha256()
    for name, value in sorted(G.state_dict().items()):
        array = value.detach().to("cpu", torch.float32).contiguous().numpy()
        digest.update(f"{name}:{tuple(array.shape)};".encode())
        digest.update(array.astype("<f4").tobytes())
    return digest.digest()[:16]
