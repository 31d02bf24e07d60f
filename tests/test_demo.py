"""The demo clip rendered from a tiny random generator, and `vidinvert demo` end to end with tiny
random files standing in for the bundled model."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from _fixtures_train import one_thread  # noqa: F401  (autouse: one thread on the shared machine)
from _fixtures_video import decode_timed, packets
from model_factories import random_generator

from vidinvert.cli import main
from vidinvert.demo import paths as demo_paths
from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.clip import FACE_FRACTION, MASK_AXES, demo_background, demo_frames
from vidinvert.demo.motion import DRIFT_X, DRIFT_Y, face_centre, mouth_opening
from vidinvert.errors import VideoError, VidinvertError
from vidinvert.models import (
    EncoderConfig,
    build_vidinvert_encoder,
    save_encoder,
    save_generator,
)

SECONDS, FPS, SIZE = 1.2, 10, 96
FRAMES = 12


def small_generator(seed: int = 0):
    """32 px with the 512-wide latents the bundled model has (so a (512,) direction file fits)."""
    return random_generator(32, 512, {4: 32, 8: 32, 16: 16, 32: 8}, seed)


@pytest.fixture(scope="module")
def G():
    return small_generator()


@pytest.fixture(scope="module")
def clip(G, tmp_path_factory) -> Path:
    torch.set_num_threads(1)
    return render_demo_clip(G, tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=SECONDS, fps=FPS, size=SIZE)


def audio_samples(path: Path) -> tuple[int, np.ndarray]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [f.to_ndarray() for f in container.decode(stream)]
        return stream.codec_context.sample_rate, np.concatenate(chunks, axis=1)


def far_from_face(size: int) -> np.ndarray:
    """Pixels outside the mask ellipse at every position the face drifts to, with a margin."""
    y, x = np.mgrid[0:size, 0:size] + 0.5
    side = FACE_FRACTION * size
    dx = np.maximum(np.abs(x - size / 2) - DRIFT_X * size, 0) / (MASK_AXES[0] * side)
    dy = np.maximum(np.abs(y - 0.48 * size) - DRIFT_Y * size, 0) / (MASK_AXES[1] * side)
    return np.hypot(dx, dy) > 1.15


def test_frames_sizes_and_exact_timestamps(clip):
    times, images = decode_timed(clip)
    assert len(times) == FRAMES == round(SECONDS * FPS)
    assert times == [Fraction(i, FPS) for i in range(FRAMES)]
    assert all(image.shape == (SIZE, SIZE, 3) for image in images)


def test_mono_voice_lasts_as_long_as_the_pictures_and_follows_the_mouth(clip):
    with av.open(str(clip)) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac" and audio.codec_context.channels == 1
        assert abs(float(audio.duration * audio.time_base) - SECONDS) <= 1 / FPS
    rate, samples = audio_samples(clip)
    assert rate == 16000 and samples.shape[0] == 1
    assert abs(samples.shape[1] / rate - SECONDS) <= 1 / FPS
    # loud while the mouth is wide open, near silent while it is shut
    window = rate // 50
    starts = np.arange(0, samples.shape[1] - window, window)
    loudness = np.array([np.sqrt(np.mean(samples[0, s:s + window] ** 2)) for s in starts])
    opening = mouth_opening((starts + window / 2) / rate)
    assert loudness[opening > 0.8].mean() > 4 * loudness[opening < 0.05].mean()


def test_background_is_the_designed_gradient_away_from_the_face(clip):
    _, images = decode_timed(clip)
    keep = far_from_face(SIZE)
    assert keep.mean() > 0.25
    expected = demo_background(SIZE).astype(int)
    for image in images:
        error = np.abs(image.astype(int) - expected)[keep]
        assert error.mean() < 1.5 and error.max() <= 8
    top, bottom = images[0][:4].mean(), images[0][-4:].mean()
    assert top - bottom > 40  # graded, lighter at the top


def test_the_face_moves_and_its_noise_stays_fixed(G, clip):
    _, images = decode_timed(clip)
    background = demo_background(SIZE).astype(int)
    for a, b in pairwise(images):
        assert np.abs(a.astype(int) - b).mean() > 0.5
    # the face's position drifts: the centroid of what differs from the background moves
    centres = []
    for image in images:
        weight = np.abs(image.astype(int) - background).sum(-1).astype(float)
        y, x = np.mgrid[0:SIZE, 0:SIZE]
        centres.append(((weight * x).sum() / weight.sum(), (weight * y).sum() / weight.sum()))
    centres = np.array(centres)
    designed = face_centre(np.arange(FRAMES) / FPS, SIZE)
    assert np.ptp(centres[:, 0]) > 1.0
    assert np.corrcoef(centres[:, 0], designed[:, 0])[0, 1] > 0.9
    # rendering is deterministic (stored noise): the same seed gives the same pictures, another seed another face
    again = [r.image for r in demo_frames(G, 3, FPS, SIZE, seed=0)]
    same = [r.image for r in demo_frames(G, 3, FPS, SIZE, seed=0)]
    other = [r.image for r in demo_frames(G, 3, FPS, SIZE, seed=1)]
    assert all(np.array_equal(a, b) for a, b in zip(again, same))
    assert np.abs(again[0].astype(int) - other[0]).mean() > 1


def test_existing_output_is_refused_and_left_untouched(G, tmp_path):
    out = tmp_path / "clip.mp4"
    out.write_bytes(b"precious")
    with pytest.raises(VideoError, match="already exists"):
        render_demo_clip(G, out, seconds=0.2, fps=FPS, size=SIZE)
    assert out.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]
    render_demo_clip(G, out, seconds=0.2, fps=FPS, size=SIZE, overwrite=True)
    assert len(decode_timed(out)[0]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


@pytest.mark.parametrize("output, options, message", [
    ("missing/clip.mp4", {}, "does not exist"),
    ("clip", {}, "no extension"),
    ("clip.webm", {}, "cannot be written"),
    ("clip.mp4", {"size": 95}, "even number"),
    ("clip.mp4", {"seconds": 0.01}, "at least one frame"),
    ("clip.mp4", {"fps": 0}, "--fps"),
])
def test_bad_output_or_options_give_one_line_errors(G, tmp_path, output, options, message):
    with pytest.raises(VidinvertError, match=message) as info:
        render_demo_clip(G, tmp_path / output, **{"seconds": 0.2, "fps": FPS, "size": SIZE, **options})
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> Path:
    """A tiny stand-in for the bundled model: generator, vidinvert encoder, a smile direction."""
    folder = tmp_path_factory.mktemp("demo")
    G = small_generator(seed=3)
    save_generator(G, folder / "generator.pt")
    config = EncoderConfig.for_generator(G, feature_index=3, input_size=64, backbone="iresnet10-quarter")
    save_encoder(build_vidinvert_encoder(config).eval(), folder / "encoder.pt",
                 latent_avg=G.latent_avg.expand(G.n_latent, -1).clone())
    (folder / "directions").mkdir()
    np.save(folder / "directions" / "smile.npy", np.random.RandomState(0).randn(512))
    return folder


@pytest.fixture
def bundled(demo_files, monkeypatch, tmp_path) -> Path:
    """The bundled-model paths pointed at `demo_files`, an empty weights store, a private temp folder."""
    monkeypatch.setattr(demo_paths, "DEMO_DIR", demo_files)
    monkeypatch.setattr(demo_paths, "GENERATOR_FILE", demo_files / "generator.pt")
    monkeypatch.setattr(demo_paths, "ENCODER_FILE", demo_files / "encoder.pt")
    monkeypatch.setattr(demo_paths, "DIRECTIONS_DIR", demo_files / "directions")
    monkeypatch.setenv("VIDINVERT_WEIGHTS", str(tmp_path / "empty-store"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def test_demo_command_renders_and_edits_side_by_side(bundled, tmp_path, capsys):
    out = tmp_path / "out.mp4"
    code = main(["demo", "-o", str(out), "--seconds", "1", "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 0, err
    times, images = decode_timed(out)
    assert times == [Fraction(i, 25) for i in range(25)]
    assert images[0].shape == (256, 512, 3)
    with av.open(str(out)) as container:
        assert len(container.streams.audio) == 1
    assert f"{out}: 25 frames" in err
    # a random-weights face is not found by the landmark detector, so no frame is edited and
    # both halves show the rendered clip
    assert "0 with the face edited" in err
    assert all(np.abs(image[:, :256].astype(int) - image[:, 256:]).mean() < 1 for image in images)
    assert list(bundled.iterdir()) == []  # the rendered clip was a temporary file


def test_demo_command_keeps_the_source_and_its_sound(bundled, tmp_path, capsys):
    out, source = tmp_path / "out.mp4", tmp_path / "source.mp4"
    code = main(["demo", "-o", str(out), "--source", str(source), "--seconds", "0.4", "--no-side-by-side",
                 "--device", "cpu", "-q"])
    assert code == 0, capsys.readouterr().err
    (src_times, src_images), (out_times, out_images) = decode_timed(source), decode_timed(out)
    assert out_times == src_times and len(out_times) == 10
    assert out_images[0].shape == src_images[0].shape == (256, 256, 3)
    assert packets(out, "audio") == packets(source, "audio")


def test_demo_command_without_the_bundled_model_is_one_error_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(demo_paths, "GENERATOR_FILE", tmp_path / "generator.pt")
    monkeypatch.setattr(demo_paths, "ENCODER_FILE", tmp_path / "encoder.pt")
    out = tmp_path / "out.mp4"
    code = main(["demo", "-o", str(out), "--seconds", "1"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("error: the bundled demo model is missing")
    assert not out.exists()



def test_demo_refuses_one_path_for_source_and_output_in_one_line(tmp_path, capsys):
    out = tmp_path / "out.mp4"
    assert main(["demo", "-o", str(out), "--source", str(out)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"error: --source and --output are both {out}; give them different paths"] and not out.exists()


def test_demo_without_an_attribute_says_what_edit_says(tmp_path):
    from vidinvert.demo.run import run_demo

    with pytest.raises(VidinvertError, match=r"^nothing to edit: give --attr NAME\[=STRENGTH\] or --direction FILE$"):
        run_demo(tmp_path / "out.mp4", attr=())
    assert list(tmp_path.iterdir()) == []
