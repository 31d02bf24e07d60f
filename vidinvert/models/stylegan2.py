"""StyleGAN2 generator with the rosinality parameter names, in pure PyTorch.

Layers are built bottom-up (EqualLinear -> ModulatedConv2d -> StyledConv -> Generator) so that
`Generator.state_dict()` has exactly the keys of the official `g_ema` state dicts. Shapes and
semantics follow the rosinality layout (rosinality/stylegan2-pytorch `model.py`, whose parameter
names are the checkpoint format).
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from vidinvert.models.ops import fused_leaky_relu, make_kernel, noise_bias_leaky_relu, upfirdn2d

NoiseSpec = Union[str, Sequence[Union[torch.Tensor, None]]]
#: Parameters of a modulated convolution that per-sample residuals may target -> forward kwarg.
WEIGHT_DELTA_PARTS = {"weight": "weight_delta", "modulation.weight": "modulation_delta"}

#: Channel count per resolution before the channel multiplier (official config-f table).
BASE_CHANNELS = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16}
DEMOD_EPS = 1e-8

#: How a Generator evaluates its modulated convolutions (its `modconv` setting, chosen per
#: instance): "grouped" folds the style into per-sample weights and runs one grouped convolution
#: (the reference form); "shared" scales the activations, convolves with the shared weight and
#: demodulates afterwards (equal math; NVlabs' non-fused form, see BENCHMARKS.md for its speed).
#: Neither depends on the batch size, so a latent renders the same alone or in a batch. Layers
#: given per-sample weight residuals always run grouped: their weights differ per sample.
MODCONV_FORMS = ("shared", "grouped")
OFFICIAL_SIZES = tuple(res for res in BASE_CHANNELS if res >= 8)


def official_channels(size: int, channel_multiplier: int = 2) -> dict[int, int]:
    """Channels per resolution of the official generator at `size` (4 .. size)."""
    if size not in OFFICIAL_SIZES:
        raise ValueError(f"no official channel table for a {size} px generator; supported sizes: "
                         f"{', '.join(map(str, OFFICIAL_SIZES))} (pass channels= for others)")
    return {res: (c if res <= 32 else c * channel_multiplier)
            for res, c in BASE_CHANNELS.items() if res <= size}


def _reduced_precision(x: torch.Tensor) -> bool:
    return x.dtype in (torch.float16, torch.bfloat16) or torch.is_autocast_enabled(x.device.type)


class PixelNorm(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(torch.mean(x * x, dim=1, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    """Linear layer with equalized learning rate: y = x (W * lr_mul / sqrt(in))^T + b * lr_mul."""

    def __init__(self, in_dim: int, out_dim: int, bias_init: float = 0.0, lr_mul: float = 1.0,
                 activation: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.activation = activation

    def forward(self, x: torch.Tensor, weight_delta: torch.Tensor | None = None) -> torch.Tensor:
        """`weight_delta` (B,out,in) is added to the raw weight of sample b (x is (B,in))."""
        if weight_delta is not None:
            weight = (self.weight + weight_delta) * self.scale
            out = torch.bmm(weight, x.unsqueeze(2)).squeeze(2)
            if self.activation:
                return fused_leaky_relu(out, self.bias * self.lr_mul)
            return out + self.bias * self.lr_mul
        if self.activation:
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), self.bias * self.lr_mul)
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class Blur(nn.Module):
    """FIR low-pass applied after the transposed convolution of an upsampling layer."""

    def __init__(self, pad: tuple[int, int], gain: float = 1.0):
        super().__init__()
        self.register_buffer("kernel", make_kernel() * gain)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    """2x FIR upsampling of the RGB skip branch."""

    factor = 2

    def __init__(self):
        super().__init__()
        self.register_buffer("kernel", make_kernel() * self.factor ** 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, up=self.factor, pad=(2, 1))


class ModulatedConv2d(nn.Module):
    """Convolution whose weights are scaled per sample by a style, optionally demodulated."""

    def __init__(self, in_channel: int, out_channel: int, kernel_size: int, style_dim: int,
                 demodulate: bool = True, upsample: bool = False):
        super().__init__()
        self.in_channel, self.out_channel, self.kernel_size = in_channel, out_channel, kernel_size
        self.weight = nn.Parameter(torch.randn(1, out_channel, in_channel, kernel_size, kernel_size))
        self.modulation = EqualLinear(style_dim, in_channel, bias_init=1.0)
        self.scale = 1.0 / math.sqrt(in_channel * kernel_size ** 2)
        self.demodulate = demodulate
        self.upsample = upsample
        self.padding = kernel_size // 2
        if upsample:
            self.blur = Blur(pad=(1, 1), gain=4.0)

    def styles(self, style: torch.Tensor, modulation_delta: torch.Tensor | None = None) -> torch.Tensor:
        """Per-sample input-channel scales, always in float32 (demodulation needs the range)."""
        with torch.autocast(style.device.type, enabled=False):
            delta = None if modulation_delta is None else modulation_delta.float()
            return self.modulation(style.float(), delta)

    def forward(self, x: torch.Tensor, style: torch.Tensor, form: str = "shared",
                weight_delta: torch.Tensor | None = None,
                modulation_delta: torch.Tensor | None = None) -> torch.Tensor:
        """`form` is one of MODCONV_FORMS; `weight_delta` (B,out,in,k,k) and `modulation_delta`
        (B,in,style_dim) are per-sample residuals added to the raw weights."""
        out, scale = self.unscaled(x, style, form, weight_delta, modulation_delta)
        return out if scale is None else out * scale.to(out.dtype)

    def unscaled(self, x: torch.Tensor, style: torch.Tensor, form: str = "shared",
                 weight_delta: torch.Tensor | None = None,
                 modulation_delta: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The convolution (blurred when upsampling) and the per-sample output scale (B,out,1,1) it
        still owes: the shared form's demodulation, left for the caller to fuse (None when applied)."""
        if form not in MODCONV_FORMS:
            raise ValueError(f"modulated convolution form must be one of {MODCONV_FORMS}, got {form!r}")
        s = self.styles(style, modulation_delta)
        if self.demodulate and _reduced_precision(x):
            # Demodulation cancels any per-sample scale of s; normalising keeps fp16 in range.
            s = s / s.abs().amax(dim=1, keepdim=True).clamp_min(1e-8)
        scale = None
        if weight_delta is not None:
            out = self._grouped(x, s, self.weight[0] + weight_delta.float())
        elif form == "shared":
            out, scale = self._shared(x, s)
        else:
            out = self._grouped(x, s, self.weight[0])
        # The blur filters each channel alike, so the per-channel scale commutes with it.
        return (self.blur(out) if self.upsample else out), scale

    def _grouped(self, x: torch.Tensor, s: torch.Tensor, raw_weight: torch.Tensor) -> torch.Tensor:
        """`raw_weight` is (out,in,k,k), shared by the batch, or (B,out,in,k,k), one per sample."""
        b, _, h, w = x.shape
        weight = self.scale * raw_weight * s[:, None, :, None, None]
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum(dim=(2, 3, 4), keepdim=True) + DEMOD_EPS)
        k = self.kernel_size
        x = x.reshape(1, b * self.in_channel, h, w)
        weight = weight.to(x.dtype)
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(b * self.in_channel, self.out_channel, k, k)
            out = F.conv_transpose2d(x, weight, stride=2, groups=b)
        else:
            out = F.conv2d(x, weight.reshape(b * self.out_channel, self.in_channel, k, k),
                           padding=self.padding, groups=b)
        return out.reshape(b, self.out_channel, out.shape[2], out.shape[3])

    def _shared(self, x: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        weight = self.scale * self.weight[0]
        x = x * s.to(x.dtype)[:, :, None, None]
        if self.upsample:
            out = F.conv_transpose2d(x, weight.transpose(0, 1).to(x.dtype), stride=2)
        else:
            out = F.conv2d(x, weight.to(x.dtype), padding=self.padding)
        if not self.demodulate:
            return out, None
        demod = torch.rsqrt(s.pow(2) @ weight.pow(2).sum(dim=(2, 3)).t() + DEMOD_EPS)
        return out, demod[:, :, None, None]


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        return x + self.weighted(x, noise)

    def weighted(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """The noise added to x (B or 1,1,H,W); None draws a fresh one per sample."""
        if noise is None:
            noise = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype)
        return (self.weight * noise).to(x.dtype)


class ConstantInput(nn.Module):
    def __init__(self, channel: int, side: int = 4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channel, side, side))

    def forward(self, batch: int) -> torch.Tensor:
        return self.input.expand(batch, -1, -1, -1)


class FusedLeakyReLU(nn.Module):
    def __init__(self, channel: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channel))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_leaky_relu(x, self.bias)


def _clamp(x: torch.Tensor, limit: float | None) -> torch.Tensor:
    return x if limit is None else x.clamp(-limit, limit)


class StyledConv(nn.Module):
    """Modulated 3x3 convolution, then per-pixel noise, then bias + leaky ReLU (then the optional
    clamp to +-conv_clamp of NVIDIA's stylegan2-ada networks)."""

    def __init__(self, in_channel: int, out_channel: int, style_dim: int, upsample: bool = False,
                 conv_clamp: float | None = None):
        super().__init__()
        self.conv = ModulatedConv2d(in_channel, out_channel, 3, style_dim, upsample=upsample)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_channel)
        self.conv_clamp = conv_clamp

    def forward(self, x: torch.Tensor, style: torch.Tensor, noise: torch.Tensor | None,
                form: str = "shared", **weight_deltas: torch.Tensor) -> torch.Tensor:
        out, scale = self.conv.unscaled(x, style, form, **weight_deltas)
        scale = out.new_ones(()) if scale is None else scale.to(out.dtype)
        out = noise_bias_leaky_relu(out, scale, self.activate.bias, self.noise.weighted(out, noise))
        return _clamp(out, self.conv_clamp)


class ToRGB(nn.Module):
    """1x1 modulated convolution to RGB (no demodulation) + bias (clamped to +-conv_clamp when
    set), added to the upsampled skip image."""

    def __init__(self, in_channel: int, style_dim: int, upsample: bool = True, conv_clamp: float | None = None):
        super().__init__()
        if upsample:
            self.upsample = Upsample()
        self.conv = ModulatedConv2d(in_channel, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))
        self.conv_clamp = conv_clamp

    def forward(self, x: torch.Tensor, style: torch.Tensor, skip: torch.Tensor | None = None,
                form: str = "shared", **weight_deltas: torch.Tensor) -> torch.Tensor:
        out = _clamp(self.conv(x, style, form, **weight_deltas) + self.bias.to(x.dtype), self.conv_clamp)
        if skip is not None:
            out = out + self.upsample(skip).to(out.dtype)
        return out


class Generator(nn.Module):
    """StyleGAN2 generator: `mapping` (z -> w) and `synthesize` (W or W+ -> image in [-1, 1]).

    Styled convolutions are numbered 1..num_layers in the order they run (conv1 is 1, convs[m] is
    m + 2); convolution n reads w[n-1] and the stored noise buffer n-1. `features(w, index=K)` returns
    the activation after convolution K; `synthesize(w, feature=F, feature_index=K)` runs the same
    network with that activation replaced by F for everything downstream, except that a ToRGB
    reading convolution K directly (K ends a block) still sees the activation computed from w,
    as FeatureStyleEncoder decodes (K=5: the 16x16 skip image comes from the latents).

    `modconv` (per instance, see MODCONV_FORMS) picks how modulated convolutions run; `conv_clamp`
    clamps every styled conv's activation and every ToRGB output to +-conv_clamp (NVIDIA's
    stylegan2-ada networks; None, the rosinality behaviour, clamps nothing).
    """

    def __init__(self, size: int, style_dim: int = 512, n_mlp: int = 8, channel_multiplier: int = 2,
                 channels: dict[int, int] | None = None, conv_clamp: float | None = None,
                 modconv: str = "shared"):
        super().__init__()
        self.log_size = int(math.log2(size))
        if 2 ** self.log_size != size or not 8 <= size <= 4096:
            raise ValueError(f"generator size must be a power of two >= 8, got {size}")
        if modconv not in MODCONV_FORMS:
            raise ValueError(f"modconv must be one of {MODCONV_FORMS}, got {modconv!r}")
        self.size = size
        self.style_dim = style_dim
        self.n_mlp = n_mlp
        self.channel_multiplier = channel_multiplier
        self.channels = dict(channels) if channels is not None else official_channels(size, channel_multiplier)
        missing = [2 ** i for i in range(2, self.log_size + 1) if 2 ** i not in self.channels]
        if missing:
            raise ValueError(f"channels lacks resolutions {missing} of a {size} px generator")
        self.conv_clamp = conv_clamp
        self.modconv = modconv

        self.style = nn.Sequential(PixelNorm(), *[
            EqualLinear(style_dim, style_dim, lr_mul=0.01, activation=True) for _ in range(n_mlp)])
        self.input = ConstantInput(self.channels[4])
        self.conv1 = StyledConv(self.channels[4], self.channels[4], style_dim, conv_clamp=conv_clamp)
        self.to_rgb1 = ToRGB(self.channels[4], style_dim, upsample=False, conv_clamp=conv_clamp)

        self.num_layers = (self.log_size - 2) * 2 + 1
        self.n_latent = self.log_size * 2 - 2
        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        self.noises = nn.Module()
        for layer in range(self.num_layers):
            side = 2 ** ((layer + 5) // 2)
            self.noises.register_buffer(f"noise_{layer}", torch.randn(1, 1, side, side))
        in_channel = self.channels[4]
        for i in range(3, self.log_size + 1):
            out_channel = self.channels[2 ** i]
            self.convs.append(StyledConv(in_channel, out_channel, style_dim, upsample=True, conv_clamp=conv_clamp))
            self.convs.append(StyledConv(out_channel, out_channel, style_dim, conv_clamp=conv_clamp))
            self.to_rgbs.append(ToRGB(out_channel, style_dim, conv_clamp=conv_clamp))
            in_channel = out_channel
        self.register_buffer("latent_avg", torch.zeros(style_dim), persistent=False)

    # ------------------------------------------------------------------ mapping
    def mapping(self, z: torch.Tensor, truncation: float = 1.0,
                truncation_latent: torch.Tensor | None = None) -> torch.Tensor:
        """z (B, style_dim) -> w (B, style_dim); truncation pulls w towards the average latent."""
        w = self.style(z)
        if truncation != 1.0:
            w = self.truncate(w, truncation, truncation_latent)
        return w

    def truncate(self, w: torch.Tensor, psi: float, center: torch.Tensor | None = None) -> torch.Tensor:
        center = self.latent_avg if center is None else center
        return center + psi * (w - center)

    def sample_w(self, n: int, seed: int | None = None, truncation: float = 1.0) -> torch.Tensor:
        """n mapped latents (n, style_dim) from a seeded normal z."""
        gen = torch.Generator(device="cpu")
        gen.manual_seed(seed if seed is not None else torch.seed())
        z = torch.randn(n, self.style_dim, generator=gen).to(self.latent_avg.device)
        return self.mapping(z, truncation=truncation)

    @torch.no_grad()
    def mean_latent(self, n: int = 100_000, seed: int = 0, chunk: int = 10_000) -> torch.Tensor:
        """Mean of `n` mapped latents from seeded z: the average face's w (style_dim,)."""
        gen = torch.Generator(device="cpu")
        gen.manual_seed(seed)
        total = torch.zeros(self.style_dim, dtype=torch.float64)
        for start in range(0, n, chunk):
            z = torch.randn(min(chunk, n - start), self.style_dim, generator=gen)
            total += self.style(z.to(self.latent_avg.device)).double().sum(0).cpu()
        return (total / n).float()

    # ------------------------------------------------------------------ synthesis
    def synthesize(self, wplus: torch.Tensor, noise: NoiseSpec = "stored",
                   feature: torch.Tensor | None = None, feature_index: int = 5,
                   resolution: int | None = None,
                   weight_deltas: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        """W (B,S) or W+ (B,n_latent,S) -> RGB (B,3,size,size) in about [-1, 1].

        `feature` replaces the activation after styled conv `feature_index` (see the class doc).
        `resolution` stops early and returns the skip RGB at that intermediate size.
        `weight_deltas` maps parameter names of modulated convolutions (`conv1.conv.weight`,
        `convs.{i}.conv.weight`, `to_rgb1.conv.weight`, `to_rgbs.{j}.conv.weight` and their
        `.conv.modulation.weight`) to per-sample residuals (B, *parameter shape without its
        leading 1) added to the raw weights: sample b renders with its own weights.
        """
        if resolution is not None and resolution not in {2 ** i for i in range(2, self.log_size + 1)}:
            raise ValueError(f"resolution must be a power of two in 4..{self.size}, got {resolution}")
        if feature is not None:
            expected = self.feature_shape(feature_index)
            if tuple(feature.shape[1:]) != expected:
                raise ValueError(f"feature for index {feature_index} must be (B,{expected[0]},"
                                 f"{expected[1]},{expected[2]}), got {tuple(feature.shape)}")
        return self._run(self._as_wplus(wplus), noise, feature=feature, feature_index=feature_index,
                         resolution=resolution, weight_deltas=weight_deltas)

    def features(self, wplus: torch.Tensor, index: int = 5, noise: NoiseSpec = "stored",
                 weight_deltas: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        """The activation after styled conv `index` (1-based, see the class doc)."""
        if not 1 <= index <= self.num_layers:
            raise ValueError(f"feature index must be in 1..{self.num_layers}, got {index}")
        return self._run(self._as_wplus(wplus), noise, stop_index=index, weight_deltas=weight_deltas)

    def feature_shape(self, index: int) -> tuple[int, int, int]:
        """(channels, side, side) of the activation after styled conv `index`."""
        if not 1 <= index <= self.num_layers:
            raise ValueError(f"feature index must be in 1..{self.num_layers}, got {index}")
        side = 2 ** (index // 2 + 2)
        return (self.channels[side], side, side)

    def forward(self, wplus: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.synthesize(wplus, **kwargs)

    def _as_wplus(self, w: torch.Tensor) -> torch.Tensor:
        if w.ndim == 2 and w.shape[1] == self.style_dim:
            return w.unsqueeze(1).expand(-1, self.n_latent, -1)
        if w.ndim == 3 and w.shape[1:] == (self.n_latent, self.style_dim):
            return w
        raise ValueError(f"latents must be (B,{self.style_dim}) or (B,{self.n_latent},{self.style_dim}), "
                         f"got {tuple(w.shape)}")

    def noise_list(self, noise: NoiseSpec) -> list[torch.Tensor | None]:
        """Resolve a noise spec to one entry per styled conv (None draws fresh noise)."""
        if isinstance(noise, str):
            if noise == "stored":
                return [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]
            if noise == "random":
                return [None] * self.num_layers
            raise ValueError(f"noise must be 'stored', 'random' or a list, got {noise!r}")
        noise = list(noise)
        if len(noise) != self.num_layers:
            raise ValueError(f"noise list needs {self.num_layers} entries, got {len(noise)}")
        return noise

    def modulated_layers(self) -> dict[str, nn.Module]:
        """Styled convs and ToRGBs by parameter-name prefix, in the order they run."""
        layers = {"conv1": self.conv1, "to_rgb1": self.to_rgb1}
        for j, to_rgb in enumerate(self.to_rgbs):
            layers[f"convs.{2 * j}"] = self.convs[2 * j]
            layers[f"convs.{2 * j + 1}"] = self.convs[2 * j + 1]
            layers[f"to_rgbs.{j}"] = to_rgb
        return layers

    def weight_delta_shape(self, name: str) -> tuple[int, ...] | None:
        """Shape of one sample's residual for parameter `name`, None if residuals cannot target it."""
        prefix, _, part = name.partition(".conv.")
        layer = self.modulated_layers().get(prefix)
        if layer is None or part not in WEIGHT_DELTA_PARTS:
            return None
        param = layer.conv.get_parameter(part)
        return tuple(param.shape[1:]) if part == "weight" else tuple(param.shape)

    def _layer_deltas(self, deltas: Mapping[str, torch.Tensor] | None, batch: int) -> dict[str, dict]:
        """Check `weight_deltas` names and shapes; group them by layer as ModulatedConv2d kwargs."""
        if not deltas:
            return {}
        grouped: dict[str, dict[str, torch.Tensor]] = {}
        for name, delta in deltas.items():
            shape = self.weight_delta_shape(name)
            if shape is None:
                raise ValueError(f"weight_deltas: {name!r} is not a modulated convolution weight of this "
                                 "generator (e.g. 'conv1.conv.weight', 'convs.0.conv.modulation.weight')")
            prefix, _, part = name.partition(".conv.")
            if tuple(delta.shape) != (batch,) + shape:
                raise ValueError(f"weight_deltas[{name!r}] must be {(batch,) + shape}, got {tuple(delta.shape)}")
            grouped.setdefault(prefix, {})[WEIGHT_DELTA_PARTS[part]] = delta
        return grouped

    def _run(self, w: torch.Tensor, noise: NoiseSpec, stop_index: int | None = None,
             feature: torch.Tensor | None = None, feature_index: int = 5,
             resolution: int | None = None,
             weight_deltas: Mapping[str, torch.Tensor] | None = None) -> torch.Tensor:
        noises = self.noise_list(noise)
        deltas = self._layer_deltas(weight_deltas, w.shape[0])
        layers = self.modulated_layers()
        order = [("conv1", "to_rgb1")]
        for j in range(len(self.to_rgbs)):
            order += [(f"convs.{2 * j}", None), (f"convs.{2 * j + 1}", f"to_rgbs.{j}")]
        # On the CPU the shared form runs channels-last: its convolutions skip their layout
        # reorders (BENCHMARKS.md). Other devices keep NCHW until measured there.
        fast_layout = self.modconv == "shared" and w.device.type == "cpu"
        layout = torch.channels_last if fast_layout else torch.contiguous_format
        x = self.input(w.shape[0]).contiguous(memory_format=layout)
        skip = None
        for n, (conv, to_rgb) in enumerate(order, start=1):
            noise_n = noises[n - 1]
            x = layers[conv](x, w[:, n - 1], None if noise_n is None else noise_n.to(x.dtype),
                             self.modconv, **deltas.get(conv, {}))
            if n == stop_index:
                return x.contiguous()
            if to_rgb is not None:
                skip = layers[to_rgb](x, w[:, n], skip, self.modconv, **deltas.get(to_rgb, {}))
                if resolution is not None and skip.shape[-1] == resolution:
                    return skip.contiguous()
            if feature is not None and n == feature_index:
                x = feature.to(x.dtype).contiguous(memory_format=layout)
        return skip.contiguous()
