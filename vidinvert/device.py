"""The compute device a run asks for, checked once."""

from __future__ import annotations

import torch

from vidinvert.errors import VidinvertError


def check_device_name(device: str | torch.device) -> str:
    """The device's name when it is one vidinvert can run on (auto, cpu, cuda, cuda:N), whether or not
    this machine has it (a cluster's workers may); anything else is an error."""
    if str(device) == "auto":
        return "auto"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise VidinvertError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N") from None
    if resolved.type not in ("cpu", "cuda"):
        raise VidinvertError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N")
    return str(resolved)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """"auto" picks CUDA when available, else the CPU; an unknown name, or CUDA without CUDA, is an error."""
    if check_device_name(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise VidinvertError(f"--device {device} was asked for but no CUDA device is available; use --device cpu")
    return resolved
