"""The StyleGAN2 generator against the reference semantics, and its file formats."""

from __future__ import annotations

import argparse
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.signal import convolve2d

from model_factories import tiny_generator
from vidinvert.errors import WeightsError
from vidinvert.models import Generator, load_generator, save_generator
from vidinvert.models.generator_file import generator_config
from vidinvert.models.ops import upfirdn2d
from vidinvert.models.stylegan2 import MODCONV_FORMS, official_channels


@pytest.fixture
def G():
    return tiny_generator()


@pytest.fixture
def wplus(G):
    torch.manual_seed(1)
    return G.mapping(torch.randn(3, G.style_dim)).unsqueeze(1).repeat(1, G.n_latent, 1) \
        + 0.3 * torch.randn(3, G.n_latent, G.style_dim)


@pytest.fixture(params=MODCONV_FORMS)
def modconv_mode(request, G):
    G.modconv = request.param
    return request.param


# ----------------------------------------------------------------- reference semantics, per sample

def ref_upfirdn(x: np.ndarray, k: np.ndarray, up: int, pad: tuple[int, int]) -> np.ndarray:
    """Zero-insert, pad, true 2-D convolution (scipy), one channel at a time."""
    h, w = x.shape
    z = np.zeros((h * up, w * up))
    z[::up, ::up] = x
    z = np.pad(z, ((pad[0], pad[1]), (pad[0], pad[1])))
    return convolve2d(z, k, mode="valid")


def ref_modconv(x, weight, s, demod, upsample, blur_kernel):
    """One sample: modulate the (out,in,k,k) weight, demodulate, convolve (transposed when upsampling)."""
    wgt = weight[0] * s[None, :, None, None] / math.sqrt(weight.shape[2] * weight.shape[3] ** 2)
    if demod:
        wgt = wgt / torch.sqrt((wgt ** 2).sum(dim=(1, 2, 3), keepdim=True) + 1e-8)
    if not upsample:
        return F.conv2d(x[None], wgt, padding=weight.shape[3] // 2)[0]
    y = F.conv_transpose2d(x[None], wgt.transpose(0, 1), stride=2)[0].double().numpy()
    k = blur_kernel.double().numpy()
    return torch.from_numpy(np.stack([ref_upfirdn(c, k, 1, (1, 1)) for c in y])).float()


def ref_synthesize(G: Generator, w: torch.Tensor) -> torch.Tensor:
    """The reference forward of the rosinality layout, written per sample with stored noise."""
    sd = G.state_dict()
    noises = [sd[f"noises.noise_{i}"][0, 0] for i in range(G.num_layers)]
    kernel = sd["convs.0.conv.blur.kernel"]
    up_kernel = sd["to_rgbs.0.upsample.kernel"].double().numpy()

    def lin(x, prefix):
        return x @ (sd[prefix + ".weight"] / math.sqrt(x.shape[-1])).t() + sd[prefix + ".bias"]

    def styled(x, prefix, wv, noise, upsample):
        s = lin(wv, prefix + ".conv.modulation")
        y = ref_modconv(x, sd[prefix + ".conv.weight"], s, True, upsample, kernel)
        y = y + sd[prefix + ".noise.weight"] * noise
        return F.leaky_relu(y + sd[prefix + ".activate.bias"][:, None, None], 0.2) * math.sqrt(2)

    def rgb(x, prefix, wv, skip):
        s = lin(wv, prefix + ".conv.modulation")
        y = ref_modconv(x, sd[prefix + ".conv.weight"], s, False, False, kernel) + sd[prefix + ".bias"][0]
        if skip is not None:
            skip = np.stack([ref_upfirdn(c, up_kernel, 2, (2, 1)) for c in skip.double().numpy()])
            y = y + torch.from_numpy(skip).float()
        return y

    out = []
    for wb in w:
        x = sd["input.input"][0]
        x = styled(x, "conv1", wb[0], noises[0], False)
        skip = rgb(x, "to_rgb1", wb[1], None)
        for j in range(len(G.to_rgbs)):
            x = styled(x, f"convs.{2 * j}", wb[2 * j + 1], noises[2 * j + 1], True)
            x = styled(x, f"convs.{2 * j + 1}", wb[2 * j + 2], noises[2 * j + 2], False)
            skip = rgb(x, f"to_rgbs.{j}", wb[2 * j + 3], skip)
        out.append(skip)
    return torch.stack(out)


@pytest.mark.parametrize("grad", [True, False], ids=["autograd", "no_grad"])
def test_synthesis_matches_reference_semantics(G, wplus, modconv_mode, grad):
    # Without autograd the fused activation overwrites the convolution output in place: both paths.
    # 1e-4: float32 sums over up to 9*in_channels products per layer, through every layer.
    with torch.set_grad_enabled(grad):
        assert (G.synthesize(wplus) - ref_synthesize(G, wplus)).abs().max() < 1e-4


def test_outputs_are_plain_contiguous_tensors(G, wplus, modconv_mode):
    # The shared form runs channels-last inside; callers get the usual NCHW layout back.
    with torch.no_grad():
        assert G.synthesize(wplus).is_contiguous()
        assert G.synthesize(wplus, resolution=8).is_contiguous()
        assert G.features(wplus, index=3).is_contiguous()


def test_upfirdn2d_matches_scipy_convolution():
    torch.manual_seed(0)
    x = torch.randn(1, 2, 5, 7)
    k = torch.rand(4, 4)
    for up, pad in [(1, (1, 1)), (2, (2, 1)), (1, (-1, 2))]:
        got = upfirdn2d(x, k, up=up, pad=pad)
        if min(pad) >= 0:
            want = np.stack([ref_upfirdn(c.double().numpy(), k.double().numpy(), up, pad) for c in x[0]])
            assert np.abs(got[0].numpy() - want).max() < 1e-5
        assert got.shape[-1] == (7 * up + pad[0] + pad[1] - 4 + 1)


def test_mapping_pixelnorm_and_truncation(G):
    z = torch.randn(4, G.style_dim)
    assert torch.allclose(G.mapping(z), G.mapping(3.0 * z), atol=1e-5)  # PixelNorm removes scale
    assert torch.allclose(G.mapping(z, truncation=0.0), G.latent_avg.expand(4, -1))
    w = G.mapping(z)
    assert torch.allclose(G.mapping(z, truncation=0.5), G.latent_avg + 0.5 * (w - G.latent_avg), atol=1e-6)


def test_w_input_equals_repeated_wplus(G):
    w = G.sample_w(2, seed=3)
    assert torch.equal(G.synthesize(w), G.synthesize(w.unsqueeze(1).repeat(1, G.n_latent, 1)))


def test_batched_and_per_sample_agree(G, wplus, modconv_mode):
    batched = G.synthesize(wplus)
    single = torch.cat([G.synthesize(wplus[i:i + 1]) for i in range(len(wplus))])
    # Same form at every batch size: only the convolution kernels the CPU library picks per batch
    # size differ (about 2e-5 of the image scale on larger models).
    assert (batched - single).abs().max() < 1e-4


def test_a_latent_renders_the_same_at_any_batch_size():
    G = tiny_generator(size=64)
    torch.manual_seed(2)
    w = G.sample_w(4, seed=4)
    alone = G.synthesize(w[:1])
    for batch in (2, 3, 4):
        # float32 rounding of differently blocked convolutions only (image scale about 1)
        assert (G.synthesize(w[:batch])[0] - alone[0]).abs().max() < 1e-4


def test_grouped_and_shared_forms_agree(G, wplus):
    G.modconv = "grouped"
    a = G.synthesize(wplus)
    G.modconv = "shared"
    assert (a - G.synthesize(wplus)).abs().max() < 1e-5


def test_unsupported_sizes_and_forms_are_one_line_errors():
    with pytest.raises(ValueError, match="supported sizes: 8, 16, 32, 64, 128, 256, 512, 1024"):
        Generator(2048)
    with pytest.raises(ValueError, match="modconv must be one of"):
        Generator(32, modconv="auto")


def test_features_injected_back_reproduce_synthesis_bit_for_bit(G, wplus):
    for index in range(1, G.num_layers + 1):
        feat = G.features(wplus, index=index)
        assert feat.shape[1:] == G.feature_shape(index)
        assert torch.equal(G.synthesize(wplus, feature=feat, feature_index=index), G.synthesize(wplus))


def test_feature_replaces_downstream_but_not_its_own_skip(G, wplus):
    feat = G.features(wplus, index=5) + torch.randn(G.feature_shape(5))
    edited = G.synthesize(wplus, feature=feat, feature_index=5)
    assert not torch.allclose(edited, G.synthesize(wplus))
    # The 16x16 skip image is read from the latents' activation, as FeatureStyleEncoder decodes.
    assert torch.equal(G.synthesize(wplus, feature=feat, feature_index=5, resolution=16),
                       G.synthesize(wplus, resolution=16))
    with pytest.raises(ValueError, match="feature for index 5"):
        G.synthesize(wplus, feature=feat[:, :3], feature_index=5)


def test_intermediate_resolution_preview(G, wplus):
    assert G.synthesize(wplus, resolution=8).shape == (3, 3, 8, 8)
    assert torch.equal(G.synthesize(wplus, resolution=G.size), G.synthesize(wplus))
    with pytest.raises(ValueError):
        G.synthesize(wplus, resolution=12)


def test_noise_modes(G, wplus):
    stored = G.synthesize(wplus, noise="stored")
    assert torch.equal(stored, G.synthesize(wplus, noise="stored"))
    explicit = [getattr(G.noises, f"noise_{i}").clone() for i in range(G.num_layers)]
    assert torch.equal(stored, G.synthesize(wplus, noise=explicit))
    torch.manual_seed(5)
    assert not torch.allclose(stored, G.synthesize(wplus, noise="random"))
    with pytest.raises(ValueError):
        G.synthesize(wplus, noise=explicit[:-1])


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_reduced_precision_autocast_stays_close(G, wplus, dtype):
    want = G.synthesize(wplus)
    with torch.autocast("cpu", dtype=dtype):
        got = G.synthesize(wplus)
    assert torch.isfinite(got).all()
    assert (got.float() - want).abs().mean() < 0.05 * want.abs().mean() + 1e-3


# ----------------------------------------------------------------- files

def test_save_load_round_trip(tmp_path, G, wplus):
    path = save_generator(G, tmp_path / "g.pt")
    ckpt = torch.load(path, weights_only=True)
    assert set(ckpt) == {"g_ema", "latent_avg"} and ckpt["latent_avg"].shape == (G.style_dim,)
    assert set(ckpt["g_ema"]) == set(G.state_dict())
    H = load_generator(path)
    assert torch.equal(H.latent_avg, G.latent_avg)
    assert (H.size, H.n_latent, H.style_dim) == (G.size, G.n_latent, G.style_dim)
    assert torch.equal(H.synthesize(wplus), G.synthesize(wplus))


def test_file_without_kernel_buffers_loads(tmp_path, G, wplus):
    state = {k: v for k, v in G.state_dict().items() if not k.endswith("kernel")}
    assert len(state) == len(G.state_dict()) - 2 * len(G.to_rgbs)
    torch.save({"g_ema": state, "latent_avg": G.latent_avg}, tmp_path / "g.pt")
    assert torch.equal(load_generator(tmp_path / "g.pt").synthesize(wplus), G.synthesize(wplus))


def test_training_checkpoint_uses_g_ema_and_computes_latent_avg(tmp_path, G, wplus):
    other = tiny_generator(seed=7)
    ckpt = {"g": other.state_dict(), "d": {"convs.0.0.weight": torch.zeros(1)}, "g_ema": G.state_dict(),
            "g_optim": {"state": {}, "param_groups": []}, "d_optim": {"state": {}, "param_groups": []},
            "args": argparse.Namespace(size=32, lr=0.002)}
    torch.save(ckpt, tmp_path / "train.pt")
    H = load_generator(tmp_path / "train.pt")
    assert torch.equal(H.synthesize(wplus), G.synthesize(wplus))
    again = load_generator(tmp_path / "train.pt").latent_avg
    assert torch.equal(H.latent_avg, again)  # seeded
    sample_mean = G.mapping(torch.randn(20_000, G.style_dim)).mean(0)
    assert (H.latent_avg - sample_mean).abs().max() < 0.1 * sample_mean.abs().max()


def test_decoder_part_of_encoder_checkpoint(tmp_path, G, wplus):
    state = {f"decoder.{k}": v for k, v in G.state_dict().items()}
    state["encoder.input_layer.0.weight"] = torch.zeros(64, 6, 3, 3)
    ckpt = {"state_dict": state, "opts": {"device": "cuda:0", "encoder_type": "BackboneEncoder"},
            "latent_avg": G.latent_avg.repeat(G.n_latent, 1)}
    torch.save(ckpt, tmp_path / "restyle.pt")
    H = load_generator(tmp_path / "restyle.pt")
    assert torch.equal(H.latent_avg, G.latent_avg)
    assert torch.equal(H.synthesize(wplus), G.synthesize(wplus))


@pytest.mark.parametrize("size,multiplier", [(32, 1), (64, 2), (128, 1), (256, 2), (1024, 2)])
def test_official_sizes_infer_their_configuration(tmp_path, size, multiplier):
    G = Generator(size, channel_multiplier=multiplier)
    assert G.n_latent == 2 * int(math.log2(size)) - 2
    cfg = generator_config(G.state_dict())
    assert cfg["size"] == size and cfg["channel_multiplier"] == multiplier
    assert cfg["channels"] == official_channels(size, multiplier)
    assert cfg["style_dim"] == 512 and cfg["n_mlp"] == 8
    if size == 1024:
        sd = G.state_dict()
        assert sd["convs.14.conv.weight"].shape == (1, 32, 64, 3, 3) and len(G.convs) == 16
        assert sd["noises.noise_16"].shape == (1, 1, 1024, 1024)
        assert G.feature_shape(5) == (512, 16, 16) and G.n_latent == 18
        torch.save({"g_ema": sd, "latent_avg": torch.zeros(512)}, tmp_path / "ffhq.pt")
        H = load_generator(tmp_path / "ffhq.pt")
        w = torch.randn(1, 512)
        assert torch.equal(H.synthesize(w, resolution=32), G.synthesize(w, resolution=32))


def test_bad_files_are_rejected_with_one_line_errors(tmp_path, G):
    cases = {}
    (tmp_path / "text.pt").write_text("not weights")
    cases["text.pt"] = "not a torch checkpoint"
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    cases["module.pt"] = "refusing to run its code"
    save_generator(G, tmp_path / "full.pt")
    data = (tmp_path / "full.pt").read_bytes()
    (tmp_path / "truncated.pt").write_bytes(data[: len(data) // 2])
    cases["truncated.pt"] = "corrupt or truncated"
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    cases["other.pt"] = "not a StyleGAN2 generator"
    state = G.state_dict()
    state["conv1.conv.weight"] = torch.zeros(1, 32, 16, 3, 3)
    torch.save({"g_ema": state}, tmp_path / "shapes.pt")
    cases["shapes.pt"] = "unexpected shapes"
    state = dict(G.state_dict())
    del state["conv1.noise.weight"]
    torch.save({"g_ema": state}, tmp_path / "missing.pt")
    cases["missing.pt"] = "missing"
    (tmp_path / "empty.pt").write_bytes(b"")
    cases["empty.pt"] = "empty"
    cases["absent.pt"] = "not found"
    for name, message in cases.items():
        with pytest.raises(WeightsError, match=message) as info:
            load_generator(tmp_path / name)
        assert "\n" not in str(info.value)
