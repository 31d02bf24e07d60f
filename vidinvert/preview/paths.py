"""Where the page may write: export and render paths as the user types them, checked."""

from __future__ import annotations

import os
from pathlib import Path

from vidinvert.errors import VidinvertError


def writable_path(typed: str, video: Path, suffixes: tuple[str, ...], allowed: tuple[Path, ...] = ()) -> Path:
    """`typed` (relative to the video's folder, or absolute) as a path the server may write: inside
    the video's folder or an `allowed` folder, no `..`, ending in one of `suffixes`."""
    if not isinstance(typed, str) or not typed.strip():
        raise VidinvertError("give a file name to write")
    if "\x00" in typed or ".." in Path(typed).parts:
        raise VidinvertError(f"refused {typed!r}: a path may not climb out of its folder with '..'")
    path = Path(typed.strip()).expanduser()
    if not path.is_absolute():
        path = video.parent / path
    resolved = Path(os.path.realpath(path))
    roots = [Path(os.path.realpath(video.parent))] + [Path(os.path.realpath(a)) for a in allowed]
    if not any(resolved == root or root in resolved.parents for root in roots):
        raise VidinvertError(f"refused {typed!r}: the preview writes only inside "
                             f"{', '.join(str(r) for r in roots)}")
    if resolved.suffix.lower() not in suffixes:
        raise VidinvertError(f"refused {typed!r}: the file must end in {' or '.join(suffixes)}")
    if resolved.is_dir():
        raise VidinvertError(f"{resolved} is a folder")
    if os.path.samefile(resolved, video) if resolved.exists() else False:
        raise VidinvertError("refused: that is the opened video")
    return resolved
