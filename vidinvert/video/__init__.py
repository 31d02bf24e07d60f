"""Video input and output on PyAV: streaming decode, one-pass transcode, probing.

Reading (bounded memory, one frame at a time)::

    from vidinvert.video import open_video
    with open_video("in.mp4", frames="100:200") as video:
        for rec in video:          # FrameRecord: index, pts, time_base, duration, time, image
            rec.image              # (H, W, 3) uint8 RGB, upright (rotation metadata applied)

Probing::

    info = probe("in.mov")         # VideoInfo: streams, duration, rotation, width, height, fps, frames

Transcoding (one demux pass; audio and other streams copied packet for packet)::

    def brighten(records):         # Iterator[FrameRecord] -> Iterator[FrameRecord]
        for rec in records:
            yield rec.with_image(edit(rec.image))

    transcode("in.mp4", "out.mp4", brighten, frames="10:", codec="h264", crf=18, preset="medium")

Guarantees of ``transcode``: every frame keeps its pts (variable frame rate survives) and duration;
frames outside ``frames`` skip ``process``; non-video packets are copied byte for byte and
re-encoded (audio) only when the output container cannot hold their codec; the output is written
to a hidden temporary file beside the target and renamed when complete, removed on any error or
interrupt; an existing output is refused unless ``overwrite=True``; the input is opened read-only;
every unusable input or output raises :class:`vidinvert.errors.VideoError` with a one-line message.
Decoding runs ahead of ``process`` and encoding behind it, each on its own thread with a bounded
hand-off; ``serial=True`` keeps everything on the caller's thread and writes the same bytes.
Codecs: ``h264`` (yuv420p, crf/preset), ``lossless`` (H.264 RGB qp 0), ``ffv1`` (.mkv, up to 16
bits, alpha), ``prores`` (.mov, 10-bit 4:2:2), ``prores4444`` (.mov, alpha), ``dnxhr`` (HQX, 10-bit),
``same`` (the input's family); odd sizes are padded by one pixel for the subsampled codecs (see
``encoding``). Sources deeper than 8 bits keep their depth (``FrameRecord.deep``; ``depth``);
numbered image sequences read and write like videos (``sequence``).
"""

from vidinvert.video.encoding import CODECS, X264_PRESETS, EncodeSettings
from vidinvert.video.probe import DEFAULT_FPS, StreamInfo, VideoInfo, probe
from vidinvert.video.reader import VideoReader
from vidinvert.video.records import FrameRange, FrameRecord, parse_frame_range
from vidinvert.video.sequence_reader import SequenceReader
from vidinvert.video.sources import open_video
from vidinvert.video.transcode import Process, TranscodeResult, transcode

__all__ = [
    "CODECS",
    "DEFAULT_FPS",
    "X264_PRESETS",
    "EncodeSettings",
    "FrameRange",
    "FrameRecord",
    "Process",
    "SequenceReader",
    "StreamInfo",
    "TranscodeResult",
    "VideoInfo",
    "VideoReader",
    "open_video",
    "parse_frame_range",
    "probe",
    "transcode",
]
