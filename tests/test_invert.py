"""The Inverter and sequence inversion on small generators and official-layout encoders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from _fixtures_enc import encoder_generator, fixed_point_restyle, fse_encoder, restyle_encoder
from vidinvert.errors import VidinvertError
from vidinvert.invert import InversionResult, Inverter, SequenceInverter
from vidinvert.models import Generator


@pytest.fixture(scope="module")
def G():
    return encoder_generator()


@pytest.fixture(scope="module")
def encoders():
    return {
        "fse": fse_encoder(seed=1),
        "restyle-psp": restyle_encoder("resnet34", progressive=False, seed=2),
        "restyle-e4e": restyle_encoder("ir_se50", progressive=True, seed=3),
        "vidinvert": fse_encoder(in_channels=6, seed=4, kind="vidinvert"),
    }


@pytest.fixture(scope="module")
def targets(G):
    """Two generator images (exactly representable targets) and their latents."""
    torch.manual_seed(5)
    w = G.mapping(torch.randn(2, 512)).unsqueeze(1).repeat(1, G.n_latent, 1)
    return w, G.synthesize(w)


def steps_for(E) -> int:
    return 1 if not E.residual else 2


@pytest.mark.parametrize("kind", ["fse", "restyle-psp", "restyle-e4e", "vidinvert"])
def test_every_kind_returns_latents_feature_and_image(G, encoders, targets, kind):
    E = encoders[kind]
    steps = steps_for(E)
    result = Inverter(G, E).invert(targets[1], steps=steps, return_steps=True)
    assert result.wplus.shape == (2, G.n_latent, 512) and result.image.shape == (2, 3, 32, 32)
    has_feature = kind in ("fse", "vidinvert")
    assert (result.feature is not None) == has_feature
    if has_feature:
        assert result.feature.shape == (2, 512, 16, 16)
    assert len(result.steps) == steps + 1
    assert torch.equal(result.steps[-1].wplus, result.wplus)
    assert torch.isfinite(result.image).all()


def test_steps_zero_returns_init_and_cold_start_is_the_average(G, encoders, targets):
    inverter = Inverter(G, encoders["vidinvert"])
    init = inverter.invert(targets[1], steps=1)
    again = inverter.invert(targets[1], steps=0, init=init)
    assert torch.equal(again.wplus, init.wplus) and torch.equal(again.feature, init.feature)
    assert torch.equal(again.image, init.image)
    start = inverter.invert(targets[1], steps=0)
    assert torch.equal(start.wplus, G.latent_avg.expand(2, G.n_latent, -1))
    assert start.feature is None and torch.allclose(start.image, G.synthesize(start.wplus), atol=1e-4)


def test_restyle_update_matches_a_direct_computation(G, encoders, targets):
    E = encoders["restyle-psp"]
    x = targets[1][:1]
    result = Inverter(G, E).invert(x, steps=2, return_steps=True)

    def pool(image):
        return F.interpolate(image, size=(E.input_size, E.input_size), mode="bilinear", align_corners=False)

    with torch.no_grad():
        w = G.latent_avg.expand(1, G.n_latent, -1)
        y = G.synthesize(w, noise="stored")
        for step in result.steps[1:]:
            w = w + E(torch.cat([pool(x), pool(y)], dim=1))[0]
            y = G.synthesize(w, noise="stored")
            assert torch.allclose(step.wplus, w, atol=1e-5)
            assert torch.allclose(step.image, y, atol=1e-5)


def test_fse_single_pass_uses_the_feature_path_and_refuses_more_steps(G, encoders, targets):
    E = encoders["fse"]
    x = targets[1][:1]
    result = Inverter(G, E).invert(x, steps=1)
    with torch.no_grad():
        delta, feature = E(E.prepare(x))
    w = G.latent_avg + delta
    assert torch.allclose(result.wplus, w, atol=1e-5) and torch.allclose(result.feature, feature, atol=1e-5)
    expected = G.synthesize(w, noise="stored", feature=feature, feature_index=5)
    assert torch.allclose(result.image, expected, atol=1e-5)
    assert not torch.allclose(result.image, G.synthesize(w), atol=1e-3)  # the feature tensor matters
    with pytest.raises(VidinvertError, match="3 channels"):
        Inverter(G, E).invert(x, steps=3)


def test_vidinvert_steps_add_residuals_and_replace_the_feature(G, encoders, targets):
    E = encoders["vidinvert"]
    x = targets[1][:1]
    result = Inverter(G, E).invert(x, steps=2, return_steps=True)
    first, second = result.steps[1], result.steps[2]
    with torch.no_grad():
        delta, feature = E(torch.cat([E.prepare(x), E.prepare(first.image)], dim=1))
    assert torch.allclose(second.wplus, first.wplus + delta, atol=1e-5)
    assert torch.allclose(second.feature, feature, atol=1e-5)
    assert torch.allclose(second.image, G.synthesize(second.wplus, feature=feature, feature_index=5), atol=1e-5)


@pytest.mark.parametrize("kind", ["restyle-psp", "vidinvert"])
def test_batch_equals_one_by_one(G, encoders, targets, kind):
    inverter = Inverter(G, encoders[kind])
    batch = inverter.invert(targets[1], steps=2)
    for i in range(2):
        single = inverter.invert(targets[1][i : i + 1], steps=2)
        assert torch.allclose(batch.wplus[i], single.wplus[0], atol=1e-4)
        assert torch.allclose(batch.image[i], single.image[0], atol=1e-4)
        if batch.feature is not None:
            assert torch.allclose(batch.feature[i], single.feature[0], atol=1e-4)


def test_warm_start_on_identical_frames_does_not_drift(G, targets):
    E = fixed_point_restyle()
    w, images = targets
    x = images[:1]
    inverter = Inverter(G, E)
    with torch.no_grad():  # the encoder does react to a reconstruction that differs from the target
        assert E(torch.cat([E.prepare(x), E.prepare(images[1:])], dim=1))[0].abs().max() > 1e-2
    sequence = SequenceInverter(inverter, first_steps=3, next_steps=2)
    sequence.reset(InversionResult(w[:1], None, x))
    for frame in sequence.run([x, x, x]):
        assert not frame.cold.any()
        # The reconstruction matches the target only to float32 rounding (about 3e-6 of the image
        # scale), and this encoder amplifies that residue: a few 1e-7 of |w| (about 5) per warm
        # step. A real drift moves w by the encoder's response to a visible difference (> 1e-2).
        assert torch.allclose(frame.result.wplus, w[:1], atol=1e-5)
        assert float(frame.error[0]) < 1e-10


def test_cut_restarts_cold_only_for_the_sequence_that_cut(G, targets):
    E = fixed_point_restyle()
    w, images = targets
    a, b = images[:1], images[1:]
    inverter = Inverter(G, E)
    sequence = SequenceInverter(inverter, first_steps=2, next_steps=1)
    # two sequences side by side: the first stays on face A, the second cuts from A to B
    sequence.reset(InversionResult(w[[0, 0]], None, images[[0, 0]]))
    frames = [torch.cat([a, a]), torch.cat([a, a]), torch.cat([a, b])]
    out = list(sequence.run(frames))
    assert [f.restarted.tolist() for f in out] == [[False, False], [False, False], [False, True]]
    cold = inverter.invert(b, steps=2)
    assert torch.allclose(out[2].result.wplus[1], cold.wplus[0], atol=1e-4)
    assert torch.allclose(out[2].result.wplus[0], w[0], atol=1e-6)


def test_first_frame_starts_cold_and_force_cold_restarts(G, encoders, targets):
    inverter = Inverter(G, encoders["vidinvert"])
    sequence = SequenceInverter(inverter, first_steps=1, next_steps=1)
    first = sequence.step(targets[1])
    assert first.cold.all() and not first.restarted.any()
    assert torch.allclose(first.result.wplus, inverter.invert(targets[1], steps=1).wplus, atol=1e-5)
    again = sequence.step(targets[1], force_cold=torch.tensor([True, False]))
    assert again.cold.tolist() == [True, False]
    assert torch.allclose(again.result.wplus[0], first.result.wplus[0], atol=1e-4)


def test_real_face_inverts_at_full_resolution(G, encoders, shared_data):
    path = sorted((shared_data / "faces" / "celebahq").glob("*.jpg"))[0]
    face = np.array(Image.open(path).convert("RGB"))
    x = torch.from_numpy(face).permute(2, 0, 1)[None].float() / 127.5 - 1
    for kind in ("fse", "restyle-psp"):
        E = encoders[kind]
        result = Inverter(G, E).invert(x, steps=1)
        assert result.image.shape == (1, 3, 32, 32) and torch.isfinite(result.wplus).all()
        assert E.prepare(x).shape == (1, 3, E.input_size, E.input_size)


def test_mismatched_models_and_inputs_are_user_errors(G, encoders):
    other = Generator(64, style_dim=512, n_mlp=1, channels={4: 8, 8: 8, 16: 8, 32: 8, 64: 8})
    with pytest.raises(VidinvertError, match="predicts 8 latents"):
        Inverter(other, encoders["restyle-psp"])
    with pytest.raises(VidinvertError, match=r"\(B,3,H,W\)"):
        Inverter(G, encoders["restyle-psp"]).invert(torch.zeros(3, 32, 32))
    with pytest.raises(VidinvertError, match="one pass"):
        SequenceInverter(Inverter(G, encoders["fse"]), first_steps=5, next_steps=1)


def test_one_pass_encoder_inverts_each_frame_on_its_own(G, encoders, targets):
    inverter = Inverter(G, encoders["fse"])
    sequence = SequenceInverter(inverter, first_steps=1, next_steps=1)
    frames = [targets[1][:1], targets[1][1:]]
    for frame, x in zip(sequence.run(frames), frames):
        assert not frame.cold.any() and not frame.restarted.any()
        assert torch.allclose(frame.result.wplus, inverter.invert(x, steps=1).wplus, atol=1e-5)


def test_intermediate_steps_can_stop_at_a_smaller_skip_image(G, encoders, targets):
    E = encoders["restyle-psp"]
    x = targets[1][:1]
    result = Inverter(G, E, intermediate_resolution=16).invert(x, steps=2, return_steps=True)
    assert result.steps[1].image.shape[-1] == 16 and result.image.shape[-1] == 32
    with torch.no_grad():
        delta, _ = E(torch.cat([E.prepare(x), E.prepare(G.synthesize(result.steps[1].wplus, resolution=16))], dim=1))
    assert torch.allclose(result.wplus, result.steps[1].wplus + delta, atol=1e-5)
    with pytest.raises(VidinvertError, match="power of two"):
        Inverter(G, E, intermediate_resolution=48)


class DriftingInverter:
    """Stands in for an Inverter whose warm steps make the reconstruction 10% worse every frame
    (w[...,0] counts the warm steps since the last cold start; the error is 0.01 * 1.1 ** count)."""

    class E:
        residual = True

    def invert(self, x, steps, init=None):
        w = torch.zeros(len(x), 1, 1) if init is None else init.wplus + 1
        return InversionResult(w, None, x)

    def reconstruction_error(self, x, result):
        return 0.01 * 1.1 ** result.wplus[:, 0, 0]


def test_slow_drift_that_the_running_baseline_follows_still_restarts_cold():
    sequence = SequenceInverter(DriftingInverter(), first_steps=1, next_steps=1)
    x = torch.zeros(1, 3, 4, 4)
    frames = [sequence.step(x) for _ in range(20)]
    restarts = [i for i, f in enumerate(frames) if f.restarted.any()]
    # 1.1 ** 8 > 2: the eighth warm frame is twice as bad as the cold start; each stays within
    # 1.2x of the running average of the frames before, so only the cold-start reference sees it.
    assert restarts == [8, 16]
    assert max(float(f.error) for f in frames) < 0.01 * 2.2


class BlowingUpInverter(DriftingInverter):
    """Warm steps return NaN latents and images from the third warm frame on."""

    def invert(self, x, steps, init=None):
        result = super().invert(x, steps, init)
        if init is not None and float(result.wplus[0, 0, 0]) >= 3:
            return InversionResult(result.wplus, None, torch.full_like(x, float("nan")))
        return result

    def reconstruction_error(self, x, result):
        return (result.image - x).pow(2).flatten(1).mean(1) + 0.01


def test_a_warm_chain_that_blows_up_to_nan_restarts_cold():
    sequence = SequenceInverter(BlowingUpInverter(), first_steps=1, next_steps=1)
    x = torch.zeros(1, 3, 4, 4)
    frames = [sequence.step(x) for _ in range(8)]
    assert [i for i, f in enumerate(frames) if f.restarted.any()] == [3, 6]
    assert all(torch.isfinite(f.result.image).all() for f in frames)
