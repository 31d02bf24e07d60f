"""Reading NVIDIA network pickles (stylegan2-ada-pytorch `network-snapshot-*.pkl`, `ffhq.pkl`)
without executing any pickled code.

NVIDIA's training loop writes `pickle.dump(dict(G=..., D=..., G_ema=..., augment_pipe=...,
training_set_kwargs=...))`. Each network is a record of its `torch_utils.persistence` module: a call
of `_reconstruct_persistent_obj(meta)` with `meta = {type, version, module_src, class_name, state}`,
where `state` is the module's `__dict__` (`_parameters`, `_buffers`, `_modules`, attributes,
`_init_kwargs`) and `module_src` the Python source the official loader would run. Here every such
record becomes a `PersistentRecord` holding the state; its source is kept as text and never run.

Only these globals may appear: tensor and parameter rebuilding, tensor storages (their payload is
a torch file read with `weights_only=True`), `collections.OrderedDict`, `set`, `dnnlib.util.EasyDict`
(read as a dict), numpy dtypes and scalars, and the persistence record. Any other global stops the
read before anything it names is called.
"""

from __future__ import annotations

import io
import os
import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from vidinvert.errors import WeightsError

PERSISTENCE_RECORD = ("torch_utils.persistence", "_reconstruct_persistent_obj")
#: The pickle of torch's legacy (non-zip) `torch.save` format opens with this magic number.
TORCH_LEGACY_MAGIC = bytes.fromhex("80028a0a6cfc9c46f9206aa85019")
ZIP_MAGIC = b"PK\x03\x04"


class PersistentRecord:
    """One pickled NVIDIA network module: class name, state, and its (never executed) source."""

    def __init__(self, meta: dict) -> None:
        if not isinstance(meta, dict) or meta.get("type") != "class" or not isinstance(meta.get("state"), dict):
            raise WeightsError("a persistence record is not a pickled class instance")
        self.class_name = str(meta.get("class_name"))
        self.version = meta.get("version")
        self.module_src = meta.get("module_src")
        self.state = meta["state"]

    def __repr__(self) -> str:
        return f"PersistentRecord({self.class_name})"

    def child(self, name: str) -> PersistentRecord | None:
        value = (self.state.get("_modules") or {}).get(name)
        return value if isinstance(value, PersistentRecord) else None

    def children(self) -> dict[str, Any]:
        return dict(self.state.get("_modules") or {})

    def tensor(self, name: str) -> torch.Tensor | None:
        for table in ("_parameters", "_buffers"):
            value = (self.state.get(table) or {}).get(name)
            if isinstance(value, torch.Tensor):
                return value
        return None

    def attr(self, name: str, default: Any = None) -> Any:
        return self.state.get(name, default)


class _PlainDict(dict):
    """`dnnlib.util.EasyDict` read back as a dict (a subclass only so that pickle can build it)."""


def _storage_from_bytes(payload: bytes) -> Any:
    if not isinstance(payload, (bytes, bytearray)):
        raise WeightsError("a tensor storage payload is not bytes")
    return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)


def _rebuild_tensor(storage: Any, offset: int, size: tuple, stride: tuple, *_ignored: Any) -> torch.Tensor:
    if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)):
        raise WeightsError("a pickled tensor does not rest on a tensor storage")
    return torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())


def _rebuild_parameter(data: torch.Tensor, *_ignored: Any) -> torch.Tensor:
    if not isinstance(data, torch.Tensor):
        raise WeightsError("a pickled parameter holds no tensor")
    return data


def _numpy_scalar(dtype: np.dtype, payload: bytes | None = None) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(payload, (bytes, bytearray)):
        raise WeightsError("a pickled numpy scalar is not a plain number")
    return np.frombuffer(payload, dtype=dtype)[0]


def _numpy_dtype(spec: str, *_flags: Any) -> np.dtype:
    dtype = np.dtype(spec)
    if dtype.hasobject:
        raise WeightsError("a pickled numpy dtype holds Python objects")
    return dtype


ALLOWED_GLOBALS: dict[tuple[str, str], Callable[..., Any]] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "set"): set,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch.storage", "_load_from_bytes"): _storage_from_bytes,
    ("dnnlib.util", "EasyDict"): _PlainDict,
    ("numpy", "dtype"): _numpy_dtype,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    PERSISTENCE_RECORD: PersistentRecord,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            raise WeightsError(f"it names {module}.{name}, which vidinvert does not load from a pickle "
                               "(only tensors, containers and NVIDIA network records); nothing was run")
        return allowed

    def persistent_load(self, pid: Any) -> Any:
        raise WeightsError("it refers to external objects (persistent ids), which a network pickle never does")


def is_network_pickle(path: str | os.PathLike) -> bool:
    """True for a plain pickle file that is not one of torch's own checkpoint formats."""
    with open(path, "rb") as fh:
        head = fh.read(len(TORCH_LEGACY_MAGIC))
    return head[:1] == b"\x80" and head != TORCH_LEGACY_MAGIC and head[:4] != ZIP_MAGIC


def read_network_pickle(path: str | os.PathLike) -> Any:
    """The content of an NVIDIA network pickle, networks as PersistentRecords; WeightsError on anything else."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            return _RestrictedUnpickler(fh).load()
    except WeightsError as exc:
        raise WeightsError(f"network pickle {path}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            RuntimeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WeightsError(f"network pickle {path} is corrupt or truncated ({reason[:200]})") from None


def is_network_snapshot(path: str | os.PathLike) -> bool:
    """True when `path` reads safely as a pickle holding NVIDIA network records (e.g. `G_ema`)."""
    if not is_network_pickle(path):
        return False
    try:
        content = read_network_pickle(path)
    except WeightsError:
        return False
    return isinstance(content, dict) and any(isinstance(v, PersistentRecord) for v in content.values())
