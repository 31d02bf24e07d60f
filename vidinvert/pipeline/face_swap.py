"""Semantic face swap (E2Style, section V) as a step of the pipeline: every target crop gets the
source's central face region pasted on (vidinvert.face.swap_paste) just before it is inverted, so
the inversion, the generator's render and the compositing act on the pasted face as on any face.

After the inversion each frame gets its own crop back: what later looks at the crop (the occluder
segmenter) sees the target's real pixels. The source photo's face: vidinvert.pipeline.swap_source.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Iterator

import numpy as np

from vidinvert.config import RunConfig
from vidinvert.errors import VidinvertError
from vidinvert.face.swap_paste import paste_region, region_mask
from vidinvert.pipeline.frames import FaceFrame

#: The comment tag every swapped output carries (PNG text chunk, JPEG comment, container metadata).
SWAP_COMMENT = "face-swapped by vidinvert (semantic face swap): not an original picture"
#: The render modes a swap may use: the swapped face is a new face, which only the generated render
#: carries (warp and delta carry a change between two renders of the target's own face).
SWAP_RENDER_MODES = ("generated",)


@dataclass(frozen=True)
class FaceSwap:
    """The source's aligned crop (uint8 (S, S, 3)), the paste mask (S, S) and whether the source's
    colours are matched to the target's inside it."""

    source: np.ndarray
    region: np.ndarray
    colour: bool = True

    def paste(self, target: np.ndarray) -> np.ndarray:
        return paste_region(self.source, target, self.region, self.colour)


def make_face_swap(source_crop: np.ndarray, region_scale: float = 1.0, colour: bool = True) -> FaceSwap:
    """The swap of this aligned source crop, its region `region_scale` times the default ellipse."""
    return FaceSwap(source_crop, region_mask(source_crop.shape[0], region_scale), colour)


def check_swap_config(config: RunConfig) -> None:
    """Refuse what a swap cannot do: several faces at once, a render mode that drops the new face."""
    if config.track.several:
        raise VidinvertError("a swap replaces one face: choose the target's face with --face (a size rank, left, "
                             "right, ... or X,Y); --face all, --track and --face-ref are not taken")
    if config.render.render not in SWAP_RENDER_MODES:
        raise VidinvertError(f"--render {config.render.render} cannot show a swap: warp and delta carry the change "
                             "between two renders of the target's own face; a swap renders a new face "
                             "(--render generated)")


def pasted_inversion(frames: Iterable[FaceFrame], swap: FaceSwap,
                     invert: Callable[[Iterable[FaceFrame]], Iterator[FaceFrame]]) -> Iterator[FaceFrame]:
    """`invert` run on the frames with the source pasted onto their crops; every frame comes out with
    its own crop again (the inversion yields one frame per frame, in order)."""
    crops: deque[np.ndarray | None] = deque()

    def pasted() -> Iterator[FaceFrame]:
        for frame in frames:
            crops.append(frame.crop)
            yield frame if frame.crop is None else replace(frame, crop=swap.paste(frame.crop))

    for frame in invert(pasted()):
        yield replace(frame, crop=crops.popleft())
