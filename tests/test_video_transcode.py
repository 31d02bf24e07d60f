"""Pass-through transcodes of the real clips: frames, timestamps, audio bytes, duration, pixels."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from _fixtures_video import VIDEO_CLIPS, decode_all, packets, pattern, psnr, write_clip

from vidinvert.api import load_default_models
from vidinvert.demo.clip import render_demo_clip
from vidinvert.video import FrameRecord, open_video, probe, transcode


def _end_time(path: Path) -> Fraction:
    """End of the last video frame (max pts + its duration), in seconds, from the packets."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        last = max((p for p in container.demux(stream) if p.size), key=lambda p: p.pts)
        return (last.pts + last.duration) * stream.time_base


@pytest.fixture(scope="module", params=VIDEO_CLIPS)
def passed_through(request, shared_data, tmp_path_factory) -> tuple[Path, Path]:
    src = shared_data / "videos" / request.param
    dst = tmp_path_factory.mktemp("pass") / f"out{src.suffix}"
    result = transcode(src, dst, preset="ultrafast")
    assert result.output == dst and result.frames == result.processed
    return src, dst


def test_frame_count_and_every_timestamp_kept(passed_through):
    src, dst = passed_through
    src_info, dst_info = probe(src), probe(dst)
    n = src_info.frames
    sampled = {0, n // 2, n - 1}
    src_pts, src_images = decode_all(src, sampled)
    dst_pts, dst_images = decode_all(dst, sampled)
    assert len(dst_pts) == len(src_pts) == n
    assert [p * src_info.video.time_base for p in src_pts] == [p * dst_info.video.time_base for p in dst_pts]
    for i in sampled:
        assert psnr(src_images[i], dst_images[i]) > 35


def test_audio_packets_byte_identical(passed_through):
    src, dst = passed_through
    src_audio, dst_audio = packets(src, "audio"), packets(dst, "audio")
    assert len(src_audio) > 50
    assert dst_audio == src_audio


def test_duration_kept(passed_through):
    src, dst = passed_through
    frame = 1 / probe(src).fps
    assert abs(_end_time(dst) - _end_time(src)) < frame
    assert abs(probe(dst).duration - probe(src).duration) < frame


def test_frame_range_bypasses_processing(shared_data, tmp_path):
    src = shared_data / "videos" / "single_face.mp4"
    seen: list[int] = []

    def invert(records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
        for rec in records:
            seen.append(rec.index)
            yield rec.with_image(255 - rec.image)

    result = transcode(src, tmp_path / "out.mp4", invert, frames="10:20", preset="ultrafast")
    assert seen == list(range(10, 20)) and result.processed == 10 and result.frames == 72
    _, before = decode_all(src, {0, 9, 10, 19, 20, 71})
    _, after = decode_all(tmp_path / "out.mp4", {0, 9, 10, 19, 20, 71})
    for i in (0, 9, 20, 71):
        assert psnr(after[i], before[i]) > 35
    for i in (10, 19):
        assert psnr(after[i], 255 - before[i]) > 30 and psnr(after[i], before[i]) < 15


def test_processing_may_look_ahead(shared_data, tmp_path):
    """A stage holding 5 frames (like a temporal filter) still gives exact timing and audio."""
    src = shared_data / "videos" / "talk_audio.mp4"
    held: list[int] = []

    def lookahead(records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
        window: deque[FrameRecord] = deque()
        for rec in records:
            window.append(rec)
            held.append(len(window))
            if len(window) > 5:
                yield window.popleft()
        yield from window

    transcode(src, tmp_path / "out.mp4", lookahead, preset="ultrafast")
    assert max(held) == 6
    assert decode_all(tmp_path / "out.mp4", set())[0] == decode_all(src, set())[0]
    assert packets(tmp_path / "out.mp4", "audio") == packets(src, "audio")


def _yuv_planes(path: Path) -> list[np.ndarray]:
    """Every frame's YUV 4:2:0 planes stacked as PyAV gives them ((H * 3/2, W) uint8), no conversion."""
    with av.open(str(path)) as container:
        return [frame.to_ndarray() for frame in container.decode(video=0)]


@pytest.fixture(params=["real", "rendered"])
def yuv420_clip(request, tmp_path) -> Path:
    """A 4:2:0 H.264 clip: a real one from the shared data, or the bundled model's demo clip."""
    if request.param == "real":
        return request.getfixturevalue("shared_data") / "videos" / "single_face.mp4"
    generator, _ = load_default_models("cpu")
    return render_demo_clip(generator, tmp_path / "demo.mp4", seconds=0.4, fps=10, size=128)


def test_decode_and_reencode_keep_the_colours(yuv420_clip, tmp_path):
    # crf 0 is lossless 8-bit H.264, so what differs is only the YUV -> RGB -> YUV conversion. Luma
    # comes back exactly except where an out-of-gamut YUV value was clipped in RGB; 4:2:0 chroma is
    # resampled twice. The coarse default conversion darkened every frame by about one level.
    transcode(yuv420_clip, tmp_path / "out.mp4", crf=0, preset="ultrafast")
    before, after = _yuv_planes(yuv420_clip), _yuv_planes(tmp_path / "out.mp4")
    assert len(before) == len(after)
    luma = before[0].shape[0] * 2 // 3
    difference = np.stack([b.astype(np.int16) - a for a, b in zip(before, after)])
    assert abs(difference.mean()) < 0.05
    assert (difference[:, :luma] == 0).mean() > 0.95
    assert np.abs(difference[:, luma:]).mean() < 0.25


def test_lossless_round_trip_is_exact(shared_data, tmp_path):
    src = shared_data / "videos" / "single_face.mp4"
    transcode(src, tmp_path / "out.mp4", codec="lossless", preset="ultrafast")
    with open_video(src) as a, open_video(tmp_path / "out.mp4") as b:
        pairs = list(zip(a, b, strict=True))
    assert len(pairs) == 72
    assert all(np.array_equal(x.image, y.image) and (x.pts, x.time_base) == (y.pts, y.time_base) for x, y in pairs)


@pytest.mark.parametrize(("codec", "suffix", "exact"), [("ffv1", ".mkv", True), ("prores", ".mov", False), ("lossless", ".mp4", True)])
def test_post_production_codecs(tmp_path, codec, suffix, exact):
    src = write_clip(tmp_path / "in.mp4", frames=6, width=64, height=48)
    dst = tmp_path / f"out{suffix}"
    transcode(src, dst, codec=codec)
    with av.open(str(dst)) as container:
        assert container.streams.video[0].codec_context.name == {"ffv1": "ffv1", "prores": "prores", "lossless": "h264"}[codec]
    with open_video(src) as a, open_video(dst) as b:
        for x, y in zip(a, b, strict=True):
            assert np.array_equal(x.image, y.image) if exact else psnr(x.image, y.image) > 38


def test_odd_size_padded_for_yuv420_and_exact_for_rgb(tmp_path):
    src = write_clip(tmp_path / "odd.mp4", frames=4, width=65, height=47)
    transcode(src, tmp_path / "h264.mp4", preset="ultrafast")
    transcode(src, tmp_path / "rgb.mkv", codec="ffv1")
    assert (probe(tmp_path / "h264.mp4").width, probe(tmp_path / "h264.mp4").height) == (66, 48)
    with open_video(src) as a, open_video(tmp_path / "h264.mp4") as b, open_video(tmp_path / "rgb.mkv") as c:
        for x, y, z in zip(a, b, c, strict=True):
            assert psnr(y.image[:47, :65], x.image) > 35
            assert np.array_equal(y.image[:47, 65], y.image[:47, 64]) or psnr(y.image[:47, 65], y.image[:47, 64]) > 35
            assert np.array_equal(z.image, x.image)


def test_variable_frame_rate_kept(tmp_path):
    times = [0, 40, 50, 130, 135, 300, 340]
    src = write_clip(tmp_path / "vfr.mp4", pts=times)
    dst = tmp_path / "out.mp4"
    transcode(src, dst, preset="ultrafast")
    with open_video(dst) as video:
        assert [round(rec.time * 1000) for rec in video] == times


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_rotation_metadata_honoured(tmp_path, rotation):
    src = write_clip(tmp_path / "rot.mp4", frames=3, width=64, height=48, rotation=rotation)
    info = probe(src)
    assert info.rotation == rotation
    assert (info.width, info.height) == ((48, 64) if rotation % 180 else (64, 48))
    expected = np.rot90(pattern(0, 64, 48), k=rotation // 90)
    with open_video(src) as video:
        first = next(iter(video))
    assert first.image.shape == expected.shape and psnr(first.image, expected) > 40
    transcode(src, tmp_path / "out.mp4", codec="lossless")
    assert probe(tmp_path / "out.mp4").rotation == 0
    with open_video(tmp_path / "out.mp4") as video:
        assert np.array_equal(next(iter(video)).image, first.image)


def test_webm_vp9_opus_input(tmp_path):
    times = [0, 33, 80, 120, 200]
    src = write_clip(tmp_path / "in.webm", pts=times, video_codec="libvpx-vp9", audio_codec="libopus")
    result = transcode(src, tmp_path / "out.mp4", preset="ultrafast")
    assert result.streams == {0: "video", 1: "copy"}
    with open_video(tmp_path / "out.mp4") as video:
        assert [round(rec.time * 1000) for rec in video] == times
    assert [data for _, data in packets(tmp_path / "out.mp4", "audio")] == [data for _, data in packets(src, "audio")]


def test_pixel_aspect_ratio_kept(tmp_path):
    src = write_clip(tmp_path / "anamorphic.mp4", frames=3, sample_aspect_ratio=Fraction(4, 3))
    transcode(src, tmp_path / "out.mp4", preset="ultrafast")
    with av.open(str(src)) as a, av.open(str(tmp_path / "out.mp4")) as b:
        assert a.streams.video[0].sample_aspect_ratio == Fraction(4, 3)
        assert b.streams.video[0].sample_aspect_ratio == Fraction(4, 3)


def test_audio_reencoded_only_when_container_cannot_hold_it(tmp_path):
    src = write_clip(tmp_path / "wma.avi", frames=10, audio_codec="pcm_mulaw")
    result = transcode(src, tmp_path / "out.mp4", preset="ultrafast")
    assert result.streams == {0: "video", 1: "reencode"}
    with av.open(str(tmp_path / "out.mp4")) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        assert abs(float(audio.duration * audio.time_base) - 0.4) < 0.1
    kept = transcode(src, tmp_path / "out.avi", preset="ultrafast")
    assert kept.streams == {0: "video", 1: "copy"}
    assert packets(tmp_path / "out.avi", "audio") == packets(src, "audio")


def test_reader_frame_range_and_records(shared_data):
    src = shared_data / "videos" / "talk_audio.mp4"
    with open_video(src, frames="3:6") as video:
        records = list(video)
    assert [r.index for r in records] == [3, 4, 5]
    all_pts, _ = decode_all(src, set())
    assert [r.pts for r in records] == all_pts[3:6]
    assert all(r.image.shape == (700, 700, 3) and r.image.dtype == np.uint8 for r in records)
    assert records[0].time_base == Fraction(1, 15360)


def test_probe_shared_clip(shared_data):
    info = probe(shared_data / "videos" / "face_noface.mov")
    assert info.video.codec == "hevc" and info.video_index == 1
    assert (info.width, info.height, info.frames, info.rotation) == (960, 540, 169, 0)
    assert [s.type for s in info.streams] == ["audio", "video"]
    assert info.streams[0].codec == "aac" and info.streams[0].sample_rate == 44100
    assert info.duration == pytest.approx(6.42, abs=0.01)
    talk = probe(shared_data / "videos" / "talk_audio.mp4")
    assert talk.fps == Fraction(1350, 61)
