"""Builders for inversion tests: a small generator fitting the official encoders, encoders in the
official layouts with randomised weights and statistics, and official-format checkpoint dicts."""

from __future__ import annotations

import torch
from torch import nn

from model_factories import random_generator
from vidinvert.models.fse import FeatureStyleEncoder
from vidinvert.models.restyle import ReStyleEncoder
from vidinvert.models.stylegan2 import Generator

# A 32 px generator (8 latents) whose 16x16 activation has the 512 channels the FSE feature tensor has.
ENCODER_G_CHANNELS = {4: 32, 8: 32, 16: 512, 32: 8}


def encoder_generator(seed: int = 0) -> Generator:
    """32 px, style_dim 512 generator with random non-zero noise strengths, biases and latent_avg."""
    return random_generator(32, 512, ENCODER_G_CHANNELS, seed)


def randomize_(module: nn.Module, seed: int) -> nn.Module:
    """Give every BatchNorm and PReLU non-trivial parameters and running statistics, in place."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.BatchNorm2d):
                n = layer.num_features
                layer.weight.copy_(0.5 + torch.rand(n, generator=gen))
                layer.bias.copy_(0.1 * torch.randn(n, generator=gen))
                layer.running_mean.copy_(0.1 * torch.randn(n, generator=gen))
                layer.running_var.copy_(0.5 + torch.rand(n, generator=gen))
            elif isinstance(layer, nn.PReLU):
                layer.weight.copy_(0.5 * torch.rand(layer.weight.shape, generator=gen))
    return module.eval()


# Small inputs keep the full-width official encoders quick on a CPU: the FSE at 128 px gives the
# 16x16 feature with content stride 1; ReStyle's style blocks reach 1x1 from 64 px.
FSE_TEST_INPUT = 128
RESTYLE_TEST_INPUT = 64


def fse_encoder(
    n_styles: int = 8, in_channels: int = 3, seed: int = 0, kind: str = "fse", input_size: int = FSE_TEST_INPUT
) -> FeatureStyleEncoder:
    torch.manual_seed(seed)
    encoder = FeatureStyleEncoder(
        n_styles=n_styles, in_channels=in_channels, fs_stride=input_size // 8 // 16, input_size=input_size, kind=kind
    )
    return randomize_(encoder, seed)


def restyle_encoder(
    backbone: str, progressive: bool, n_styles: int = 8, seed: int = 0, input_size: int = RESTYLE_TEST_INPUT
) -> ReStyleEncoder:
    torch.manual_seed(seed)
    return randomize_(ReStyleEncoder(backbone, progressive, n_styles, input_size=input_size), seed)


def restyle_checkpoint(encoder: ReStyleEncoder, encoder_type: str, G: Generator) -> dict:
    """The official ReStyle checkpoint dict: prefixed state_dict, plain opts saved on cuda:0, latent_avg (n,512)."""
    state = {f"encoder.{k}": v for k, v in encoder.state_dict().items()}
    state.update({f"decoder.{k}": v for k, v in G.state_dict().items()})
    opts = {
        "encoder_type": encoder_type,
        "input_nc": 6,
        "output_size": G.size,
        "n_iters_per_batch": 5,
        "device": "cuda:0",
        "checkpoint_path": None,
    }
    latent_avg = G.latent_avg.expand(G.n_latent, -1).clone() + 0.01
    return {"state_dict": state, "opts": opts, "latent_avg": latent_avg}


def fixed_point_restyle(n_styles: int = 8, seed: int = 0) -> ReStyleEncoder:
    """A ResNet34 ReStyle encoder whose step is exactly zero when target and reconstruction agree.

    The stem reads (target - reconstruction) through antisymmetric weights and every bias and
    running mean is zero, so a zero input stays zero up to the output, as a trained encoder at a
    perfect reconstruction approximately does.
    """
    encoder = restyle_encoder("resnet34", progressive=False, n_styles=n_styles, seed=seed)
    with torch.no_grad():
        encoder.conv1.weight[:, 3:] = -encoder.conv1.weight[:, :3]
        for layer in encoder.modules():
            if isinstance(layer, nn.BatchNorm2d):
                layer.bias.zero_()
                layer.running_mean.zero_()
            elif isinstance(layer, nn.Conv2d) and layer.bias is not None:
                layer.bias.zero_()
        for style in encoder.styles:
            style.linear.bias.zero_()
            style.linear.weight.mul_(1e3)  # without biases the random body's response is tiny
    return encoder
