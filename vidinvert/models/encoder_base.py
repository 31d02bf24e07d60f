"""What every inversion encoder offers the Inverter, whatever checkpoint it came from.

An encoder maps an image batch prepared at its own input size to a W+ offset and, for the
FeatureStyleEncoder family, a feature tensor that replaces one generator activation:
``delta_wplus, feature = E(E.prepare(x))``. Encoders with ``in_channels == 6`` take the target
concatenated with the current reconstruction and are applied as residual steps (ReStyle);
encoders with 3 channels give their answer in one pass, as an offset from the average latent.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from vidinvert.errors import VidinvertError, WeightsError

#: What one inversion step gives: W+ (B,n,512), a feature tensor or None, weight residuals or None.
Advance = tuple[torch.Tensor, "torch.Tensor | None", "dict[str, torch.Tensor] | None"]


def resize_square(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize (B,C,H,W) to (B,C,size,size): box average for integer shrink factors, else bilinear."""
    height, width = image.shape[-2:]
    if (height, width) == (size, size):
        return image
    if height == width and height > size and height % size == 0:
        return F.adaptive_avg_pool2d(image, size)
    return F.interpolate(image, size=(size, size), mode="bilinear", align_corners=False, antialias=height > size)


def load_state_strict(module: nn.Module, state_dict: dict[str, torch.Tensor], where: str) -> None:
    """Load every key of `state_dict` into `module` (no missing, no extra, same shapes) or raise WeightsError."""
    try:
        module.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        detail = lines[1] if len(lines) > 1 else lines[0]
        raise WeightsError(f"{where}: weights do not match the expected layout ({detail[:300]})") from None


class InversionEncoder(nn.Module):
    """Base of the encoders the Inverter drives.

    Attributes: `kind` ("fse", "restyle-psp", "restyle-e4e", "vidinvert", "e2style",
    "hyperinverter"), `n_styles` (latents
    predicted), `in_channels` (3 or 6), `input_size` (pixels), `feature_index` (the styled conv
    whose output the feature tensor replaces, None without features), `latent_avg`
    ((n_styles, 512) or None: then the generator's average latent is used), `source` (what
    file format it was loaded from), `degrade` (the degradation a restoration encoder was trained on,
    from its file; None for an inversion encoder).
    """

    kind: str = ""
    degrade: str | None = None

    def __init__(self, n_styles: int, in_channels: int, input_size: int, feature_index: int | None) -> None:
        super().__init__()
        self.n_styles = n_styles
        self.in_channels = in_channels
        self.input_size = input_size
        self.feature_index = feature_index
        self.source = "constructed in memory"
        self.register_buffer("latent_avg", None, persistent=False)

    @property
    def residual(self) -> bool:
        """True when the encoder reads target ‖ reconstruction and predicts a step from the current latents."""
        return self.in_channels == 6

    def set_latent_avg(self, latent_avg: torch.Tensor | None) -> None:
        """Attach the average latent the encoder was trained around; (512,) is broadcast to every style."""
        if latent_avg is None:
            self.latent_avg = None
            return
        latent_avg = latent_avg.detach().float().reshape(-1, latent_avg.shape[-1])
        if latent_avg.shape[0] == 1:
            latent_avg = latent_avg.expand(self.n_styles, -1)
        if latent_avg.shape[0] != self.n_styles:
            raise WeightsError(
                f"average latent has {latent_avg.shape[0]} rows but the encoder predicts {self.n_styles} latents"
            )
        self.latent_avg = latent_avg.clone().to(self._device())

    def _device(self) -> torch.device:
        return next(self.parameters()).device

    def feature_shape(self) -> tuple[int, int, int] | None:
        """(channels, side, side) of the feature tensor this encoder predicts, None without features."""
        return None

    def prepare(self, image: torch.Tensor) -> torch.Tensor:
        """Bring a (B,3,H,W) image in [-1,1] to the encoder's input size."""
        return resize_square(image, self.input_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    def weight_delta_shapes(self) -> dict[str, tuple[int, ...]]:
        """Generator parameters this encoder predicts per-sample residuals for, with their shapes."""
        return {}

    def stages(self, steps: int, warm: bool) -> range:
        """The stage index of each of `steps` steps (warm: starting from a previous result), or a
        VidinvertError when this encoder cannot run that many."""
        if not self.residual and steps > 1:
            raise VidinvertError(
                f"the {self.kind} encoder reads the target alone (3 channels) and answers in one pass, "
                f"so it cannot refine over {steps} steps; use steps=1"
            )
        return range(steps)

    def advance(self, target: torch.Tensor, state: Any, stage: int, start: torch.Tensor,
                render: Callable[..., torch.Tensor]) -> Advance:
        """One inversion step: (W+, feature or None, weight residuals or None).

        `target` is the image at the input size, `state` the current result (`.wplus`, `.image`),
        `start` the average latent (n_styles, 512) and `render(wplus, feature)` the generator.
        Residual encoders add a step read from target ‖ reconstruction; the others answer
        `start + offset` from the target alone.
        """
        if self.residual:
            delta, feature = self(torch.cat([target, self.prepare(state.image)], dim=1))
            return state.wplus + delta, feature, None
        delta, feature = self(target)
        return start + delta, feature, None

    def extra_repr(self) -> str:
        return f"kind={self.kind}, n_styles={self.n_styles}, in_channels={self.in_channels}, input_size={self.input_size}"
