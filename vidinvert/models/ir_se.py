"""The ArcFace IR / IR-SE ResNets: IR-SE50 (the pSp/e4e/ReStyle body and the ArcFace identity
network) and IR-101 (CurricularFace).

Parameter names follow the official checkpoints: each unit has `shortcut_layer` (1x1 conv + BN
where the channel count changes, else a parameter-free strided max-pool) and `res_layer`
(BN, conv3x3, PReLU, conv3x3 (stride), BN, and for IR-SE units a squeeze-excitation gate).
"""

from __future__ import annotations

import torch
from torch import nn

# (in_channels, out_channels, units) per group; the first unit of each group has stride 2.
Groups = tuple[tuple[int, int, int], ...]
IR_SE50_GROUPS: Groups = ((64, 64, 3), (64, 128, 4), (128, 256, 14), (256, 512, 3))
IR101_GROUPS: Groups = ((64, 64, 3), (64, 128, 13), (128, 256, 30), (256, 512, 3))


class SEModule(nn.Module):
    """Squeeze-excitation gate: global average, 1x1 conv down by `reduction`, ReLU, 1x1 conv up, sigmoid."""

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1, bias=False)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = x.mean(dim=(2, 3), keepdim=True)
        gate = torch.sigmoid(self.fc2(torch.relu(self.fc1(gate))))
        return x * gate


class BottleneckIR(nn.Module):
    """One IR unit (official names `bottleneck_IR_SE`, or `bottleneck_IR` with ``se=False``)."""

    def __init__(self, in_channels: int, channels: int, stride: int, se: bool = True) -> None:
        super().__init__()
        if in_channels == channels:
            self.shortcut_layer: nn.Module = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride, bias=False),
                nn.BatchNorm2d(channels),
            )
        layers = [
            nn.BatchNorm2d(in_channels),
            nn.Conv2d(in_channels, channels, 3, 1, 1, bias=False),
            nn.PReLU(channels),
            nn.Conv2d(channels, channels, 3, stride, 1, bias=False),
            nn.BatchNorm2d(channels),
        ]
        if se:
            layers.append(SEModule(channels, 16))
        self.res_layer = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res_layer(x) + self.shortcut_layer(x)


def ir_body(groups: Groups, se: bool = True) -> nn.Sequential:
    """The IR units of ``groups`` in order (official `body.0..`), input 64 channels, total stride 16."""
    units = []
    for in_channels, channels, count in groups:
        units.append(BottleneckIR(in_channels, channels, 2, se))
        units += [BottleneckIR(channels, channels, 1, se) for _ in range(count - 1)]
    return nn.Sequential(*units)


def ir_se50_body() -> nn.Sequential:
    """The 24 IR-SE units (3 at 64, 4 at 128, 14 at 256, 3 at 512 channels)."""
    return ir_body(IR_SE50_GROUPS, se=True)


def ir_se_input_layer(in_channels: int) -> nn.Sequential:
    """conv3x3 stride 1 (no bias) to 64 channels, BN, PReLU (`input_layer.0/.1/.2`)."""
    return nn.Sequential(nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.PReLU(64))
