"""`load_encoder`: recognise an encoder weights file by its keys and rebuild the encoder unchanged.

Formats read (facts in the loaders below and docs/encoder_format.md):

- FeatureStyleEncoder: a bare `fs_encoder_v2` state_dict (`143_enc.pth`), or a training
  checkpoint holding it under `enc_state_dict`. Number of latents from the `styles.*` keys,
  3- or 6-channel stem from `conv.0.weight`. Its average latent comes from the generator or
  from a `psp_ffhq_encode.pt`-style file passed as `latent_avg`.
- ReStyle pSp / e4e: `{'state_dict', 'opts', 'latent_avg'}` with `encoder.` / `decoder.` key
  prefixes; the encoder type is `opts['encoder_type']`. `opts['device']` is overridden.
- E2Style inversion checkpoints: `encoder_firststage.` / `encoder_refinestage_list.{i}.` keys,
  `opts['dataset_type'] == 'ffhq_encode'` (the other E2Style tasks are refused).
- HyperInverter: `w_encoder.` / `w_bar_encoder.` / `hypernet.` keys; its generator is the
  stylegan2-ada network pickle passed separately.
- vidinvert's own `vidinvert-encoder` checkpoints.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from vidinvert.errors import WeightsError
from vidinvert.checkpoint import load_checkpoint
from vidinvert.models.e2style import E2STYLE_INPUT_SIZE, E2STYLE_INVERSION_DATASET, E2STYLE_STYLE_DIM, E2StyleEncoder
from vidinvert.models.encoder_base import InversionEncoder, load_state_strict
from vidinvert.models.fse import FSE_FEATURE_SIZE, FSE_INPUT_SIZE, FeatureStyleEncoder, fse_stride
from vidinvert.models.hyperinverter import (
    HYPERINVERTER_INPUT_SIZE,
    LAYERWISE_ENCODERS,
    TARGET_SETS,
    HyperInverterEncoder,
    read_targets,
)
from vidinvert.models.network_pickle import is_network_snapshot
from vidinvert.models.restyle import RESTYLE_INPUT_SIZE, ReStyleEncoder
from vidinvert.models.vidinvert_encoder import FORMAT_NAME, vidinvert_encoder_from_checkpoint

log = logging.getLogger(__name__)

# ReStyle opts['encoder_type'] -> (backbone, progressive)
RESTYLE_ENCODER_TYPES = {
    "BackboneEncoder": ("ir_se50", False),
    "ResNetBackboneEncoder": ("resnet34", False),
    "ProgressiveBackboneEncoder": ("ir_se50", True),
    "ResNetProgressiveBackboneEncoder": ("resnet34", True),
}
FSE_MARKER_KEYS = ("conv.0.weight", "block_1.0.conv1.weight", "content_layer.1.weight", "styles.0.weight")


def load_encoder(
    path: str | Path,
    device: str | torch.device = "cpu",
    latent_avg: torch.Tensor | str | Path | None = None,
    input_size: int | None = None,
    checkpoint: Any = None,
) -> InversionEncoder:
    """Load an inversion encoder from any supported weights file, in eval mode on `device`.

    `latent_avg` (a tensor (512,) / (n,512), or a checkpoint file with a `latent_avg` entry)
    replaces the average latent stored with the encoder, if any. `input_size` overrides the
    encoder's input side (256 for the official files). `checkpoint` is the file's content when
    the caller has already read it. Raises WeightsError for unknown or damaged files, naming the path.
    """
    where = str(path)
    if checkpoint is None and Path(path).is_file() and is_network_snapshot(path):
        raise WeightsError(f"{where}: this is an NVIDIA network pickle (a generator), not an encoder; "
                           "pass it as the generator")
    if checkpoint is None:
        checkpoint = load_checkpoint(path, what="encoder")
    encoder = _encoder_from_object(checkpoint, where, input_size)
    encoder.degrade = trained_degradation(checkpoint)
    if latent_avg is not None:
        encoder.set_latent_avg(_read_latent_avg(latent_avg))
    log.info("%s: %s", where, encoder.source)
    return encoder.to(device).eval()


def trained_degradation(checkpoint: Any) -> str | None:
    """The degradation an encoder file says it was trained to undo (`train encoder --degrade`):
    `degrade` in a vidinvert-encoder file, `opts['degrade']` in a ReStyle-layout one; else None."""
    if not isinstance(checkpoint, dict):
        return None
    opts = checkpoint.get("opts")
    value = checkpoint.get("degrade", opts.get("degrade") if isinstance(opts, dict) else None)
    return value if isinstance(value, str) else None


def _encoder_from_object(checkpoint: Any, where: str, input_size: int | None) -> InversionEncoder:
    if not isinstance(checkpoint, dict):
        raise WeightsError(f"{where}: expected a dict of weights, found {type(checkpoint).__name__}")
    if checkpoint.get("format") == FORMAT_NAME:
        encoder = vidinvert_encoder_from_checkpoint(checkpoint, where)
        if input_size is not None and input_size != encoder.input_size:
            raise WeightsError(f"{where}: this encoder was built for {encoder.input_size} px inputs, not {input_size}")
        return encoder
    if isinstance(checkpoint.get("enc_state_dict"), dict):
        return _fse_from_state_dict(checkpoint["enc_state_dict"], where, input_size, "FeatureStyleEncoder training checkpoint")
    if all(key in checkpoint for key in FSE_MARKER_KEYS):
        return _fse_from_state_dict(checkpoint, where, input_size, "FeatureStyleEncoder state_dict")
    state_dict = checkpoint.get("state_dict")
    if isinstance(state_dict, dict):
        if any(key.startswith("encoder.") for key in state_dict):
            return _restyle_from_checkpoint(checkpoint, where, input_size)
        if any(key.startswith("encoder_firststage.") for key in state_dict):
            return _e2style_from_checkpoint(checkpoint, where, input_size)
        if any(key.startswith("w_bar_encoder.") for key in state_dict):
            return _hyperinverter_from_checkpoint(checkpoint, where, input_size)
    if "g_ema" in checkpoint or "style.1.weight" in checkpoint:
        raise WeightsError(f"{where}: this is a StyleGAN2 generator file, not an encoder")
    raise WeightsError(
        f"{where}: unknown weights format (not a FeatureStyleEncoder, ReStyle, E2Style, HyperInverter or "
        "vidinvert-encoder file)"
    )


def _fse_from_state_dict(state_dict: dict[str, torch.Tensor], where: str, input_size: int | None, seen: str) -> FeatureStyleEncoder:
    missing = [key for key in FSE_MARKER_KEYS if key not in state_dict]
    if missing:
        raise WeightsError(f"{where}: {seen} lacks {missing[0]}")
    n_styles = _count_indexed(state_dict, "styles.")
    in_channels = state_dict["conv.0.weight"].shape[1]
    if in_channels not in (3, 6):
        raise WeightsError(f"{where}: FeatureStyleEncoder stem reads {in_channels} channels, expected 3 or 6")
    size = input_size or FSE_INPUT_SIZE
    try:
        stride = fse_stride(size, FSE_FEATURE_SIZE)
    except ValueError as exc:
        raise WeightsError(f"{where}: {exc}") from exc
    encoder = FeatureStyleEncoder(
        n_styles=n_styles,
        in_channels=in_channels,
        fs_stride=stride,
        style_dim=state_dict["styles.0.weight"].shape[0],
        feature_channels=state_dict["content_layer.1.weight"].shape[0],
        input_size=size,
    )
    load_state_strict(encoder, _as_float(state_dict), where)
    variant = "video-input 6-channel stem" if in_channels == 6 else "3-channel stem"
    encoder.source = f"{seen} ({variant}, {n_styles} latents)"
    return encoder


def _opts(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The training options saved beside the weights (a dict or an argparse namespace), device set to cpu."""
    opts = checkpoint.get("opts")
    if not isinstance(opts, dict):
        opts = vars(opts) if hasattr(opts, "__dict__") else {}
    return dict(opts, device="cpu")


def _e2style_from_checkpoint(checkpoint: dict[str, Any], where: str, input_size: int | None) -> E2StyleEncoder:
    opts = _opts(checkpoint)
    task = opts.get("dataset_type")
    if task != E2STYLE_INVERSION_DATASET:
        raise WeightsError(f"{where}: E2Style checkpoint for the {task!r} task; only inversion checkpoints "
                           f"(dataset_type {E2STYLE_INVERSION_DATASET!r}) map a photo to its latents")
    prefixes = ("encoder_firststage.", "encoder_refinestage_list.")
    state = {k: v for k, v in checkpoint["state_dict"].items() if k.startswith(prefixes)}
    stem = state.get("encoder_firststage.input_layer.0.weight")
    if stem is None:
        raise WeightsError(f"{where}: E2Style checkpoint lacks encoder_firststage.input_layer.0.weight")
    refine = {k[len(prefixes[1]):]: v for k, v in state.items() if k.startswith(prefixes[1])}
    n_refine = _count_indexed(refine, "") if refine else 0
    encoder = E2StyleEncoder(n_refine, stem.shape[1], input_size or E2STYLE_INPUT_SIZE)
    load_state_strict(encoder, _as_float(state), where)
    if opts.get("start_from_latent_avg", True) is False:  # the official code then adds nothing
        encoder.set_latent_avg(torch.zeros(1, E2STYLE_STYLE_DIM))
    elif checkpoint.get("latent_avg") is not None:
        encoder.set_latent_avg(checkpoint["latent_avg"])
    encoder.opts = opts
    encoder.source = f"E2Style inversion checkpoint ({encoder.n_stages} stages)"
    return encoder


def _hyperinverter_from_checkpoint(checkpoint: dict[str, Any], where: str, input_size: int | None) -> HyperInverterEncoder:
    opts = _opts(checkpoint)
    encoder_type = opts.get("encoder_type", "LayerWiseEncoder")
    target_set = opts.get("target_shape_name", "conv_without_bias")
    if encoder_type not in LAYERWISE_ENCODERS or target_set not in TARGET_SETS:
        raise WeightsError(f"{where}: HyperInverter checkpoint with encoder_type {encoder_type!r} and target_shape_name "
                           f"{target_set!r}; readable: {', '.join(LAYERWISE_ENCODERS)} with {', '.join(TARGET_SETS)}")
    state = checkpoint["state_dict"]
    if "w_encoder.linear.weight" not in state:
        raise WeightsError(f"{where}: HyperInverter checkpoint lacks its phase-1 W encoder (w_encoder.*)")
    size = int(opts.get("output_size", 1024))
    try:
        targets, hidden = read_targets(state, size, target_set)
    except KeyError as exc:
        raise WeightsError(f"{where}: HyperInverter checkpoint lacks {exc.args[0]}") from None
    w_backbone = "ir_se50" if "w_encoder.input_layer.0.weight" in state else "resnet34"
    encoder = HyperInverterEncoder(size, targets, hidden, encoder_type, w_backbone,
                                   input_size or HYPERINVERTER_INPUT_SIZE)
    weights = {k: v for k, v in state.items() if k.startswith(("w_encoder.", "w_bar_encoder.", "hypernet."))}
    load_state_strict(encoder, _as_float(weights), where)
    encoder.opts = opts
    encoder.source = (f"HyperInverter checkpoint ({encoder_type}, {len(targets)} weight targets, hidden {hidden}, "
                      f"{size} px stylegan2-ada generator passed separately)")
    return encoder


def _restyle_from_checkpoint(checkpoint: dict[str, Any], where: str, input_size: int | None) -> ReStyleEncoder:
    opts = _opts(checkpoint)
    encoder_type = opts.get("encoder_type")
    if encoder_type not in RESTYLE_ENCODER_TYPES:
        raise WeightsError(
            f"{where}: ReStyle checkpoint with encoder_type {encoder_type!r}; readable types: {', '.join(RESTYLE_ENCODER_TYPES)}"
        )
    backbone, progressive = RESTYLE_ENCODER_TYPES[encoder_type]
    state_dict = {k[len("encoder."):]: v for k, v in checkpoint["state_dict"].items() if k.startswith("encoder.")}
    stem_key = "input_layer.0.weight" if backbone == "ir_se50" else "conv1.weight"
    if stem_key not in state_dict:
        raise WeightsError(f"{where}: ReStyle {encoder_type} checkpoint lacks encoder.{stem_key}")
    n_styles = _count_indexed(state_dict, "styles.")
    encoder = ReStyleEncoder(
        backbone=backbone,
        progressive=progressive,
        n_styles=n_styles,
        in_channels=state_dict[stem_key].shape[1],
        input_size=input_size or RESTYLE_INPUT_SIZE,
    )
    load_state_strict(encoder, _as_float(state_dict), where)
    if checkpoint.get("latent_avg") is not None:
        encoder.set_latent_avg(checkpoint["latent_avg"])
    encoder.opts = opts
    encoder.source = f"ReStyle {'e4e' if progressive else 'pSp'} checkpoint ({encoder_type}, {n_styles} latents)"
    return encoder


def _count_indexed(state_dict: dict[str, torch.Tensor], prefix: str) -> int:
    indices = {int(key[len(prefix):].split(".")[0]) for key in state_dict if key.startswith(prefix)}
    if not indices or indices != set(range(len(indices))):
        raise WeightsError(f"'{prefix}*' entries are missing or not numbered 0..n-1")
    return len(indices)


def _as_float(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Half-precision copies of the official files are widened to float32."""
    return {k: v.float() if v.is_floating_point() else v for k, v in state_dict.items()}


def _read_latent_avg(source: torch.Tensor | str | Path) -> torch.Tensor:
    if isinstance(source, torch.Tensor):
        return source
    checkpoint = load_checkpoint(source, what="average latent")
    value = checkpoint.get("latent_avg") if isinstance(checkpoint, dict) else None
    if not isinstance(value, torch.Tensor):
        raise WeightsError(f"{source}: no 'latent_avg' tensor in this file")
    return value
