"""Decoding ahead and encoding behind on their own threads write the same file as one thread, keep
memory bounded on clips longer than the hand-offs, and fail cleanly from any thread."""

from __future__ import annotations

import _thread
import errno
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _fixtures_threads import no_thread_left_behind, workers  # noqa: F401  (the fixture applies to every test here)
from _fixtures_video import decode_all, packets, write_clip

from vidinvert.errors import VideoError
from vidinvert.stage_timing import StageTimes
from vidinvert.video import FrameRecord, transcode
from vidinvert.video import encoding, reader
from vidinvert.video.transcode import DECODE_AHEAD, ENCODE_BEHIND

LOOKAHEAD = 5




def held_back(records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
    """Holds LOOKAHEAD frames (like a temporal filter) and changes every image, depending on its neighbour."""
    window: list[FrameRecord] = []
    for record in records:
        window.append(record)
        if len(window) > LOOKAHEAD:
            yield _blend(window.pop(0), window[0])
    while window:
        yield _blend(window.pop(0), window[0] if window else None)


def _blend(record: FrameRecord, after: FrameRecord | None) -> FrameRecord:
    image = 255 - record.image
    if after is not None:
        image = (image // 2 + after.image // 2).astype(np.uint8)
    return record.with_image(image)


@pytest.mark.parametrize(
    "clip, codec, frames",
    [
        ("talk_audio.mp4", "lossless", None),  # AAC audio, odd frame rate
        ("single_face.mp4", "lossless", "10:50"),  # MP3 audio, a frame range
        ("face_noface.mov", "h264", None),  # HEVC in, AAC, x264 out
    ],
)
def test_overlapped_file_is_byte_identical_to_serial(shared_data, tmp_path, clip, codec, frames):
    source = shared_data / "videos" / clip
    outputs = {}
    for serial in (True, False):
        out = tmp_path / f"{'serial' if serial else 'overlapped'}{source.suffix}"
        transcode(source, out, held_back, frames=frames, codec=codec, preset="ultrafast", serial=serial)
        outputs[serial] = out
    assert outputs[True].read_bytes() == outputs[False].read_bytes()
    pts, images = decode_all(outputs[False])
    source_pts, _ = decode_all(source)
    assert pts == source_pts
    assert packets(outputs[False], "audio") == packets(source, "audio")
    if codec == "lossless":
        _, serial_images = decode_all(outputs[True])
        assert all(np.array_equal(images[i], serial_images[i]) for i in images)


def test_serial_runs_on_the_callers_thread_and_overlapped_does_not(tmp_path):
    clip = write_clip(tmp_path / "in.mp4", frames=6, audio_codec="aac")
    seen = {}
    for serial in (True, False):
        def where(records):
            for record in records:
                seen.setdefault(serial, set()).add(threading.current_thread().name)
                yield record
        transcode(clip, tmp_path / f"{serial}.mp4", where, preset="ultrafast", serial=serial)
    assert seen[True] == {threading.current_thread().name}
    assert seen[False] == {"vidinvert-process"}


def test_stage_times_of_decode_and_encode(tmp_path):
    clip = write_clip(tmp_path / "in.mp4", frames=12)
    times = StageTimes()
    transcode(clip, tmp_path / "out.mp4", preset="ultrafast", stage_times=times)
    assert {name: stage.items for name, stage in times.stages.items()} == {"decode": 12, "encode": 12}
    assert all(stage.seconds > 0 for stage in times.stages.values())


@pytest.mark.parametrize("slow", ["encode", "process"])
def test_frames_in_flight_stay_bounded_on_a_long_clip(tmp_path, monkeypatch, slow):
    clip = write_clip(tmp_path / "long.mp4", frames=160, width=32, height=32, audio_codec="aac")
    count = {"decoded": 0, "encoded": 0, "most": 0}
    record_frame, encode_frame = reader.VideoReader._record, encoding.VideoEncoder.encode

    def decoded(self, *args):
        count["decoded"] += 1
        return record_frame(self, *args)

    def encoded(self, record):
        if slow == "encode":
            time.sleep(0.002)
        count["most"] = max(count["most"], count["decoded"] - count["encoded"])
        count["encoded"] += 1
        return encode_frame(self, record)

    def process(records):
        for record in held_back(records):
            if slow == "process":
                time.sleep(0.002)
            yield record

    monkeypatch.setattr(reader.VideoReader, "_record", decoded)
    monkeypatch.setattr(encoding.VideoEncoder, "encode", encoded)
    result = transcode(clip, tmp_path / "out.mp4", process, preset="ultrafast")
    assert result.frames == count["encoded"] == 160
    # Decoded and not yet encoded: the decode hand-off, the frame the process stage is pulling, its
    # look-ahead, the frame it is giving out, and the encode hand-off.
    bound = DECODE_AHEAD + 1 + LOOKAHEAD + 1 + ENCODE_BEHIND
    assert count["most"] <= bound
    if slow == "encode":  # both hand-offs fill up behind a slow encoder
        assert count["most"] >= DECODE_AHEAD + ENCODE_BEHIND


def _fails_cleanly(clip: Path, out: Path, error: type[BaseException], match: str | None, process=None, **kwargs) -> None:
    listing = sorted(p.name for p in out.parent.iterdir())
    with pytest.raises(error, match=match) as info:
        transcode(clip, out, process, preset="ultrafast", **kwargs)
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in out.parent.iterdir()) == listing
    assert workers() == []


@pytest.mark.parametrize("serial", [False, True])
def test_error_in_the_process_thread(tmp_path, serial):
    clip = write_clip(tmp_path / "in.mp4", frames=40, audio_codec="aac")

    def bad_frame(records):
        for record in records:
            if record.index == 17:
                raise VideoError(f"frame {record.index} cannot be processed")
            yield record

    _fails_cleanly(clip, tmp_path / "out.mp4", VideoError, "^frame 17 cannot be processed$", bad_frame, serial=serial)


@pytest.mark.parametrize("serial", [False, True])
def test_failing_writer(tmp_path, monkeypatch, serial):
    clip = write_clip(tmp_path / "in.mp4", frames=40, audio_codec="aac")
    calls = [0]
    real_mux = encoding.VideoEncoder._mux

    def disk_full(self, packets):
        calls[0] += 1
        if calls[0] == 12:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_mux(self, packets)

    monkeypatch.setattr(encoding.VideoEncoder, "_mux", disk_full)
    _fails_cleanly(clip, tmp_path / "out.mp4", VideoError, "writing .*out.mp4 failed .*No space left", serial=serial)


def test_corrupt_input_in_the_decode_thread(tmp_path):
    full = write_clip(tmp_path / "full.mp4", frames=40, width=96, height=64, faststart=True)
    data = full.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: int(len(data) * 0.6)])
    full.unlink()
    _fails_cleanly(tmp_path / "cut.mp4", tmp_path / "out.mp4", VideoError, "truncated or corrupt", held_back)


def test_interrupt_stops_every_thread_and_leaves_no_file(tmp_path):
    clip = write_clip(tmp_path / "in.mp4", frames=200, audio_codec="aac")

    def slow(records):
        for record in records:
            time.sleep(0.005)
            yield record

    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        _fails_cleanly(clip, tmp_path / "out.mp4", KeyboardInterrupt, None, slow)
    finally:
        timer.cancel()
