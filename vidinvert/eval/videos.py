"""Which videos an evaluation covers: discovery (RAVDESS or plain folder), sampling, sharding."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vidinvert.config import VIDEO_SUFFIXES
from vidinvert.errors import VidinvertError
from vidinvert.eval.ravdess import AUDIO_ONLY, RavdessFilter, RavdessName, parse_ravdess_name

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".wav"})
LAYOUTS = ("auto", "ravdess", "folder")


@dataclass(frozen=True)
class VideoEntry:
    """One video to evaluate; ``key`` names its result files and orders the list."""

    key: str
    path: Path
    ravdess: RavdessName | None = None


@dataclass
class Discovery:
    """The videos found under a root and the files passed over, with reasons."""

    layout: str
    videos: list[VideoEntry]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def video_key(relative: Path) -> str:
    """File-name-safe key of a video from its path relative to the root."""
    return relative.as_posix().replace("/", "__")


def discover_videos(root: Path, layout: str = "auto", filters: RavdessFilter | None = None) -> Discovery:
    """Find the videos under ``root`` in sorted order.

    ``layout`` "ravdess" parses RAVDESS names (bad names and audio-only files are skipped and
    reported, ``filters`` apply), "folder" takes every video file, "auto" picks "ravdess"
    when any file has a RAVDESS name.
    """
    filters = filters or RavdessFilter()
    if layout not in LAYOUTS:
        raise VidinvertError(f"unknown layout {layout!r} (choose from {', '.join(LAYOUTS)})")
    root = Path(root)
    if not root.is_dir():
        raise VidinvertError(f"not a folder of videos: {root}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES | AUDIO_SUFFIXES and p.is_file())
    if layout == "auto":
        layout = "ravdess" if any(_parses(p) for p in files) else "folder"
    if layout == "folder":
        if not filters.is_empty():
            raise VidinvertError(f"RAVDESS filters given but {root} holds no RAVDESS-named files")
        videos = [VideoEntry(video_key(p.relative_to(root)), p) for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
        found = Discovery(layout, videos)
    else:
        found = _discover_ravdess(root, files, filters)
    if not found.videos:
        raise VidinvertError(f"no videos to evaluate under {root}" + ("" if filters.is_empty() else " match the filters"))
    return found


def _parses(path: Path) -> bool:
    try:
        parse_ravdess_name(path)
    except ValueError:
        return False
    return True


def _discover_ravdess(root: Path, files: Sequence[Path], filters: RavdessFilter) -> Discovery:
    found = Discovery("ravdess", [])
    for path in files:
        relative = path.relative_to(root).as_posix()
        try:
            name = parse_ravdess_name(path)
        except ValueError as exc:
            found.skipped.append((relative, str(exc)))
            continue
        if name.modality == AUDIO_ONLY:
            found.skipped.append((relative, "audio-only (modality 03)"))
        elif path.suffix.lower() not in VIDEO_SUFFIXES:
            found.skipped.append((relative, f"not a video file ({path.suffix})"))
        elif filters.accepts(name):
            found.videos.append(VideoEntry(video_key(path.relative_to(root)), path, name))
    for relative, reason in found.skipped:
        log.debug("skipping %s: %s", relative, reason)
    if found.skipped:
        log.warning("skipped %d files under %s (listed in summary.json and summary.md)", len(found.skipped), root)
    return found


def sample_videos(videos: Sequence[VideoEntry], num_videos: int | None, seed: int) -> list[VideoEntry]:
    """``num_videos`` drawn without replacement by ``seed`` (all when None), in key order."""
    ordered = sorted(videos, key=lambda v: v.key)
    if num_videos is None or num_videos >= len(ordered):
        if num_videos is not None and num_videos > len(ordered):
            log.warning("asked for %d videos, only %d available: using all", num_videos, len(ordered))
        return ordered
    if num_videos < 1:
        raise VidinvertError(f"--num-videos must be at least 1, got {num_videos}")
    return sorted(random.Random(seed).sample(ordered, num_videos), key=lambda v: v.key)


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` (0 <= i < n) -> (i, n)."""
    try:
        index_text, count_text = text.split("/")
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise VidinvertError(f"--shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise VidinvertError(f"--shard {text}: need 0 <= i < n")
    return index, count


def shard_videos(videos: Sequence[VideoEntry], index: int, count: int) -> list[VideoEntry]:
    """Every ``count``-th video starting at ``index``: the shards partition the list exactly."""
    return list(videos[index::count])
