"""Post-production masters through the video layer: 10-16-bit sources keep their depth, image
sequences in and out keep their numbering, alpha and timecode survive, and bad sequences fail
cleanly. The masters are made with PyAV from a shared clip; a grey "face" is pasted at the centre
(as the compositing stage pastes a rendered one), so every other pixel must come back exactly."""

from __future__ import annotations

import hashlib
import logging
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from _fixtures_post import (alpha_plane, decode_deep, deep_frames, face_box, outside, paste_grey_face, write_prores,
                            write_sequence)
from vidinvert.cli import main
from vidinvert.errors import VideoError
from vidinvert.video import open_video, probe, transcode

FRAMES = 6


@pytest.fixture(scope="module")
def plates(shared_data) -> list[np.ndarray]:
    return deep_frames(shared_data / "videos" / "single_face.mp4", FRAMES)


@pytest.fixture(scope="module")
def prores10(plates, tmp_path_factory) -> Path:
    return write_prores(tmp_path_factory.mktemp("master") / "master.mov", plates, fps=24, timecode="01:00:10:05",
                        reel="A001")


def _stream(path: Path) -> av.video.stream.VideoStream:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.name, stream.codec_context.pix_fmt, stream.profile


def _off_face_equal(source: list, output: list) -> None:
    assert len(source) == len(output)
    for (a, _), (b, _) in zip(source, output):
        assert a.dtype == b.dtype == np.uint16
        keep = outside(face_box(a.shape)[1])
        np.testing.assert_array_equal(b[keep], a[keep])  # exact at 16 bits away from the face
        assert not np.array_equal(b[~keep], a[~keep])  # and the face did change


def test_prores10_to_ffv1_is_exact_at_16_bits_off_face(prores10, tmp_path):
    out = tmp_path / "out.mkv"
    transcode(prores10, out, paste_grey_face, codec="ffv1")
    assert _stream(out)[1] == "gbrp16le"
    _off_face_equal(decode_deep(prores10), decode_deep(out))


def test_reader_keeps_the_low_bits(prores10):
    with open_video(prores10) as video:
        record = next(iter(video))
    assert record.deep.dtype == np.uint16 and record.image.dtype == np.uint8
    assert (record.deep % 257).any()  # not an 8-bit picture scaled up
    np.testing.assert_array_equal(record.image, np.rint(record.deep / 257.0).astype(np.uint8))


def test_prores10_to_prores_stays_10_bit(prores10, tmp_path, caplog):
    out = tmp_path / "out.mov"
    with caplog.at_level(logging.WARNING):
        transcode(prores10, out, paste_grey_face, codec="prores")
    assert _stream(out)[1:] == ("yuv422p10le", "HQ")
    assert "lowered" not in caplog.text
    # ProRes is lossy: off the face the picture comes back within a few 10-bit levels on average
    # (4:2:2 chroma and the codec's quantiser), far closer than 8 bits (64 x 16-bit units) could.
    for (a, _), (b, _) in zip(decode_deep(prores10), decode_deep(out)):
        keep = outside(face_box(a.shape)[1])
        assert np.abs(b[keep].astype(np.int64) - a[keep]).mean() < 64


def test_codec_same_writes_the_input_family(prores10, tmp_path):
    out = tmp_path / "same.mov"
    transcode(prores10, out, codec="same")
    assert _stream(out) == ("prores", "yuv422p10le", "HQ")


def test_8_bit_codec_warns_it_lowers_the_depth(prores10, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        transcode(prores10, tmp_path / "out.mp4", codec="h264")
    assert "keeps 8 bits: the 10-bit source is lowered" in caplog.text


def test_timecode_and_reel_are_kept(prores10, tmp_path):
    assert probe(prores10).timecode == "01:00:10:05"
    for name, codec in (("tc.mov", "prores"), ("tc.mkv", "ffv1")):
        out = tmp_path / name
        result = transcode(prores10, out, codec=codec)
        info = probe(out)
        assert info.timecode == "01:00:10:05", name
        assert info.reel == "A001" or name.endswith(".mkv")
        assert "drop" not in result.streams.values()


def test_png16_sequence_in_and_out_keeps_numbering_and_exact_pixels(plates, tmp_path):
    source = write_sequence(tmp_path / "plates", "shot.%04d.png", plates, start=1001)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = transcode(source, out_dir / "edit.%04d.png", paste_grey_face, fps=25)
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [f"edit.{n:04d}.png" for n in range(1001, 1001 + FRAMES)]  # nothing hidden left over
    assert result.frames == FRAMES
    src_files = sorted((tmp_path / "plates").glob("shot.*.png"))
    _off_face_equal(decode_deep(*src_files), decode_deep(*sorted(out_dir.glob("edit.*.png"))))


def test_sequence_folder_in_video_out_at_the_given_rate(plates, tmp_path, caplog):
    write_sequence(tmp_path / "plates", "shot.%04d.tif", plates, start=7)
    out = tmp_path / "out.mkv"
    transcode(tmp_path / "plates", out, codec="ffv1", fps="24000/1001")
    info = probe(out)
    assert abs(info.frame_rate - 24000 / 1001) < 1e-3 and info.frames in (None, FRAMES)
    np.testing.assert_array_equal(decode_deep(out)[0][0], plates[0])
    with caplog.at_level(logging.WARNING):
        transcode(tmp_path / "plates", tmp_path / "default.mkv", codec="ffv1")
    assert "using 24 fps" in caplog.text
    assert probe(tmp_path / "plates").start_number == 7


def test_rgba_sequence_keeps_its_alpha(plates, tmp_path):
    alphas = [alpha_plane(p.shape, i) for i, p in enumerate(plates)]
    source = write_sequence(tmp_path / "rgba", "fg.%03d.png", plates, start=1, alphas=alphas)
    for target in (tmp_path / "out" / "fg.%03d.tif", tmp_path / "fg.mkv"):
        target.parent.mkdir(exist_ok=True)
        transcode(source, target, paste_grey_face, codec="ffv1", fps=24)
        files = sorted(target.parent.glob("fg.*.tif")) if "%" in target.name else [target]
        decoded = decode_deep(*files)
        assert len(decoded) == FRAMES
        for (_, alpha), expected in zip(decoded, alphas):
            np.testing.assert_array_equal(alpha, expected)  # untouched, face or not


def test_prores4444_carries_alpha(plates, tmp_path):
    alphas = [alpha_plane(p.shape, i) for i, p in enumerate(plates)]
    source = write_prores(tmp_path / "fg.mov", plates, profile="4", alphas=alphas)
    out = tmp_path / "out.mkv"
    transcode(source, out, codec="ffv1")
    assert _stream(out)[1] == "gbrap16le"
    # ProRes 4444 codes alpha losslessly at the 10 bits it was given, so ffv1 gets it back exactly
    for (_, got), (_, want) in zip(decode_deep(out), decode_deep(source)):
        np.testing.assert_array_equal(got, want)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("damage", ["gap", "size", "unreadable"])
def test_bad_sequence_fails_naming_the_frame_and_writes_nothing(plates, tmp_path, damage):
    source = write_sequence(tmp_path / "plates", "shot.%04d.png", plates, start=1)
    if damage == "gap":
        (tmp_path / "plates" / "shot.0004.png").unlink()
        culprit = "shot.0004.png"
    elif damage == "size":
        write_sequence(tmp_path / "plates", "shot.%04d.png", [plates[0][:-2, :-2]], start=5)
        culprit = "shot.0005.png"
    else:
        (tmp_path / "plates" / "shot.0003.png").write_bytes(b"not a picture")
        culprit = "shot.0003.png"
    before = _digest(tmp_path / "plates")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for target in (out_dir / "edit.%04d.png", out_dir / "edit.mkv"):
        with pytest.raises(VideoError) as failure:
            transcode(source, target, paste_grey_face, codec="ffv1", fps=24)
        assert culprit in str(failure.value) and "\n" not in str(failure.value)
        assert list(out_dir.iterdir()) == []  # no frame, no hidden folder, no partial file
    assert _digest(tmp_path / "plates") == before


def test_video_made_from_a_sequence_keeps_its_first_frame_number(plates, tmp_path):
    source = write_sequence(tmp_path / "plates", "shot.%04d.png", plates, start=1001)
    for name, codec in (("v.mov", "prores"), ("v.mkv", "ffv1"), ("v.mp4", "h264")):
        video = tmp_path / name
        transcode(source, video, codec=codec, fps=24)
        assert probe(video).start_number == 1001, name
        again = tmp_path / f"again.{name}"
        transcode(video, again, codec=codec)  # video to video: still recorded
        assert probe(again).start_number == 1001, name
        out_dir = tmp_path / f"seq_{name}"
        out_dir.mkdir()
        transcode(again, out_dir / "back.%04d.png")
        assert sorted(p.name for p in out_dir.iterdir()) == [f"back.{n:04d}.png" for n in range(1001, 1001 + FRAMES)]


def test_a_video_not_made_from_a_sequence_records_no_frame_number(prores10, tmp_path):
    out = tmp_path / "out.mov"
    transcode(prores10, out, codec="prores")
    assert probe(out).start_number is None
    with av.open(str(out)) as container:
        assert "first_frame_number" not in container.metadata


def test_codec_given_for_a_sequence_output_warns_the_extension_decides(plates, tmp_path, caplog):
    source = write_sequence(tmp_path / "plates", "shot.%04d.png", plates[:2], start=1)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with caplog.at_level(logging.WARNING):
        transcode(source, out_dir / "a.%04d.png", codec="h264", fps=24)
    assert "extension picks" not in caplog.text  # the default codec says nothing
    with caplog.at_level(logging.WARNING):
        transcode(source, out_dir / "b.%04d.png", codec="prores", fps=24)
    warning = next(r.getMessage() for r in caplog.records if "extension picks" in r.getMessage())
    assert "prores" in warning and "b.%04d.png" in warning and "\n" not in warning
    assert _stream(out_dir / "b.0001.png")[0] == "png"


def _probe_lines(path: Path, capsys) -> list[str]:
    assert main(["probe", str(path), "--quiet"]) == 0
    return capsys.readouterr().out.splitlines()


def _bt2020_prores(path: Path, frames: list[np.ndarray]) -> Path:
    """A 10-bit ProRes clip whose frames are tagged BT.2020 / PQ (ProRes is limited range by definition)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("prores_ks", rate=24, options={"profile": "3"})
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv422p10le"
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb48le").reformat(
                format="yuv422p10le", dst_colorspace=9, dst_color_range=1)
            frame.color_primaries, frame.color_trc = 9, 16
            frame.pts, frame.time_base = i, Fraction(1, 24)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_probe_shows_depth_timecode_reel_colour_and_first_frame(plates, prores10, tmp_path, capsys):
    lines = _probe_lines(prores10, capsys)
    assert "depth: 10-bit (yuv422p10le)" in lines
    assert "timecode: 01:00:10:05, reel A001" in lines
    assert not any(line.startswith("first frame number") for line in lines)  # a video file, not numbered frames
    colour = next(line for line in lines if line.startswith("colour: "))
    assert "matrix bt709" in colour and "range tv (limited)" in colour  # as write_prores converted it

    lines = _probe_lines(_bt2020_prores(tmp_path / "hdr.mov", plates[:2]), capsys)
    assert "colour: primaries bt2020, transfer smpte2084 (PQ), matrix bt2020nc, range tv (limited)" in lines
    assert "timecode: none" in lines

    sequence = write_sequence(tmp_path / "plates", "shot.%04d.png", plates[:3], start=86400)
    lines = _probe_lines(sequence, capsys)
    assert "depth: 16-bit (rgb48be)" in lines and "first frame number: 86400" in lines
    transcode(sequence, tmp_path / "from_seq.mkv", codec="ffv1", fps=24)
    lines = _probe_lines(tmp_path / "from_seq.mkv", capsys)
    assert "first frame number: 86400" in lines and "depth: 16-bit (gbrp16le)" in lines
