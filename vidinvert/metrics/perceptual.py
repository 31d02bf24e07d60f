"""LPIPS (AlexNet, v0.1) through the ``lpips`` package, loaded only from files already on disk.

The ``lpips`` package ships its linear calibration layers; the AlexNet trunk comes from
torchvision's ImageNet weights, which torchvision keeps in the torch hub cache. We check
that file first, build the model with a randomly initialised trunk (so torchvision fetches
nothing) and load the cached trunk weights ourselves. When anything is missing the metric
is :class:`Unavailable` with the reason.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path

import torch

from vidinvert.metrics.unavailable import Unavailable
from vidinvert.weights import ALEXNET_FILE, torch_hub_checkpoints

log = logging.getLogger(__name__)

# torchvision alexnet ``features`` indices held by each lpips trunk slice.
_SLICE_OF_FEATURE = {0: 1, 1: 1, 2: 2, 3: 2, 4: 2, 5: 3, 6: 3, 7: 3, 8: 4, 9: 4, 10: 5, 11: 5}


def alexnet_cache_path(hub_dir: str | Path | None = None) -> Path:
    """Where torchvision keeps the AlexNet ImageNet weights (torch hub cache)."""
    folder = Path(hub_dir) / "checkpoints" if hub_dir is not None else torch_hub_checkpoints()
    return folder / ALEXNET_FILE


class Lpips:
    """Batched LPIPS distance between image batches in [0, 1], shape (N,)."""

    name = "lpips"

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model.eval()

    @torch.no_grad()
    def __call__(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.model(a * 2 - 1, b * 2 - 1).flatten()


def load_lpips(device: str | torch.device = "cpu", hub_dir: str | Path | None = None) -> Lpips | Unavailable:
    """LPIPS-AlexNet on ``device`` if the package and every weights file are present."""
    trunk_path = alexnet_cache_path(hub_dir)
    if not trunk_path.is_file():
        return Unavailable("lpips", f"AlexNet trunk weights not found at {trunk_path} (torchvision's cache file)")
    for package in ("lpips", "torchvision"):
        if importlib.util.find_spec(package) is None:
            return Unavailable("lpips", f"the '{package}' package is not installed (pip install 'vidinvert[metrics]')")
    import lpips

    calibration = Path(lpips.__file__).parent / "weights" / "v0.1" / "alex.pth"
    if not calibration.is_file():
        return Unavailable("lpips", f"lpips calibration weights missing at {calibration}")
    model = lpips.LPIPS(net="alex", version="0.1", pretrained=True, pnet_rand=True, verbose=False)
    trunk_state = torch.load(trunk_path, map_location="cpu", weights_only=True)
    remapped = {}
    for key, value in trunk_state.items():
        match = re.fullmatch(r"features\.(\d+)\.(weight|bias)", key)
        if match:
            index = int(match.group(1))
            remapped[f"slice{_SLICE_OF_FEATURE[index]}.{index}.{match.group(2)}"] = value
    model.net.load_state_dict(remapped, strict=True)
    log.info("LPIPS-AlexNet loaded (trunk %s)", trunk_path)
    return Lpips(model.to(device))
