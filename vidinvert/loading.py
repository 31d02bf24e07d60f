"""Which generator and encoder a run uses: explicit files, the weights store, or the bundled demo model."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

import torch

from vidinvert.checkpoint import load_checkpoint
from vidinvert.config import ModelConfig
from vidinvert.demo.model import load_default_models
from vidinvert.demo.paths import DIRECTIONS_DIR, GENERATOR_FILE, RESTORE_SR4_FILE, demo_model_present, is_demo_generator_file
from vidinvert.device import resolve_device
from vidinvert.errors import VidinvertError, WeightsError
from vidinvert.models import Generator, InversionEncoder, LoadedModels, load_encoder, load_generator
from vidinvert.models.same_weights import same_generator
from vidinvert.weights import DEFAULT_ENCODERS, DEFAULT_GENERATOR, find_weights, require_weights, search_dirs

log = logging.getLogger(__name__)


def _has_decoder(ckpt: object) -> bool:
    return isinstance(ckpt, dict) and isinstance(ckpt.get("state_dict"), dict) and any(
        k.startswith("decoder.") for k in ckpt["state_dict"])


def load_models(generator: str | os.PathLike | None = None, encoder: str | os.PathLike | None = None,
                weights_dir: str | os.PathLike | None = None,
                device: str | torch.device = "auto") -> LoadedModels:
    """G and E from explicit paths, the weights store, or the bundled demo model.

    Without `encoder`, the first of DEFAULT_ENCODERS found in the store is used. Without
    `generator`, an encoder checkpoint that carries its decoder (ReStyle, pSp, e4e) provides it;
    otherwise the store's stylegan2-ffhq-config-f.pt. With neither given nor found in the store,
    the bundled demo model (`load_default_models`).
    """
    device = resolve_device(device)
    if encoder is None:
        encoder = _store_encoder(weights_dir)
        if encoder is None and generator is None and demo_model_present():
            return load_default_models(device)
        if encoder is None:
            where = ", ".join(str(d) for d in search_dirs(weights_dir))
            raise WeightsError(f"no encoder given and none of {', '.join(DEFAULT_ENCODERS)} found in {where}; "
                               "pass --encoder PATH or place one there")
    encoder = Path(encoder)
    encoder_file = load_checkpoint(encoder, what="encoder")
    E = load_encoder(encoder, device=device, checkpoint=encoder_file)
    if generator is None and _has_decoder(encoder_file):
        generator = encoder
        G = load_generator(encoder, device=device, checkpoint=encoder_file)
    else:
        if generator is None:
            generator = require_weights(DEFAULT_GENERATOR, weights_dir, flag="--generator")
        G = load_generator(generator, device=device)
    log.info("generator %s (%d px), encoder %s (%s)", generator, G.size, encoder, E.kind)
    directions = DIRECTIONS_DIR if is_demo_generator_file(generator) else None
    return LoadedModels(G, E, directions, f"generator {generator}, encoder {encoder}")


def _store_encoder(weights_dir: str | os.PathLike | None) -> Path | None:
    """The first of DEFAULT_ENCODERS in the weights store."""
    return next((p for p in (find_weights(name, weights_dir) for name in DEFAULT_ENCODERS) if p is not None), None)


def configured_directions_dir(models: ModelConfig) -> Path | None:
    """The folder of directions that belong to the generator `load_models` picks for these settings,
    found without loading anything, to check direction names before the models load (an encoder
    that carries its own generator is not opened: the store's generator is taken as the one used)."""
    generator = models.generator
    if generator is None and models.encoder is None and _store_encoder(models.weights_dir) is None:
        return DIRECTIONS_DIR if demo_model_present() else None
    if generator is None:
        generator = find_weights(DEFAULT_GENERATOR, models.weights_dir)
    return DIRECTIONS_DIR if generator is not None and is_demo_generator_file(generator) else None


def load_configured_models(models: ModelConfig) -> LoadedModels:
    """`load_models` for a run configuration's model settings, with its init encoder."""
    loaded = load_models(models.generator, models.encoder, models.weights_dir, models.device)
    return with_init_encoder(loaded, models)


def with_init_encoder(loaded: LoadedModels, models: ModelConfig) -> LoadedModels:
    """`loaded` with the init encoder `models` names, loaded and checked against `loaded.G`
    (unchanged when none is named or it already holds one)."""
    if models.init_encoder is None or loaded.init_encoder is not None:
        return loaded
    E = load_init_encoder(models.init_encoder, loaded.G)
    return replace(loaded, init_encoder=E, source=f"{loaded.source}, init encoder {models.init_encoder}")


def load_init_encoder(path: str | os.PathLike, G: Generator) -> InversionEncoder:
    """The encoder file `path` for starting another encoder's inversion with `G`, on G's device.

    Refused in one line: a file that is not an encoder, latents that do not fit `G`, or a generator
    bundled in the file (ReStyle, pSp, e4e) that differs from `G`."""
    where = f"--init-encoder {path}"
    if not Path(path).is_file():
        raise VidinvertError(f"{where}: no such file")
    device = G.latent_avg.device
    checkpoint = load_checkpoint(path, what="init encoder")
    E = load_encoder(path, device=device, checkpoint=checkpoint)
    if E.n_styles != G.n_latent:
        raise VidinvertError(f"{where}: it predicts {E.n_styles} latents but the {G.size} px generator used takes "
                             f"{G.n_latent}; both encoders must work with the same generator")
    if _has_decoder(checkpoint):
        bundled = load_generator(path, device=device, checkpoint=checkpoint)
        if not same_generator(bundled, G):
            raise VidinvertError(f"{where}: the generator stored in it differs from the one used; both encoders "
                                 "must work with the same generator")
    log.info("init encoder %s (%s)", path, E.kind)
    return E


def restoration_models(models: ModelConfig) -> LoadedModels:
    """The models `vidinvert restore` runs: `models.encoder` or the bundled sr4 restoration encoder,
    with `models.generator`, else the generator the encoder file carries, else the store's, else the
    bundled one."""
    encoder = Path(models.encoder) if models.encoder is not None else RESTORE_SR4_FILE
    if not encoder.is_file():
        raise WeightsError(f"restoration encoder {encoder} does not exist")
    generator = models.generator
    if generator is None and find_weights(DEFAULT_GENERATOR, models.weights_dir) is None \
            and not _has_decoder(load_checkpoint(encoder, what="encoder")):
        generator = GENERATOR_FILE
    return with_init_encoder(load_models(generator, encoder, models.weights_dir, models.device), models)
