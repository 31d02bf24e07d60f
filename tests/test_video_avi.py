"""AVI counts frames instead of storing timestamps: a 30 fps input comes out declared as 30 fps,
with as many frames as it had and the first frame where it was, next to its copied audio."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from vidinvert.video import transcode

CLIP = "head_d18.mp4"  # 30 fps, 216 frames from pts 0, AAC audio that starts before 0 (encoder priming)


def _video(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [frame.time for frame in container.decode(stream)]
        return stream.time_base, stream.average_rate, stream.frames, times


@pytest.mark.parametrize("codec", ["ffv1", "h264"])
def test_avi_output_keeps_the_frame_rate_and_the_frame_count(shared_data, tmp_path, codec):
    source = shared_data / "videos" / CLIP
    out = transcode(source, tmp_path / "out.avi", codec=codec, preset="ultrafast").output
    _, _, _, source_times = _video(source)
    time_base, rate, declared, times = _video(out)
    assert time_base == Fraction(1, 30) and rate == 30
    assert declared == len(times) == len(source_times) == 216
    if codec == "ffv1":  # intra-only: every frame is read back at its own time, the first at 0
        assert times == pytest.approx(source_times, abs=1e-9)  # float seconds of exact fractions
