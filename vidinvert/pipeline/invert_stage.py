"""The inversion stage: each face crop inverted, warm-started from the previous frame's result."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Iterator

import torch

from vidinvert.config import InvertConfig
from vidinvert.images import to_model_input
from vidinvert.errors import VidinvertError
from vidinvert.invert import BootstrappedInverter, Inverter, SequenceInverter
from vidinvert.models import Generator, InversionEncoder
from vidinvert.pipeline.frames import FaceFrame, Latents
from vidinvert.pipeline.precision import model_arithmetic


def make_sequence_inverter(G: Generator, E: InversionEncoder, config: InvertConfig = InvertConfig(),
                           init_encoder: InversionEncoder | None = None) -> SequenceInverter:
    """The frame-sequence inverter for `--steps`/`--next-steps`; a one-pass encoder (no residual
    steps) runs once per frame whatever they say. With `init_encoder`, every cold start begins from
    its `--init-steps` inversion (a one-pass one runs once) and `--steps` of E refine it."""
    first, following = (config.steps, config.next_steps) if E.residual else (1, 1)
    stages = getattr(E, "n_stages", None)
    if stages is not None:  # a fixed chain of stages (E2Style): a warm start runs the refine stages
        first, following = min(first, stages), min(following, stages - 1)
        if init_encoder is not None:  # a bootstrapped cold start is a warm start of E
            first = min(first, stages - 1)
    inverter = Inverter(G, E)
    if init_encoder is not None:
        try:
            start = Inverter(G, init_encoder)
        except VidinvertError as exc:
            raise VidinvertError(f"--init-encoder: {exc}") from None
        inverter = BootstrappedInverter(start, inverter, _usable_steps(init_encoder, config.init_steps))
    return SequenceInverter(inverter, first_steps=first, next_steps=following)


def _usable_steps(E: InversionEncoder, steps: int) -> int:
    """`steps` cold steps as `E` can run them (one pass, or as many as its stages)."""
    if not E.residual:
        return 1
    stages = getattr(E, "n_stages", None)
    return steps if stages is None else min(steps, stages)


def invert_frames(frames: Iterable[FaceFrame], inverter: SequenceInverter, warm_start: bool = True,
                  device: str | torch.device = "cpu", precision: str = "fp32") -> Iterator[FaceFrame]:
    """Invert each face crop, starting from the previous frame's result while the face stays tracked."""
    device = torch.device(device)
    for frame in frames:
        if frame.crop is None:
            inverter.reset()  # the face is gone: the next one starts cold
            yield frame
            continue
        if not warm_start or frame.starts_segment:
            inverter.reset()
        x = to_model_input(frame.crop)
        if device.type == "cuda":  # a pinned copy is sent without waiting
            x = x.pin_memory()
        with model_arithmetic(precision, device):
            step = inverter.step(x.to(device, non_blocking=True))
        result = step.result
        feature = None if result.feature is None else result.feature[0]
        deltas = None if result.weight_deltas is None else {k: v[0] for k, v in result.weight_deltas.items()}
        yield replace(frame, inverted=Latents(result.wplus[0], feature, deltas), reconstruction=result.image[0],
                      cold=bool(step.cold[0]))
