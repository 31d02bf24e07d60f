"""NVIDIA stylegan2-ada generators (`G_ema` of a network pickle) as our Generator, exactly.

Layer names (this module is their one home): block `b4` holds `conv1` and `torgb`; every block
`b{r}`, r = 8..size, holds `conv0` (2x up), `conv1` and `torgb`. They are our `conv1`, `to_rgb1`,
`convs.{2j}`, `convs.{2j+1}`, `to_rgbs.{j}` (j = log2(r) - 3), in that running order; a layer's
`weight` is our `.conv.weight` and its `affine.weight` our `.conv.modulation.weight`.

Conversion facts: conv weights (out,in,k,k) gain a leading 1 (the up-sampling conv is the same
transposed convolution, no flip); `affine` is our modulation (same equalized scaling, bias
stored as is); `noise_strength` () and `noise_const` (r,r) are our noise weight and stored noise;
ToRGB bias (3,) becomes (1,3,1,1); `b4.const` (C,4,4) is `input.input`; the mapping layers
`fc{i}` are `style.{i+1}`, rescaled to our fixed lr multiplier when the file's differs; the
average latent is `mapping.w_avg` as stored. `conv_clamp` carries over; fp16 blocks are read
in float32 (their parameters are stored in float32).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from vidinvert.errors import WeightsError
from vidinvert.models.network_pickle import PersistentRecord
from vidinvert.models.ops import make_kernel

MAPPING_LR_MUL = 0.01  # our mapping layers' fixed lr multiplier (EqualLinear lr_mul in Generator)
REQUIRED_ARCHITECTURE = "skip"


def ada_layers(size: int) -> list[tuple[str, str, str]]:
    """(block, layer, our prefix) for every modulated layer of a `size` px generator, in running order."""
    layers = [("b4", "conv1", "conv1"), ("b4", "torgb", "to_rgb1")]
    for j in range(int(math.log2(size)) - 2):
        block = f"b{2 ** (j + 3)}"
        layers += [(block, "conv0", f"convs.{2 * j}"), (block, "conv1", f"convs.{2 * j + 1}"),
                   (block, "torgb", f"to_rgbs.{j}")]
    return layers


def our_parameter_name(ada_name: str, size: int) -> str:
    """`b8.conv0.weight` -> `convs.0.conv.weight`; `b4.torgb.affine.weight` -> `to_rgb1.conv.modulation.weight`."""
    block, layer, *rest = ada_name.split(".")
    prefix = {(b, lay): ours for b, lay, ours in ada_layers(size)}.get((block, layer))
    part = {"weight": "conv.weight", "affine.weight": "conv.modulation.weight"}.get(".".join(rest))
    if prefix is None or part is None:
        raise WeightsError(f"{ada_name!r} is not a modulated weight of a {size} px stylegan2-ada generator")
    return f"{prefix}.{part}"


def _tensor(record: PersistentRecord, name: str, where: str) -> torch.Tensor:
    value = record.tensor(name)
    if value is None:
        raise WeightsError(f"{where} has no tensor {name!r}")
    return value.detach().float()


def _child(record: PersistentRecord, name: str, where: str) -> PersistentRecord:
    child = record.child(name)
    if child is None:
        raise WeightsError(f"{where} has no {name!r} network")
    return child


def _mapping_state(mapping: PersistentRecord, style_dim: int) -> dict[str, torch.Tensor]:
    if int(mapping.attr("c_dim", 0) or 0) > 0:
        raise WeightsError(f"this is a conditional network (c_dim={mapping.attr('c_dim')}); "
                           "vidinvert inverts unconditional generators only")
    if mapping.attr("z_dim") != style_dim:
        raise WeightsError(f"mapping takes z of {mapping.attr('z_dim')} values but w has {style_dim}; not supported")
    state = {}
    for i in range(int(mapping.attr("num_layers", 0))):
        fc = _child(mapping, f"fc{i}", "mapping")
        if fc.attr("activation") != "lrelu":
            raise WeightsError(f"mapping.fc{i} uses activation {fc.attr('activation')!r}, not lrelu")
        weight, bias = _tensor(fc, "weight", f"mapping.fc{i}"), _tensor(fc, "bias", f"mapping.fc{i}")
        lr = float(fc.attr("bias_gain", 1.0))
        if not math.isclose(float(fc.attr("weight_gain")), lr / math.sqrt(weight.shape[1]), rel_tol=1e-6):
            raise WeightsError(f"mapping.fc{i} has an unexpected weight gain")
        if lr != MAPPING_LR_MUL:  # the same effective layer at our lr multiplier
            weight, bias = weight * (lr / MAPPING_LR_MUL), bias * (lr / MAPPING_LR_MUL)
        state[f"style.{i + 1}.weight"], state[f"style.{i + 1}.bias"] = weight, bias
    return state


def _layer_state(layer: PersistentRecord, prefix: str, where: str, kernel: torch.Tensor) -> dict[str, torch.Tensor]:
    affine = _child(layer, "affine", where)
    if float(affine.attr("bias_gain", 1.0)) != 1.0:
        raise WeightsError(f"{where}.affine has a learning-rate multiplier, which StyleGAN2 layers never have")
    weight = _tensor(layer, "weight", where)
    state = {f"{prefix}.conv.weight": weight.unsqueeze(0),
             f"{prefix}.conv.modulation.weight": _tensor(affine, "weight", f"{where}.affine"),
             f"{prefix}.conv.modulation.bias": _tensor(affine, "bias", f"{where}.affine")}
    filt = layer.tensor("resample_filter")
    if filt is not None and (filt.shape != kernel.shape or not torch.allclose(filt.float(), kernel)):
        raise WeightsError(f"{where} resamples with a filter other than [1,3,3,1]")
    if prefix.startswith("to_rgb"):
        state[f"{prefix}.bias"] = _tensor(layer, "bias", where).reshape(1, -1, 1, 1)
    else:
        if layer.attr("activation") != "lrelu":
            raise WeightsError(f"{where} uses activation {layer.attr('activation')!r}, not lrelu")
        state[f"{prefix}.activate.bias"] = _tensor(layer, "bias", where)
    return state


def _noise(layer: PersistentRecord, where: str, side: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(noise strength (1,), stored noise (1,1,side,side)); a layer without noise gets zero strength."""
    if not layer.attr("use_noise", True):
        return torch.zeros(1), torch.zeros(1, 1, side, side)
    return (_tensor(layer, "noise_strength", where).reshape(1),
            _tensor(layer, "noise_const", where).reshape(1, 1, side, side))


def ada_generator_state(G_ema: PersistentRecord) -> tuple[dict[str, torch.Tensor], torch.Tensor, float | None]:
    """(our generator state dict, latent_avg = mapping.w_avg, conv_clamp) of a pickled `G_ema`."""
    mapping = _child(G_ema, "mapping", "G_ema")
    synthesis = _child(G_ema, "synthesis", "G_ema")
    if int(G_ema.attr("c_dim", 0) or 0) > 0:
        raise WeightsError(f"this is a conditional network (c_dim={G_ema.attr('c_dim')}); "
                           "vidinvert inverts unconditional generators only")
    if synthesis.child("b4") is None:
        raise WeightsError(f"G_ema.synthesis ({synthesis.class_name}) is not a stylegan2-ada synthesis network "
                           "(no b4 block; StyleGAN3 pickles are not supported)")
    if int(G_ema.attr("img_channels", 3)) != 3:
        raise WeightsError(f"the generator draws {G_ema.attr('img_channels')} channels, not RGB")
    size = int(synthesis.attr("img_resolution"))
    style_dim = int(G_ema.attr("w_dim", mapping.attr("w_dim")))
    kernel = make_kernel()
    state = _mapping_state(mapping, style_dim)
    state["input.input"] = _tensor(_child(synthesis, "b4", "synthesis"), "const", "synthesis.b4").unsqueeze(0)
    clamps = set()
    noise_index = 0
    for block_name, layer_name, prefix in ada_layers(size):
        block = _child(synthesis, block_name, "synthesis")
        if block.attr("architecture") != REQUIRED_ARCHITECTURE:
            raise WeightsError(f"synthesis.{block_name} has the {block.attr('architecture')!r} architecture; "
                               f"only {REQUIRED_ARCHITECTURE!r} generators (the StyleGAN2 default) are supported")
        where = f"synthesis.{block_name}.{layer_name}"
        layer = _child(block, layer_name, f"synthesis.{block_name}")
        state.update(_layer_state(layer, prefix, where, kernel))
        clamps.add(layer.attr("conv_clamp"))
        if layer_name != "torgb":
            side = int(layer.attr("resolution"))
            state[f"{prefix}.noise.weight"], state[f"noises.noise_{noise_index}"] = _noise(layer, where, side)
            noise_index += 1
    if len(clamps) > 1:
        raise WeightsError(f"layers clamp at different values {sorted(map(str, clamps))}; not supported")
    clamp = clamps.pop()
    latent_avg = _tensor(mapping, "w_avg", "mapping")
    return state, latent_avg, None if clamp is None else float(clamp)


def ada_generator_from_pickle(content: Any) -> tuple[dict[str, torch.Tensor], torch.Tensor, float | None]:
    """The `G_ema` of a read network pickle (never `G`), converted (see `ada_generator_state`)."""
    if not isinstance(content, dict) or not isinstance(content.get("G_ema"), PersistentRecord):
        keys = ", ".join(sorted(map(str, content))[:6]) if isinstance(content, dict) else type(content).__name__
        raise WeightsError(f"not a network snapshot with a G_ema network (found: {keys})")
    return ada_generator_state(content["G_ema"])
