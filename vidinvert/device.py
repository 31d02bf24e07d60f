"""The compute device a run asks for, checked once."""

from __future__ import annotations

import torch

from vidinvert.errors import VidinvertError


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA when available, else the CPU; an unknown name, or CUDA without CUDA, is an error."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise VidinvertError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N") from None
    if resolved.type not in ("cpu", "cuda"):
        raise VidinvertError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise VidinvertError(f"--device {device} was asked for but no CUDA device is available; use --device cpu")
    return resolved
