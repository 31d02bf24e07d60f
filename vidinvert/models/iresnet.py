"""ArcFace improved ResNet (iresnet), with the parameter names of the insightface checkpoints.

The FeatureStyleEncoder reuses the stem and the four stages of iresnet50; the full network
(with its embedding head) also serves as an identity model. Stage ``layerN`` halves the
resolution; each block is BN, conv3x3, BN, PReLU, conv3x3 (stride), BN plus a shortcut.
"""

from __future__ import annotations

import torch
from torch import nn

IRESNET50_LAYERS = (3, 4, 14, 3)
STAGE_CHANNELS = (64, 128, 256, 512)


class IBasicBlock(nn.Module):
    """Pre-activation residual block of iresnet; `downsample` matches the shortcut when shapes change."""

    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels, eps=1e-5)
        self.conv1 = nn.Conv2d(in_channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels, eps=1e-5)
        self.prelu = nn.PReLU(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels, eps=1e-5)
        self.downsample: nn.Sequential | None = None
        if stride != 1 or in_channels != channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride, bias=False),
                nn.BatchNorm2d(channels, eps=1e-5),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return out + shortcut


def make_stage(in_channels: int, channels: int, blocks: int) -> nn.Sequential:
    """One iresnet stage: a stride-2 block followed by `blocks - 1` stride-1 blocks."""
    units = [IBasicBlock(in_channels, channels, stride=2)]
    units += [IBasicBlock(channels, channels) for _ in range(blocks - 1)]
    return nn.Sequential(*units)


def make_stem(in_channels: int = 3, channels: int = 64) -> nn.Sequential:
    """conv3x3 stride 1 (no bias), BN, PReLU: the iresnet input layer."""
    return nn.Sequential(
        nn.Conv2d(in_channels, channels, 3, 1, 1, bias=False),
        nn.BatchNorm2d(channels, eps=1e-5),
        nn.PReLU(channels),
    )


class IResNet(nn.Module):
    """iresnet with its 512-d embedding head; input (B,3,112,112) in [-1,1] for the ArcFace weights."""

    def __init__(self, layers: tuple[int, ...] = IRESNET50_LAYERS, num_features: int = 512, fc_scale: int = 7 * 7) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=1e-5)
        self.prelu = nn.PReLU(64)
        in_channels = 64
        for index, (channels, blocks) in enumerate(zip(STAGE_CHANNELS, layers), start=1):
            setattr(self, f"layer{index}", make_stage(in_channels, channels, blocks))
            in_channels = channels
        self.bn2 = nn.BatchNorm2d(512, eps=1e-5)
        self.dropout = nn.Dropout(p=0.0)
        self.fc = nn.Linear(512 * fc_scale, num_features)
        self.features = nn.BatchNorm1d(num_features, eps=1e-5)

    def stages(self) -> list[nn.Sequential]:
        """The four stages layer1..layer4, in order."""
        return [self.layer1, self.layer2, self.layer3, self.layer4]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Identity embedding (B, num_features), not normalised."""
        x = self.prelu(self.bn1(self.conv1(x)))
        for stage in self.stages():
            x = stage(x)
        x = self.dropout(torch.flatten(self.bn2(x), 1))
        return self.features(self.fc(x))


def iresnet50() -> IResNet:
    """The ArcFace iresnet50 (layers 3, 4, 14, 3) in the insightface key layout."""
    return IResNet(IRESNET50_LAYERS)
