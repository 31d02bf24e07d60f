"""Which latents the generator's change is drawn from, in the render modes that carry it onto the real face.

`warp` and `delta` ask the generator how an edit changes a face: G(w + edit) against G(w). The
answer is only as good as the generator's behaviour at w. An encoder's inversion reconstructs the
crop best, but it often lies where the generator's attribute directions barely act: W+ layers that
disagree, and a feature tensor that fixes the coarse structure, so a smile direction recolours
the mouth instead of moving it. The real pixels already carry identity and detail, so the change
may come from latents that edit well rather than from latents that reconstruct well (the
distortion-editability trade-off of e4e, split between the two jobs):

- ``inversion``: the inversion as is (W+, feature tensor and weight residuals);
- ``latents[:PSI]``: the inversion's W+ alone, drawn by the generator's own layers, pulled
  towards the average latent by PSI (1: not at all): w' = w_avg + PSI * (w - w_avg). The edit
  offset is added unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vidinvert.config import CHANGE_SOURCE_KINDS as KINDS
from vidinvert.config import check_change_source, split_change_source

if TYPE_CHECKING:
    import torch

__all__ = ["KINDS", "ChangeSource"]


@dataclass(frozen=True)
class ChangeSource:
    """A `--change-from` value: the kind of latents and, for "latents", the pull towards the average."""

    kind: str = "latents"
    truncation: float = 1.0

    def __post_init__(self) -> None:
        check_change_source(self.kind, self.truncation)

    @classmethod
    def parse(cls, spec: str) -> ChangeSource:
        """'inversion', 'latents' or 'latents:PSI'."""
        return cls(*split_change_source(spec))

    @property
    def spec(self) -> str:
        if self.kind == "inversion" or self.truncation == 1:
            return self.kind
        return f"{self.kind}:{self.truncation:g}"

    @property
    def uses_inversion(self) -> bool:
        """Whether the renders are the inversion's own (feature tensor and weight residuals included)."""
        return self.kind == "inversion"

    def wplus(self, wplus: torch.Tensor, latent_avg: torch.Tensor) -> torch.Tensor:
        """W+ latents (..., n_latent, D) moved to where the change is drawn from."""
        if self.truncation == 1:
            return wplus
        avg = latent_avg.to(wplus).reshape(*([1] * (wplus.dim() - 1)), -1)
        return avg + self.truncation * (wplus - avg)

