"""NVIDIA stylegan2-ada network pickles: loaded exactly, and never able to run code."""

from __future__ import annotations

import os
import pickle

import pytest
import torch

from _fixtures_ada import AdaGenerator, SynthesisLayer, ToRGBLayer, nvidia_modules, write_snapshot
from vidinvert.cli import main
from vidinvert.errors import WeightsError
from vidinvert.models import load_encoder, load_generator


@pytest.fixture(autouse=True)
def nvidia_code(monkeypatch):
    nvidia_modules(monkeypatch)


def reference_and_loaded(tmp_path, **config):
    ref = AdaGenerator(**config)
    path = tmp_path / "network-snapshot-000100.pkl"
    write_snapshot(path, ref, G=AdaGenerator(**dict(config, seed=9)), marker=tmp_path / "module-source-ran")
    return ref, load_generator(path), path


@pytest.mark.parametrize("config", [dict(), dict(conv_clamp=0.5, lr_multiplier=0.05, num_layers=3)])
def test_snapshot_g_ema_reproduces_nvidia_synthesis_and_mapping(tmp_path, config):
    ref, G, _ = reference_and_loaded(tmp_path, **config)
    assert (G.size, G.n_latent, G.style_dim, G.conv_clamp) == (32, ref.num_ws, 64, config.get("conv_clamp"))
    assert torch.equal(G.latent_avg, ref.mapping.w_avg)  # as stored, not re-estimated
    torch.manual_seed(3)
    z = torch.randn(4, 64)
    want_w = ref.mapping(z)
    # the mapping rescaled to our lr multiplier: float32 rounding of the rescale only
    assert (G.mapping(z) - want_w[:, 0]).abs().max() < 1e-5 * want_w.abs().max()
    ws = want_w + 0.5 * torch.randn(4, ref.num_ws, 64)
    want = ref.synthesis(ws)
    got = G.synthesize(ws, noise="stored")
    # same float32 math in a different order: 1e-4 of the output scale
    assert (got - want).abs().max() < 1e-4 * want.abs().max()
    assert not (tmp_path / "module-source-ran").exists()


def test_conv_clamp_is_applied_where_nvidia_applies_it(tmp_path):
    ref, G, _ = reference_and_loaded(tmp_path, conv_clamp=0.5)
    ws = ref.mapping(torch.randn(2, 64))
    clamped = ref.synthesis(ws)
    for layer in ref.modules():
        if isinstance(layer, (SynthesisLayer, ToRGBLayer)):
            layer.conv_clamp = None
    assert (ref.synthesis(ws) - clamped).abs().max() > 0.1  # the clamp bites on these weights
    assert (G.synthesize(ws) - clamped).abs().max() < 1e-4 * clamped.abs().max()


def test_converted_file_round_trips_through_the_cli(tmp_path):
    _, G, path = reference_and_loaded(tmp_path, conv_clamp=0.5)
    out = tmp_path / "ffhq.pt"
    assert main(["weights", "convert", str(path), str(out)]) == 0
    H = load_generator(out)
    raw = torch.load(out, weights_only=True)
    assert set(raw) == {"g_ema", "latent_avg", "conv_clamp"} and "style.1.weight" in raw["g_ema"]
    w = G.sample_w(2, seed=1)
    assert H.conv_clamp == 0.5 and torch.equal(H.synthesize(w), G.synthesize(w))


class RunsCommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class WritesFile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("payload,global_name", [(RunsCommand, "system"), (WritesFile, "io.open")])
def test_malicious_pickles_are_refused_and_nothing_runs(tmp_path, payload, global_name):
    marker = tmp_path / "pwned"
    alone = tmp_path / "evil.pkl"
    alone.write_bytes(pickle.dumps({"G_ema": payload(marker)}))
    hidden = tmp_path / "snapshot-with-evil.pkl"  # the payload beside a genuine network record
    hidden.write_bytes(pickle.dumps({"training_set_kwargs": payload(marker), "G_ema": AdaGenerator()}))
    for path in (alone, hidden):
        with pytest.raises(WeightsError, match=global_name) as info:
            load_generator(path)
        assert "\n" not in str(info.value) and "nothing was run" in str(info.value)
        assert not marker.exists()


def test_conditional_and_non_skip_networks_are_refused_with_one_line(tmp_path):
    path = tmp_path / "cond.pkl"
    write_snapshot(path, AdaGenerator(c_dim=10))
    with pytest.raises(WeightsError, match=r"conditional network \(c_dim=10\)") as info:
        load_generator(path)
    assert "\n" not in str(info.value)
    resnet = AdaGenerator()
    resnet.synthesis.b16.architecture = "resnet"
    write_snapshot(path, resnet)
    with pytest.raises(WeightsError, match="'resnet' architecture"):
        load_generator(path)


def test_pickles_without_a_generator_or_damaged_are_one_line_errors(tmp_path):
    path = tmp_path / "no-gema.pkl"
    path.write_bytes(pickle.dumps({"G": torch.zeros(2)}))
    with pytest.raises(WeightsError, match="not a network snapshot with a G_ema"):
        load_generator(path)
    write_snapshot(path, AdaGenerator())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="corrupt or truncated") as info:
        load_generator(path)
    assert "\n" not in str(info.value)


def test_a_network_pickle_given_as_an_encoder_is_named_for_what_it_is(tmp_path):
    path = tmp_path / "ffhq.pkl"
    write_snapshot(path, AdaGenerator())
    with pytest.raises(WeightsError, match="NVIDIA network pickle \\(a generator\\), not an encoder"):
        load_encoder(path)
