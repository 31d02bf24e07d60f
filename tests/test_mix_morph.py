"""Style mixing and morphing: the latent arithmetic against the papers' formulas, the mix as a latent
edit of the pipeline (photos and videos), the morph video, and the commands' one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from _fixtures_enc import FSE_TEST_INPUT, encoder_generator, fse_encoder, hyperinverter_checkpoint
from vidinvert.api import mix_images, mix_video, morph_images
from vidinvert.cli import main
from vidinvert.config import RunConfig
from vidinvert.demo.clip import demo_frames, render_demo_clip
from vidinvert.demo.model import load_default_models
from vidinvert.edit.keyframes import parse_keyframes
from vidinvert.edit.mixing import (blend, blend_residuals, ease, mix_layers, mix_wplus, morph_weights,
                                   style_layers)
from vidinvert.errors import VidinvertError
from vidinvert.images import read_rgb
from vidinvert.models import LoadedModels, load_encoder
from vidinvert.pipeline.build import build_pipeline
from vidinvert.pipeline.frames import Latents
from vidinvert.pipeline.morph import blend_latents
from vidinvert.pipeline.photos import PHOTO_FPS, invert_photo, run_photo
from vidinvert.pipeline.style_mix import StyleMix, make_style_mix
from vidinvert.video import open_video, probe

# ----------------------------------------------------------------------------- the seeds' formulas


def test_default_layers_are_e2style_split_scaled_to_the_generator():
    assert style_layers(18) == tuple(range(7, 18))  # E2Style Alg. 3: the last 11 of 18 from the style
    assert style_layers(10) == tuple(range(4, 10))  # the bundled 64 px generator
    assert style_layers(14) == tuple(range(5, 14))
    assert mix_layers(None, 18) == style_layers(18)
    assert mix_layers("0,3-5", 18) == (0, 3, 4, 5)


@pytest.mark.parametrize("spec", ["7-18", "x", "5-2", "-1"])
def test_bad_layers_are_one_line_errors(spec):
    with pytest.raises(VidinvertError, match="layer"):
        mix_layers(spec, 18)


def test_layer_mix_is_e2style_algorithm_3():
    gen = torch.Generator().manual_seed(0)
    content, style = torch.randn(3, 18, 512, generator=gen), torch.randn(3, 18, 512, generator=gen)
    seed = torch.cat([content[:, :7], style[:, 7:]], dim=1)  # the last 11 layers replaced by the style's
    assert torch.equal(mix_wplus(content, style, style_layers(18)), seed)
    one_style = mix_wplus(content, style[0], style_layers(18))  # one style for every content entry
    assert torch.equal(one_style[:, 7:], style[0, 7:].expand(3, -1, -1)) and torch.equal(one_style[:, :7], content[:, :7])


def test_interpolation_is_e2style_algorithm_4_for_every_part():
    gen = torch.Generator().manual_seed(1)
    a, b = torch.randn(2, 18, 512, generator=gen), torch.randn(2, 18, 512, generator=gen)
    for lam in (0.0, 0.2, 0.5, 0.9, 1.0):
        # the same expression in the same order: equal bit for bit
        assert torch.equal(blend(a, b, lam), lam * b + (1 - lam) * a)
    assert torch.equal(blend(a, b, 0.0), a) and torch.equal(blend(a, b, 1.0), b)
    deltas_a = {"convs.0": torch.randn(4, 3, 3, 3, generator=gen), "to_rgb1": torch.randn(3, 4, 1, 1, generator=gen)}
    deltas_b = {name: torch.randn(value.shape, generator=gen) for name, value in deltas_a.items()}
    mixed = blend_residuals(deltas_a, deltas_b, 0.3)  # HyperInverter 4.6: the weights blended like the codes
    assert all(torch.equal(mixed[k], 0.3 * deltas_b[k] + 0.7 * deltas_a[k]) for k in deltas_a)
    with pytest.raises(VidinvertError, match="different generator weights"):
        blend_residuals(deltas_a, {"convs.0": deltas_b["convs.0"]}, 0.5)


def random_latents(gen: torch.Generator, n_latent: int, channels: int, layer: str) -> Latents:
    """Random W+ (n_latent, 512), a feature tensor (channels, 4, 4) and one layer's weight residuals."""
    return Latents(torch.randn(n_latent, 512, generator=gen), torch.randn(channels, 4, 4, generator=gen),
                   {layer: torch.randn(2, 2, 3, 3, generator=gen)})


def test_morph_latents_blend_wplus_feature_and_residuals():
    gen = torch.Generator().manual_seed(2)
    a, b = random_latents(gen, 8, 16, "convs.1"), random_latents(gen, 8, 16, "convs.1")
    mid = blend_latents(a, b, 0.25)
    assert torch.equal(mid.wplus, 0.25 * b.wplus + 0.75 * a.wplus)
    assert torch.equal(mid.feature, 0.25 * b.feature + 0.75 * a.feature)
    assert torch.equal(mid.weight_deltas["convs.1"], 0.25 * b.weight_deltas["convs.1"] + 0.75 * a.weight_deltas["convs.1"])
    with pytest.raises(VidinvertError, match="different encoders"):
        blend_latents(a, Latents(b.wplus), 0.5)


def test_morph_weights_and_eases():
    assert morph_weights(5) == [0.0, 0.25, 0.5, 0.75, 1.0]
    smooth = morph_weights(5, "smooth")
    assert smooth[0] == 0.0 and smooth[-1] == 1.0 and smooth[2] == 0.5 and smooth[1] < 0.25
    # the same smoothstep as the strength keyframes' "smooth" interpolation (float64 both)
    keys = parse_keyframes("0:0,10:1", "smooth", fps=10.0)
    assert [ease(t, "smooth") for t in np.linspace(0, 1, 11)] == pytest.approx(
        list(keys.evaluate(np.linspace(0, 1, 11))), abs=1e-12)
    with pytest.raises(VidinvertError, match="2 frames or more"):
        morph_weights(1)
    with pytest.raises(VidinvertError, match="unknown ease"):
        ease(0.5, "cubic")


def test_style_mix_takes_layers_and_the_chosen_feature_tensor():
    gen = torch.Generator().manual_seed(3)
    content, style = random_latents(gen, 10, 8, "convs.0"), random_latents(gen, 10, 8, "convs.0")
    mixed = make_style_mix(style)(content)
    assert torch.equal(mixed.wplus[:4], content.wplus[:4]) and torch.equal(mixed.wplus[4:], style.wplus[4:])
    assert mixed.feature is content.feature and mixed.weight_deltas is content.weight_deltas
    # FeatureStyleEncoder Fig. 8: G(F_A, w_B) is the content's feature tensor with every style layer
    fse = make_style_mix(style, "0-9", "content")(content)
    assert torch.equal(fse.wplus, style.wplus) and fse.feature is content.feature
    assert torch.equal(make_style_mix(style, "0-9", "style")(content).feature, style.feature)
    with pytest.raises(VidinvertError, match="feature tensor"):
        make_style_mix(Latents(style.wplus), feature_from="style")
    with pytest.raises(VidinvertError, match="feature-from"):
        make_style_mix(style, feature_from="both")


# ----------------------------------------------------------------------------- photos and videos


@pytest.fixture(scope="module")
def bundled() -> LoadedModels:
    return load_default_models("cpu")


@pytest.fixture(scope="module")
def faces(bundled, tmp_path_factory) -> tuple[Path, Path]:
    """Two face photos rendered from the bundled generator (two identities), so the tests need no data."""
    folder = tmp_path_factory.mktemp("faces")
    paths = []
    for seed in (0, 3):
        record = next(demo_frames(bundled.G, 1, 25, 256, seed=seed))
        paths.append(folder / f"face{seed}.png")
        Image.fromarray(record.image).save(paths[-1])
    return paths[0], paths[1]


def test_a_photo_mix_is_a_latent_edit_of_the_pipeline(bundled, faces):
    content, style = faces
    config = RunConfig()
    style_latents = invert_photo(bundled, config, read_rgb(style), style)
    mix = make_style_mix(style_latents)
    with build_pipeline(bundled, config, PHOTO_FPS, mix=mix) as pipeline:
        result = run_photo(pipeline, read_rgb(content), content)
    frame = result.frame
    layers = list(style_layers(bundled.G.n_latent))
    assert torch.equal(frame.edited.wplus[layers], style_latents.wplus[layers])
    assert torch.equal(frame.edited.wplus[:layers[0]], frame.base.wplus[:layers[0]])
    assert torch.equal(frame.edited.feature, frame.base.feature)
    assert result.image.shape == read_rgb(content).shape


def test_mix_images_composites_into_the_content_photo_or_writes_the_crop(bundled, faces, tmp_path):
    content, style = faces
    photo = read_rgb(content)
    out = mix_images(content, style, tmp_path / "mixed.png", models=bundled, render="delta")
    mixed = read_rgb(out)
    assert mixed.shape == photo.shape
    changed = np.abs(mixed.astype(np.int16) - photo).max(axis=2) > 0
    assert changed.any() and not changed[:8].any() and not changed[:, :8].any()  # only inside the face mask
    crop = read_rgb(mix_images(content, style, tmp_path / "crop.png", models=bundled, crop=True))
    assert crop.shape == (bundled.G.size, bundled.G.size, 3)
    from_style = read_rgb(mix_images(content, style, tmp_path / "fs.png", models=bundled, crop=True,
                                     feature_from="style"))
    assert np.abs(from_style.astype(np.int16) - crop).mean() > 1  # the style's pose and shape


def test_mix_real_photos(bundled, shared_data, tmp_path):
    folder = shared_data / "faces" / "celebahq"
    content, style = folder / "ref_female_015248.jpg", folder / "ref_male_012712.jpg"
    out = mix_images(content, style, tmp_path / "real.png", models=bundled, render="delta", feature_from="content")
    mixed, photo = read_rgb(out), read_rgb(content)
    assert mixed.shape == photo.shape and np.abs(mixed.astype(np.int16) - photo).max() > 10


def test_a_video_gets_the_style_on_every_frame_through_the_edit_pipeline(bundled, faces, tmp_path):
    clip = render_demo_clip(bundled.G, tmp_path / "talk.mp4", seconds=0.2, fps=25, size=256)
    style = invert_photo(bundled, RunConfig(), read_rgb(faces[1]), faces[1])
    mix = StyleMix(style, style_layers(bundled.G.n_latent))
    config = RunConfig.from_options(smooth_latents="gaussian:1", render="delta")
    with build_pipeline(bundled, config, 25.0, mix=mix) as pipeline, open_video(clip) as video:
        frames = [f for f in pipeline.faces(video) if f.has_face]
    assert len(frames) == 5
    for frame in frames:  # smoothed over time first, then the style's layers in place
        assert torch.equal(frame.edited.wplus[4:], style.wplus[4:])
        assert torch.equal(frame.edited.wplus[:4], frame.base.wplus[:4])
    assert not torch.equal(frames[1].base.wplus, frames[1].inverted.wplus)
    summary = mix_video(clip, faces[1], tmp_path / "mixed.mp4", models=bundled, render="delta", quiet=True)
    assert summary.frames == 5 and summary.edited == 5


def test_morph_video_has_the_frames_asked_for(bundled, faces, tmp_path):
    out = morph_images(*faces, tmp_path / "morph.mp4", models=bundled, frames=6, ease="smooth", size=96)
    with open_video(out) as video:
        pictures = [record.image for record in video]
    assert len(pictures) == 6 and pictures[0].shape == (96, 96, 3)
    assert probe(out).frames == 6


def test_official_layout_encoders_mix_and_morph(faces, tmp_path):
    """FeatureStyleEncoder (feature tensor) and HyperInverter (weight residuals), random weights."""
    G = encoder_generator()
    fse = LoadedModels(G, _fse(G, tmp_path))
    out = mix_images(*faces, tmp_path / "fse.png", models=fse, crop=True, feature_from="style", layers="0-7")
    assert read_rgb(out).shape == (G.size, G.size, 3)
    torch.save(hyperinverter_checkpoint(G), tmp_path / "hyper_inverter_ffhq.pt")
    hyper = LoadedModels(G, load_encoder(tmp_path / "hyper_inverter_ffhq.pt"))
    a = invert_photo(hyper, RunConfig(), read_rgb(faces[0]), faces[0])
    assert a.weight_deltas is not None
    morph = morph_images(*faces, tmp_path / "hyper.mp4", models=hyper, frames=3)
    assert probe(morph).frames == 3
    with pytest.raises(VidinvertError, match="feature tensor"):
        mix_images(*faces, tmp_path / "no.png", models=hyper, feature_from="content")
    assert not (tmp_path / "no.png").exists()


def _fse(G, tmp_path: Path):
    """The official FeatureStyleEncoder files: its state_dict and the pSp file with the average latent."""
    path, psp = tmp_path / "143_enc.pth", tmp_path / "psp_ffhq_encode.pt"
    torch.save(fse_encoder(n_styles=G.n_latent, seed=1).state_dict(), path)
    torch.save({"state_dict": {}, "opts": {}, "latent_avg": G.latent_avg.expand(G.n_latent, -1).clone()}, psp)
    return load_encoder(path, latent_avg=psp, input_size=FSE_TEST_INPUT)


# ----------------------------------------------------------------------------- the commands' errors


def _fails(capsys, argv: list[str], message: str, output: Path) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code != 0 and len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err and not output.exists()


def test_commands_refuse_bad_input_in_one_line(faces, tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (90, 120, 200)).save(blank)
    out = tmp_path / "out.png"
    _fails(capsys, ["mix", str(blank), str(faces[1]), "-o", str(out)], "no face found in", out)
    _fails(capsys, ["mix", str(faces[0]), str(blank), "-o", str(out)], "no face found in", out)
    _fails(capsys, ["mix", str(faces[0]), str(tmp_path / "missing.jpg"), "-o", str(out)], "does not exist", out)
    _fails(capsys, ["mix", str(faces[0]), str(faces[1]), "-o", str(out), "--layers", "3-12"], "layers 0-9", out)
    _fails(capsys, ["mix", str(faces[0]), str(faces[1]), "-o", str(out), "--layers", "a-b"], "bad layer", out)
    _fails(capsys, ["mix", str(faces[0]), str(faces[1]), "-o", str(tmp_path / "out.txt")], "must be a picture",
           tmp_path / "out.txt")
    video = tmp_path / "morph.mp4"
    _fails(capsys, ["morph", str(faces[0]), str(faces[1]), "-o", str(video), "--frames", "1"], "--frames", video)
    _fails(capsys, ["morph", str(faces[0]), str(tmp_path / "gone.png"), "-o", str(video)], "does not exist", video)
    _fails(capsys, ["morph", str(blank), str(faces[1]), "-o", str(video)], "no face found in", video)


def test_an_existing_output_needs_overwrite(faces, tmp_path, capsys):
    out = tmp_path / "taken.png"
    out.write_bytes(b"keep")
    _fails(capsys, ["mix", str(faces[0]), str(faces[1]), "-o", str(tmp_path / "new.png"), "--frames", "0:2"],
           "apply to videos", tmp_path / "new.png")
    code = main(["mix", str(faces[0]), str(faces[1]), "-o", str(out)])
    assert code != 0 and "--overwrite" in capsys.readouterr().err and out.read_bytes() == b"keep"
    assert main(["mix", str(faces[0]), str(faces[1]), "-o", str(out), "--overwrite", "-q"]) == 0
    assert read_rgb(out).shape == read_rgb(faces[0]).shape
    video = tmp_path / "taken.mp4"
    video.write_bytes(b"keep")
    assert main(["morph", str(faces[0]), str(faces[1]), "-o", str(video)]) != 0
    assert "--overwrite" in capsys.readouterr().err and video.read_bytes() == b"keep"


@pytest.mark.parametrize("command, own", [("mix", {"content", "style", "output", "layers", "feature_from", "crop"}),
                                          ("morph", {"a", "b", "output", "frames", "ease", "fps", "size"}),
                                          ("swap", {"source", "target", "output", "region_scale", "colour_match",
                                                    "render"})])
def test_the_commands_take_run_settings_with_their_config_defaults(command, own):
    from vidinvert.cli import cli
    from vidinvert.config import DEFAULTS, OPTION_GROUP

    parsed = cli.commands[command].make_context(command, ["A", "B", "-o", "OUT"], resilient_parsing=True).params
    settings = DEFAULTS.options()
    for name, value in parsed.items():
        if name in own:
            continue
        assert name in OPTION_GROUP, f"{command} --{name} is neither a run setting nor its own option"
        if name == "smooth":  # the CLI takes text ("3" or "causal"); the config keeps the parsed sigma
            value = float(value)
        assert value == settings[name] or (value in ((), None) and settings[name] in ((), None)), name
