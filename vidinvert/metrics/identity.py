"""Identity similarity through a face-recognition embedding (IR-SE50 / CurricularFace).

The metric only needs an embedding callable: float crops (N, 3, H, W) in [-1, 1] ->
embeddings (N, D). The callable owns its preprocessing (face-region crop, resize to 112).
:func:`load_identity_model` finds the weights file (given path, else the weights store)
and builds the callable with :func:`vidinvert.models.identity.load_identity_backbone`;
without a file the metric is :class:`Unavailable` with the reason, and a file that is not an
identity backbone is a WeightsError.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from vidinvert.errors import WeightsError
from vidinvert.metrics.unavailable import Unavailable
from vidinvert.models.identity import load_identity_backbone
from vidinvert.weights import KNOWN_WEIGHTS, search_dirs

EmbedFn = Callable[[torch.Tensor], torch.Tensor]
BackboneLoader = Callable[[Path, str], EmbedFn]

IDENTITY_WEIGHT_NAMES = tuple(k.name for k in KNOWN_WEIGHTS if k.kind == "identity")


class IdentityModel:
    """L2-normalised identity embeddings of crops in [0, 1]."""

    name = "identity"

    def __init__(self, embed: EmbedFn, source: str) -> None:
        self.embed_fn = embed
        self.source = source

    @torch.no_grad()
    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Unit-norm embeddings (N, D) of images (N, 3, H, W) in [0, 1]."""
        return F.normalize(self.embed_fn(images * 2 - 1).float().flatten(1), dim=1)


def cosine_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise cosine similarity of two (N, D) embedding batches, shape (N,)."""
    return F.cosine_similarity(a.float(), b.float(), dim=1)


def find_identity_weights(folders: Sequence[Path]) -> Path | None:
    """The first known identity weights file in ``folders``, or None."""
    for folder in folders:
        for name in IDENTITY_WEIGHT_NAMES:
            if (Path(folder) / name).is_file():
                return Path(folder) / name
    return None


def load_identity_model(
    path: str | os.PathLike | None = None,
    device: str = "cpu",
    loader: BackboneLoader | None = None,
    weights_dir: str | os.PathLike | None = None,
) -> IdentityModel | Unavailable:
    """Identity model from ``path`` (must exist when given) or the weights store
    (``weights_dir`` first, then the usual folders).

    ``loader(path, device)`` builds the embedding callable (default: the official IR-SE50 /
    CurricularFace backbones). Returns :class:`Unavailable` when no file is found.
    """
    if path is not None:
        weights = Path(path)
        if not weights.is_file():
            raise WeightsError(f"identity weights file not found: {weights}")
    else:
        dirs = search_dirs(weights_dir)
        weights = find_identity_weights(dirs)
        if weights is None:
            names = ", ".join(IDENTITY_WEIGHT_NAMES)
            where = ", ".join(str(d) for d in dirs)
            return Unavailable(
                "identity", f"no identity weights given (--identity-weights) and none of {names} in {where}"
            )
    loader = loader if loader is not None else load_identity_backbone
    return IdentityModel(loader(weights, device), source=str(weights))
