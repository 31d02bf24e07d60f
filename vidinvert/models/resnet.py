"""ResNet34 stages with torchvision's parameter names, without depending on torchvision.

ReStyle's ResNet encoders flatten torchvision's layer1..layer4 BasicBlocks into one `body`
sequence of 16 blocks; block keys are `conv1, bn1, conv2, bn2` and `downsample.0/.1`.
"""

from __future__ import annotations

import torch
from torch import nn

# (out_channels, blocks, stride of the first block) for torchvision's resnet34 layer1..layer4.
RESNET34_LAYERS = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))


class BasicBlock(nn.Module):
    """torchvision BasicBlock: conv3x3 (stride), BN, ReLU, conv3x3, BN, plus shortcut, ReLU."""

    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample: nn.Sequential | None = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride, bias=False),
                nn.BatchNorm2d(channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


def resnet34_body() -> nn.Sequential:
    """The 16 BasicBlocks of resnet34 layer1..layer4 in one sequence (64 -> 512 channels, total stride 8)."""
    blocks = []
    in_channels = 64
    for channels, count, stride in RESNET34_LAYERS:
        blocks.append(BasicBlock(in_channels, channels, stride))
        blocks += [BasicBlock(channels, channels) for _ in range(count - 1)]
        in_channels = channels
    return nn.Sequential(*blocks)
