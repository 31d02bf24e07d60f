"""What a batch does: one VideoJob per video (input, output name, the `edit_video` keywords), from a
folder of videos or a manifest (`vidinvert.batch.manifest`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from vidinvert.errors import VidinvertError
from vidinvert.config import VIDEO_SUFFIXES

#: Keywords that change how a video is run, not what comes out: left out of the resume check.
NOT_COMPARED = ("overwrite",)


@dataclass
class VideoJob:
    """One video of a batch.

    `input` is absolute (workers on other machines see the same shared path); `output` is relative
    to the output folder; `options` are `edit_video`'s keywords as JSON values, plus `invert`.
    """

    input: str
    output: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def overwrite(self) -> bool:
        return bool(self.options.get("overwrite"))

    def compared_options(self) -> dict[str, Any]:
        """The options a finished video must have been made with to be skipped on a rerun."""
        return {k: v for k, v in self.options.items() if k not in NOT_COMPARED}


def plain_options(options: dict[str, Any]) -> dict[str, Any]:
    """Options as JSON values: paths absolute strings, tuples lists."""
    def plain(value: Any) -> Any:
        if isinstance(value, os.PathLike):
            return os.path.abspath(value)
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return value

    return {name: plain(value) for name, value in options.items()}


def check_output_name(name: str, where: str) -> str:
    """A relative path inside the output folder, with an extension (the container comes from it)."""
    path = PurePosixPath(name.replace("\\", "/"))
    if not name or path.is_absolute() or ".." in path.parts:
        raise VidinvertError(f"{where}: output {name!r} must be a relative path inside the output folder")
    if not path.suffix:
        raise VidinvertError(f"{where}: output {name!r} has no extension; the container comes from it (.mp4, .mov, .mkv)")
    return path.as_posix()


def folder_jobs(source: Path, outdir: Path, options: dict[str, Any]) -> list[VideoJob]:
    """Every video under `source` (recursively, sorted), written under the same relative name;
    anything inside `outdir` is left out."""
    source, outdir = Path(source).absolute(), Path(outdir).absolute()
    if source.resolve() == outdir.resolve():
        raise VidinvertError(f"the output folder is the source folder {source}; choose another -o")
    videos = sorted(p for p in source.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()
                    and not p.resolve().is_relative_to(outdir.resolve()))
    if not videos:
        raise VidinvertError(f"no videos under {source} (looked for {', '.join(sorted(VIDEO_SUFFIXES))})")
    plain = plain_options(options)
    return [VideoJob(str(p), p.relative_to(source).as_posix(), dict(plain)) for p in videos]


def check_jobs(jobs: list[VideoJob]) -> list[VideoJob]:
    """Refuse two videos written to one output, and edits asked of an inversion."""
    seen: dict[str, str] = {}
    for job in jobs:
        if job.output in seen:
            raise VidinvertError(f"{seen[job.output]} and {job.input} would both be written to {job.output}")
        seen[job.output] = job.input
        if job.options.get("invert") and (job.options.get("attr") or job.options.get("direction")):
            raise VidinvertError(f"{job.input}: --invert reconstructs the face; it takes no --attr or --direction")
    return jobs
