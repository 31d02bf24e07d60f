#!/usr/bin/env python
"""Video I/O speed and memory: decode, encode and pass-through transcode frames/s on a shared clip,
and resident memory while transcoding a long video (the clip looped to several minutes by packet
copy), compared with the straightforward way of collecting all frames in a list first.

    python bin/bench_video_io.py [--clip ../shared/data/videos/head_d18.mp4] [--minutes 5]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vidinvert.video import EncodeSettings, FrameRecord, open_video, probe, transcode  # noqa: E402
from vidinvert.video.encoding import VideoEncoder  # noqa: E402

DEFAULT_CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos" / "head_d18.mp4"


def rss_mb() -> float:
    """Current resident set size in MiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_decode(clip: Path) -> tuple[float, list[FrameRecord]]:
    start = time.perf_counter()
    with open_video(clip) as video:
        frames = list(video)
    return len(frames) / (time.perf_counter() - start), frames


def bench_encode(frames: list[FrameRecord], preset: str, out: Path) -> float:
    settings = EncodeSettings(preset=preset)
    start = time.perf_counter()
    with av.open(str(out), "w") as container:
        encoder = VideoEncoder(container, settings, frames[0], None, None)
        for rec in frames:
            encoder.encode(rec)
        encoder.flush()
    return len(frames) / (time.perf_counter() - start)


def bench_transcode(clip: Path, preset: str, out: Path) -> float:
    start = time.perf_counter()
    result = transcode(clip, out, preset=preset, overwrite=True)
    return result.frames / (time.perf_counter() - start)


def loop_clip(clip: Path, minutes: float, out: Path) -> int:
    """Write ``clip`` repeated (packets copied, timestamps shifted) until ``minutes`` long."""
    info = probe(clip)
    loops = max(1, round(minutes * 60 / info.duration))
    with av.open(str(out), "w") as dst:
        with av.open(str(clip)) as src:
            streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for loop in range(loops):
            with av.open(str(clip)) as src:
                for packet in src.demux():
                    if not packet.size:
                        continue
                    shift = round(loop * info.duration / packet.time_base)
                    packet.pts = None if packet.pts is None else packet.pts + shift
                    packet.dts = None if packet.dts is None else packet.dts + shift
                    packet.stream = streams[packet.stream.index]
                    dst.mux(packet)
    return loops


def bench_memory(long_clip: Path, preset: str, out: Path) -> list[tuple[int, float]]:
    total = probe(long_clip).frames or 1
    marks = {round(total * q) for q in (0.01, 0.25, 0.5, 0.75)} | {total - 1}
    samples: list[tuple[int, float]] = []

    def watch(records: Iterator[FrameRecord]) -> Iterator[FrameRecord]:
        for rec in records:
            if rec.index in marks:
                samples.append((rec.index, rss_mb()))
            yield rec

    transcode(long_clip, out, watch, preset=preset, overwrite=True)
    return samples


def bench_collect(long_clip: Path, frames: int) -> float:
    """RSS growth per frame when all decoded frames are kept in a list (the straightforward way)."""
    before = rss_mb()
    with open_video(long_clip, frames=f":{frames}") as video:
        kept = list(video)
    grown = rss_mb() - before
    del kept
    return grown / frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--preset", default="medium", help="x264 preset for the speed rows")
    parser.add_argument("--long-preset", default="ultrafast", help="x264 preset for the long memory run")
    args = parser.parse_args()
    info = probe(args.clip)
    print(f"clip {args.clip.name}: {info.width}x{info.height}, {info.frames} frames, {float(info.fps or 0):.3f} fps")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        decode_fps, frames = bench_decode(args.clip)
        rows = [("decode to RGB", decode_fps)]
        for preset in dict.fromkeys([args.preset, "veryfast", "ultrafast"]):
            rows.append((f"encode h264 {preset}", bench_encode(frames, preset, tmpdir / "enc.mp4")))
            rows.append((f"transcode h264 {preset}", bench_transcode(args.clip, preset, tmpdir / "pass.mp4")))
        del frames
        print("\n| stage | frames/s |\n|---|---|")
        for name, fps in rows:
            print(f"| {name} | {fps:.1f} |")

        long_clip = tmpdir / "long.mp4"
        loops = loop_clip(args.clip, args.minutes, long_clip)
        long_info = probe(long_clip)
        start = time.perf_counter()
        samples = bench_memory(long_clip, args.long_preset, tmpdir / "long_out.mp4")
        seconds = time.perf_counter() - start
        print(
            f"\nlong video: clip x{loops} = {long_info.duration / 60:.1f} min, {long_info.frames} frames; "
            f"transcode ({args.long_preset}) {long_info.frames / seconds:.1f} frames/s"
        )
        print("\n| frame | position | RSS MiB |\n|---|---|---|")
        for index, mb in samples:
            print(f"| {index} | {index / long_info.frames:.0%} | {mb:.0f} |")
        print(f"peak RSS of this process: {peak_mb():.0f} MiB")
        per_frame = bench_collect(long_clip, min(300, long_info.frames))
        naive = samples[0][1] + per_frame * long_info.frames
        print(
            f"\nstraightforward way (all frames in a list): +{per_frame:.2f} MiB per frame, "
            f"~{naive:.0f} MiB for this video; streaming peak {max(mb for _, mb in samples):.0f} MiB "
            f"(ratio {naive / max(mb for _, mb in samples):.0f}x)"
        )


if __name__ == "__main__":
    main()
