"""FeatureStyleEncoder (class `fs_encoder_v2` of the official code), parameter for parameter.

Layout of `143_enc.pth` (a bare state_dict): `conv` = iresnet50 stem (3 input channels, or 6 in
the video-input variant), `block_1..block_4` = iresnet50 layer1..layer4, `content_layer` =
BN(256), conv3x3 256->512, BN, PReLU, conv3x3 512->512 (stride `fs_stride`), BN applied to the
block_3 output, and `styles.i` = Linear(8640 -> 512), one per W+ latent, reading the four stage
outputs average-pooled to 3x3, concatenated by channel and flattened.

Input convention (this module is its one home): the image in [-1,1] at 1024 px is halved twice
with bilinear interpolation to 256 px; see `fse_prepare`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vidinvert.models.encoder_base import InversionEncoder
from vidinvert.models.iresnet import IRESNET50_LAYERS, STAGE_CHANNELS, make_stage, make_stem

FSE_INPUT_SIZE = 256
FSE_HALVINGS = 2  # the official encoder sees the 1024 px image halved twice
FSE_POOL = 3
FSE_FEATURE_INDEX = 5
FSE_FEATURE_SIZE = 16


def fse_prepare(image: torch.Tensor, input_size: int = FSE_INPUT_SIZE) -> torch.Tensor:
    """The FSE input convention: bilinear halvings down to `input_size`.

    An image whose side is `input_size * 2**k` is halved k times; any other size is first resized
    (bilinear) to `input_size * 2**FSE_HALVINGS` (1024 for the official 256) and halved twice.
    """
    side = image.shape[-1]
    if image.shape[-2] != side or side % input_size or (side // input_size) & (side // input_size - 1):
        full = input_size * 2**FSE_HALVINGS
        image = F.interpolate(image, size=(full, full), mode="bilinear", align_corners=False)
    while image.shape[-1] > input_size:
        image = F.interpolate(image, scale_factor=0.5, mode="bilinear", align_corners=False)
    return image


def fse_stride(input_size: int, feature_size: int) -> int:
    """Stride of the last content conv that makes block_3's output (input/8) match the feature size."""
    block3_size = input_size // 8
    if feature_size <= 0 or block3_size % feature_size:
        raise ValueError(f"a {input_size} px FSE input cannot give a {feature_size}x{feature_size} feature tensor")
    return block3_size // feature_size


class FeatureStyleEncoder(InversionEncoder):
    """fs_encoder_v2: W+ offsets from the ArcFace iresnet50 stages plus a content feature tensor.

    `layers` and `stage_channels` default to iresnet50 (the official file); smaller values build
    the lighter backbones the vidinvert encoder offers (see vidinvert_encoder.BACKBONES).
    """

    kind = "fse"

    def __init__(
        self,
        n_styles: int = 18,
        in_channels: int = 3,
        fs_stride: int = 2,
        style_dim: int = 512,
        feature_channels: int = 512,
        input_size: int = FSE_INPUT_SIZE,
        feature_index: int = FSE_FEATURE_INDEX,
        kind: str = "fse",
        layers: tuple[int, ...] = IRESNET50_LAYERS,
        stage_channels: tuple[int, ...] = STAGE_CHANNELS,
    ) -> None:
        super().__init__(n_styles, in_channels, input_size, feature_index)
        self.kind = kind
        self.fs_stride = fs_stride
        self.conv = make_stem(in_channels, stage_channels[0])
        in_ch = stage_channels[0]
        for index, (channels, blocks) in enumerate(zip(stage_channels, layers), start=1):
            setattr(self, f"block_{index}", make_stage(in_ch, channels, blocks))
            in_ch = channels
        self.content_layer = nn.Sequential(
            nn.BatchNorm2d(stage_channels[2]),
            nn.Conv2d(stage_channels[2], feature_channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(feature_channels),
            nn.PReLU(feature_channels),
            nn.Conv2d(feature_channels, feature_channels, 3, fs_stride, 1, bias=False),
            nn.BatchNorm2d(feature_channels),
        )
        style_features = sum(stage_channels) * FSE_POOL * FSE_POOL
        self.styles = nn.ModuleList(nn.Linear(style_features, style_dim) for _ in range(n_styles))

    def feature_shape(self) -> tuple[int, int, int]:
        """(channels, side, side) of the content feature tensor at this input size."""
        side = self.input_size // 8 // self.fs_stride
        return (self.content_layer[4].out_channels, side, side)

    def prepare(self, image: torch.Tensor) -> torch.Tensor:
        """Apply the FSE input convention (`fse_prepare`)."""
        return fse_prepare(image, self.input_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, in_channels, S, S) -> W+ offsets (B, n_styles, style_dim), feature (B, C, S/8/stride, ...)."""
        if x.shape[1] != self.in_channels:
            raise ValueError(f"encoder takes {self.in_channels} channels, got {x.shape[1]}")
        x = self.conv(x)
        pooled = []
        x = self.block_1(x)
        pooled.append(F.adaptive_avg_pool2d(x, FSE_POOL))
        x = self.block_2(x)
        pooled.append(F.adaptive_avg_pool2d(x, FSE_POOL))
        x = self.block_3(x)
        feature = self.content_layer(x)
        pooled.append(F.adaptive_avg_pool2d(x, FSE_POOL))
        x = self.block_4(x)
        pooled.append(F.adaptive_avg_pool2d(x, FSE_POOL))
        code = torch.cat(pooled, dim=1).flatten(1)
        delta = torch.stack([style(code) for style in self.styles], dim=1)
        return delta, feature
