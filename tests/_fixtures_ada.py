"""An independent stylegan2-ada generator written from NVIDIA's semantics (training/networks.py:
MappingNetwork, SynthesisLayer, ToRGBLayer, SynthesisBlock with the 'skip' architecture), and
network snapshots pickled the way NVIDIA's training loop writes them: every network is a
`torch_utils.persistence._reconstruct_persistent_obj(meta)` record carrying its module's `__dict__`,
tensors pickled by torch itself, `_init_kwargs` as `dnnlib.util.EasyDict`, gains as numpy scalars.
"""

from __future__ import annotations

import math
import pickle
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

PERSISTENCE_VERSION = 6
# What the official loader would exec; a safe reader never runs it (the test checks the file).
MODULE_SRC = "import pathlib\npathlib.Path({marker!r}).write_text('module source ran')\n"
FILTER = torch.tensor([1.0, 3.0, 3.0, 1.0])


def nvidia_modules(monkeypatch) -> None:
    """Register stand-ins for `torch_utils.persistence` and `dnnlib.util` so records pickle by name."""
    persistence = types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):  # only ever pickled by reference, never called
        raise AssertionError("the reader must not call NVIDIA's reconstruct hook")

    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj
    util = types.ModuleType("dnnlib.util")

    class EasyDict(dict):
        pass

    EasyDict.__module__ = "dnnlib.util"
    EasyDict.__qualname__ = "EasyDict"
    util.EasyDict = EasyDict
    for name, module in [("torch_utils", types.ModuleType("torch_utils")), ("torch_utils.persistence", persistence),
                         ("dnnlib", types.ModuleType("dnnlib")), ("dnnlib.util", util)]:
        monkeypatch.setitem(sys.modules, name, module)


class Persistent(nn.Module):
    """Pickles as NVIDIA's persistent classes do: `(_reconstruct_persistent_obj, (meta,), None)`."""

    marker = "never-created"

    def __init__(self, **init_kwargs):
        super().__init__()
        self._init_args = ()
        self._init_kwargs = sys.modules["dnnlib.util"].EasyDict(init_kwargs)

    def __reduce__(self):
        meta = dict(type="class", version=PERSISTENCE_VERSION, module_src=MODULE_SRC.format(marker=self.marker),
                    class_name=type(self).__name__, state=dict(self.__dict__))
        return (sys.modules["torch_utils.persistence"]._reconstruct_persistent_obj, (meta,), None)


def setup_filter() -> torch.Tensor:
    f = torch.outer(FILTER, FILTER)
    return f / f.sum()


def upfirdn(x, f, up=1, pad=(0, 0), gain=1.0):
    """Zero-insert, pad, then true convolution with f * gain, per channel."""
    b, c, h, w = x.shape
    if up > 1:
        z = x.new_zeros(b, c, h * up, w * up)
        z[:, :, ::up, ::up] = x
        x = z
    x = F.pad(x, (pad[0], pad[1], pad[0], pad[1]))
    k = (f * gain).flip(0, 1)[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(x, k, groups=c)


def lrelu(x, clamp=None):
    x = F.leaky_relu(x, 0.2) * math.sqrt(2)
    return x if clamp is None else x.clamp(-clamp, clamp)


class FullyConnectedLayer(Persistent):
    def __init__(self, in_features, out_features, activation="linear", lr_multiplier=1.0, bias_init=0.0):
        super().__init__(in_features=in_features, out_features=out_features, activation=activation,
                         lr_multiplier=lr_multiplier, bias_init=bias_init)
        self.activation = activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], np.float32(bias_init)) + 0.1 * torch.randn(out_features))
        self.weight_gain = lr_multiplier / np.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x):
        x = x @ (self.weight * float(self.weight_gain)).t() + self.bias * float(self.bias_gain)
        return lrelu(x) if self.activation == "lrelu" else x


class MappingNetwork(Persistent):
    def __init__(self, z_dim, c_dim, w_dim, num_ws, num_layers, lr_multiplier):
        super().__init__(z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, num_ws=num_ws, num_layers=num_layers)
        self.z_dim, self.c_dim, self.w_dim, self.num_ws, self.num_layers = z_dim, c_dim, w_dim, num_ws, num_layers
        self.w_avg_beta = 0.995
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, w_dim)
        for i in range(num_layers):
            setattr(self, f"fc{i}", FullyConnectedLayer(z_dim + (w_dim if c_dim else 0) if i == 0 else w_dim, w_dim,
                                                        "lrelu", lr_multiplier))
        self.register_buffer("w_avg", torch.randn(w_dim))

    def forward(self, z):
        x = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        return x.unsqueeze(1).repeat(1, self.num_ws, 1)


class SynthesisLayer(Persistent):
    def __init__(self, in_channels, out_channels, w_dim, resolution, up=1, conv_clamp=None):
        super().__init__(in_channels=in_channels, out_channels=out_channels, w_dim=w_dim, resolution=resolution)
        self.resolution, self.up, self.use_noise, self.activation = resolution, up, True, "lrelu"
        self.conv_clamp = conv_clamp
        self.register_buffer("resample_filter", setup_filter())
        self.padding = 1
        self.act_gain = np.float64(np.sqrt(2))
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 3, 3))
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        self.noise_strength = nn.Parameter(0.3 * torch.randn([]))
        self.bias = nn.Parameter(0.2 * torch.randn(out_channels))

    def forward(self, x, w):
        styles = self.affine(w)
        out = []
        for xb, sb in zip(x, styles):
            wgt = self.weight * sb[None, :, None, None]
            wgt = wgt * (wgt.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8).rsqrt()
            if self.up == 2:  # transposed conv, then the FIR low-pass with pads (1,1), gain 4
                y = F.conv_transpose2d(xb[None], wgt.transpose(0, 1), stride=2)
                y = upfirdn(y, self.resample_filter, pad=(1, 1), gain=4)
            else:
                y = F.conv2d(xb[None], wgt, padding=1)
            out.append(y[0])
        x = torch.stack(out) + self.noise_const * self.noise_strength
        return lrelu(x + self.bias[None, :, None, None], self.conv_clamp)


class ToRGBLayer(Persistent):
    def __init__(self, in_channels, w_dim, conv_clamp=None):
        super().__init__(in_channels=in_channels, out_channels=3, w_dim=w_dim)
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(3, in_channels, 1, 1))
        self.bias = nn.Parameter(0.2 * torch.randn(3))
        self.weight_gain = 1 / np.sqrt(in_channels)

    def forward(self, x, w):
        styles = self.affine(w) * float(self.weight_gain)
        y = torch.stack([F.conv2d(xb[None], self.weight * sb[None, :, None, None])[0] for xb, sb in zip(x, styles)])
        y = y + self.bias[None, :, None, None]
        return y if self.conv_clamp is None else y.clamp(-self.conv_clamp, self.conv_clamp)


class SynthesisBlock(Persistent):
    def __init__(self, in_channels, out_channels, w_dim, resolution, use_fp16, conv_clamp, architecture="skip"):
        super().__init__(in_channels=in_channels, out_channels=out_channels, resolution=resolution)
        self.in_channels, self.w_dim, self.resolution, self.img_channels = in_channels, w_dim, resolution, 3
        self.architecture, self.use_fp16, self.is_last = architecture, use_fp16, False
        self.register_buffer("resample_filter", setup_filter())
        self.num_conv, self.num_torgb = 0, 1
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2, conv_clamp=conv_clamp)
            self.num_conv += 1
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution, conv_clamp=conv_clamp)
        self.num_conv += 1
        self.torgb = ToRGBLayer(out_channels, w_dim, conv_clamp=conv_clamp)

    def forward(self, x, img, ws):
        if self.in_channels == 0:
            x = self.const[None].repeat(len(ws), 1, 1, 1)
            x = self.conv1(x, ws[:, 0])
        else:
            x = self.conv1(self.conv0(x, ws[:, 0]), ws[:, 1])
        if img is not None:
            img = upfirdn(img, self.resample_filter, up=2, pad=(2, 1), gain=4)
        y = self.torgb(x, ws[:, self.num_conv])
        return x, (y if img is None else img + y)


class SynthesisNetwork(Persistent):
    def __init__(self, w_dim, img_resolution, channel_base, channel_max, num_fp16_res, conv_clamp):
        super().__init__(w_dim=w_dim, img_resolution=img_resolution, channel_base=channel_base)
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, 3
        self.block_resolutions = [2 ** i for i in range(2, int(np.log2(img_resolution)) + 1)]
        channels = {res: min(channel_base // res, channel_max) for res in self.block_resolutions}
        fp16_resolution = max(2 ** (int(np.log2(img_resolution)) + 1 - num_fp16_res), 8)
        self.num_ws = 0
        for res in self.block_resolutions:
            block = SynthesisBlock(channels[res // 2] if res > 4 else 0, channels[res], w_dim, res,
                                   res >= fp16_resolution, conv_clamp)
            self.num_ws += block.num_conv
            setattr(self, f"b{res}", block)
        self.num_ws += 1
        getattr(self, f"b{img_resolution}").is_last = True

    def forward(self, ws):
        x = img = None
        w_idx = 0
        for res in self.block_resolutions:
            block = getattr(self, f"b{res}")
            x, img = block(x, img, ws[:, w_idx: w_idx + block.num_conv + block.num_torgb])
            w_idx += block.num_conv
        return img


class AdaGenerator(Persistent):
    """Generator(z_dim, c_dim, w_dim, img_resolution, img_channels, mapping_kwargs, synthesis_kwargs)."""

    def __init__(self, size=32, w_dim=64, c_dim=0, num_layers=2, lr_multiplier=0.01, channel_base=256,
                 channel_max=32, num_fp16_res=2, conv_clamp=None, seed=0):
        torch.manual_seed(seed)
        util = sys.modules["dnnlib.util"]
        super().__init__(z_dim=w_dim, c_dim=c_dim, w_dim=w_dim, img_resolution=size, img_channels=3,
                         mapping_kwargs=util.EasyDict(num_layers=num_layers, lr_multiplier=lr_multiplier),
                         synthesis_kwargs=util.EasyDict(channel_base=channel_base, channel_max=channel_max,
                                                        num_fp16_res=num_fp16_res, conv_clamp=conv_clamp))
        self.z_dim, self.c_dim, self.w_dim, self.img_resolution, self.img_channels = w_dim, c_dim, w_dim, size, 3
        self.synthesis = SynthesisNetwork(w_dim, size, channel_base, channel_max, num_fp16_res, conv_clamp)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(w_dim, c_dim, w_dim, self.num_ws, num_layers, lr_multiplier)
        self.eval().requires_grad_(False)


class TinyDiscriminator(Persistent):
    def __init__(self):
        super().__init__(c_dim=0, img_resolution=32, img_channels=3)
        self.b32 = FullyConnectedLayer(4, 4)


def write_snapshot(path, G_ema: AdaGenerator, G: AdaGenerator | None = None, marker=None) -> None:
    """`pickle.dump` of the dict NVIDIA's training loop saves as network-snapshot-*.pkl."""
    Persistent.marker = str(marker) if marker is not None else "never-created"
    snapshot = dict(training_set_kwargs=dict(class_name="training.dataset.ImageFolderDataset", resolution=32,
                                             use_labels=False, xflip=False),
                    G=G if G is not None else G_ema, D=TinyDiscriminator(), G_ema=G_ema, augment_pipe=None)
    with open(path, "wb") as fh:
        pickle.dump(snapshot, fh)
