"""ReStyle's single-level encoders (pSp and e4e variants), parameter for parameter.

All four official encoder types read a 6-channel input (target ‖ current reconstruction) at
256 px, reduce it to a 16x16x512 map and give each W+ latent its own `GradualStyleBlock`
(`styles.i.convs.{0,2,4,6}` conv3x3 stride 2 + LeakyReLU(0.01), `styles.i.linear` EqualLinear).
IR-SE50 bodies have `input_layer` + 24 `body` units; ResNet34 bodies have `conv1`/`bn1`/`relu`
(7x7 stride 2, BN, PReLU) + 16 torchvision BasicBlocks. The e4e variants broadcast style 0 to
every latent and add styles 1.. to their own latent.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vidinvert.models.encoder_base import InversionEncoder
from vidinvert.models.ir_se import ir_se50_body, ir_se_input_layer
from vidinvert.models.resnet import resnet34_body
from vidinvert.models.stylegan2 import EqualLinear

RESTYLE_INPUT_SIZE = 256
STYLE_MAP_SIZE = 16  # spatial size GradualStyleBlock reduces to 1x1


class GradualStyleBlock(nn.Module):
    """log2(spatial) stride-2 conv3x3 + LeakyReLU(0.01) down to 1x1, then an EqualLinear."""

    def __init__(self, channels: int = 512, spatial: int = STYLE_MAP_SIZE) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for _ in range(int(math.log2(spatial))):
            layers += [nn.Conv2d(channels, channels, 3, 2, 1), nn.LeakyReLU(0.01)]
        self.convs = nn.Sequential(*layers)
        self.linear = EqualLinear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.convs(x)
        if x.shape[-2:] != (1, 1):
            raise ValueError(f"style map reduced to {tuple(x.shape[-2:])}, expected 1x1 (input too large)")
        return self.linear(x.flatten(1))


class ReStyleEncoder(InversionEncoder):
    """ReStyle BackboneEncoder family: `backbone` "ir_se50" or "resnet34", `progressive` for e4e."""

    def __init__(
        self,
        backbone: str = "ir_se50",
        progressive: bool = False,
        n_styles: int = 18,
        in_channels: int = 6,
        input_size: int = RESTYLE_INPUT_SIZE,
    ) -> None:
        super().__init__(n_styles, in_channels, input_size, None)
        self.kind = "restyle-e4e" if progressive else "restyle-psp"
        self.backbone = backbone
        self.progressive = progressive
        if backbone == "ir_se50":
            self.input_layer = ir_se_input_layer(in_channels)
            self.body = ir_se50_body()
        elif backbone == "resnet34":
            self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.PReLU(64)
            self.body = resnet34_body()
        else:
            raise ValueError(f"unknown ReStyle backbone {backbone!r}")
        self.styles = nn.ModuleList(GradualStyleBlock() for _ in range(n_styles))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        """(B, in_channels, 256, 256) -> W+ step (B, n_styles, 512), no feature tensor."""
        if x.shape[1] != self.in_channels:
            raise ValueError(f"encoder takes {self.in_channels} channels, got {x.shape[1]}")
        if self.backbone == "ir_se50":
            x = self.input_layer(x)
        else:
            x = self.relu(self.bn1(self.conv1(x)))
        x = self.body(x)
        if not self.progressive:
            return torch.stack([style(x) for style in self.styles], dim=1), None
        base = self.styles[0](x)
        offsets = [torch.zeros_like(base)] + [style(x) for style in self.styles[1:]]
        return base.unsqueeze(1) + torch.stack(offsets, dim=1), None
