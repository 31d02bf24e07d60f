"""`vidinvert edit` on a 10-bit master and on image sequences, with no shared data: the bundled model
renders a talking face, PyAV turns it into a 10-bit ProRes master with a timecode and into a 16-bit
PNG sequence, and the real pipeline (detection, inversion, edit, compositing) edits them."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import torch

from _fixtures_post import decode_deep, deep_frames, write_prores, write_sequence
from _fixtures_video import outside_quad
from vidinvert.cli import main
from vidinvert.demo.clip import render_demo_clip
from vidinvert.demo.model import load_default_models
from vidinvert.video import probe

FRAMES = 12


@pytest.fixture(scope="module")
def plates(tmp_path_factory) -> list[np.ndarray]:
    torch.set_num_threads(2)
    G, _ = load_default_models("cpu")
    clip = render_demo_clip(G, tmp_path_factory.mktemp("clip") / "talk.mp4", seconds=FRAMES / 25, fps=25, size=256)
    return deep_frames(clip, FRAMES)


def _edit(source: Path, out: Path, *extra: str) -> tuple[int, np.lib.npyio.NpzFile]:
    latents = out.parent / "latents.npz"
    code = main(["edit", str(source), "--attr", "smile=2", "-o", str(out), "--device", "cpu", "-q",
                 "--save-latents", str(latents), *extra])
    return code, np.load(latents)


def _exact_off_face(source: list, output: list, saved) -> None:
    assert len(output) == len(source) == FRAMES
    changed = 0
    quads = dict(zip(saved["index"].tolist(), saved["quad"]))
    for index, ((a, _), (b, _)) in enumerate(zip(source, output)):
        assert b.dtype == np.uint16
        if index in quads:
            keep = outside_quad(quads[index], a.shape)
            np.testing.assert_array_equal(b[keep], a[keep])  # 16-bit exact away from the face
            changed += not np.array_equal(a, b)
        else:
            np.testing.assert_array_equal(b, a)
    assert changed >= FRAMES - 2


def test_10_bit_prores_master_edits_at_its_depth(plates, tmp_path):
    master = write_prores(tmp_path / "master.mov", plates, fps=25, timecode="10:00:00:00")
    out = tmp_path / "edit.mkv"
    code, saved = _edit(master, out, "--codec", "ffv1")
    assert code == 0
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.pix_fmt == "gbrp16le"
    _exact_off_face(decode_deep(master), decode_deep(out), saved)
    assert probe(out).timecode == "10:00:00:00"


def test_16_bit_png_sequence_edits_into_a_sequence(plates, tmp_path, capsys):
    source = write_sequence(tmp_path / "plates", "shot.%04d.png", plates, start=1001)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, saved = _edit(source, out_dir / "edit.%04d.png", "--fps", "25")
    assert code == 0
    outputs = sorted(out_dir.glob("edit.*.png"))
    assert [p.name for p in outputs] == [f"edit.{n:04d}.png" for n in range(1001, 1001 + FRAMES)]
    _exact_off_face(decode_deep(*sorted((tmp_path / "plates").glob("shot.*.png"))), decode_deep(*outputs), saved)


def test_a_gap_is_one_line_and_nothing_is_written(plates, tmp_path, capsys):
    source = write_sequence(tmp_path / "plates", "shot.%04d.png", plates[:4], start=1)
    (tmp_path / "plates" / "shot.0002.png").unlink()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code = main(["edit", str(source), "--attr", "smile", "-o", str(out_dir / "edit.%04d.png"), "--device", "cpu"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and lines[0].startswith("error: ") and "shot.0002.png" in lines[0]
    assert list(out_dir.iterdir()) == []
