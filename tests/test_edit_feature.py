"""Feature-tensor edits (FSE Eq. 1) on a tiny random generator in the official layout."""

from __future__ import annotations

import pytest
import torch

from model_factories import tiny_generator
from vidinvert.edit.directions import Direction
from vidinvert.edit.feature_edit import edit_feature, fixed_noise, render_edited

K = 5


@pytest.fixture(scope="module")
def G():
    torch.set_num_threads(1)
    return tiny_generator(seed=3, size=32, style_dim=64)


def one_layer_direction(layer: int, dim: int = 64) -> Direction:
    torch.manual_seed(layer)
    return Direction(torch.randn(1, dim), (layer,), f"layer{layer}", "vidinvert")


def test_feature_depends_on_exactly_the_first_k_latents(G) -> None:
    w = G.sample_w(2, seed=1).unsqueeze(1).repeat(1, G.n_latent, 1)
    base = G.features(w, index=K)
    for layer in range(G.n_latent):
        moved = w.clone()
        moved[:, layer] += 1.0
        changed = not torch.equal(G.features(moved, index=K), base)
        assert changed == (layer < K), layer  # the latents of the styled convolutions before it


def test_correction_skipped_above_k_and_exact_below(G) -> None:
    w = G.sample_w(2, seed=2).unsqueeze(1).repeat(1, G.n_latent, 1)
    F = G.features(w, index=K) + 0.05 * torch.randn(2, *G.feature_shape(K))
    fine = one_layer_direction(K)
    w_fine = w + fine.delta(G.n_latent, G.style_dim)
    assert edit_feature(G, F, w, w_fine, K) is F
    coarse = one_layer_direction(K - 1)
    w_coarse = w + 2.0 * coarse.delta(G.n_latent, G.style_dim)
    corrected = edit_feature(G, F, w, w_coarse, K)
    expected = F + G.features(w_coarse, index=K) - G.features(w, index=K)
    assert torch.allclose(corrected, expected, atol=1e-6)
    assert (corrected - F).abs().max() > 1e-3


def test_render_edited_matches_direct_synthesis_for_a_perfect_feature(G) -> None:
    # With F = G_K(w) the corrected F' is G_K(w'), so G(F', w') must equal G(w').
    w = G.sample_w(2, seed=4).unsqueeze(1).repeat(1, G.n_latent, 1)
    direction = Direction(torch.randn(1, G.style_dim), None, "all", "vidinvert")
    noise = fixed_noise(G, "random", 2, seed=0)
    F = G.features(w, index=K, noise=noise)
    image, w_edited, F_edited = render_edited(G, w, [(direction, 1.5)], F, K, noise)
    assert torch.allclose(image, G.synthesize(w_edited, noise=noise), atol=1e-5)
    assert torch.allclose(F_edited, G.features(w_edited, index=K, noise=noise), atol=1e-5)
    unchanged, w_same, F_same = render_edited(G, w, [(direction, 0.0)], F, K, noise)
    assert torch.equal(w_same, w) and F_same is F
    assert torch.equal(unchanged, G.synthesize(w, noise=noise, feature=F, feature_index=K))


def test_fixed_noise_is_reused(G) -> None:
    noise = fixed_noise(G, "random", 3, seed=5)
    assert len(noise) == G.num_layers and noise[0].shape[0] == 3
    w = G.sample_w(3, seed=6)
    assert torch.equal(G.synthesize(w, noise=noise), G.synthesize(w, noise=noise))
    assert fixed_noise(G, "stored", 3) == "stored"
