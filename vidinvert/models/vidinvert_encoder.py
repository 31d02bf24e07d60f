"""vidinvert's own encoder: the FeatureStyleEncoder architecture run as ReStyle residual steps.

It reads 6 channels, the target and the current reconstruction, both in [-1,1] at
`input_size`, and at every step predicts a W+ residual (added to the current latents) and a
new feature tensor (replacing the previous one) for the styled conv `feature_index`.

Checkpoint format, version 1 (a plain dict saved with `torch.save`, readable with
`torch.load(weights_only=True)`):

    {
      "format": "vidinvert-encoder",
      "version": 1,
      "config": {                     # EncoderConfig fields, plain ints and strings
        "generator_size": 1024,       # output side of the paired generator
        "n_latent": 18,               # W+ latents predicted = 2*log2(generator_size) - 2
        "style_dim": 512,
        "feature_index": 5,           # 1-based styled conv whose output the feature replaces
        "feature_size": 16,           # side of that activation
        "feature_channels": 512,      # channels of that activation
        "input_size": 256,            # encoder input side (target and reconstruction)
        "in_channels": 6,
        "fs_stride": 2,               # stride of the last content conv
        "backbone": "iresnet50",      # or a lighter one, see BACKBONES
      },
      "state_dict": {...},            # fs_encoder_v2 keys with a 6-channel `conv.0.weight`
      "latent_avg": tensor (n_latent, style_dim)   # optional: average latent it was trained around
    }

Readers must refuse a higher `version` and unknown `backbone` values. Backbones (stage depths,
stage channels): "iresnet50" (3,4,14,3; 64,128,256,512, the official FSE one), "iresnet18"
(2,2,2,2; same channels), "iresnet10-quarter" (1,1,1,1; 16,32,64,128: for CPU training of
small demo models).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch

from vidinvert.errors import WeightsError
from vidinvert.checkpoint import save_checkpoint
from vidinvert.models.encoder_base import load_state_strict
from vidinvert.models.fse import FSE_FEATURE_INDEX, FSE_INPUT_SIZE, FeatureStyleEncoder, fse_stride
from vidinvert.models.iresnet import IRESNET50_LAYERS, STAGE_CHANNELS
from vidinvert.models.stylegan2 import Generator

FORMAT_NAME = "vidinvert-encoder"
FORMAT_VERSION = 1
#: backbone name -> (blocks per stage, channels per stage); the stem has the first stage's channels.
BACKBONES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "iresnet50": (IRESNET50_LAYERS, STAGE_CHANNELS),
    "iresnet18": ((2, 2, 2, 2), STAGE_CHANNELS),
    "iresnet10-quarter": ((1, 1, 1, 1), tuple(c // 4 for c in STAGE_CHANNELS)),
}


@dataclass(frozen=True)
class EncoderConfig:
    """Everything needed to rebuild a vidinvert encoder before loading its weights."""

    generator_size: int
    n_latent: int
    style_dim: int = 512
    feature_index: int = FSE_FEATURE_INDEX
    feature_size: int = 16
    feature_channels: int = 512
    input_size: int = FSE_INPUT_SIZE
    in_channels: int = 6
    fs_stride: int = 2
    backbone: str = "iresnet50"

    @classmethod
    def for_generator(
        cls, G: Generator, feature_index: int = FSE_FEATURE_INDEX, input_size: int = FSE_INPUT_SIZE,
        backbone: str = "iresnet50",
    ) -> EncoderConfig:
        """The configuration pairing with generator `G` (any size): its latents and its activation `feature_index`."""
        channels, side, _ = G.feature_shape(feature_index)
        return cls(
            generator_size=G.size,
            n_latent=G.n_latent,
            style_dim=G.style_dim,
            feature_index=feature_index,
            feature_size=side,
            feature_channels=channels,
            input_size=input_size,
            fs_stride=fse_stride(input_size, side),
            backbone=backbone,
        )


def build_vidinvert_encoder(config: EncoderConfig) -> FeatureStyleEncoder:
    """A randomly initialised vidinvert encoder for `config` (weights come from training or a checkpoint)."""
    if config.backbone not in BACKBONES:
        raise WeightsError(f"unknown vidinvert encoder backbone {config.backbone!r} (known: {', '.join(BACKBONES)})")
    encoder = FeatureStyleEncoder(
        n_styles=config.n_latent,
        in_channels=config.in_channels,
        fs_stride=config.fs_stride,
        style_dim=config.style_dim,
        feature_channels=config.feature_channels,
        input_size=config.input_size,
        feature_index=config.feature_index,
        kind="vidinvert",
        layers=BACKBONES[config.backbone][0],
        stage_channels=BACKBONES[config.backbone][1],
    )
    encoder.config = config
    return encoder


def save_encoder(encoder: FeatureStyleEncoder, path: str | Path, latent_avg: torch.Tensor | None = None,
                 degrade: str | None = None) -> Path:
    """Write `encoder` as a vidinvert-encoder checkpoint (version 1); returns the path written.

    `degrade` names the degradation a restoration encoder was trained on (stored as `degrade`).

    The file is written beside its destination and renamed into place: never half-written.
    """
    config = getattr(encoder, "config", None)
    if encoder.kind != "vidinvert" or not isinstance(config, EncoderConfig):
        raise ValueError("only encoders built by build_vidinvert_encoder can be saved as vidinvert-encoder files")
    payload: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "config": asdict(config),
        "state_dict": {k: v.detach().cpu() for k, v in encoder.state_dict().items()},
    }
    if degrade is not None:
        payload["degrade"] = degrade
    if latent_avg is None:
        latent_avg = encoder.latent_avg
    if latent_avg is not None:
        payload["latent_avg"] = latent_avg.detach().cpu().float()
    return save_checkpoint(payload, path)


def vidinvert_encoder_from_checkpoint(checkpoint: dict[str, Any], where: str) -> FeatureStyleEncoder:
    """Rebuild a vidinvert encoder from a loaded version-1 checkpoint dict (`where` names the file in errors)."""
    version = checkpoint.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise WeightsError(f"{where}: vidinvert-encoder version {version!r} is not supported (this vidinvert reads version {FORMAT_VERSION})")
    raw = checkpoint.get("config")
    state_dict = checkpoint.get("state_dict")
    if not isinstance(raw, dict) or not isinstance(state_dict, dict):
        raise WeightsError(f"{where}: vidinvert-encoder checkpoint lacks its 'config' or 'state_dict'")
    known = {f.name for f in fields(EncoderConfig)}
    try:
        config = EncoderConfig(**{k: v for k, v in raw.items() if k in known})
    except TypeError as exc:
        raise WeightsError(f"{where}: vidinvert-encoder config is incomplete ({exc})") from exc
    encoder = build_vidinvert_encoder(config)
    load_state_strict(encoder, state_dict, where)
    if checkpoint.get("latent_avg") is not None:
        encoder.set_latent_avg(checkpoint["latent_avg"])
    encoder.source = f"vidinvert-encoder v{version} ({config.n_latent} latents, {config.generator_size} px generator)"
    return encoder

