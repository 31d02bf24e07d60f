"""StyleGAN2 generator training at small resolutions (the rosinality recipe, with DiffAugment).

Losses: non-saturating logistic loss; lazy R1 on real images every `d_reg_every` steps; path-length
regularisation every `g_reg_every` steps (off when `path_regularize` is 0, the CPU default); style
mixing; an EMA copy `g_ema` of the generator (half-life ramped up with the images seen); DiffAugment (colour, translation, cutout) on both
real and generated images. On CUDA the main losses run under float16 autocast with loss scaling.

The run folder holds `checkpoint.pt` (replaced atomically at every save), `samples/step-N.png`
(grids from fixed latents through `g_ema`) and `metrics.jsonl`. The checkpoint is the official
training layout `{'g', 'd', 'g_ema', 'g_optim', 'd_optim', 'args'}` (args a plain dict) plus
`latent_avg` and the state needed to continue bit for bit (`step`, `rng`, `data_rng`,
`mean_path_length`, `g_scaler`, `d_scaler`, `sample_z`). Calling `train_generator` again with the
same folder continues from it.
"""

from __future__ import annotations

import copy
import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from vidinvert.checkpoint import save_checkpoint
from vidinvert.device import resolve_device
from vidinvert.errors import VidinvertError
from vidinvert.models.discriminator import Discriminator
from vidinvert.models.stylegan2 import Generator, official_channels
from vidinvert.train.augment import diff_augment, parse_policy
from vidinvert.train.common import (CHECKPOINT_NAME, RunSchedule, read_resume_checkpoint, MetricsLog, run_or_resume, training_loop, accumulate, autocast, grad_scaler, lazy_adam, rng_state,
                                    save_grid, set_rng_state)
from vidinvert.train.data import FaceBatches, aligned_faces

log = logging.getLogger(__name__)

LATENT_AVG_SAMPLES = 10_000
#: Options that must not change when a run is continued (they shape the networks or the data).
FIXED_ON_RESUME = ("size", "max_channels", "channel_multiplier", "style_dim", "n_mlp", "data", "limit", "seed")


@dataclass
class GeneratorTrainConfig(RunSchedule):
    """Options of `train_generator` (the CLI flags of `vidinvert train generator`, same names)."""

    data: str
    output: str
    size: int = 64
    max_channels: int = 512
    channel_multiplier: int = 2
    style_dim: int = 512
    n_mlp: int = 8
    batch_size: int = 16
    iterations: int = 10_000
    lr: float = 0.002
    r1: float = 10.0
    d_reg_every: int = 16
    path_regularize: float = 0.0
    g_reg_every: int = 4
    path_batch_shrink: int = 2
    mixing: float = 0.9
    ema_kimg: float = 10.0
    ema_rampup: float = 0.05
    augment: str = "color,translation,cutout"
    n_sample: int = 32

    def channels(self) -> dict[int, int]:
        """Channels per resolution: the official table capped at `max_channels`."""
        return {res: min(c, self.max_channels)
                for res, c in official_channels(self.size, self.channel_multiplier).items()}


def build_networks(cfg: GeneratorTrainConfig) -> tuple[Generator, Discriminator]:
    """A fresh generator and discriminator for `cfg` (torch's global seed decides the weights)."""
    channels = cfg.channels()
    G = Generator(cfg.size, cfg.style_dim, cfg.n_mlp, cfg.channel_multiplier, channels=channels)
    D = Discriminator(cfg.size, cfg.channel_multiplier, channels=channels)
    return G, D


class GeneratorTrainer:
    """Holds the networks, optimisers and state of one run; `run()` trains up to `cfg.iterations`."""

    def __init__(self, cfg: GeneratorTrainConfig, faces: FaceBatches | None = None) -> None:
        self._check(cfg)
        self.cfg = cfg
        self.device = resolve_device(cfg.device)
        self.out = Path(cfg.output)
        self.policy = parse_policy(cfg.augment)
        torch.manual_seed(cfg.seed)
        self.G, self.D = build_networks(cfg)
        self.g_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.G.to(self.device)
        self.D.to(self.device)
        self.g_ema.to(self.device)
        self.g_optim = lazy_adam(self.G.parameters(), cfg.lr, cfg.g_reg_every if cfg.path_regularize > 0 else 0)
        self.d_optim = lazy_adam(self.D.parameters(), cfg.lr, cfg.d_reg_every)
        self.g_scaler = grad_scaler(self.device, cfg.mixed_precision)
        self.d_scaler = grad_scaler(self.device, cfg.mixed_precision)
        self.sample_z = torch.randn(cfg.n_sample, cfg.style_dim,
                                    generator=torch.Generator().manual_seed(cfg.seed + 1))
        self.step = 0
        self.mean_path_length = 0.0
        if faces is None:
            faces = FaceBatches(aligned_faces(cfg.data, cfg.size, cfg.cache_dir, cfg.progress, cfg.limit),
                                seed=cfg.seed)
        if faces.size != cfg.size:
            raise VidinvertError(f"faces are {faces.size} px but the generator is {cfg.size} px")
        self.faces = faces
        self.metrics = MetricsLog(self.out / "metrics.jsonl")

    @staticmethod
    def _check(cfg: GeneratorTrainConfig) -> None:
        if cfg.size not in (8, 16, 32, 64, 128, 256, 512, 1024):
            raise VidinvertError(f"--size must be a power of two from 8 to 1024, got {cfg.size}")
        if cfg.batch_size < 2 or cfg.batch_size % 2:
            raise VidinvertError(f"--batch-size must be an even number >= 2, got {cfg.batch_size}")
        if cfg.path_regularize > 0 and cfg.batch_size // cfg.path_batch_shrink < 1:
            raise VidinvertError("--path-batch-shrink leaves no sample for the path-length regulariser")
        try:
            parse_policy(cfg.augment)
        except ValueError as exc:
            raise VidinvertError(str(exc)) from None

    # ------------------------------------------------------------------ checkpoints
    def state(self) -> dict[str, Any]:
        """The checkpoint dict (official training layout plus the resume state)."""
        return {
            "g": self.G.state_dict(),
            "d": self.D.state_dict(),
            "g_ema": self.g_ema.state_dict(),
            "g_optim": self.g_optim.state_dict(),
            "d_optim": self.d_optim.state_dict(),
            "args": asdict(self.cfg),
            "latent_avg": self.g_ema.mean_latent(LATENT_AVG_SAMPLES, seed=0),
            "step": self.step,
            "mean_path_length": self.mean_path_length,
            "rng": rng_state(self.device),
            "data_rng": self.faces.state(),
            "g_scaler": self.g_scaler.state_dict(),
            "d_scaler": self.d_scaler.state_dict(),
            "sample_z": self.sample_z,
        }

    def save(self) -> Path:
        """Write the run folder's checkpoint (atomically)."""
        return save_checkpoint(self.state(), self.out / CHECKPOINT_NAME)

    def load(self, path: Path) -> None:
        """Continue from a checkpoint this trainer wrote (networks, optimisers, random states, step)."""
        ckpt = read_resume_checkpoint(path, self.cfg, FIXED_ON_RESUME)
        self.G.load_state_dict(ckpt["g"])
        self.D.load_state_dict(ckpt["d"])
        self.g_ema.load_state_dict(ckpt["g_ema"])
        self.g_optim.load_state_dict(ckpt["g_optim"])
        self.d_optim.load_state_dict(ckpt["d_optim"])
        self.g_scaler.load_state_dict(ckpt["g_scaler"])
        self.d_scaler.load_state_dict(ckpt["d_scaler"])
        self.step = int(ckpt["step"])
        self.mean_path_length = float(ckpt["mean_path_length"])
        self.sample_z = ckpt["sample_z"]
        self.faces.load_state(ckpt["data_rng"])
        set_rng_state(ckpt["rng"], self.device)
        log.info("continuing %s from step %d", path, self.step)

    # ------------------------------------------------------------------ one step
    def _latents(self, batch: int) -> torch.Tensor:
        """W+ latents (batch, n_latent, style_dim), two mapped z mixed at a random layer with prob `mixing`."""
        n_latent = self.G.n_latent
        z = torch.randn(2, batch, self.cfg.style_dim, device=self.device)
        if self.cfg.mixing > 0 and torch.rand(()).item() < self.cfg.mixing:
            cut = int(torch.randint(1, n_latent, ()).item())
            w1, w2 = self.G.mapping(z[0]), self.G.mapping(z[1])
            return torch.cat([w1.unsqueeze(1).expand(-1, cut, -1), w2.unsqueeze(1).expand(-1, n_latent - cut, -1)], 1)
        return self.G.mapping(z[0]).unsqueeze(1).expand(-1, n_latent, -1)

    def _generate(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        wplus = self._latents(batch)
        return self.G.synthesize(wplus, noise="random"), wplus

    def train_step(self) -> dict[str, float]:
        """One discriminator and one generator update (plus the lazy regularisers when due)."""
        cfg, G, D, dev = self.cfg, self.G, self.D, self.device
        real = self.faces.sample(cfg.batch_size).to(dev)
        stats: dict[str, float] = {}

        G.requires_grad_(False)
        D.requires_grad_(True)
        with autocast(dev, cfg.mixed_precision):
            fake, _ = self._generate(cfg.batch_size)
            fake_pred = D(diff_augment(fake, self.policy))
            real_pred = D(diff_augment(real, self.policy))
            d_loss = F.softplus(fake_pred.float()).mean() + F.softplus(-real_pred.float()).mean()
        self.d_optim.zero_grad(set_to_none=True)
        self.d_scaler.scale(d_loss).backward()
        self.d_scaler.step(self.d_optim)
        self.d_scaler.update()
        stats.update(d_loss=d_loss.item(), real_score=real_pred.float().mean().item(),
                     fake_score=fake_pred.float().mean().item())

        if cfg.r1 > 0 and self.step % cfg.d_reg_every == 0:
            real_aug = diff_augment(real, self.policy).detach().requires_grad_(True)
            pred = D(real_aug)
            (grad,) = torch.autograd.grad(pred.sum(), real_aug, create_graph=True)
            r1 = grad.pow(2).flatten(1).sum(1).mean()
            self.d_optim.zero_grad(set_to_none=True)
            # The 0 * pred term keeps every D parameter in the graph, as the reference recipe does.
            (cfg.r1 / 2 * r1 * cfg.d_reg_every + 0 * pred[0].sum()).backward()
            self.d_optim.step()
            stats["r1"] = r1.item()

        G.requires_grad_(True)
        D.requires_grad_(False)
        with autocast(dev, cfg.mixed_precision):
            fake, _ = self._generate(cfg.batch_size)
            g_loss = F.softplus(-D(diff_augment(fake, self.policy)).float()).mean()
        self.g_optim.zero_grad(set_to_none=True)
        self.g_scaler.scale(g_loss).backward()
        self.g_scaler.step(self.g_optim)
        self.g_scaler.update()
        stats["g_loss"] = g_loss.item()

        if cfg.path_regularize > 0 and self.step % cfg.g_reg_every == 0:
            stats["path"] = self._path_length_step()

        accumulate(self.g_ema, G, self.ema_decay())
        self.step += 1
        return stats

    def ema_decay(self) -> float:
        """Per-step EMA decay: half-life `ema_kimg` thousand images, shortened early in the run to
        `ema_rampup` times the images seen so far (0: no ramp-up)."""
        half_life = self.cfg.ema_kimg * 1000
        if self.cfg.ema_rampup > 0:
            half_life = min(half_life, self.step * self.cfg.batch_size * self.cfg.ema_rampup)
        return 0.5 ** (self.cfg.batch_size / half_life) if half_life > 0 else 0.0

    def _path_length_step(self) -> float:
        cfg = self.cfg
        fake, wplus = self._generate(max(cfg.batch_size // cfg.path_batch_shrink, 1))
        noise = torch.randn_like(fake) / math.sqrt(fake.shape[2] * fake.shape[3])
        (grad,) = torch.autograd.grad((fake * noise).sum(), wplus, create_graph=True)
        lengths = grad.pow(2).sum(2).mean(1).sqrt()
        path_mean = self.mean_path_length + 0.01 * (lengths.mean().item() - self.mean_path_length)
        penalty = (lengths - path_mean).pow(2).mean()
        self.g_optim.zero_grad(set_to_none=True)
        (cfg.path_regularize * cfg.g_reg_every * penalty + 0 * fake[0, 0, 0, 0]).backward()
        self.g_optim.step()
        self.mean_path_length = path_mean
        return penalty.item()

    @torch.no_grad()
    def samples(self) -> torch.Tensor:
        """Images of the fixed sample latents through `g_ema` with its stored noise (no randomness used)."""
        w = self.g_ema.mapping(self.sample_z.to(self.device))
        return torch.cat([self.g_ema.synthesize(chunk, noise="stored") for chunk in w.split(16)])

    def write_samples(self) -> Path:
        return save_grid(self.samples(), self.out / "samples" / f"step-{self.step:07d}.png")

    # ------------------------------------------------------------------ the loop
    def run(self) -> Path:
        """Train up to `cfg.iterations`, saving samples and checkpoints along the way; returns the checkpoint."""
        training_loop(self, "generator", lambda m: {"d": f"{m['d_loss']:.3f}", "g": f"{m['g_loss']:.3f}",
                                                    "its": f"{m['it_per_s']:.2f}"})
        return self.save()


def train_generator(**options: Any) -> Path:
    """Train (or continue) a StyleGAN2 run; keywords are the fields of GeneratorTrainConfig.

    Continues from `<output>/checkpoint.pt` when it exists. Returns the checkpoint path.
    """
    return run_or_resume(GeneratorTrainConfig, GeneratorTrainer, options)
