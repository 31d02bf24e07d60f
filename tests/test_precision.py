"""Reduced precision: refused on the CPU in a run, and the renderer's autocast path computes the same
faces as float32 up to bfloat16's rounding (checked on the CPU, where autocast to bfloat16 runs)."""

from __future__ import annotations

import pytest
import torch

from vidinvert.errors import VidinvertError
from vidinvert.pipeline.frames import Latents
from vidinvert.pipeline.precision import check_precision
from vidinvert.pipeline.render_stage import Renderer
from vidinvert.demo.model import load_default_models


def test_reduced_precision_needs_cuda() -> None:
    check_precision("fp32", torch.device("cpu"))
    with pytest.raises(VidinvertError, match="needs a CUDA device"):
        check_precision("bf16", torch.device("cpu"))


def test_bf16_renders_the_fp32_faces_up_to_its_rounding() -> None:
    G, _ = load_default_models("cpu")
    w = G.sample_w(4, seed=3).unsqueeze(1).repeat(1, G.n_latent, 1)
    latents = [Latents(row) for row in w]
    full = Renderer(G, None).images(latents)
    half = Renderer(G, None, precision="bf16").images(latents)
    assert half.dtype in (torch.bfloat16, torch.float32)
    error = (half.float() - full).abs()
    # bfloat16 keeps 8 significant bits (relative step 2^-8 = 0.4%); through ~20 layers the image
    # (range [-1, 1]) drifts by a few of those steps: measured mean 0.0055, max 0.069 here; the bounds
    # leave room for other CPUs' kernels while still failing if the arithmetic were broken
    assert error.mean() < 0.02 and error.max() < 0.25
    assert not torch.equal(half.float(), full)  # the autocast path really ran in reduced precision
