"""Reading weights files safely: tensors-only unpickling first, a logged fallback only where needed."""

from __future__ import annotations

import logging
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from vidinvert.errors import WeightsError

log = logging.getLogger(__name__)


def read_checkpoint(path: str | Path) -> Any:
    """Load a torch checkpoint onto the CPU.

    Tries `torch.load(weights_only=True)` (no code runs while reading). Files that pickle other
    objects (for instance an options namespace) are read with full unpickling, and the reason
    is logged as a warning. A missing, truncated or non-torch file raises WeightsError.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        if found is None:
            raise WeightsError(f"{path} is not a readable torch checkpoint (corrupt or not a torch file)") from exc
        log.warning(
            "%s pickles the object %s besides tensors and plain containers; loading it with full unpickling",
            path,
            found.group(1),
        )
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as exc:
        raise WeightsError(f"{path} is not a readable torch checkpoint ({_one_line(exc)})") from exc
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # any failure of arbitrary unpickling is a bad file, not a bug here
        raise WeightsError(f"{path} is not a readable torch checkpoint ({_one_line(exc)})") from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def load_state_strict(module: torch.nn.Module, state_dict: dict[str, torch.Tensor], where: str) -> None:
    """Load every key of `state_dict` into `module` (no missing, no extra, same shapes) or raise WeightsError."""
    try:
        module.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        detail = lines[1] if len(lines) > 1 else lines[0]
        raise WeightsError(f"{where}: weights do not match the expected layout ({detail[:300]})") from exc
