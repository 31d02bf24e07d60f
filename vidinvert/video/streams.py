"""The non-video streams of a transcode: copied packet for packet, re-encoded only when the output
container cannot hold their codec (audio), or dropped with a warning (subtitles, data)."""

from __future__ import annotations

import logging

import av
import av.container

from vidinvert.video.inputs import av_reason

logger = logging.getLogger(__name__)

# Audio re-encode targets, preferred in this order among those the container accepts.
_AUDIO_FALLBACKS = ("aac", "libopus", "flac", "libmp3lame")
_SKIPPED_METADATA = {"encoder"}


def copy_metadata(src: dict[str, str], dst: dict[str, str]) -> None:
    """Carry tags (title, language, creation time...) over, leaving the encoder tag to the muxer."""
    for key, value in src.items():
        if key not in _SKIPPED_METADATA:
            dst[key] = value


_DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "4.0", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def _named_layout(ctx: av.audio.codeccontext.AudioCodecContext) -> av.AudioLayout | str:
    """The input's channel layout, or the usual one for its channel count when the container
    stored only a count (encoders refuse such layouts)."""
    if ctx.layout.name.endswith("channels") and ctx.channels in _DEFAULT_LAYOUTS:
        return _DEFAULT_LAYOUTS[ctx.channels]
    return ctx.layout


class PassThroughStream:
    """One input stream (not the edited video) and what happens to it in the output."""

    def __init__(self, stream: av.stream.Stream, output: av.container.OutputContainer) -> None:
        self.input = stream
        self.output = output
        self.out_stream: av.stream.Stream | None = None
        self.reencode = False
        name = stream.codec_context.name if stream.codec_context is not None else None
        if name is not None and name in output.supported_codecs:
            self.out_stream = output.add_stream_from_template(stream)
        elif stream.type == "audio":
            target = next((c for c in _AUDIO_FALLBACKS if c in output.supported_codecs), None)
            if target is not None:
                self.out_stream = output.add_stream(target, rate=stream.codec_context.sample_rate)
                self.out_stream.codec_context.layout = _named_layout(stream.codec_context)
                self.reencode = True
                logger.warning(
                    "audio stream %d (%s) cannot be stored in this container; re-encoding it to %s",
                    stream.index, name, target,
                )
        if self.out_stream is None:
            logger.warning("dropping stream %d (%s %s): the output container cannot hold it", stream.index, stream.type, name)
        else:
            copy_metadata(dict(stream.metadata), self.out_stream.metadata)

    @property
    def action(self) -> str:
        """'copy', 'reencode' or 'drop'."""
        if self.out_stream is None:
            return "drop"
        return "reencode" if self.reencode else "copy"

    def mux(self, packet: av.Packet) -> None:
        """Send one demuxed packet of this stream to the output (copied, re-encoded or dropped)."""
        if self.out_stream is None:
            return
        if not self.reencode:
            packet.stream = self.out_stream
            self.output.mux(packet)
            return
        try:
            frames = packet.decode()
        except (av.error.InvalidDataError, av.error.UndefinedError) as exc:
            logger.debug("undecodable audio packet at dts %s: %s", packet.dts, av_reason(exc))
            return
        for frame in frames:
            self.output.mux(self.out_stream.encode(frame))

    def flush(self) -> None:
        """Drain a re-encoding stream's decoder and encoder."""
        if self.out_stream is None or not self.reencode:
            return
        for frame in self.input.codec_context.decode(None):
            self.output.mux(self.out_stream.encode(frame))
        self.output.mux(self.out_stream.encode(None))
