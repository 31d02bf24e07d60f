"""Iterative inversion over any encoder, and warm-started inversion of frame sequences.

`Inverter(G, E).invert(x, steps)` runs ReStyle's loop: start from the average latent and its
image (or from `init`), then at each step feed the encoder the target beside the current
reconstruction, both brought to the encoder's input size, add its W+ residual and take its
feature tensor. Each encoder says what one step is (`E.stages`, `E.advance`): E2Style runs its
first stage, then its refine stages; HyperInverter answers in one pass with per-sample generator
weight residuals that every later render of its latents uses. Encoders with a feature tensor
render through `G.synthesize(w, feature=F, feature_index=K)`. The generator always uses its stored noise,
so a result depends only on its inputs. The official FeatureStyleEncoder reads the target
alone and answers in one pass (w = average + offset).

`SequenceInverter` inverts video frames in order: frame t starts from frame t-1's latents,
feature tensor and image with a few steps; when the reconstruction error jumps against a
running baseline (a cut, a new face) that frame is inverted again from the average latent.
A batch passed to it holds several independent sequences (one per face track) advancing together.

`BootstrappedInverter(first, main, first_steps)` (ReStyle sec. 5.5, encoder bootstrapping) starts
every inversion without `init` from `first`'s inversion and refines it with `main`; handed to a
`SequenceInverter`, every cold start is bootstrapped and warm frames start from the previous frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

import torch

from vidinvert.errors import VidinvertError
from vidinvert.models.encoder_base import InversionEncoder
from vidinvert.models.same_weights import same_generator
from vidinvert.models.stylegan2 import Generator

log = logging.getLogger(__name__)


WeightDeltas = dict[str, torch.Tensor]


@dataclass
class InversionStep:
    """Latents, feature tensor (or None), image and generator weight residuals (or None) after one step."""

    wplus: torch.Tensor
    feature: torch.Tensor | None
    image: torch.Tensor
    weight_deltas: WeightDeltas | None = None


@dataclass
class InversionResult:
    """W+ latents (B,n_latent,512), feature tensor (B,C,h,w) or None, image (B,3,size,size) in [-1,1],
    and per-sample generator weight residuals (HyperInverter) or None: render the latents with
    `G.synthesize(wplus, weight_deltas=result.weight_deltas)`, edited latents too.

    `steps` holds every step's state (step 0, the starting point, first) when asked for.
    """

    wplus: torch.Tensor
    feature: torch.Tensor | None
    image: torch.Tensor
    steps: list[InversionStep] = field(default_factory=list)
    weight_deltas: WeightDeltas | None = None

    def __len__(self) -> int:
        return self.wplus.shape[0]

    def select(self, index: torch.Tensor) -> InversionResult:
        """The batch entries chosen by a boolean mask or index tensor (steps are dropped)."""
        feature = None if self.feature is None else self.feature[index]
        deltas = None if self.weight_deltas is None else {k: v[index] for k, v in self.weight_deltas.items()}
        return InversionResult(self.wplus[index], feature, self.image[index], weight_deltas=deltas)

    def put(self, index: torch.Tensor, other: InversionResult) -> InversionResult:
        """A copy with the entries at `index` replaced by `other` (same feature and residual presence)."""
        wplus, image = self.wplus.clone(), self.image.clone()
        wplus[index], image[index] = other.wplus, other.image
        return InversionResult(wplus, _put(self.feature, index, other.feature, "feature tensors"), image,
                               weight_deltas=_put_deltas(self.weight_deltas, index, other.weight_deltas))


def _as_step(result: InversionResult) -> InversionStep:
    return InversionStep(result.wplus, result.feature, result.image, result.weight_deltas)


def _put(mine: torch.Tensor | None, index: torch.Tensor, theirs: torch.Tensor | None, what: str) -> torch.Tensor | None:
    if mine is None and theirs is None:
        return None
    if mine is None or theirs is None:
        raise ValueError(f"cannot merge results with and without {what}")
    merged = mine.clone()
    merged[index] = theirs
    return merged


def _put_deltas(mine: WeightDeltas | None, index: torch.Tensor, theirs: WeightDeltas | None) -> WeightDeltas | None:
    if mine is None and theirs is None:
        return None
    if mine is None or theirs is None or set(mine) != set(theirs):
        raise ValueError("cannot merge results with and without (or with different) weight residuals")
    return {name: _put(mine[name], index, theirs[name], "weight residuals") for name in mine}


class Inverter:
    """Inverts images into generator `G`'s W+ space (plus feature tensor) with encoder `E`."""

    def __init__(self, G: Generator, E: InversionEncoder, intermediate_resolution: int | None = None) -> None:
        """`intermediate_resolution` (e.g. the encoder's input size) renders every step but the last
        only up to StyleGAN2's skip RGB at that size instead of the full image: cheaper for large
        generators, but the encoder then sees a softer reconstruction (off by default)."""
        if E.n_styles != G.n_latent:
            raise VidinvertError(
                f"the encoder predicts {E.n_styles} latents but the {G.size} px generator takes {G.n_latent}; "
                "use the generator the encoder was trained with"
            )
        if E.feature_index is not None and E.feature_shape() != G.feature_shape(E.feature_index):
            raise VidinvertError(
                f"the encoder's feature tensor {E.feature_shape()} does not fit the generator's activation "
                f"{G.feature_shape(E.feature_index)} at index {E.feature_index}"
            )
        for name, shape in E.weight_delta_shapes().items():
            if G.weight_delta_shape(name) != tuple(shape):
                raise VidinvertError(
                    f"the encoder predicts residuals {tuple(shape)} for {name} but the generator's is "
                    f"{G.weight_delta_shape(name)}; use the generator the encoder was trained with"
                )
        if intermediate_resolution is not None and intermediate_resolution not in {2**i for i in range(2, G.log_size + 1)}:
            raise VidinvertError(f"intermediate resolution must be a power of two up to {G.size}, got {intermediate_resolution}")
        self.G = G
        self.E = E
        self.intermediate_resolution = intermediate_resolution
        avg = E.latent_avg if E.latent_avg is not None else G.latent_avg.expand(G.n_latent, -1)
        if tuple(avg.shape) != (G.n_latent, G.style_dim):
            raise VidinvertError(f"the encoder's average latent {tuple(avg.shape)} does not fit the generator's W+ "
                                 f"({G.n_latent},{G.style_dim})")
        self.latent_avg = avg.to(G.latent_avg.device)
        self._average: InversionResult | None = None

    def render(self, wplus: torch.Tensor, feature: torch.Tensor | None, resolution: int | None = None,
               weight_deltas: WeightDeltas | None = None) -> torch.Tensor:
        """The generator image of latents `wplus` (the skip RGB at `resolution` if given), with the
        feature tensor in place and each sample's weight residuals added."""
        if feature is None:
            return self.G.synthesize(wplus, noise="stored", resolution=resolution, weight_deltas=weight_deltas)
        return self.G.synthesize(
            wplus, noise="stored", feature=feature, feature_index=self.E.feature_index, resolution=resolution,
            weight_deltas=weight_deltas,
        )

    @torch.no_grad()
    def average(self, batch: int) -> InversionResult:
        """Step 0 of a cold start: the average latent and its image, for `batch` entries."""
        if self._average is None:
            w = self.latent_avg.unsqueeze(0)
            self._average = InversionResult(w, None, self.render(w, None))
        return InversionResult(
            self._average.wplus.expand(batch, -1, -1).clone(), None, self._average.image.expand(batch, -1, -1, -1).clone()
        )

    @torch.no_grad()
    def invert(
        self, x: torch.Tensor, steps: int = 5, init: InversionResult | None = None, return_steps: bool = False
    ) -> InversionResult:
        """Invert `x` (B,3,H,W) in [-1,1] with `steps` refinement steps, from `init` or the average latent.

        With `steps=0` the starting point itself is returned. Encoders that read the target alone
        (the official FeatureStyleEncoder, HyperInverter) allow at most one step; E2Style runs one
        stage per step (the refine stages only when starting from `init`). The returned image is
        always full size; recorded intermediate images are smaller when `intermediate_resolution` is set.
        """
        x = self._check_input(x)
        if steps < 0:
            raise VidinvertError(f"steps must be 0 or more, got {steps}")
        stages = self.E.stages(steps, warm=init is not None)
        state = self.average(len(x)) if init is None else self._check_init(init, len(x))
        history = [_as_step(state)] if return_steps else []
        target = self.E.prepare(x) if steps else None
        for step, stage in enumerate(stages, start=1):
            wplus, feature, deltas = self.E.advance(target, state, stage, self.latent_avg, self.render)
            resolution = self.intermediate_resolution if step < steps else None
            state = InversionResult(wplus, feature, self.render(wplus, feature, resolution, deltas), weight_deltas=deltas)
            if return_steps:
                history.append(_as_step(state))
        return replace(state, steps=history)

    @torch.no_grad()
    def reconstruction_error(self, x: torch.Tensor, result: InversionResult) -> torch.Tensor:
        """Per-entry mean squared error (B,) between target and reconstruction at the encoder's input size."""
        x = self._check_input(x)
        return (self.E.prepare(x) - self.E.prepare(result.image)).pow(2).flatten(1).mean(1)

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 3:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise VidinvertError(f"images to invert must be a (B,3,H,W) tensor in [-1,1], got {shape}")
        return x.to(device=self.latent_avg.device, dtype=self.latent_avg.dtype)

    def _check_init(self, init: InversionResult, batch: int) -> InversionResult:
        if len(init) != batch:
            raise VidinvertError(f"init holds {len(init)} entries but {batch} images were given")
        if init.wplus.shape[1:] != self.latent_avg.shape:
            raise VidinvertError(f"init latents {tuple(init.wplus.shape[1:])} do not fit this generator")
        return init


def bootstrap(first: Inverter, second: Inverter, x: torch.Tensor, first_steps: int = 5, steps: int = 1) -> InversionResult:
    """`second`'s `steps`-step refinement of `first`'s `first_steps`-step inversion of `x`."""
    return BootstrappedInverter(first, second, first_steps).invert(x, steps)


class BootstrappedInverter(Inverter):
    """`main`'s inversion whose cold starts begin from `first`'s `first_steps`-step inversion.

    Both must use the same generator. `first`'s feature tensor and weight residuals only shape the
    reconstruction that `main`'s first step reads beside the target: that step gives `main`'s own
    latents, feature tensor (at `main`'s index) and residuals, so encoders with different feature
    indices, or without features, combine. Hence at least one `main` step after a cold start, and
    `main` must refine (a one-pass encoder reads the target alone and would ignore the start).
    """

    def __init__(self, first: Inverter, main: Inverter, first_steps: int = 5) -> None:
        if not same_generator(first.G, main.G):
            raise VidinvertError("the two encoders of a bootstrapped inversion must use the same generator")
        if not main.E.residual:
            raise VidinvertError(f"the {main.E.kind} encoder answers from the target alone and cannot refine "
                                 "another encoder's inversion; give a refining encoder as the main one")
        if first_steps < 1:
            raise VidinvertError(f"the first encoder's steps must be 1 or more, got {first_steps}")
        first.E.stages(first_steps, warm=False)  # a one-pass first encoder refuses more than one step here
        super().__init__(main.G, main.E, main.intermediate_resolution)
        self.first = first
        self.first_steps = first_steps

    @torch.no_grad()
    def invert(
        self, x: torch.Tensor, steps: int = 5, init: InversionResult | None = None, return_steps: bool = False
    ) -> InversionResult:
        """From `init` as `Inverter.invert`; without it from `first`'s inversion, refined by `steps` (1 or
        more) of the main encoder. Recorded steps are the main encoder's, its starting point first."""
        if init is None:
            if steps < 1:
                raise VidinvertError("a bootstrapped inversion needs 1 or more steps of the main encoder")
            init = self.first.invert(x, self.first_steps)
        return super().invert(x, steps, init=init, return_steps=return_steps)


@dataclass
class SequenceFrame:
    """One time step of sequence inversion: the result, whether each entry started cold, its error."""

    result: InversionResult
    cold: torch.Tensor
    restarted: torch.Tensor
    error: torch.Tensor


class SequenceInverter:
    """Warm-started inversion of frame sequences with a cold restart when warm starting stops working.

    `first_steps` refine a cold start (first frame, restarts); `next_steps` refine from the
    previous frame. An entry restarts cold when its error after the warm steps exceeds
    `min_restart_error` and `restart_ratio` times either its running baseline (an exponential
    average of past errors with weight `baseline_decay` on the past: a sudden jump) or its error
    right after its last cold start (a slow drift, which the running baseline would follow).
    """

    def __init__(
        self,
        inverter: Inverter,
        first_steps: int = 5,
        next_steps: int = 2,
        restart_ratio: float = 2.0,
        min_restart_error: float = 1e-3,
        baseline_decay: float = 0.8,
    ) -> None:
        if first_steps < 1 or next_steps < 0:
            raise VidinvertError("first_steps must be 1 or more and next_steps 0 or more")
        if not inverter.E.residual and (first_steps > 1 or next_steps > 1):
            raise VidinvertError(
                f"the {inverter.E.kind} encoder answers in one pass from the frame alone; use first_steps=1 and next_steps=1"
            )
        self.inverter = inverter
        self.first_steps = first_steps
        self.next_steps = next_steps
        self.restart_ratio = restart_ratio
        self.min_restart_error = min_restart_error
        self.baseline_decay = baseline_decay
        self.reset()

    def reset(self, init: InversionResult | None = None) -> None:
        """Forget the past; the next frame starts from `init` (warm) or cold."""
        self.state = init
        self.baseline: torch.Tensor | None = None
        self.anchor: torch.Tensor | None = None

    @torch.no_grad()
    def step(self, x: torch.Tensor, force_cold: torch.Tensor | None = None) -> SequenceFrame:
        """Invert the next frame of each sequence in the batch `x` (B,3,H,W); `force_cold` (B,) bool starts entries afresh."""
        inv = self.inverter
        batch = len(x)
        if not inv.E.residual:  # a one-pass encoder ignores the previous frame: nothing to warm-start or restart
            result = inv.invert(x, 1)
            error = inv.reconstruction_error(x, result).cpu()
            cold = torch.zeros(batch, dtype=torch.bool)
            restarted = cold.clone()
        elif self.state is None or len(self.state) != batch:
            result = inv.invert(x, self.first_steps)
            error = inv.reconstruction_error(x, result).cpu()
            cold = torch.ones(batch, dtype=torch.bool)
            restarted = torch.zeros(batch, dtype=torch.bool)
        else:
            result = inv.invert(x, self.next_steps, init=self.state)
            error = inv.reconstruction_error(x, result).cpu()
            restarted = self._jumped(error)
            cold = restarted.clone()
            if force_cold is not None:
                cold |= force_cold.cpu().bool()
            if cold.any():
                index = cold.nonzero().squeeze(1)
                log.debug("cold restart for entries %s (error %s)", index.tolist(), error[index].tolist())
                frames = x[index.to(x.device)]
                fresh = inv.invert(frames, self.first_steps)
                result = result.put(index.to(result.wplus.device), fresh)
                error[index] = inv.reconstruction_error(frames, fresh).cpu()
        self._update_baseline(error, cold)
        self.state = result
        return SequenceFrame(result, cold, restarted, error)

    def run(self, frames: Iterable[torch.Tensor]) -> Iterator[SequenceFrame]:
        """Invert frame batches in order, each warm-started from the one before."""
        for x in frames:
            yield self.step(x)

    def _jumped(self, error: torch.Tensor) -> torch.Tensor:
        if self.baseline is None:
            return torch.zeros_like(error, dtype=torch.bool)
        reference = self.baseline if self.anchor is None else torch.minimum(self.baseline, self.anchor)
        # a warm chain that blew up to NaN/inf compares false against every threshold
        return ((error > self.restart_ratio * reference) & (error > self.min_restart_error)) | ~torch.isfinite(error)

    def _update_baseline(self, error: torch.Tensor, cold: torch.Tensor) -> None:
        if self.baseline is None:
            self.baseline = error.clone()
            self.anchor = error.clone()
            return
        blended = self.baseline_decay * self.baseline + (1 - self.baseline_decay) * error
        self.baseline = torch.where(cold, error, blended)
        self.anchor = torch.where(cold, error, self.anchor)
