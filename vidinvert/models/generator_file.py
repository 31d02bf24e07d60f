"""Loading and saving StyleGAN2 generators in the rosinality checkpoint layout.

Accepted inputs (detected from the keys, the file is never modified):
- `{'g_ema': state_dict, 'latent_avg': (512,)}` converted FFHQ files (may also hold `g`, `d`);
- training checkpoints `{'g', 'd', 'g_ema', 'g_optim', 'd_optim', 'args'}` (g_ema is used);
- encoder checkpoints that embed the generator under `decoder.` (ReStyle, pSp, e4e, E2Style);
- a bare generator state dict;
- NVIDIA stylegan2-ada network pickles (`network-snapshot-*.pkl`, `ffhq.pkl`), read without running
  any pickled code (network_pickle.py) and converted from their `G_ema` (ada_generator.py).
Size, style dimension, mapping depth and channels are inferred from the tensor shapes. Files
written by `save_generator` from a converted pickle also hold `conv_clamp` (ignored by other readers).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Mapping

import torch

from vidinvert.checkpoint import load_checkpoint, save_checkpoint
from vidinvert.errors import WeightsError
from vidinvert.models.ada_generator import ada_generator_from_pickle
from vidinvert.models.network_pickle import is_network_pickle, read_network_pickle
from vidinvert.models.stylegan2 import OFFICIAL_SIZES, Generator, official_channels

log = logging.getLogger(__name__)

#: Number of mapped samples averaged when a file carries no latent_avg.
LATENT_AVG_SAMPLES = 100_000
LATENT_AVG_SEED = 0
_KERNEL_KEY = re.compile(r"(^|\.)(blur|upsample)\.kernel$")


def generator_state(ckpt: Any) -> tuple[dict[str, torch.Tensor], torch.Tensor | None, str]:
    """(generator state dict, latent_avg or None, name of the layout seen) from a loaded file."""
    if not isinstance(ckpt, Mapping):
        raise WeightsError(f"expected a dict of tensors, found {type(ckpt).__name__}")
    latent_avg = ckpt.get("latent_avg")
    if "g_ema" in ckpt:
        layout = "stylegan2 training checkpoint" if "g_optim" in ckpt else "stylegan2 (g_ema)"
        return dict(ckpt["g_ema"]), latent_avg, layout
    if "state_dict" in ckpt and isinstance(ckpt["state_dict"], Mapping):
        state = {k[len("decoder."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("decoder.")}
        if not state and any(k.startswith("w_bar_encoder.") for k in ckpt["state_dict"]):
            raise WeightsError("a HyperInverter checkpoint holds no generator; pass the stylegan2-ada network "
                               "pickle it was trained with (e.g. stylegan2-ffhq-config-f.pkl) as the generator")
        if not state:
            raise WeightsError("checkpoint has a state_dict but no 'decoder.' generator weights")
        return state, latent_avg, "encoder checkpoint (decoder.)"
    if "style.1.weight" in ckpt and "input.input" in ckpt:
        return {k: v for k, v in ckpt.items() if isinstance(v, torch.Tensor)}, None, "bare generator state dict"
    keys = ", ".join(sorted(map(str, ckpt.keys()))[:6])
    raise WeightsError(f"not a StyleGAN2 generator in rosinality layout (top-level keys: {keys})")


def generator_config(state: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """Size, style_dim, n_mlp and channels of the generator a state dict describes."""
    try:
        style_dim = state["style.1.weight"].shape[0]
        n_mlp = sum(1 for k in state if re.fullmatch(r"style\.\d+\.weight", k))
        n_blocks = sum(1 for k in state if re.fullmatch(r"to_rgbs\.\d+\.conv\.weight", k))
        size = 2 ** (n_blocks + 2)
        channels = {4: state["input.input"].shape[1]}
        for j in range(n_blocks):
            channels[2 ** (j + 3)] = state[f"convs.{2 * j}.conv.weight"].shape[1]
    except KeyError as exc:
        raise WeightsError(f"generator weights lack {exc.args[0]!r}") from None
    multiplier = next((m for m in (1, 2, 4) if size in OFFICIAL_SIZES and official_channels(size, m) == channels),
                      None)
    return {"size": size, "style_dim": style_dim, "n_mlp": n_mlp, "channels": channels,
            "channel_multiplier": multiplier}


def build_generator(state: Mapping[str, torch.Tensor], latent_avg: torch.Tensor | None = None,
                    conv_clamp: float | None = None) -> Generator:
    """A Generator holding `state` exactly; kernel buffers may be absent (they are constants)."""
    cfg = generator_config(state)
    if not 8 <= cfg["size"] <= 4096:
        raise WeightsError(f"unsupported generator size {cfg['size']}")
    G = Generator(cfg["size"], cfg["style_dim"], cfg["n_mlp"], cfg["channel_multiplier"] or 2,
                  channels=cfg["channels"], conv_clamp=conv_clamp)
    try:
        missing, unexpected = G.load_state_dict(state, strict=False)
    except RuntimeError as exc:
        first = next((line.strip() for line in str(exc).splitlines() if "size mismatch" in line), str(exc))
        raise WeightsError(f"generator weights have unexpected shapes: {first}") from None
    missing = [k for k in missing if not _KERNEL_KEY.search(k)]
    if missing or unexpected:
        detail = f"missing {missing[:4]}" if missing else f"unexpected {unexpected[:4]}"
        raise WeightsError(f"generator weights do not match the StyleGAN2 layout: {detail}")
    if latent_avg is None:
        log.info("no latent_avg in the file: averaging %d mapped samples (seed %d)",
                 LATENT_AVG_SAMPLES, LATENT_AVG_SEED)
        latent_avg = G.mean_latent(LATENT_AVG_SAMPLES, seed=LATENT_AVG_SEED)
    latent_avg = torch.as_tensor(latent_avg, dtype=torch.float32)
    if latent_avg.ndim == 2:
        latent_avg = latent_avg[0]
    if latent_avg.shape != (cfg["style_dim"],):
        raise WeightsError(f"latent_avg has shape {tuple(latent_avg.shape)}, expected ({cfg['style_dim']},)")
    G.latent_avg.copy_(latent_avg)
    return G.eval().requires_grad_(False)


def load_generator(path: str | os.PathLike, device: str | torch.device = "cpu", checkpoint: Any = None) -> Generator:
    """Load a StyleGAN2 generator from any rosinality-layout file or NVIDIA network pickle (see the module doc).

    `checkpoint` is the file's content when the caller has already read it (it is not read again).
    """
    if checkpoint is None and Path(path).is_file() and is_network_pickle(path):
        content = read_network_pickle(path)
        try:
            state, latent_avg, conv_clamp = ada_generator_from_pickle(content)
            G = build_generator(state, latent_avg, conv_clamp)
        except WeightsError as exc:
            raise WeightsError(f"{path}: {exc}") from None
        layout = "NVIDIA network pickle (G_ema)"
    else:
        G, layout = _generator_from_checkpoint(path, checkpoint)
    log.info("loaded %s from %s: %dpx, %d latents", layout, path, G.size, G.n_latent)
    return G.to(device)


def _generator_from_checkpoint(path: str | os.PathLike, checkpoint: Any) -> tuple[Generator, str]:
    ckpt = load_checkpoint(path, what="generator") if checkpoint is None else checkpoint
    try:
        state, latent_avg, layout = generator_state(ckpt)
        conv_clamp = ckpt.get("conv_clamp") if isinstance(ckpt, Mapping) else None
        G = build_generator(state, latent_avg, None if conv_clamp is None else float(conv_clamp))
    except WeightsError as exc:
        raise WeightsError(f"{path}: {exc}") from None
    return G, layout


def save_generator(G: Generator, path: str | os.PathLike, extra: Mapping[str, Any] | None = None) -> Path:
    """Write `{'g_ema': state_dict, 'latent_avg': (style_dim,)}`, loadable by the official code too
    (plus `conv_clamp` when the generator clamps, which only vidinvert reads)."""
    payload = {"g_ema": {k: v.detach().cpu() for k, v in G.state_dict().items()},
               "latent_avg": G.latent_avg.detach().cpu().clone()}
    if G.conv_clamp is not None:
        payload["conv_clamp"] = float(G.conv_clamp)
    if extra:
        payload.update(extra)
    return save_checkpoint(payload, path)

