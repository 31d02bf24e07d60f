"""Video encoder choices and the encoder that turns FrameRecords back into packets.

Codecs (the ``codec`` keyword / ``--codec`` option) and the depth each keeps:

========== ================================== ============ ============================================
name       encoder, pixel format              containers   depth kept
========== ================================== ============ ============================================
h264       libx264, yuv420p, ``crf``/``preset`` mp4 mov mkv  8 bits (delivery: plays everywhere)
lossless   libx264rgb, rgb24, qp 0              mp4 mov mkv  8 bits, bit-exact RGB
ffv1       ffv1, bgr0/bgra, gbrp16le/gbrap16le  mkv          8 or 16 bits RGB, lossless, alpha
prores     prores_ks 422 HQ, yuv422p10le        mov          10 bits 4:2:2
prores4444 prores_ks 4444, yuv(a)444p10le       mov          10-bit samples (12-bit 4444 stream), alpha
dnxhr      dnxhd DNxHR HQX, yuv422p10le         mov mxf      10 bits 4:2:2
same       the input's codec family and profile where the container holds it, else h264
========== ================================== ============ ============================================

A source deeper than the codec keeps (or with an alpha plane it cannot store) is lowered with a
warning that names the codecs that keep it. Float sources go to 16-bit integer samples (clipped to
[0, 1]) in every video codec; image sequences (EXR) keep float (`vidinvert.video.sequence`).

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
from vidinvert.errors import VidinvertError, VideoError
from vidinvert.video.depth import Depth, decode_format, format_depth
from vidinvert.video.pixels import FROM_RGB
from vidinvert.video.reader import ColorInfo
from vidinvert.video.records import FrameRecord

logger = logging.getLogger(__name__)

_AVCOL_SPC_RGB = 0  # FFmpeg's colour-matrix tag of RGB pictures
_AVCOL_RANGE_MPEG = 1  # studio range



@dataclass(frozen=True)
class CodecSpec:
    """How one ``codec`` choice is encoded: ``pix_fmt`` for 8-bit sources; ``alpha_fmt`` for 8-bit
    sources with alpha, ``deep_fmt``/``deep_alpha_fmt`` for deeper ones (None: as without)."""

    encoder: str
    pix_fmt: str
    multiple: tuple[int, int]  # width and height must be multiples of these
    rgb: bool
    limited_range: bool = False  # the codec stores studio-range YUV only
    options: tuple[tuple[str, str], ...] = ()
    alpha_fmt: str | None = None
    deep_fmt: str | None = None
    deep_alpha_fmt: str | None = None

    def format_for(self, depth: Depth) -> str:
        """The pixel format a source of ``depth`` is stored in."""
        if depth.deep:
            plain = self.deep_fmt or self.pix_fmt
            return (self.deep_alpha_fmt or plain) if depth.alpha else plain
        return (self.alpha_fmt or self.pix_fmt) if depth.alpha else self.pix_fmt


_PRORES = (("vendor", "apl0"),)

#: How each of `vidinvert.config.CODEC_NAMES` is encoded.
CODECS: dict[str, CodecSpec] = {
    "h264": CodecSpec("libx264", "yuv420p", (2, 2), rgb=False),
    "lossless": CodecSpec("libx264rgb", "rgb24", (1, 1), rgb=True),
    "ffv1": CodecSpec("ffv1", "bgr0", (1, 1), rgb=True, options=(("level", "3"), ("slicecrc", "1")),
                      alpha_fmt="bgra", deep_fmt="gbrp16le", deep_alpha_fmt="gbrap16le"),
    "prores": CodecSpec("prores_ks", "yuv422p10le", (2, 1), rgb=False, limited_range=True,
                        options=(("profile", "3"),) + _PRORES),
    "prores4444": CodecSpec("prores_ks", "yuv444p10le", (1, 1), rgb=False, limited_range=True,
                            options=(("profile", "4"),) + _PRORES, alpha_fmt="yuva444p10le"),
    "dnxhr": CodecSpec("dnxhd", "yuv422p10le", (2, 1), rgb=False, limited_range=True,
                       options=(("profile", "dnxhr_hqx"),)),
}

#: Image-sequence encoders by codec name (the output's extension chooses; `vidinvert.video.sequence`).
IMAGE_SPECS: dict[str, CodecSpec] = {
    "png": CodecSpec("png", "rgb24", (1, 1), rgb=True, alpha_fmt="rgba", deep_fmt="rgb48be", deep_alpha_fmt="rgba64be"),
    "tiff": CodecSpec("tiff", "rgb24", (1, 1), rgb=True, alpha_fmt="rgba", deep_fmt="rgb48le",
                      deep_alpha_fmt="rgba64le"),
    "dpx": CodecSpec("dpx", "rgb24", (1, 1), rgb=True, alpha_fmt="rgba", deep_fmt="rgb48le", deep_alpha_fmt="rgba64le"),
    "exr": CodecSpec("exr", "gbrpf32le", (1, 1), rgb=True, alpha_fmt="gbrapf32le"),
}

#: ``--codec same``: the input's decoder (and profile) -> the codec that writes that family.
SAME_FAMILY = {"prores": "prores", "dnxhd": "dnxhr", "ffv1": "ffv1", "h264": "h264"}
_PRORES_4444_PROFILES = {"4444", "4444XQ"}


def same_codec(decoder: str | None, profile: str | None) -> str:
    """The codec ``--codec same`` writes for an input stream decoded by ``decoder``: its family
    (ProRes 4444 stays 4444), h264 where no codec here writes that family."""
    name = SAME_FAMILY.get(decoder or "", "h264")
    if name == "prores" and (profile or "") in _PRORES_4444_PROFILES:
        return "prores4444"
    return name


@dataclass(frozen=True)
class EncodeSettings:
    """The user's encoding choice: ``codec`` from CODECS (or "same", resolved against the input by
    :meth:`resolved`); ``crf`` and ``preset`` apply to h264 (``preset`` also sets the lossless
    encoder's speed)."""

    codec: str = "h264"
    crf: int = 18
    preset: str = "medium"

    def __post_init__(self) -> None:
        check_choice("--codec", self.codec, CODEC_NAMES)
        if self.codec in CODECS and CODECS[self.codec].encoder not in av.codecs_available:
            raise VidinvertError(f"codec {self.codec!r} is not available: this libavcodec has no "
                                 f"{CODECS[self.codec].encoder} encoder")
        check_crf(self.crf)
        check_choice("--preset", self.preset, X264_PRESETS)

    def resolved(self, decoder: str | None, profile: str | None,
                 output: av.container.OutputContainer) -> EncodeSettings:
        """These settings with "same" replaced by the input's family when ``output`` holds it
        (else h264); other codecs as they are."""
        if self.codec != "same":
            return self
        name = same_codec(decoder, profile)
        if CODECS[name].encoder not in output.supported_codecs:
            logger.warning("codec same: %s cannot hold %s; writing h264", output.format.name, name)
            name = "h264"
        return dataclasses.replace(self, codec=name)

    @property
    def spec(self) -> CodecSpec:
        return CODECS[self.codec]

    def encoder_options(self) -> dict[str, str]:
        """Private options passed to the FFmpeg encoder."""
        if self.codec == "h264":
            return {"crf": str(self.crf), "preset": self.preset}
        if self.codec == "lossless":
            return {"qp": "0", "preset": self.preset}
        return dict(self.spec.options)


def check_container_holds(output: av.container.OutputContainer, settings: EncodeSettings, name: str) -> None:
    """Raise VideoError when the output format cannot carry the chosen video codec."""
    if settings.spec.encoder not in output.supported_codecs:
        raise VideoError(
            f"codec {settings.codec!r} cannot be written into {name}; use another extension "
            f"(e.g. .mkv for ffv1, .mov for prores, prores4444 and dnxhr)"
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
        depth: Depth = Depth(8),
    ) -> None:
        """``stream``: one added earlier by :func:`add_video_stream` (to fix the output's stream
        order before the size is known); by default a new stream is added. ``depth``: the source's,
        kept where the codec holds it (a warning says what is lowered)."""
        spec = settings.spec
        self.pix_fmt = spec.format_for(depth)
        self.kept = format_depth(self.pix_fmt)
        warn_lowered(depth, self.kept, settings.codec)
        self.output = output
        self.height, self.width = first.image.shape[:2]
        self.padded = (_round_up(self.width, spec.multiple[0]), _round_up(self.height, spec.multiple[1]))
        if self.padded != (self.width, self.height):
            logger.warning(
                "%dx%d cannot be stored as %s; padding to %dx%d by repeating the last column/row "
                "(codec 'lossless' or 'ffv1' keeps odd sizes)",
                self.width, self.height, self.pix_fmt, *self.padded,
            )
        self.input_time_base = first.time_base
        self.time_base = frame_time_base(output, rate) or first.time_base
        self.stream = stream if stream is not None else add_video_stream(output, settings)
        ctx = self.stream.codec_context
        ctx.width, ctx.height = self.padded
        ctx.pix_fmt = self.pix_fmt
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
        elif color is not None and depth.deep:  # RGB storage of a post source keeps its primaries and curve
            ctx.color_primaries = color.color_primaries
            ctx.color_trc = color.color_trc
        self.spec = spec
        self.durations: dict[int, int] = {}
        self.last_tick: int | None = None

    def encode(self, record: FrameRecord) -> None:
        """Encode one frame and mux the packets the encoder releases."""
        frame = self.av_frame(record)
        if self.color is not None:
            frame = frame.reformat(
                format=self.pix_fmt,
                src_colorspace=self.color.colorspace,
                dst_colorspace=self.color.colorspace,
                dst_color_range=self.color.color_range,
                interpolation=FROM_RGB,
            )
        elif self.pix_fmt != frame.format.name:
            frame = frame.reformat(format=self.pix_fmt, interpolation=FROM_RGB)
        frame.pts, duration = self._frame_tick(record.pts), self._ticks(record.duration)
        frame.time_base = self.time_base
        frame.duration = duration
        self.durations[frame.pts] = duration
        self._mux(self.stream.encode(frame))

    def av_frame(self, record: FrameRecord) -> av.VideoFrame:
        """The record's picture (and alpha, where the output keeps it), padded, as a packed RGB frame."""
        image = record.picture
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype.type not in (np.uint8, np.uint16, np.float32):
            raise ValueError(f"frame {record.index}: expected uint8, uint16 or float32 (H, W, 3), "
                             f"got {image.dtype} {image.shape}")
        if image.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"frame {record.index} is {image.shape[1]}x{image.shape[0]}, the video is {self.width}x{self.height}"
            )
        return packed_frame(image, record.alpha if self.kept.alpha else None, self.padded)

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


def packed_frame(image: np.ndarray, alpha: np.ndarray | None, size: tuple[int, int] | None = None) -> av.VideoFrame:
    """A PyAV frame of ``image`` (uint8, uint16 or float32 RGB) with ``alpha`` (same type) appended,
    padded to ``size`` (width, height) by repeating the last column/row."""
    if alpha is not None:
        image = np.concatenate([image, alpha.astype(image.dtype, copy=False)], axis=2)
    if size is not None:
        pad_w, pad_h = size[0] - image.shape[1], size[1] - image.shape[0]
        if pad_w or pad_h:
            image = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    depth = Depth(16 if image.dtype == np.uint16 else 8, image.dtype == np.float32, alpha is not None)
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format=decode_format(depth))


def warn_lowered(source: Depth, kept: Depth, codec: str) -> None:
    """Warn when storing a ``source`` picture as ``kept`` loses bits, float or the alpha plane."""
    if source.float and not kept.float:
        logger.warning("codec %r stores %d-bit integers: the float source is clipped to [0, 1] and "
                       "quantised (an .exr sequence keeps float)", codec, kept.bits)
    elif source.bits > kept.bits and not kept.float:
        logger.warning("codec %r keeps %d bits: the %d-bit source is lowered to %d bits "
                       "(prores, prores4444 and dnxhr keep 10, ffv1 16)", codec, kept.bits, source.bits, kept.bits)
    if source.alpha and not kept.alpha:
        logger.warning("codec %r has no alpha: the source's alpha plane is dropped (prores4444 and ffv1 keep it)",
                       codec)


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
