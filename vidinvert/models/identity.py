"""Face-recognition networks for the identity metrics: ArcFace IR-SE50 and CurricularFace IR-101.

Both official files are bare state dicts of the same `Backbone` layout: `input_layer` (conv3x3,
BN, PReLU), `body.0..` IR units, and `output_layer` = BatchNorm2d(512), Dropout, Flatten,
Linear(512*7*7, 512), BatchNorm1d(512) on a 112x112 input. They differ in the units and the last
norm:

- `model_ir_se50.pth` (ArcFace, the pSp/ReStyle identity loss): 24 IR-SE units (3/4/14/3),
  affine BatchNorm1d;
- `CurricularFace_Backbone.pth` (CurricularFace IR-101): 49 plain IR units (3/13/30/3),
  BatchNorm1d without affine parameters.

The layout is detected from the keys. Faces are prepared the pSp way: the aligned crop resized to
256, the face region [35:223, 32:220] cut out and average-pooled to 112.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from vidinvert.checkpoint import load_checkpoint
from vidinvert.errors import WeightsError
from vidinvert.models.encoder_base import load_state_strict, resize_square
from vidinvert.models.ir_se import IR101_GROUPS, IR_SE50_GROUPS, Groups, ir_body, ir_se_input_layer

EMBEDDING_DIM = 512
IDENTITY_INPUT = 112
#: pSp's face-region crop of a 256 px aligned face: rows 35:223, columns 32:220.
CROP_SIZE = 256
FACE_ROWS = (35, 223)
FACE_COLUMNS = (32, 220)


@dataclass(frozen=True)
class IdentityLayout:
    """One official identity backbone: its units, whether they have SE gates, the final norm."""

    name: str
    groups: Groups
    se: bool
    affine_embedding: bool

    @property
    def units(self) -> int:
        return sum(count for _, _, count in self.groups)


IR_SE50 = IdentityLayout("ArcFace IR-SE50", IR_SE50_GROUPS, se=True, affine_embedding=True)
CURRICULARFACE_IR101 = IdentityLayout("CurricularFace IR-101", IR101_GROUPS, se=False, affine_embedding=False)
IDENTITY_LAYOUTS = (IR_SE50, CURRICULARFACE_IR101)


class IdentityBackbone(nn.Module):
    """The official `Backbone`: (N, 3, 112, 112) in [-1, 1] -> L2-normalised embeddings (N, 512)."""

    def __init__(self, layout: IdentityLayout = IR_SE50) -> None:
        super().__init__()
        self.layout = layout
        self.input_layer = ir_se_input_layer(3)
        self.body = ir_body(layout.groups, se=layout.se)
        self.output_layer = nn.Sequential(
            nn.BatchNorm2d(512),
            nn.Dropout(0.6),
            nn.Flatten(),
            nn.Linear(512 * 7 * 7, EMBEDDING_DIM),
            nn.BatchNorm1d(EMBEDDING_DIM, affine=layout.affine_embedding),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (IDENTITY_INPUT, IDENTITY_INPUT):
            size = tuple(x.shape[-2:])
            raise ValueError(f"identity backbone takes {IDENTITY_INPUT}x{IDENTITY_INPUT} faces, got {size}")
        x = self.output_layer(self.body(self.input_layer(x)))
        return F.normalize(x, dim=1)


def face_region(images: torch.Tensor) -> torch.Tensor:
    """Aligned face crops (N, 3, H, W) -> the 112x112 identity input (pSp convention)."""
    images = resize_square(images, CROP_SIZE)
    images = images[:, :, FACE_ROWS[0] : FACE_ROWS[1], FACE_COLUMNS[0] : FACE_COLUMNS[1]]
    return F.adaptive_avg_pool2d(images, IDENTITY_INPUT)


class IdentityEmbedder(nn.Module):
    """Aligned crops in [-1, 1] of any size -> unit identity embeddings (N, 512)."""

    def __init__(self, backbone: IdentityBackbone) -> None:
        super().__init__()
        self.backbone = backbone

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.backbone(face_region(images))


def identity_layout(state: dict[str, torch.Tensor]) -> IdentityLayout:
    """Which official identity backbone a state dict holds, or WeightsError saying what it looks like."""
    if not any(k.startswith("input_layer.") for k in state) or "output_layer.3.weight" not in state:
        sample = ", ".join(list(state)[:3])
        raise WeightsError(f"not an IR-SE50/CurricularFace identity backbone (no input_layer/output_layer keys; "
                           f"starts with {sample})")
    units = len({k.split(".")[1] for k in state if k.startswith("body.")})
    se = any(".res_layer.5.fc1." in k for k in state)
    for layout in IDENTITY_LAYOUTS:
        if (layout.units, layout.se) == (units, se):
            return layout
    kind = "IR-SE" if se else "IR"
    known = ", ".join(f"{known.name} ({known.units} units)" for known in IDENTITY_LAYOUTS)
    raise WeightsError(f"identity backbone with {units} {kind} units is not a known layout ({known})")


def load_identity_backbone(path: str | os.PathLike,
                           device: str | torch.device = "cpu") -> Callable[[torch.Tensor], torch.Tensor]:
    """The identity embedder of an official IR-SE50 or CurricularFace file: crops in [-1, 1]
    (N, 3, H, W) -> unit embeddings (N, 512). Raises WeightsError for any other file."""
    path = Path(path)
    state = load_checkpoint(path, what="identity weights")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"identity weights file {path} is not a bare state dict of tensors")
    try:
        layout = identity_layout(state)
    except WeightsError as exc:
        raise WeightsError(f"{path}: {exc}") from None
    backbone = IdentityBackbone(layout)
    load_state_strict(backbone, state, where=f"{path} ({layout.name})")
    return IdentityEmbedder(backbone).to(device).eval()
