"""Low-level StyleGAN2 operations in pure PyTorch: FIR resampling and the fused bias + leaky ReLU."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)
FIR_TAPS = (1.0, 3.0, 3.0, 1.0)


def make_kernel(taps: tuple[float, ...] = FIR_TAPS) -> torch.Tensor:
    """The separable FIR filter StyleGAN2 resamples with, as a 2-D kernel summing to one."""
    k = torch.tensor(taps, dtype=torch.float32)
    k = torch.outer(k, k)
    return k / k.sum()


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1,
              pad: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """Upsample by zero insertion, pad (negative pads crop), filter, then keep every `down`-th sample.

    The filter is applied as a true convolution (the kernel is flipped before correlating), with the
    same padding on both axes. Output side = (H*up + pad0 + pad1 - kh + down) // down.
    """
    b, c, h, w = x.shape
    kh, kw = kernel.shape
    pad0, pad1 = pad
    weight = torch.flip(kernel, (0, 1)).to(x.dtype).reshape(1, 1, kh, kw).expand(c, 1, kh, kw)
    if up == 1 and pad0 == pad1 >= 0:
        # Equal padding on every side: the convolution pads, no padded copy of x is made.
        return F.conv2d(x, weight, padding=pad0, groups=c)[:, :, ::down, ::down]
    if up > 1:
        x = x.reshape(b, c, h, 1, w, 1)
        x = F.pad(x, (0, up - 1, 0, 0, 0, up - 1))
        x = x.reshape(b, c, h * up, w * up)
    x = F.pad(x, (max(pad0, 0), max(pad1, 0), max(pad0, 0), max(pad1, 0)))
    if pad0 < 0 or pad1 < 0:
        x = x[:, :, max(-pad0, 0): x.shape[2] - max(-pad1, 0), max(-pad0, 0): x.shape[3] - max(-pad1, 0)]
    x = F.conv2d(x, weight, groups=c)
    if down > 1:
        x = x[:, :, ::down, ::down]
    return x


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """leaky_relu(x + bias, 0.2) * sqrt(2), bias broadcast over the channel axis (dim 1)."""
    shape = (1, bias.shape[0]) + (1,) * (x.ndim - 2)
    return F.leaky_relu(x + bias.to(x.dtype).reshape(shape), LRELU_SLOPE) * LRELU_GAIN


def noise_bias_leaky_relu(x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor,
                          noise: torch.Tensor) -> torch.Tensor:
    """leaky_relu(x * scale + noise + bias, 0.2) * sqrt(2) in three passes over x.

    `scale` broadcasts against x ((B,C,1,1) or a scalar), `bias` is (C,), `noise` is (B or 1,1,H,W).
    The gain goes inside the activation (positive factors commute with leaky ReLU). Without
    autograd x is overwritten with the result: callers pass a tensor nothing else reads.
    """
    shift = noise * LRELU_GAIN + (bias * LRELU_GAIN).to(x.dtype).reshape(1, -1, 1, 1)
    scale = scale * LRELU_GAIN
    # a multiply, then an add, either way (a fused multiply-add rounds once, and whether a kernel fuses
    # depends on the memory layout): a result depends neither on autograd nor on the layout
    out = (x * scale) if torch.is_grad_enabled() else x.mul_(scale)
    out = out.add_(shift)
    return F.leaky_relu_(out, LRELU_SLOPE)
