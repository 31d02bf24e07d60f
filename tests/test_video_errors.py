"""Every unusable input or output gives a one-line VideoError, leaves nothing behind, touches no input."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _fixtures_video import write_audio_only, write_clip

from vidinvert.errors import VidinvertError, VideoError
from vidinvert.video import FrameRecord, open_video, probe, transcode


def _snapshot(path: Path) -> tuple[bytes, int] | None:
    return (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else None


def _assert_fails_cleanly(src: Path, out_dir: Path, match: str, **kwargs) -> VidinvertError:
    before = _snapshot(src)
    listing = sorted(p.name for p in out_dir.iterdir()) if out_dir.is_dir() else None
    with pytest.raises(VidinvertError, match=match) as info:
        transcode(src, out_dir / kwargs.pop("name", "out.mp4"), preset="ultrafast", **kwargs)
    message = str(info.value)
    assert "\n" not in message and message
    assert _snapshot(src) == before
    if listing is not None:
        assert sorted(p.name for p in out_dir.iterdir()) == listing
    return info.value


@pytest.fixture
def clip(tmp_path) -> Path:
    return write_clip(tmp_path / "in.mp4", frames=6, audio_codec="aac")


def test_missing_file(tmp_path):
    _assert_fails_cleanly(tmp_path / "nope.mp4", tmp_path, "not found")
    with pytest.raises(VideoError, match="not found"):
        probe(tmp_path / "nope.mp4")


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    _assert_fails_cleanly(tmp_path / "empty.mp4", tmp_path, "empty")


def test_text_file(tmp_path):
    (tmp_path / "notes.mp4").write_text("these are not the frames you are looking for\n" * 20)
    _assert_fails_cleanly(tmp_path / "notes.mp4", tmp_path, "cannot read .* as a video")
    with pytest.raises(VideoError):
        open_video(tmp_path / "notes.mp4")


def test_directory(tmp_path):
    (tmp_path / "clips.mp4").mkdir()
    _assert_fails_cleanly(tmp_path / "clips.mp4", tmp_path, "is a directory")


def test_audio_only(tmp_path):
    src = write_audio_only(tmp_path / "voice.m4a")
    err = _assert_fails_cleanly(src, tmp_path, "no video stream")
    assert "audio" in str(err)
    with pytest.raises(VideoError, match="no video stream"):
        probe(src)


def test_truncated_index_at_end(tmp_path):
    full = write_clip(tmp_path / "full.mp4", frames=40, width=96, height=64, audio_codec="aac")
    data = full.read_bytes()
    assert data.find(b"mdat") < data.find(b"moov")
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    full.unlink()
    _assert_fails_cleanly(tmp_path / "cut.mp4", tmp_path, "cannot read")


def test_truncated_index_at_start(tmp_path):
    full = write_clip(tmp_path / "full.mp4", frames=40, width=96, height=64, faststart=True)
    data = full.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")
    (tmp_path / "cut.mp4").write_bytes(data[: int(len(data) * 0.6)])
    full.unlink()
    _assert_fails_cleanly(tmp_path / "cut.mp4", tmp_path, "truncated or corrupt")


def test_corrupt_packets_are_skipped_with_a_warning(shared_data, tmp_path, caplog):
    data = bytearray((shared_data / "videos" / "single_face.mp4").read_bytes())
    start = data.find(b"mdat") + 4
    rng = np.random.default_rng(0)
    for offset in range(start + 20000, start + 120000, 9000):
        data[offset : offset + 600] = rng.integers(0, 256, 600, dtype="uint8").tobytes()
    src = tmp_path / "damaged.mp4"
    src.write_bytes(bytes(data))
    before = _snapshot(src)
    result = transcode(src, tmp_path / "out.mp4", preset="ultrafast")
    assert _snapshot(src) == before
    assert result.skipped_packets > 0 and "undecodable" in caplog.text
    assert 50 < result.frames < 72 == probe(src).frames
    assert probe(tmp_path / "out.mp4").frames == result.frames


def test_nothing_decodes(tmp_path):
    src = write_clip(tmp_path / "in.mp4", frames=10, width=96, height=64)
    data = bytearray(src.read_bytes())
    start, end = data.find(b"mdat") + 4, data.find(b"moov")
    data[start:end] = bytes(end - start)
    src.write_bytes(bytes(data))
    _assert_fails_cleanly(src, tmp_path, "no video frame could be decoded")


def test_output_is_input(clip, tmp_path, monkeypatch):
    _assert_fails_cleanly(clip, tmp_path, "is the input", name="in.mp4")
    (tmp_path / "link.mp4").symlink_to(clip)
    _assert_fails_cleanly(clip, tmp_path, "is the input", name="link.mp4")
    os.link(clip, tmp_path / "hard.mp4")
    _assert_fails_cleanly(clip, tmp_path, "is the input", name="hard.mp4")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    _assert_fails_cleanly(clip, tmp_path, "is the input", name="sub/../in.mp4")


def test_existing_output_needs_overwrite(clip, tmp_path):
    (tmp_path / "out.mp4").write_bytes(b"keep me")
    _assert_fails_cleanly(clip, tmp_path, "already exists")
    assert (tmp_path / "out.mp4").read_bytes() == b"keep me"
    transcode(clip, tmp_path / "out.mp4", overwrite=True, preset="ultrafast")
    assert probe(tmp_path / "out.mp4").frames == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "out.mp4"]


def test_unwritable_output_directory(clip, tmp_path):
    _assert_fails_cleanly(clip, tmp_path / "missing", "does not exist")
    (tmp_path / "file").write_bytes(b"x")
    _assert_fails_cleanly(clip, tmp_path / "file", "does not exist")
    (tmp_path / "folder.mp4").mkdir()
    _assert_fails_cleanly(clip, tmp_path, "is a directory", name="folder.mp4")


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not stop the root user")
def test_read_only_output_directory(clip, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        _assert_fails_cleanly(clip, locked, "cannot write")
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [("out", {}, "no extension"), ("out.xyz", {}, "cannot write"), ("out.mp4", {"codec": "prores"}, "cannot be written"),
     ("out.mp4", {"codec": "vp9"}, "unknown --codec"), ("out.mp4", {"crf": 99}, "crf"),
     ("out.mp4", {"frames": "9:3"}, "frame range")],
)
def test_bad_output_choices(clip, tmp_path, name, kwargs, match):
    _assert_fails_cleanly(clip, tmp_path, match, name=name, **kwargs)


@pytest.mark.parametrize("error", [KeyboardInterrupt, ValueError])
def test_interrupted_processing_leaves_no_file(clip, tmp_path, error):
    def explode(records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
        for rec in records:
            if rec.index == 3:
                raise error("stop")
            yield rec

    before = _snapshot(clip)
    with pytest.raises(error):
        transcode(clip, tmp_path / "out.mp4", explode, preset="ultrafast")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]
    assert _snapshot(clip) == before


def test_output_appears_only_when_complete(clip, tmp_path):
    seen: list[list[str]] = []

    def look(records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
        for rec in records:
            seen.append(sorted(p.name for p in tmp_path.iterdir()))
            yield rec

    transcode(clip, tmp_path / "out.mp4", look, preset="ultrafast")
    during = seen[-1]
    assert "out.mp4" not in during and len(during) == 2
    temp = next(name for name in during if name != "in.mp4")
    assert temp.startswith(".out.") and temp.endswith(".mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "out.mp4"]
    assert oct((tmp_path / "out.mp4").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_processing_must_return_every_frame(clip, tmp_path):
    def drop_odd(records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
        return (r for r in records if r.index % 2 == 0)

    with pytest.raises(ValueError, match="frame 2 where frame 1 was due"):
        transcode(clip, tmp_path / "out.mp4", drop_odd, preset="ultrafast")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_input_clip_never_touched(tmp_path):
    copy = write_clip(tmp_path / "clip.mp4", frames=6, audio_codec="aac")
    before = _snapshot(copy)
    transcode(copy, tmp_path / "out.mov", frames=":2", preset="ultrafast")
    assert _snapshot(copy) == before
