"""Output safety: path checks and a temporary file beside the target, renamed into place at the end.

Nothing is ever written at the target path until the whole file is complete; on any error (or
KeyboardInterrupt) the temporary file is removed, so a failed run leaves no output at all.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import av
import av.container

from vidinvert.errors import VideoError
from vidinvert.video.inputs import av_reason

#: Characters `tempfile.mkstemp` puts between the prefix and the suffix.
_TEMP_NAME_LENGTH = 8


def check_output_path(source: Path | None, target: str | os.PathLike[str], overwrite: bool) -> Path:
    """Validate ``target`` for writing a video made from ``source`` (None: made from nothing); return
    it as a Path.

    Refused: the input itself (also through a symlink, hard link or another spelling), a directory,
    an existing file unless ``overwrite``, a name without an extension (the container is chosen by
    it), a missing parent directory.
    """
    out = Path(target)
    if source is not None and _same_file(source, out):
        raise VideoError(f"output {out} is the input video; choose another output path")
    if out.is_dir():
        raise VideoError(f"output {out} is a directory; give a file name such as {out / 'edited.mp4'}")
    if out.exists() and not overwrite:
        raise VideoError(f"output {out} already exists; pass overwrite=True (--overwrite) to replace it")
    if not out.suffix:
        raise VideoError(f"output {out} has no extension; the container comes from it (.mp4, .mov, .mkv)")
    parent = out.parent
    if not parent.is_dir():
        raise VideoError(f"output directory {parent} does not exist")
    return out


def _same_file(a: Path, b: Path) -> bool:
    if b.exists():
        try:
            return os.path.samefile(a, b)
        except OSError:
            return False
    return a.resolve() == b.resolve()


@contextlib.contextmanager
def atomic_output(target: Path, overwrite: bool) -> Iterator[Path]:
    """Yield a hidden temporary path in ``target``'s directory; on success rename it to ``target``.

    The temporary name keeps the target's extension so the container format is chosen the same way.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".partial{target.suffix}", dir=target.parent)
    except OSError as exc:
        raise VideoError(f"cannot write in {target.parent} ({exc.strerror or exc})") from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if target.exists() and not overwrite:
            raise VideoError(f"output {target} appeared while writing; pass overwrite=True to replace it")
        _sync(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def output_container(tmp: Path, target: Path) -> Iterator[av.container.OutputContainer]:
    """Open the output muxer on ``tmp`` (format from ``target``'s extension); closing it writes the
    trailer, and a failure there is a VideoError too. After an error it is closed quietly."""
    try:
        container = av.open(str(tmp), mode="w")
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise VideoError(f"cannot write {target} ({av_reason(exc)})") from exc
    try:
        yield container
    except BaseException:
        with contextlib.suppress(Exception):
            container.close()
        raise
    try:
        container.close()
    except (av.error.FFmpegError, OSError) as exc:
        raise VideoError(f"writing {target} failed ({av_reason(exc)})") from exc


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def partial_outputs(target: Path) -> list[Path]:
    """Temporary files that `atomic_output` left beside `target` in processes that died while writing it."""
    target = Path(target)
    pattern = f".{glob.escape(target.stem)}.{'?' * _TEMP_NAME_LENGTH}.partial{glob.escape(target.suffix)}"
    return sorted(target.parent.glob(pattern)) if target.parent.is_dir() else []
