"""StyleGAN2 residual discriminator with the rosinality parameter names.

Key layout (so `{'g', 'd', 'g_ema', ...}` training checkpoints match the official ones):
`convs.0` = 1x1 conv from RGB (`convs.0.0.weight`, `convs.0.1.bias`); `convs.1..` = residual blocks
halving the side (`conv1.0.weight`, `conv1.1.bias`, `conv2.0.kernel`, `conv2.1.weight`,
`conv2.2.bias`, `skip.0.kernel`, `skip.1.weight`); then the minibatch standard deviation channel,
`final_conv` (3x3, `final_conv.0.weight`, `final_conv.1.bias`) and `final_linear` (two equalized
linear layers, the first with the fused leaky ReLU).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vidinvert.models.stylegan2 import Blur, EqualLinear, FusedLeakyReLU, official_channels

STDDEV_GROUP = 4


class EqualConv2d(nn.Module):
    """Convolution with equalized learning rate: the weight is scaled by 1/sqrt(fan_in) at run time."""

    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channel, in_channel, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channel)) if bias else None
        self.scale = 1.0 / math.sqrt(in_channel * kernel_size ** 2)
        self.stride, self.padding = stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, stride=self.stride, padding=self.padding)


def conv_layer(in_channel: int, out_channel: int, kernel_size: int, downsample: bool = False,
               activate: bool = True) -> nn.Sequential:
    """[blur,] equalized conv [, bias + leaky ReLU]; downsampling blurs then convolves with stride 2."""
    layers: list[nn.Module] = []
    if downsample:
        pad = 2 + kernel_size - 1  # FIR taps minus the factor, plus the kernel's reach
        layers.append(Blur(pad=((pad + 1) // 2, pad // 2)))
        layers.append(EqualConv2d(in_channel, out_channel, kernel_size, stride=2, bias=False))
    else:
        layers.append(EqualConv2d(in_channel, out_channel, kernel_size, padding=kernel_size // 2, bias=False))
    if activate:
        layers.append(FusedLeakyReLU(out_channel))
    return nn.Sequential(*layers)


class ResBlock(nn.Module):
    """Two 3x3 convs (the second halving the side) plus a 1x1 downsampling skip, summed / sqrt(2)."""

    def __init__(self, in_channel: int, out_channel: int):
        super().__init__()
        self.conv1 = conv_layer(in_channel, in_channel, 3)
        self.conv2 = conv_layer(in_channel, out_channel, 3, downsample=True)
        self.skip = conv_layer(in_channel, out_channel, 1, downsample=True, activate=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.conv2(self.conv1(x)) + self.skip(x)) / math.sqrt(2)


class Discriminator(nn.Module):
    """Image (B, 3, size, size) in [-1, 1] -> realness logit (B, 1)."""

    def __init__(self, size: int, channel_multiplier: int = 2, channels: dict[int, int] | None = None):
        super().__init__()
        log_size = int(math.log2(size))
        if 2 ** log_size != size or size < 8:
            raise ValueError(f"discriminator size must be a power of two >= 8, got {size}")
        self.size = size
        self.channels = dict(channels) if channels is not None else official_channels(size, channel_multiplier)
        in_channel = self.channels[size]
        blocks: list[nn.Module] = [conv_layer(3, in_channel, 1)]
        for i in range(log_size, 2, -1):
            out_channel = self.channels[2 ** (i - 1)]
            blocks.append(ResBlock(in_channel, out_channel))
            in_channel = out_channel
        self.convs = nn.Sequential(*blocks)
        self.final_conv = conv_layer(in_channel + 1, self.channels[4], 3)
        self.final_linear = nn.Sequential(EqualLinear(self.channels[4] * 16, self.channels[4], activation=True),
                                          EqualLinear(self.channels[4], 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        out = self.convs(image)
        out = torch.cat([out, minibatch_stddev(out)], dim=1)
        out = self.final_conv(out)
        return self.final_linear(out.flatten(1))


def minibatch_stddev(x: torch.Tensor, group: int = STDDEV_GROUP) -> torch.Tensor:
    """One channel holding, per group of samples, the mean standard deviation over the group."""
    b, c, h, w = x.shape
    group = min(b, group)
    if b % group:
        group = math.gcd(b, group)
    std = x.float().reshape(group, -1, c, h, w).var(0, unbiased=False).add(1e-8).sqrt()
    std = std.mean(dim=(1, 2, 3)).to(x.dtype)  # (b // group,)
    return std.reshape(1, -1, 1, 1, 1).expand(group, -1, 1, h, w).reshape(b, 1, h, w)
