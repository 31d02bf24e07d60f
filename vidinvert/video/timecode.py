"""Start timecode, reel name and first frame number: where an input keeps them and how an output
gets them back.

MOV keeps the start timecode in a timecode (tmcd) track, which FFmpeg reads as a data stream with a
``timecode`` tag and also reports on the video stream; other containers keep a ``timecode`` tag
on the stream or the file (MXF, Matroska). The output's video stream is tagged with the input's
timecode (and ``reel_name``): the MOV muxer then writes a new timecode track at the output's frame
rate, Matroska keeps the tag. The input's own timecode track is therefore not copied.

A video made from an image sequence records the sequence's first frame number as the file tag
``first_frame_number`` (MOV and MP4 keep such a tag only with ``movflags=use_metadata_tags``, which
is set for those outputs alone); a sequence written from that video is numbered from it again.
"""

from __future__ import annotations

import av

TIMECODE = "timecode"
REEL = "reel_name"
FIRST_FRAME = "first_frame_number"


def is_timecode_track(stream: av.stream.Stream) -> bool:
    """A MOV timecode (tmcd) track: a data stream FFmpeg has no decoder for, tagged with a timecode."""
    return stream.type == "data" and (TIMECODE in stream.metadata or TIMECODE.upper() in stream.metadata)


def start_timecode(reader) -> str | None:
    """The input's start timecode ("HH:MM:SS:FF", ";" before the frames when drop-frame), or None:
    from the video stream's tags, else a timecode track's, else the file's."""
    return _first(reader, TIMECODE)


def reel_name(reader) -> str | None:
    """The reel name of the input's timecode, or None."""
    return _first(reader, REEL)


def first_frame_number(reader) -> int | None:
    """The first frame number a video recorded from the image sequence it was made from, or None
    (a tag that is not a whole number is ignored)."""
    value = _first(reader, FIRST_FRAME)
    return int(value) if value and value.isdigit() else None


def tag_first_frame(container: av.container.OutputContainer, number: int) -> None:
    """Record ``number`` as the output file's first frame number (replacing any spelling of the tag
    copied from the input), so that MOV and MP4 keep it too."""
    for key in (FIRST_FRAME, FIRST_FRAME.upper()):
        container.metadata.pop(key, None)
    container.metadata[FIRST_FRAME] = str(number)
    if container.format.name.split(",")[0] in ("mov", "mp4"):
        flags = container.options.get("movflags")
        container.options["movflags"] = f"{flags}+use_metadata_tags" if flags else "use_metadata_tags"


def output_tags(reader) -> dict[str, str]:
    """The output video stream's tags: the input video stream's, with the start timecode and reel
    name wherever the input kept them."""
    tags = dict(reader.video_metadata)
    for key, value in ((TIMECODE, start_timecode(reader)), (REEL, reel_name(reader))):
        if value:
            tags[key] = value
    return tags


def _first(reader, key: str) -> str | None:
    """The first value of tag ``key`` among the input's tag sources (Matroska spells tags upper-case)."""
    for tags in _tag_sources(reader):
        value = tags.get(key) or tags.get(key.upper())
        if value:
            return value
    return None


def _tag_sources(reader) -> list[dict[str, str]]:
    tracks = [dict(s.metadata) for s in reader.other_streams if is_timecode_track(s)]
    return [dict(reader.video_metadata), *tracks, dict(reader.metadata)]
