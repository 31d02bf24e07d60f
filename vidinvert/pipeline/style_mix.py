"""Style mixing as a latent edit: every face's latents get the style's layers (and, asked for,
its feature tensor) after the edit offsets, in the editing stage (vidinvert.edit.mixing).

The feature tensor is the content's unless `feature_from` is "style" (FeatureStyleEncoder's
mixing: the feature tensor carries pose and face shape, the latents after it the appearance).
Generator weight residuals (HyperInverter) stay the content's: they carry its own details.
"""

from __future__ import annotations

from dataclasses import dataclass

from vidinvert.config import FEATURE_SOURCES
from vidinvert.edit.mixing import mix_layers, mix_wplus
from vidinvert.errors import VidinvertError
from vidinvert.pipeline.frames import Latents


@dataclass(frozen=True)
class StyleMix:
    """The style's inversion, the W+ layers it gives and whose feature tensor is rendered."""

    style: Latents
    layers: tuple[int, ...]
    feature_from: str = "content"

    def __call__(self, content: Latents) -> Latents:
        wplus = mix_wplus(content.wplus, self.style.wplus, self.layers)
        feature = content.feature if self.feature_from == "content" else self.style.feature.to(content.feature)
        return Latents(wplus, feature, content.weight_deltas)


def make_style_mix(style: Latents, layers: str | None = None, feature_from: str | None = None) -> StyleMix:
    """The mix of the style's inversion for `--layers` (None: E2Style's split) and `--feature-from`
    (None: the content's; refused for inversions without a feature tensor, where it would mean nothing)."""
    chosen = mix_layers(layers, style.wplus.shape[-2])
    if feature_from is not None:
        if feature_from not in FEATURE_SOURCES:
            raise VidinvertError(f"unknown --feature-from {feature_from!r}; choose one of {', '.join(FEATURE_SOURCES)}")
        if style.feature is None:
            raise VidinvertError("--feature-from needs an encoder with a feature tensor (FeatureStyleEncoder, the "
                                 "bundled encoder); this encoder gives latents only")
    return StyleMix(style, chosen, feature_from or "content")
