"""Files that appear only when complete: written under a hidden name beside the target, then renamed."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from pathlib import Path
from typing import Iterator

#: Characters `tempfile.mkstemp` puts between the prefix and the suffix.
_TEMP_NAME_LENGTH = 8


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, sync: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `target` (same extension, so writers that pick a format by it
    behave); on success it is renamed to `target` with the usual permissions, on any error removed.
    `sync` flushes it to disk before the rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".partial{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if sync:
            _sync(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def partial_files(target: str | os.PathLike) -> list[Path]:
    """Temporary files that `atomic_path` left beside `target` in processes that died while writing it."""
    target = Path(target)
    pattern = f".{glob.escape(target.stem)}.{'?' * _TEMP_NAME_LENGTH}.partial{glob.escape(target.suffix)}"
    return sorted(target.parent.glob(pattern)) if target.parent.is_dir() else []


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write `text` (UTF-8) to `path`: never half a file."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")


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
