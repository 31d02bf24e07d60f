"""HyperInverter (VinAIResearch/HyperInverter): a W encoder plus hypernetworks predicting per-image
residuals of the generator's weights, parameter for parameter.

Checkpoint `{'state_dict', 'opts'}`; the state dict holds `w_encoder.` (phase 1, frozen),
`w_bar_encoder.` and `hypernet.` (phase 2) and `discriminator.` (training only, ignored). It holds
no generator: `opts` names the stylegan2-ada network pickle it was trained with, whose
`mapping.w_avg` is the centre of the W codes.

- W encoder (official `BackboneEncoderUsingLastLayerIntoW`, or the ResNet34 variant): stem, body,
  global average pool, EqualLinear(512, 512) -> w offset (B, 512).
- W-bar encoder (`LayerWiseEncoder` IR-SE50 / `ResNetLayerWiseEncoder`): FPN over the body taps
  c1, c2, c3 (units 6, 20, 23 for IR-SE50; 6, 12, 15 for ResNet34), p2 = up(c3) + latlayer1(c2),
  p1 = up(p2) + latlayer2(c1) (bilinear, align_corners=True); style i reads c3 with 1, p2 with 2 or
  p1 with 3 stride-2 conv3x3 + LeakyReLU(0.01) (i < 3, < 7, else): n_styles maps of 512x8x8.
- Hypernetwork: one WeightRegressor per target (`weight_regressors.b8_conv0_weight`, ...): fusion
  (conv1x1 of both codes concatenated, InstanceNorm, ReLU), four convs to a `hidden` vector, then
  `(v @ w1 + b1).view(in, hidden) @ w2 + b2` viewed as (out, in, k, k) (or (out, in) for affine).
  Target `b{r}.{layer}` reads code `HYPERNET_CODE_INDEX`.

Inference (official forward): x resized to 256 (bilinear, no antialias); w = w_avg + E_w(x) on
every layer; phase-1 image G(w) (stored noise); deltas = hypernet(E_bar(resize256(G(w))), E_bar(x));
final image G(w; theta + deltas), each sample with its own weights.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vidinvert.models.ada_generator import ada_layers, our_parameter_name
from vidinvert.models.encoder_base import InversionEncoder
from vidinvert.models.ir_se import ir_se50_body, ir_se_input_layer
from vidinvert.models.resnet import resnet34_body
from vidinvert.models.stylegan2 import EqualLinear

HYPERINVERTER_INPUT_SIZE = 256
STYLE_DIM = 512
#: W-bar encoder types -> (backbone, body units tapped for c1, c2, c3).
LAYERWISE_ENCODERS = {"LayerWiseEncoder": ("ir_se50", (6, 20, 23)), "ResNetLayerWiseEncoder": ("resnet34", (6, 12, 15))}
COARSE_STYLES, MIDDLE_STYLES = 3, 7  # styles below 3 read c3, below 7 read p2, the rest p1
FPN_LATERAL_CHANNELS = (256, 128)  # latlayer1 reads c2, latlayer2 reads c1
REGRESSOR_CHANNELS = 64
#: The official target sets (`opts['target_shape_name']`): which layers and whether affine weights.
TARGET_SETS = {"conv_without_bias": (True, False), "all_without_bias": (True, True),
               "conv_without_bias_without_torgb": (False, False)}


def hypernet_code_index(block: str, layer: str) -> int:
    """The W-bar code a target reads: b4 conv1 0, torgb 1; block b(2^k): conv0 2k-4, conv1 and torgb 2k-3."""
    k = int(math.log2(int(block[1:])))
    if k == 2:
        return 0 if layer == "conv1" else 1
    return 2 * k - 4 if layer == "conv0" else 2 * k - 3


def _backbone(backbone: str) -> dict[str, nn.Module]:
    if backbone == "ir_se50":
        return {"input_layer": ir_se_input_layer(3), "body": ir_se50_body()}
    return {"conv1": nn.Conv2d(3, 64, 7, 2, 3, bias=False), "bn1": nn.BatchNorm2d(64), "relu": nn.PReLU(64),
            "body": resnet34_body()}


def _stem(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    if hasattr(module, "input_layer"):
        return module.input_layer(x)
    return module.relu(module.bn1(module.conv1(x)))


class WEncoder(nn.Module):
    """Phase 1: image (B,3,256,256) -> w offset (B,512)."""

    def __init__(self, backbone: str = "ir_se50") -> None:
        super().__init__()
        for name, module in _backbone(backbone).items():
            setattr(self, name, module)
        self.linear = EqualLinear(STYLE_DIM, STYLE_DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.body(_stem(self, x))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


class StyleBlock(nn.Module):
    def __init__(self, pools: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for _ in range(pools):
            layers += [nn.Conv2d(STYLE_DIM, STYLE_DIM, 3, 2, 1), nn.LeakyReLU(0.01)]
        self.convs = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs(x)


class LayerWiseEncoder(nn.Module):
    """Phase 2 codes: image (B,3,256,256) -> (B, n_styles, 512, 8, 8)."""

    def __init__(self, n_styles: int, encoder_type: str = "LayerWiseEncoder") -> None:
        super().__init__()
        backbone, self.taps = LAYERWISE_ENCODERS[encoder_type]
        for name, module in _backbone(backbone).items():
            setattr(self, name, module)
        self.styles = nn.ModuleList(
            StyleBlock(1 if i < COARSE_STYLES else 2 if i < MIDDLE_STYLES else 3) for i in range(n_styles))
        self.latlayer1 = nn.Conv2d(FPN_LATERAL_CHANNELS[0], STYLE_DIM, 1)
        self.latlayer2 = nn.Conv2d(FPN_LATERAL_CHANNELS[1], STYLE_DIM, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _stem(self, x)
        taps = []
        for index, unit in enumerate(self.body):
            x = unit(x)
            if index in self.taps:
                taps.append(x)
        c1, c2, c3 = taps
        p2 = F.interpolate(c3, size=c2.shape[-2:], mode="bilinear", align_corners=True) + self.latlayer1(c2)
        p1 = F.interpolate(p2, size=c1.shape[-2:], mode="bilinear", align_corners=True) + self.latlayer2(c1)
        sources = [c3 if i < COARSE_STYLES else p2 if i < MIDDLE_STYLES else p1 for i in range(len(self.styles))]
        return torch.stack([style(src) for style, src in zip(self.styles, sources)], dim=1)


class WeightRegressor(nn.Module):
    """Two 512x8x8 codes -> residual (B, out, in, k, k) of one weight tensor."""

    def __init__(self, hidden: int, out_channels: int, in_channels: int, kernel_size: int) -> None:
        super().__init__()
        self.shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.fusion = nn.Sequential(nn.Conv2d(2 * STYLE_DIM, STYLE_DIM, 1), nn.InstanceNorm2d(STYLE_DIM), nn.ReLU())
        self.feature_extractor = nn.Sequential(
            nn.Conv2d(STYLE_DIM, REGRESSOR_CHANNELS, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(REGRESSOR_CHANNELS, REGRESSOR_CHANNELS, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(REGRESSOR_CHANNELS, REGRESSOR_CHANNELS, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(REGRESSOR_CHANNELS, hidden, 4, 2, 1), nn.ReLU())
        self.w1 = nn.Parameter(torch.zeros(hidden, in_channels * hidden))
        self.b1 = nn.Parameter(torch.zeros(in_channels * hidden))
        self.w2 = nn.Parameter(torch.zeros(hidden, out_channels * kernel_size * kernel_size))
        self.b2 = nn.Parameter(torch.zeros(out_channels * kernel_size * kernel_size))

    def forward(self, image_codes: torch.Tensor, target_codes: torch.Tensor) -> torch.Tensor:
        batch = image_codes.shape[0]
        out = self.feature_extractor(self.fusion(torch.cat([image_codes, target_codes], dim=1))).view(batch, -1)
        out = (out @ self.w1 + self.b1).view(batch, self.shape[1], -1)
        return (out @ self.w2 + self.b2).view(batch, *self.shape)


class HyperInverterEncoder(InversionEncoder):
    """W code plus per-sample weight residuals, for the stylegan2-ada generator given beside it.

    `targets` maps official target names (`b8.conv0.weight`, `b4.torgb.affine.weight`) to
    (out, in, k) of the residual; `size` is the generator's output size (`opts['output_size']`).
    """

    kind = "hyperinverter"

    def __init__(self, size: int, targets: dict[str, tuple[int, int, int]], hidden: int,
                 encoder_type: str = "LayerWiseEncoder", w_backbone: str = "ir_se50",
                 input_size: int = HYPERINVERTER_INPUT_SIZE) -> None:
        n_styles = 2 * int(math.log2(size)) - 2
        super().__init__(n_styles, 3, input_size, None)
        self.size = size
        self.w_encoder = WEncoder(w_backbone)
        self.w_bar_encoder = LayerWiseEncoder(n_styles, encoder_type)
        self.hypernet = nn.Module()
        self.hypernet.weight_regressors = nn.ModuleDict(
            {name.replace(".", "_"): WeightRegressor(hidden, *shape[:2], shape[2]) for name, shape in targets.items()})
        self.targets = dict(targets)

    def prepare(self, image: torch.Tensor) -> torch.Tensor:
        """The official resize: bilinear to the input size, without antialiasing."""
        if image.shape[-2:] == (self.input_size, self.input_size):
            return image
        return F.interpolate(image, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, None]:
        """(B,3,256,256) -> the W code's offset from w_avg on every layer (B, n_styles, 512)."""
        return self.w_encoder(x).unsqueeze(1).expand(-1, self.n_styles, -1), None

    def weight_delta_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = {}
        for target, (out, inp, k) in self.targets.items():
            shapes[our_parameter_name(target, self.size)] = (out, inp) if target.endswith("affine.weight") else (out, inp, k, k)
        return shapes

    def weight_deltas(self, target: torch.Tensor, phase1: torch.Tensor) -> dict[str, torch.Tensor]:
        """Residuals, by our parameter names, from the target and the phase-1 image (both at the input size)."""
        target_codes = self.w_bar_encoder(target)
        image_codes = self.w_bar_encoder(phase1)
        deltas = {}
        for target_name in self.targets:
            block, layer = target_name.split(".")[:2]
            code = hypernet_code_index(block, layer)
            regressor = self.hypernet.weight_regressors[target_name.replace(".", "_")]
            delta = regressor(image_codes[:, code], target_codes[:, code])
            name = our_parameter_name(target_name, self.size)
            deltas[name] = delta.flatten(2) if target_name.endswith("affine.weight") else delta
        return deltas

    def advance(self, target, state, stage, start, render):
        wplus = start + self(target)[0]
        phase1 = render(wplus, None)
        return wplus, None, self.weight_deltas(target, self.prepare(phase1))


def target_names(size: int, target_set: str) -> list[str]:
    """Official target names of `opts['target_shape_name']` for a `size` px generator, in table order."""
    convs, affine = TARGET_SETS[target_set]
    names = [f"{block}.{layer}.weight" for block, layer, _ in ada_layers(size) if convs or layer != "torgb"]
    if affine:
        names += [f"{block}.{layer}.affine.weight" for block, layer, _ in ada_layers(size)]
    return names


def read_targets(state: dict[str, Any], size: int, target_set: str) -> tuple[dict[str, tuple[int, int, int]], int]:
    """(target -> (out, in, k), hidden size) from the `hypernet.` weights of a checkpoint."""
    targets = {}
    hidden = None
    for name in target_names(size, target_set):
        key = f"hypernet.weight_regressors.{name.replace('.', '_')}"
        w1, w2 = state.get(f"{key}.w1"), state.get(f"{key}.w2")
        if w1 is None or w2 is None:
            raise KeyError(f"{key}.w1")
        hidden = w1.shape[0]
        kernel = 1 if ".torgb." in name or name.endswith(".affine.weight") else 3
        out = w2.shape[1] // (kernel * kernel)
        targets[name] = (out, w1.shape[1] // hidden, kernel)
    return targets, hidden
