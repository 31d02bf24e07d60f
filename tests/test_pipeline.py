"""The whole pipeline on the shared clips with tiny random models in the official layouts.

Lossless output makes "untouched" exact: every pixel away from the face must equal the decoded
input, and frames without the face must be equal as a whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from _fixtures_enc import encoder_generator, restyle_checkpoint, restyle_encoder
from _fixtures_video import outside_quad, packets, write_clip
from vidinvert.api import edit_video, invert_video
from vidinvert.cli import main
from vidinvert.video import open_video, probe


def decoded(path: Path) -> list:
    with open_video(path) as video:
        return [(r.pts, r.image) for r in video]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    G = encoder_generator()
    E = restyle_encoder("resnet34", progressive=False)
    path = folder / "restyle_psp_ffhq_encode.pt"
    torch.save(restyle_checkpoint(E, "ResNetBackboneEncoder", G), path)
    direction = folder / "smile_boundary.npy"
    np.save(direction, np.random.RandomState(0).randn(1, 512))
    return {"encoder": path, "direction": direction, "folder": folder}


@pytest.fixture(scope="module")
def talk_inverted(shared_data, models, tmp_path_factory):
    out = tmp_path_factory.mktemp("talk") / "inverted.mp4"
    latents = out.with_suffix(".npz")
    summary = invert_video(shared_data / "videos/talk_audio.mp4", out, encoder=models["encoder"], device="cpu",
                           frames="0:8", codec="lossless", save_latents=latents, quiet=True)
    return summary, out, latents


def test_invert_keeps_every_frame_timestamp_and_audio_packet(shared_data, talk_inverted):
    summary, out, _ = talk_inverted
    source = shared_data / "videos/talk_audio.mp4"
    src, dst = decoded(source), decoded(out)
    assert len(dst) == len(src) == 135 == summary.frames
    assert [p for p, _ in dst] == [p for p, _ in src]
    assert packets(out, "audio") == packets(source, "audio")
    assert abs(probe(out).duration - probe(source).duration) < 1 / 22


def test_only_the_face_changes(shared_data, talk_inverted):
    summary, out, latents = talk_inverted
    assert summary.edited == 8 and summary.passed_through == 127
    saved = np.load(latents)
    assert list(saved["index"]) == list(range(8))
    assert saved["wplus"].shape == (8, 8, 512) and saved["quad"].shape == (8, 4, 2)
    assert np.array_equal(saved["edited_wplus"], saved["wplus"])  # invert: nothing changes the latents
    src, dst = decoded(shared_data / "videos/talk_audio.mp4"), decoded(out)
    for i, quad in zip(saved["index"], saved["quad"]):
        before, after = src[i][1], dst[i][1]
        keep = outside_quad(quad, before.shape)
        assert keep.mean() > 0.3
        assert np.array_equal(after[keep], before[keep])
        assert not np.array_equal(after, before)  # the face itself was replaced
    for i in range(8, len(src)):
        assert np.array_equal(dst[i][1], src[i][1])


def test_frames_after_the_face_leaves_are_untouched(shared_data, models, tmp_path):
    source = shared_data / "videos/face_noface.mov"
    out = tmp_path / "out.mov"
    summary = invert_video(source, out, encoder=models["encoder"], device="cpu", frames="64:84",
                           codec="lossless", quiet=True)
    src, dst = decoded(source), decoded(out)
    assert [p for p, _ in dst] == [p for p, _ in src]
    assert 0 < summary.edited < 20
    changed = [i for i in range(len(src)) if not np.array_equal(src[i][1], dst[i][1])]
    assert changed and min(changed) >= 64 and max(changed) < 64 + summary.edited + 1
    assert all(np.array_equal(src[i][1], dst[i][1]) for i in range(80, len(src)))


def test_edit_at_strength_zero_matches_invert(shared_data, models, tmp_path):
    source = shared_data / "videos/single_face.mp4"
    common = dict(encoder=models["encoder"], device="cpu", frames="0:5", codec="lossless", quiet=True)
    invert_video(source, tmp_path / "inv.mp4", **common)
    edit_video(source, tmp_path / "zero.mp4", direction=[models["direction"]], strength="0", render="generated", **common)
    edit_video(source, tmp_path / "strong.mp4", direction=[models["direction"]], strength="8", render="generated",
               **common)
    inv, zero, strong = (decoded(tmp_path / n) for n in ("inv.mp4", "zero.mp4", "strong.mp4"))
    for i in range(5):
        assert np.abs(inv[i][1].astype(int) - zero[i][1]).max() <= 2
        assert np.abs(inv[i][1].astype(int) - strong[i][1]).max() > 10


def test_side_by_side_doubles_the_width(shared_data, models, tmp_path):
    out = tmp_path / "sbs.mp4"
    invert_video(shared_data / "videos/single_face.mp4", out, encoder=models["encoder"], device="cpu",
                 side_by_side=True, steps=1, next_steps=0, quiet=True)
    src, dst = decoded(shared_data / "videos/single_face.mp4"), decoded(out)
    assert len(dst) == len(src)
    assert dst[0][1].shape == (src[0][1].shape[0], 2 * src[0][1].shape[1], 3)


def test_video_without_a_face_is_copied_with_a_warning_or_refused(models, tmp_path, caplog):
    source = write_clip(tmp_path / "noface.mp4", frames=6, width=96, height=64)
    before = source.read_bytes()
    out = tmp_path / "out.mp4"
    summary = invert_video(source, out, encoder=models["encoder"], device="cpu", codec="lossless", quiet=True)
    assert summary.edited == 0 and "no face found" in caplog.text
    assert [p for p, _ in decoded(out)] == [p for p, _ in decoded(source)]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(decoded(out), decoded(source)))
    refused = tmp_path / "refused.mp4"
    code = main(["invert", str(source), "-o", str(refused), "--encoder", str(models["encoder"]),
                 "--require-face", "--quiet", "--device", "cpu"])
    assert code == 1 and not refused.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noface.mp4", "out.mp4"]
    assert source.read_bytes() == before


@pytest.mark.parametrize("case", ["missing", "directory", "text", "same", "exists", "no-edit", "unknown-attr",
                                  "bad-smooth", "bad-frames", "bad-direction", "no-encoder"])
def test_bad_input_gives_one_line_error_and_no_output(case, models, shared_data, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VIDINVERT_WEIGHTS", str(tmp_path / "empty-store"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    video = tmp_path / "in.mp4"
    video.write_bytes((shared_data / "videos/single_face.mp4").read_bytes())
    before = video.read_bytes()
    out = tmp_path / "out.mp4"
    enc = ["--encoder", str(models["encoder"]), "--device", "cpu", "--quiet"]
    edit = ["--direction", str(models["direction"])]
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    bad_direction = tmp_path / "bad.npy"
    np.save(bad_direction, np.zeros((3, 7)))
    args = {
        "missing": ["edit", str(tmp_path / "absent.mp4"), "-o", str(out), *edit, *enc],
        "directory": ["invert", str(tmp_path), "-o", str(out), *enc],
        "text": ["invert", str(text), "-o", str(out), *enc],
        "same": ["invert", str(video), "-o", str(video), *enc],
        "exists": ["invert", str(video), "-o", str(text), *enc],
        "no-edit": ["edit", str(video), "-o", str(out), *enc],
        "unknown-attr": ["edit", str(video), "-o", str(out), "--attr", "nosuchattr", *enc],
        "bad-smooth": ["invert", str(video), "-o", str(out), "--smooth", "lots", *enc],
        "bad-frames": ["invert", str(video), "-o", str(out), "--frames", "ten:twenty", *enc],
        "bad-direction": ["edit", str(video), "-o", str(out), "--direction", str(bad_direction), "--device", "cpu",
                          "--encoder", str(models["encoder"])],
        "no-encoder": ["invert", str(video), "-o", str(out), "--device", "cpu", "--generator", str(models["encoder"])],
    }[case]
    files_before = sorted(p.name for p in tmp_path.iterdir())
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert len([line for line in err if line.startswith(("error:", "Error:"))]) == 1, err
    assert "Traceback" not in "\n".join(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before
    assert video.read_bytes() == before and text.read_text() == "not a video"


def test_probe_reports_streams_and_face_track(shared_data, capsys):
    assert main(["probe", str(shared_data / "videos/face_noface.mov"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "hevc" in out and "aac" in out
    line = next(line for line in out.splitlines() if line.startswith("frames:"))
    total, with_face = (int(x) for x in line.replace(",", "").split()[1:6:4])
    assert total == 169 and 50 < with_face < 100
    assert "face track: 1 segment(s) [0-" in out


def test_a_run_without_an_edit_holds_only_the_look_ahead(shared_data, models, tmp_path):
    # The renderer used to hold every frame until a batch of edited frames filled, so a run with no
    # edit held the whole selection in memory before the first frame came out.
    decoded_at_first_output = []
    pulled = {"decode": 0}

    def observe(name, items):
        for item in items:
            if name == "decode":
                pulled["decode"] += 1
            elif name == "composite" and not decoded_at_first_output:
                decoded_at_first_output.append(pulled["decode"])
            yield item

    invert_video(shared_data / "videos/talk_audio.mp4", tmp_path / "out.mp4", encoder=models["encoder"],
                 device="cpu", frames="0:40", quiet=True, serial=True, observe=observe)
    # crop smoothing looks ceil(3 sigma) = 9 frames ahead at the default sigma 3; nothing else holds frames
    assert decoded_at_first_output == [10]
