"""The occluder segmenter's network: a small U-Net, RGB in [-1, 1] -> one channel of logits."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Channels at each resolution, full size first.
CHANNELS = (16, 32, 48, 64)


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class OccluderNet(nn.Module):
    """Encoder of strided convolutions, decoder of bilinear upsampling plus skip concatenation."""

    def __init__(self, channels: tuple[int, ...] = CHANNELS) -> None:
        super().__init__()
        self.channels = tuple(int(c) for c in channels)
        c = self.channels
        self.stem = nn.Sequential(_block(3, c[0]), _block(c[0], c[0]))
        self.down = nn.ModuleList(
            nn.Sequential(_block(c[i], c[i + 1], stride=2), _block(c[i + 1], c[i + 1])) for i in range(len(c) - 1))
        self.up = nn.ModuleList(_block(c[i + 1] + c[i], c[i]) for i in reversed(range(len(c) - 1)))
        self.head = nn.Conv2d(c[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.stem(x)]
        for down in self.down:
            skips.append(down(skips[-1]))
        y = skips.pop()
        for up in self.up:
            skip = skips.pop()
            y = F.interpolate(y, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            y = up(torch.cat([y, skip], dim=1))
        return self.head(y)
