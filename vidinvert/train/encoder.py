"""Training the vidinvert encoder (FeatureStyleEncoder run as ReStyle residual steps) for a frozen generator.

`arch` may also name an official ReStyle encoder type (BackboneEncoder, ResNetBackboneEncoder and
their Progressive e4e forms): these predict latents only, so the feature terms drop out, and
`encoder.pt` is then written in the official ReStyle layout (generator included as `decoder.`).

Scheme (ReStyle, sec. 4-5): every batch is refined over `refine_steps` steps; each step feeds the target
and the current reconstruction, predicts a W+ residual and a new feature tensor, renders, computes
the loss and back-propagates; the reconstruction and latents are fed back detached, and the
optimiser steps once per batch with the accumulated gradients.

Losses (FeatureStyleEncoder, sec. 4.1), on the two renderings x1 = G(w) and x2 = G(F, w):
- `mse`: pixel MSE of x1 on generated images (whose true latents exist), and of w against the true
  latents (`w_mse`);
- `multiscale`: multi-scale perceptual loss on both renderings. LPIPS is unavailable, so this is
  `losses.multiscale_pixel_loss` (pixel + gradient MSE at 1, 1/2, 1/4 scale), logged once at start;
- `feature`: ||F - G_K(w)||^2, keeping the feature tensor editable through the latents;
- `identity`: 1 - cosine of identity embeddings, only when `identity` names a model file.
Batches mix real faces and generator samples (`real_fraction`, 1/2 by default).

Warm-start training: with probability `warm_prob` a sequence starts not from the average latent but
from the encoder's own inversion (`warm_steps` steps, no gradient) of a jittered copy of the same
image (small shift, rotation, scale and colour change), as a video's previous frame would give.

Fixed-point term (`fixed_point` > 0, `fixed_point_loss`): video inversion chains one warm step per
frame, so a step must neither move a right answer nor miss a neighbour's. After the refinement
steps, (a) one more step from this image's answer (the true latents of a generated image, the
final state for a real one) is penalised for any W+ residual and any change of the feature tensor,
and (b) one step from a neighbouring frame's answer (the `fixed_point_steps`-step inversion of a
jittered copy, no gradient) is penalised for its distance to this image's answer.

The run folder holds `checkpoint.pt` (encoder, optimiser, random states, step; continued when
present), `encoder.pt` (a vidinvert-encoder file `load_encoder` reads), `samples/step-N.png`
(targets, then the reconstruction after 1 and after `refine_steps` steps, from a fixed held-out batch)
and `metrics.jsonl`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from vidinvert.checkpoint import save_checkpoint
from vidinvert.device import resolve_device
from vidinvert.errors import VidinvertError
from vidinvert.invert import InversionResult, Inverter
from vidinvert.models.encoder_base import InversionEncoder
from vidinvert.models.encoders import RESTYLE_ENCODER_TYPES, load_encoder
from vidinvert.models.generator_file import load_generator
from vidinvert.models.restyle import RESTYLE_INPUT_SIZE, ReStyleEncoder
from vidinvert.models.stylegan2 import Generator
from vidinvert.models.vidinvert_encoder import BACKBONES, EncoderConfig, build_vidinvert_encoder, save_encoder
from vidinvert.train.common import CHECKPOINT_NAME, RunSchedule, read_resume_checkpoint, run_or_resume, training_loop, MetricsLog, autocast, grad_scaler, rng_state, save_grid, set_rng_state
from vidinvert.train.data import FaceBatches, aligned_faces
from vidinvert.train.degrade import check_degradation, degrade
from vidinvert.train.jitter import jitter
from vidinvert.train.losses import identity_loss, multiscale_pixel_loss

log = logging.getLogger(__name__)

ENCODER_NAME = "encoder.pt"
FIXED_ON_RESUME = ("arch", "generator", "feature_index", "input_size", "backbone", "data", "limit", "seed", "degrade")
#: Encoder architectures: ours, and the official ReStyle ones by their `opts['encoder_type']` names.
ARCHITECTURES = ("vidinvert", *RESTYLE_ENCODER_TYPES)
PERCEPTUAL_STAND_IN = ("multi-scale LPIPS is replaced by multi-scale pixel + gradient MSE "
                       "(1, 1/2, 1/4 scale): no LPIPS weights are available")


@dataclass
class EncoderTrainConfig(RunSchedule):
    """Options of `train_encoder` (the CLI flags of `vidinvert train encoder`, same names)."""

    generator: str
    data: str
    output: str
    arch: str = "vidinvert"
    feature_index: int = 5
    input_size: int = 256
    backbone: str = "iresnet50"
    batch_size: int = 8
    iterations: int = 10_000
    refine_steps: int = 3
    lr: float = 1e-4
    real_fraction: float = 0.5
    warm_prob: float = 0.3
    warm_steps: int = 1
    mse: float = 1.0
    w_mse: float = 1.0
    multiscale: float = 1.0
    feature: float = 0.01
    identity_weight: float = 0.1
    identity: str | None = None
    fixed_point: float = 0.0
    fixed_point_steps: int = 2
    init_encoder: str | None = None
    n_sample: int = 8
    test_data: str | None = None
    degrade: str | None = None


class EncoderTrainer:
    """Holds the frozen generator, the encoder, its optimiser and the run state; `run()` trains to `cfg.iterations`."""

    def __init__(self, cfg: EncoderTrainConfig, faces: FaceBatches | None = None, G: Generator | None = None,
                 sample_faces: torch.Tensor | None = None) -> None:
        self._check(cfg)
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.out = Path(cfg.output)
        torch.manual_seed(cfg.seed)
        self.G = (G if G is not None else load_generator(cfg.generator)).to(self.device).eval().requires_grad_(False)
        self.E = build_encoder(cfg, self.G)
        if cfg.init_encoder is not None:
            self._load_weights(cfg.init_encoder)
        self.E = self.E.to(self.device).train()
        self.optim = torch.optim.Adam(self.E.parameters(), lr=cfg.lr)
        self.scaler = grad_scaler(self.device, cfg.mixed_precision)
        self.inverter = Inverter(self.G, self.E)
        if faces is None:
            faces = FaceBatches(aligned_faces(cfg.data, self.G.size, cfg.cache_dir, cfg.progress, cfg.limit),
                                seed=cfg.seed)
        if faces.size != self.G.size:
            raise VidinvertError(f"faces are {faces.size} px but the generator is {self.G.size} px")
        self.faces = faces
        if sample_faces is None:
            source = cfg.test_data or cfg.data
            held = aligned_faces(source, self.G.size, cfg.cache_dir, cfg.progress, cfg.limit)
            sample_faces = FaceBatches(held, flip=False, seed=cfg.seed + 1).sample(cfg.n_sample)
        self.sample_faces = sample_faces
        # The held-out batch is degraded once, by its own generator, so evaluation sees the same holes.
        self.sample_inputs = degrade(sample_faces, cfg.degrade, torch.Generator().manual_seed(cfg.seed + 2))
        self.identity = self._identity_model(cfg)
        self.step = 0
        self.metrics = MetricsLog(self.out / "metrics.jsonl")
        log.warning("%s", PERCEPTUAL_STAND_IN)
        if self.identity is None:
            log.warning("no identity model given: the identity loss is off")

    @staticmethod
    def _check(cfg: EncoderTrainConfig) -> None:
        if cfg.arch not in ARCHITECTURES:
            raise VidinvertError(f"unknown encoder architecture {cfg.arch!r}; choose from {', '.join(ARCHITECTURES)}")
        if cfg.backbone not in BACKBONES:
            raise VidinvertError(f"unknown backbone {cfg.backbone!r}; choose from {', '.join(BACKBONES)}")
        if cfg.refine_steps < 1 or cfg.batch_size < 1:
            raise VidinvertError("--refine-steps and --batch-size must be at least 1")
        if not 0 <= cfg.real_fraction <= 1 or not 0 <= cfg.warm_prob <= 1:
            raise VidinvertError("--real-fraction and --warm-prob must lie in [0, 1]")
        if cfg.fixed_point < 0 or cfg.fixed_point_steps < 1:
            raise VidinvertError("--fixed-point must be 0 or more and --fixed-point-steps at least 1")
        check_degradation(cfg.degrade)

    def _load_weights(self, path: str) -> None:
        """Start from the weights of an encoder file of the same architecture."""
        source = load_encoder(path, device="cpu")
        mine, theirs = self.E.state_dict(), source.state_dict()
        if mine.keys() != theirs.keys() or any(mine[k].shape != theirs[k].shape for k in mine):
            raise VidinvertError(f"{path} is not an encoder of the configured architecture for this generator")
        self.E.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in theirs.items()})
        log.info("starting from the weights of %s", path)

    def _identity_model(self, cfg: EncoderTrainConfig):
        if cfg.identity is None:
            return None
        from vidinvert.metrics.identity import load_identity_model
        from vidinvert.metrics.unavailable import Unavailable

        model = load_identity_model(Path(cfg.identity), device=str(self.device))
        if isinstance(model, Unavailable):
            raise VidinvertError(f"identity model {cfg.identity} cannot be used: {model.reason}")
        return model

    # ------------------------------------------------------------------ checkpoints
    def state(self) -> dict[str, Any]:
        return {
            "format": "vidinvert-encoder-training",
            "encoder": {k: v.detach().cpu() for k, v in self.E.state_dict().items()},
            "optim": self.optim.state_dict(),
            "scaler": self.scaler.state_dict(),
            "args": asdict(self.cfg),
            "step": self.step,
            "rng": rng_state(self.device),
            "data_rng": self.faces.state(),
        }

    def save(self) -> Path:
        """Write `checkpoint.pt` (to continue) and `encoder.pt` (to use), each atomically."""
        if self.cfg.arch == "vidinvert":
            save_encoder(self.E, self.out / ENCODER_NAME, degrade=self.cfg.degrade)
        else:
            save_checkpoint(restyle_checkpoint(self.E, self.G, self.cfg), self.out / ENCODER_NAME)
        return save_checkpoint(self.state(), self.out / CHECKPOINT_NAME)

    def load(self, path: Path) -> None:
        ckpt = read_resume_checkpoint(path, self.cfg, FIXED_ON_RESUME)
        self.E.load_state_dict(ckpt["encoder"])
        self.optim.load_state_dict(ckpt["optim"])
        self.scaler.load_state_dict(ckpt["scaler"])
        self.step = int(ckpt["step"])
        self.faces.load_state(ckpt["data_rng"])
        set_rng_state(ckpt["rng"], self.device)
        log.info("continuing %s from step %d", path, self.step)

    # ------------------------------------------------------------------ one step
    def _batch(self) -> tuple[torch.Tensor, torch.Tensor | None, int]:
        """Targets (real faces first, then generator samples), the samples' true W+, and the real count."""
        cfg, G = self.cfg, self.G
        n_real = round(cfg.batch_size * cfg.real_fraction)
        real = self.faces.sample(n_real).to(self.device)
        n_fake = cfg.batch_size - n_real
        if not n_fake:
            return real, None, n_real
        with torch.no_grad():
            w = G.mapping(torch.randn(n_fake, G.style_dim, device=self.device))
            w_true = w.unsqueeze(1).expand(-1, G.n_latent, -1)
            fake = G.synthesize(w_true, noise="stored")
        return torch.cat([real, fake]), w_true, n_real

    def _start(self, x: torch.Tensor) -> InversionResult:
        """Step 0: the average latent, or for a random subset the inversion of a jittered copy of the
        encoder's input `x` (the degraded image when training for restoration)."""
        state = self.inverter.average(len(x))
        warm = torch.rand(len(x), device=self.device) < self.cfg.warm_prob
        if warm.any() and self.cfg.warm_steps > 0:
            self.E.eval()
            result = self.inverter.invert(jitter(x[warm]), steps=self.cfg.warm_steps)
            self.E.train()
            state = InversionResult(state.wplus.clone(), None, state.image.clone())
            state.wplus[warm], state.image[warm] = result.wplus, result.image
        return state

    def train_step(self) -> dict[str, float]:
        """One batch refined over `refine_steps` steps, a backward pass at each, one optimiser step."""
        cfg, G, E = self.cfg, self.G, self.E
        x, w_true, n_real = self._batch()
        seen = degrade(x, cfg.degrade)
        state = self._start(seen)
        target = E.prepare(seen)
        wplus, image = state.wplus.detach(), state.image.detach()
        self.optim.zero_grad(set_to_none=True)
        totals: dict[str, float] = {}
        for _ in range(cfg.refine_steps):
            with autocast(self.device, cfg.mixed_precision):
                delta, feature = E(torch.cat([target, E.prepare(image)], dim=1))
                wplus = wplus + delta.float()
                x1 = G.synthesize(wplus, noise="stored")
                if feature is None:  # ReStyle: latents only, one rendering
                    x2 = x1
                else:
                    x2 = G.synthesize(wplus, noise="stored", feature=feature, feature_index=E.feature_index)
                terms = self._losses(x, x1.float(), x2.float(), wplus, feature, w_true, n_real)
                loss = sum(weight * value for weight, value in terms.values())
            self.scaler.scale(loss).backward()
            for name, (_, value) in terms.items():
                totals[name] = totals.get(name, 0.0) + value.item() / cfg.refine_steps
            totals["loss"] = totals.get("loss", 0.0) + loss.item() / cfg.refine_steps
            wplus, image = wplus.detach(), x2.detach().float()
        if cfg.fixed_point > 0:
            answer = self._answer(x, w_true, n_real, InversionResult(wplus, feature.detach() if feature is not None else None, image))
            with autocast(self.device, cfg.mixed_precision):
                parts = fixed_point_loss(E, seen, answer, self._neighbour(seen))
                loss = cfg.fixed_point * sum(parts.values())
            self.scaler.scale(loss).backward()
            for name, value in parts.items():
                totals[name] = value.item()
            totals["loss"] += loss.item()
        self.scaler.step(self.optim)
        self.scaler.update()
        self.step += 1
        return totals

    @torch.no_grad()
    def _answer(self, x: torch.Tensor, w_true: torch.Tensor | None, n_real: int, final: InversionResult) -> InversionResult:
        """This image's answer: the true latents (and their feature and image) of generated images,
        the final refinement state of real ones."""
        if w_true is None:
            return final
        wplus, image = final.wplus.clone(), final.image.clone()
        wplus[n_real:], image[n_real:] = w_true, x[n_real:]
        feature = None
        if final.feature is not None:
            feature = final.feature.clone()
            feature[n_real:] = self.G.features(w_true, self.E.feature_index).to(feature.dtype)
        return InversionResult(wplus, feature, image)

    @torch.no_grad()
    def _neighbour(self, x: torch.Tensor) -> InversionResult:
        """A neighbouring frame's answer: the inversion of a jittered copy of each image."""
        self.E.eval()
        result = self.inverter.invert(jitter(x), steps=self.cfg.fixed_point_steps)
        self.E.train()
        return result

    def _losses(self, x: torch.Tensor, x1: torch.Tensor, x2: torch.Tensor, wplus: torch.Tensor,
                feature: torch.Tensor | None, w_true: torch.Tensor | None, n_real: int) -> dict[str, tuple[float, torch.Tensor]]:
        """{name: (weight, value)} of every active loss term."""
        cfg = self.cfg
        if feature is None:
            terms = {"multiscale": (cfg.multiscale, multiscale_pixel_loss(x1, x))}
        else:
            terms = {
                "multiscale": (cfg.multiscale, multiscale_pixel_loss(x1, x) + multiscale_pixel_loss(x2, x)),
                "feature": (cfg.feature, F.mse_loss(feature.float(), self.G.features(wplus, self.E.feature_index).float())),
            }
        if w_true is not None:
            terms["mse"] = (cfg.mse, F.mse_loss(x1[n_real:], x[n_real:]))
            terms["w_mse"] = (cfg.w_mse, F.mse_loss(wplus[n_real:], w_true))
        if self.identity is not None:
            renderings = (x1,) if feature is None else (x1, x2)
            terms["identity"] = (cfg.identity_weight, sum(identity_loss(self.identity, r, x) for r in renderings))
        return terms

    @torch.no_grad()
    def samples(self) -> torch.Tensor:
        """Rows: held-out targets, (with --degrade, what the encoder sees,) their reconstruction after
        1 step and after `refine_steps` steps."""
        self.E.eval()
        x, seen = self.sample_faces.to(self.device), self.sample_inputs.to(self.device)
        result = self.inverter.invert(seen, steps=self.cfg.refine_steps, return_steps=True)
        self.E.train()
        rows = [x, seen] if self.cfg.degrade else [x]
        return torch.cat([*rows, result.steps[1].image, result.image])

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """PSNR (dB) against the clean held-out batch after 1 and after `refine_steps` steps, encoder in
        eval mode (with --degrade, inverting the degraded batch)."""
        self.E.eval()
        x = self.sample_faces.to(self.device)
        result = self.inverter.invert(self.sample_inputs.to(self.device), steps=self.cfg.refine_steps, return_steps=True)
        self.E.train()

        def psnr(image: torch.Tensor) -> float:
            mse = ((image.clamp(-1, 1) - x) / 2).pow(2).flatten(1).mean(1)
            return float((10 * torch.log10(1 / mse.clamp_min(1e-10))).mean())

        return {"psnr_1": psnr(result.steps[1].image), f"psnr_{self.cfg.refine_steps}": psnr(result.image)}

    # ------------------------------------------------------------------ the loop
    def write_samples(self) -> Path:
        return save_grid(self.samples(), self.out / "samples" / f"step-{self.step:07d}.png", len(self.sample_faces))

    def run(self) -> Path:
        """Train up to `cfg.iterations`; returns the path of `encoder.pt`."""
        training_loop(self, "encoder", lambda m: {"loss": f"{m['loss']:.4f}", "psnr": f"{m['psnr_1']:.2f}"},
                      evaluate=self.evaluate)
        self.save()
        return self.out / ENCODER_NAME


def fixed_point_loss(E: InversionEncoder, x: torch.Tensor, answer: InversionResult,
                     neighbour: InversionResult) -> dict[str, torch.Tensor]:
    """The fixed-point terms of one batch of targets x (B,3,H,W) (see the module doc).

    `fixed_stay`: mean squared W+ residual of a step from `answer` (plus the mean squared change of
    the feature tensor); `fixed_land`: mean squared distance from the W+ (and feature) one step from
    `neighbour` reaches to `answer`'s. Both are zero for an encoder that answers a right answer with
    a zero residual and its own feature tensor.
    """
    target = E.prepare(x)
    delta, feature = E(torch.cat([target, E.prepare(answer.image)], dim=1))
    stay = delta.float().pow(2).mean()
    moved, landed = E(torch.cat([target, E.prepare(neighbour.image)], dim=1))
    land = (neighbour.wplus + moved.float() - answer.wplus).pow(2).mean()
    if feature is not None and answer.feature is not None:
        stay = stay + (feature.float() - answer.feature.float()).pow(2).mean()
        land = land + (landed.float() - answer.feature.float()).pow(2).mean()
    return {"fixed_stay": stay, "fixed_land": land}


def build_encoder(cfg: EncoderTrainConfig, G: Generator) -> InversionEncoder:
    """A fresh encoder of `cfg.arch` predicting `G`'s latents (ReStyle ones read 256 px, as the official)."""
    if cfg.arch in RESTYLE_ENCODER_TYPES:
        if G.style_dim != 512:
            raise VidinvertError(f"ReStyle encoders predict 512-d styles; the generator's are {G.style_dim}-d")
        backbone, progressive = RESTYLE_ENCODER_TYPES[cfg.arch]
        return ReStyleEncoder(backbone, progressive, n_styles=G.n_latent, in_channels=6, input_size=RESTYLE_INPUT_SIZE)
    try:
        config = EncoderConfig.for_generator(G, cfg.feature_index, cfg.input_size, cfg.backbone)
    except ValueError as exc:
        raise VidinvertError(f"encoder does not fit the {G.size} px generator: {exc}") from None
    return build_vidinvert_encoder(config)


def restyle_checkpoint(E: ReStyleEncoder, G: Generator, cfg: EncoderTrainConfig) -> dict[str, Any]:
    """The official ReStyle file layout: encoder and generator (`decoder.`) weights, opts, latent_avg."""
    state = {f"encoder.{k}": v.detach().cpu() for k, v in E.state_dict().items()}
    state.update({f"decoder.{k}": v.detach().cpu() for k, v in G.state_dict().items()})
    opts = {"encoder_type": cfg.arch, "input_nc": 6, "output_size": G.size, "n_iters_per_batch": cfg.refine_steps,
            "batch_size": cfg.batch_size, "learning_rate": cfg.lr, "device": "cpu", "degrade": cfg.degrade}
    return {"state_dict": state, "opts": opts,
            "latent_avg": G.latent_avg.detach().cpu().expand(G.n_latent, -1).clone()}


def train_encoder(**options: Any) -> Path:
    """Train (or continue) a vidinvert encoder; keywords are the fields of EncoderTrainConfig.

    Continues from `<output>/checkpoint.pt` when it exists. Returns the path of `encoder.pt`.
    """
    return run_or_resume(EncoderTrainConfig, EncoderTrainer, options)
