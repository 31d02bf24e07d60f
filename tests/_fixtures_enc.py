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


# ----------------------------------------------------------------------------- E2Style, HyperInverter

# E2Style always predicts 18 latents (a 1024 px generator); 8 channels per resolution keep it cheap.
E2STYLE_G_CHANNELS = {2 ** i: 8 for i in range(2, 11)}
# E2Style's heads pool to 7x7 from any side >= 8: 64 px inputs keep its IR-SE50 stages quick.
E2STYLE_TEST_INPUT = 64


def e2style_generator(seed: int = 0) -> Generator:
    return random_generator(1024, 512, E2STYLE_G_CHANNELS, seed)


def e2style_checkpoint(G: Generator, n_refine: int = 2, seed: int = 0, dataset_type: str = "ffhq_encode") -> dict:
    """The official E2Style checkpoint dict: prefixed stages and decoder, opts saved on cuda:0, latent_avg (18,512)."""
    from vidinvert.models.e2style import E2StyleEncoder

    torch.manual_seed(seed)
    encoder = randomize_(E2StyleEncoder(n_refine), seed)
    state = {k: v for k, v in encoder.state_dict().items()}
    state.update({f"decoder.{k}": v for k, v in G.state_dict().items()})
    opts = {"dataset_type": dataset_type, "training_stage": n_refine + 1, "input_nc": 3, "start_from_latent_avg": True,
            "learn_in_w": False, "device": "cuda:0", "checkpoint_path": None}
    return {"state_dict": state, "opts": opts, "latent_avg": G.latent_avg.expand(18, -1).clone() + 0.01}


def hyperinverter_checkpoint(G: Generator, target_set: str = "all_without_bias", hidden: int = 16,
                             encoder_type: str = "ResNetLayerWiseEncoder", seed: int = 0) -> dict:
    """The official HyperInverter checkpoint dict for generator G (w_encoder, w_bar_encoder, hypernet,
    discriminator keys; opts), random weights scaled so the predicted residuals visibly change the image."""
    from vidinvert.models.hyperinverter import LAYERWISE_ENCODERS, HyperInverterEncoder, target_names
    from vidinvert.models.ada_generator import our_parameter_name

    torch.manual_seed(seed)
    targets = {}
    for name in target_names(G.size, target_set):
        shape = G.weight_delta_shape(our_parameter_name(name, G.size))
        targets[name] = (shape[0], shape[1], shape[2] if len(shape) == 4 else 1)
    backbone = LAYERWISE_ENCODERS[encoder_type][0]
    encoder = randomize_(HyperInverterEncoder(G.size, targets, hidden, encoder_type, backbone), seed)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in encoder.hypernet.named_parameters():
            if name.endswith(("w1", "w2")):
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[0] ** 0.5)
            elif name.endswith(("b1", "b2")):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
    state = dict(encoder.state_dict())
    state["discriminator.b4.out.weight"] = torch.zeros(1, 512)
    opts = {"dataset_type": "ffhq_encode", "encoder_type": encoder_type, "target_shape_name": target_set,
            "hidden_dim": hidden, "output_size": G.size, "device": "cuda:0", "batch_size": 2}
    return {"state_dict": state, "opts": opts}
