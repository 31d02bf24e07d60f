"""Video encoder choices and the encoder that turns FrameRecords back into packets.

Codecs (the ``codec`` keyword / ``--codec`` option):

========== ================================ ============== =========================================
name       encoder, pixel format            containers     use
========== ================================ ============== =========================================
h264       libx264, yuv420p, ``crf``/``preset`` mp4 mov mkv  delivery (default, plays everywhere)
lossless   libx264rgb, rgb24, qp 0            mp4 mov mkv    bit-exact RGB round trip, H.264 4:4:4
ffv1       ffv1, bgr0                         mkv            archival lossless intra-only
prores     prores_ks HQ, yuv422p10le          mov            post-production intermediate
========== ================================ ============== =========================================

Odd sizes: yuv420p needs even width and height and yuv422p an even width; the picture is padded by
one pixel at the right and/or bottom, repeating the last column/row, and a warning says so (the
output is then one pixel larger). The RGB codecs (lossless, ffv1) keep odd sizes exactly.

Colour: the RGB picture is converted with the input's colour matrix and range, and the output stream
is tagged with the input's colour tags, so a pass-through keeps the colours; both conversions round
accurately (`vidinvert.video.pixels`), so an unchanged 4:2:0 frame comes back with the same luma.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from fractions import Fraction

import av
import av.container
import numpy as np

from vidinvert.config import CODEC_NAMES, X264_PRESETS, check_choice, check_crf
from vidinvert.errors import VideoError
from vidinvert.video.pixels import FROM_RGB
from vidinvert.video.reader import ColorInfo
from vidinvert.video.records import FrameRecord

logger = logging.getLogger(__name__)

_AVCOL_SPC_RGB = 0  # FFmpeg's colour-matrix tag of RGB pictures
_AVCOL_RANGE_MPEG = 1  # studio range



@dataclass(frozen=True)
class CodecSpec:
    """How one ``codec`` choice is encoded."""

    encoder: str
    pix_fmt: str
    multiple: tuple[int, int]  # width and height must be multiples of these
    rgb: bool
    limited_range: bool = False  # the codec stores studio-range YUV only


#: How each of `vidinvert.config.CODEC_NAMES` is encoded.
CODECS: dict[str, CodecSpec] = {
    "h264": CodecSpec("libx264", "yuv420p", (2, 2), rgb=False),
    "lossless": CodecSpec("libx264rgb", "rgb24", (1, 1), rgb=True),
    "ffv1": CodecSpec("ffv1", "bgr0", (1, 1), rgb=True),
    "prores": CodecSpec("prores_ks", "yuv422p10le", (2, 1), rgb=False, limited_range=True),
}


@dataclass(frozen=True)
class EncodeSettings:
    """The user's encoding choice: ``codec`` from CODECS; ``crf`` and ``preset`` apply to h264
    (``preset`` also sets the lossless encoder's speed)."""

    codec: str = "h264"
    crf: int = 18
    preset: str = "medium"

    def __post_init__(self) -> None:
        check_choice("--codec", self.codec, CODEC_NAMES)
        check_crf(self.crf)
        check_choice("--preset", self.preset, X264_PRESETS)

    @property
    def spec(self) -> CodecSpec:
        return CODECS[self.codec]

    def encoder_options(self) -> dict[str, str]:
        """Private options passed to the FFmpeg encoder."""
        if self.codec == "h264":
            return {"crf": str(self.crf), "preset": self.preset}
        if self.codec == "lossless":
            return {"qp": "0", "preset": self.preset}
        if self.codec == "ffv1":
            return {"level": "3", "slicecrc": "1"}
        return {"profile": "3", "vendor": "apl0"}


def check_container_holds(output: av.container.OutputContainer, settings: EncodeSettings, name: str) -> None:
    """Raise VideoError when the output format cannot carry the chosen video codec."""
    if settings.spec.encoder not in output.supported_codecs:
        raise VideoError(
            f"codec {settings.codec!r} cannot be written into {name}; use another extension "
            f"(e.g. .mkv for ffv1, .mov for prores)"
        )


def add_video_stream(output: av.container.OutputContainer, settings: EncodeSettings) -> av.video.stream.VideoStream:
    """A new video stream for ``settings``'s encoder, to be set up by :class:`VideoEncoder`."""
    options = settings.encoder_options()
    if output.format.name in FRAME_COUNTED_FORMATS:
        options["bf"] = "0"  # no reordered frames: the container keeps no timestamps to reorder them by
    return output.add_stream(settings.spec.encoder, options=options)


class VideoEncoder:
    """Adds one video stream to an output container and encodes FrameRecords into it.

    Frames keep their own pts (in the input stream's time base), so variable frame rate and the
    start offset survive; each frame's duration is passed on so the last frame lasts as long as it did.
    """

    def __init__(
        self,
        output: av.container.OutputContainer,
        settings: EncodeSettings,
        first: FrameRecord,
        rate: av.Rational | None,
        color: ColorInfo | None,
        sample_aspect_ratio: Fraction | None = None,
        stream: av.video.stream.VideoStream | None = None,
    ) -> None:
        """``stream``: one added earlier by :func:`add_video_stream` (to fix the output's stream
        order before the size is known); by default a new stream is added."""
        spec = settings.spec
        self.output = output
        self.height, self.width = first.image.shape[:2]
        self.padded = (_round_up(self.width, spec.multiple[0]), _round_up(self.height, spec.multiple[1]))
        if self.padded != (self.width, self.height):
            logger.warning(
                "%dx%d cannot be stored as %s; padding to %dx%d by repeating the last column/row "
                "(codec 'lossless' or 'ffv1' keeps odd sizes)",
                self.width, self.height, spec.pix_fmt, *self.padded,
            )
        self.input_time_base = first.time_base
        self.time_base = frame_time_base(output, rate) or first.time_base
        self.stream = stream if stream is not None else add_video_stream(output, settings)
        ctx = self.stream.codec_context
        ctx.width, ctx.height = self.padded
        ctx.pix_fmt = spec.pix_fmt
        ctx.time_base = self.time_base
        self.stream.time_base = self.time_base
        if rate:
            ctx.framerate = rate
        if sample_aspect_ratio:
            ctx.sample_aspect_ratio = sample_aspect_ratio
        self.color = _yuv_color(color, spec)
        if self.color is not None:
            ctx.colorspace = self.color.colorspace
            ctx.color_range = self.color.color_range
            ctx.color_primaries = self.color.color_primaries
            ctx.color_trc = self.color.color_trc
        self.spec = spec
        self.durations: dict[int, int] = {}
        self.last_tick: int | None = None

    def encode(self, record: FrameRecord) -> None:
        """Encode one frame and mux the packets the encoder releases."""
        image = record.image
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"frame {record.index}: expected uint8 (H, W, 3), got {image.dtype} {image.shape}")
        if image.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"frame {record.index} is {image.shape[1]}x{image.shape[0]}, the video is {self.width}x{self.height}"
            )
        pad_w, pad_h = self.padded[0] - self.width, self.padded[1] - self.height
        if pad_w or pad_h:
            image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        if self.color is not None:
            frame = frame.reformat(
                format=self.spec.pix_fmt,
                src_colorspace=self.color.colorspace,
                dst_colorspace=self.color.colorspace,
                dst_color_range=self.color.color_range,
                interpolation=FROM_RGB,
            )
        elif self.spec.pix_fmt != "rgb24":
            frame = frame.reformat(format=self.spec.pix_fmt, interpolation=FROM_RGB)
        frame.pts, duration = self._frame_tick(record.pts), self._ticks(record.duration)
        frame.time_base = self.time_base
        frame.duration = duration
        self.durations[frame.pts] = duration
        self._mux(self.stream.encode(frame))

    def _ticks(self, value: int) -> int:
        """A time in the input's time base, in the output stream's."""
        if self.time_base == self.input_time_base:
            return value
        return round(value * self.input_time_base / self.time_base)

    def _frame_tick(self, pts: int) -> int:
        """A frame's pts in the output stream's time base, after the previous frame's even when a
        coarser (one-frame) time base rounds two input times to one tick."""
        tick = self._ticks(pts)
        if self.last_tick is not None and tick <= self.last_tick:
            tick = self.last_tick + 1
        self.last_tick = tick
        return tick

    def flush(self) -> None:
        """Drain the encoder's delayed frames into the container."""
        self._mux(self.stream.encode(None))

    def _mux(self, packets: list[av.Packet]) -> None:
        # Delayed encoders leave packet durations unset and the muxer would guess them from the
        # average rate; give each packet its own frame's duration (exact last-frame length, VFR).
        for packet in packets:
            duration = self.durations.pop(packet.pts, None)
            if duration:
                packet.duration = duration
        self.output.mux(packets)


#: Containers that count frames instead of storing timestamps: their video time base is one frame.
FRAME_COUNTED_FORMATS = ("avi",)


def frame_time_base(output: av.container.OutputContainer, rate: av.Rational | None) -> Fraction | None:
    """1/fps for a container that counts frames (AVI: a finer time base is declared as its frame
    rate), else None (the input's time base is kept)."""
    if not rate or output.format.name not in FRAME_COUNTED_FORMATS:
        return None
    return 1 / Fraction(rate)


def _yuv_color(color: ColorInfo | None, spec: CodecSpec) -> ColorInfo | None:
    """The colour tags to convert and label YUV output with: the input's when it was YUV, else none
    (the default BT.601 studio range, matching how untagged video is decoded)."""
    if spec.rgb or color is None or color.colorspace == _AVCOL_SPC_RGB:
        return None
    if spec.limited_range:
        return dataclasses.replace(color, color_range=_AVCOL_RANGE_MPEG)
    return color


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple
