"""Reading and writing torch checkpoint files safely, with one-line errors for bad files."""

from __future__ import annotations

import argparse
import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from vidinvert.files import atomic_path
from vidinvert.errors import WeightsError

#: Plain classes the official training checkpoints pickle beside their tensors (argparse options).
TRUSTED_GLOBALS = (argparse.Namespace,)
ZIP_MAGIC = b"PK\x03\x04"
PICKLE_MAGIC = b"\x80"


def load_checkpoint(path: str | os.PathLike, what: str = "checkpoint") -> Any:
    """Load a torch file on the CPU without executing arbitrary pickled code.

    Tensors, containers and argparse namespaces are accepted; anything else (a pickled model class,
    a truncated or non-torch file) raises WeightsError naming the file and the problem.
    """
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{what} file not found: {path}")
    if path.is_dir():
        raise WeightsError(f"{what} path is a directory, expected a file: {path}")
    if path.stat().st_size == 0:
        raise WeightsError(f"{what} file is empty: {path}")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != ZIP_MAGIC and magic[:1] != PICKLE_MAGIC:
        raise WeightsError(f"{what} file {path} is not a torch checkpoint")
    try:
        with torch.serialization.safe_globals(list(TRUSTED_GLOBALS)):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
        if found:
            raise WeightsError(f"{what} file {path} pickles {found.group(1)}, not only tensors and "
                               "plain containers; refusing to run its code") from None
        raise WeightsError(f"{what} file {path} is corrupt or truncated (unreadable pickle)") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as exc:
        reason = str(exc).splitlines()[0].split(". ")[0] if str(exc) else type(exc).__name__
        raise WeightsError(f"{what} file {path} is corrupt or truncated ({reason})") from None


def save_checkpoint(obj: Any, path: str | os.PathLike) -> Path:
    """torch.save to a temporary file beside `path`, then rename: no half-written file on failure."""
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
    return path
