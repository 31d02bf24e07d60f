"""The models' arithmetic in a run: float32, or float16/bfloat16 autocast on CUDA."""

from __future__ import annotations

import contextlib

import torch

from vidinvert.errors import VidinvertError

DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def check_precision(precision: str, device: torch.device) -> None:
    """Reduced precision is for CUDA; the CPU computes in float32."""
    if precision != "fp32" and device.type != "cuda":
        raise VidinvertError(f"--precision {precision} needs a CUDA device; the CPU runs in fp32")


def model_arithmetic(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """A context in which the generator and encoders compute at `precision` on `device`."""
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=DTYPES[precision])
