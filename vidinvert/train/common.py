"""Pieces both trainers share: random states, sample grids, the metrics log, mixed precision."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from vidinvert.checkpoint import load_checkpoint
from vidinvert.files import atomic_path
from vidinvert.errors import VidinvertError


CHECKPOINT_NAME = "checkpoint.pt"


@dataclasses.dataclass(kw_only=True)
class RunSchedule:
    """What both trainers share: seed, logging, sampling and saving schedule, data cache, device."""

    seed: int = 0
    sample_every: int = 500
    save_every: int = 500
    save_minutes: float = 5.0
    log_every: int = 50
    cache_dir: str | None = None
    limit: int | None = None
    device: str = "auto"
    mixed_precision: bool = True
    progress: bool = True


def rng_state(device: torch.device) -> dict[str, Any]:
    """torch's global random states (CPU, and the device's when it is CUDA)."""
    state: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict[str, Any], device: torch.device) -> None:
    """Restore what `rng_state` saved."""
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def autocast(device: torch.device, enabled: bool = True) -> contextlib.AbstractContextManager:
    """float16 autocast on CUDA; a no-op on the CPU (training there stays in float32)."""
    if device.type == "cuda" and enabled:
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def grad_scaler(device: torch.device, enabled: bool = True) -> torch.amp.GradScaler:
    """A loss scaler that only scales on CUDA (on the CPU it passes losses and steps through)."""
    return torch.amp.GradScaler("cuda", enabled=device.type == "cuda" and enabled)


def image_grid(images: torch.Tensor, columns: int = 8) -> np.ndarray:
    """(N, 3, H, W) in [-1, 1] -> one uint8 (rows*H, columns*W, 3) image, row by row."""
    images = images.detach().float().cpu().clamp(-1, 1)
    n, _, h, w = images.shape
    columns = min(columns, n)
    rows = math.ceil(n / columns)
    grid = torch.full((3, rows * h, columns * w), -1.0)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        grid[:, r * h:(r + 1) * h, c * w:(c + 1) * w] = image
    return ((grid.permute(1, 2, 0).numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)


def save_grid(images: torch.Tensor, path: Path, columns: int = 8) -> Path:
    """Write `image_grid(images)` as a PNG (renamed into place when complete)."""
    with atomic_path(path) as tmp:
        Image.fromarray(image_grid(images, columns)).save(tmp, format="PNG")
    return path


class MetricsLog:
    """Appends one JSON object per line: the step, iterations per second and the averaged metrics."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.last_step: int | None = None
        self.started = time.perf_counter()

    def add(self, **values: float) -> None:
        """Record values (each name is averaged over its own records)."""
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value)
            self.counts[name] = self.counts.get(name, 0) + 1

    def flush(self, step: int) -> dict[str, float]:
        """Write the means since the last flush (with iterations per second) and reset them."""
        if not self.counts:
            return {}
        elapsed = time.perf_counter() - self.started
        means = {name: total / self.counts[name] for name, total in self.sums.items()}
        if self.last_step is not None:
            means["it_per_s"] = (step - self.last_step) / max(elapsed, 1e-9)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as fh:
            fh.write(json.dumps({"step": step, "time": time.time(), **{k: round(v, 5) for k, v in means.items()}}) + "\n")
        self.sums, self.counts, self.last_step, self.started = {}, {}, step, time.perf_counter()
        return means

    def start(self, step: int) -> None:
        """Count iterations per second from `step` on (the start of a run or a resumed one)."""
        self.last_step, self.started = step, time.perf_counter()


def lazy_adam(params, lr: float, reg_every: int) -> torch.optim.Adam:
    """Adam with StyleGAN2's betas (0, 0.99), corrected for a regulariser applied every `reg_every` steps."""
    ratio = reg_every / (reg_every + 1) if reg_every > 0 else 1.0
    return torch.optim.Adam(params, lr=lr * ratio, betas=(0.0, 0.99 ** ratio))


def accumulate(target: torch.nn.Module, source: torch.nn.Module, decay: float) -> None:
    """Exponential moving average of `source`'s parameters into `target`."""
    with torch.no_grad():
        for p_target, p_source in zip(target.parameters(), source.parameters()):
            p_target.mul_(decay).add_(p_source.detach(), alpha=1 - decay)


#: Earlier names of the training options (still taken, as the CLI's hidden aliases are).
OLD_NAMES = {"batch": "batch_size", "steps": "iterations", "iters": "refine_steps"}


def run_or_resume(config_type: type, trainer_type: type, options: dict[str, Any]) -> Path:
    """Build `config_type(**options)` and its trainer, continue from `<output>/checkpoint.pt` when
    it exists, and run; unknown option names are a TypeError (the earlier names in OLD_NAMES work)."""
    options = {OLD_NAMES.get(name, name): value for name, value in options.items()}
    unknown = sorted(set(options) - {f.name for f in dataclasses.fields(config_type)})
    if unknown:
        raise TypeError(f"unknown options: {', '.join(unknown)}")
    cfg = config_type(**options)
    trainer = trainer_type(cfg)
    checkpoint = Path(cfg.output) / CHECKPOINT_NAME
    if checkpoint.exists():
        trainer.load(checkpoint)
    return trainer.run()


def training_loop(trainer: Any, desc: str, postfix: Callable[[dict[str, float]], dict[str, str]],
                  evaluate: Callable[[], dict[str, float]] | None = None) -> None:
    """Run `trainer.train_step()` up to `cfg.iterations`, logging every `log_every` steps (with
    `evaluate()`'s numbers when given), writing sample grids and saving on the schedule in `cfg`,
    and once more at the end."""
    cfg = trainer.cfg
    last_save = time.monotonic()
    trainer.metrics.start(trainer.step)
    bar = tqdm(total=cfg.iterations, initial=trainer.step, desc=desc, unit="it", disable=not cfg.progress,
               dynamic_ncols=True)
    try:
        while trainer.step < cfg.iterations:
            trainer.metrics.add(**trainer.train_step())
            bar.update(1)
            if trainer.step % cfg.log_every == 0:
                if evaluate is not None:
                    trainer.metrics.add(**evaluate())
                bar.set_postfix(**postfix(trainer.metrics.flush(trainer.step)))
            if cfg.sample_every and trainer.step % cfg.sample_every == 0:
                trainer.write_samples()
            if (cfg.save_every and trainer.step % cfg.save_every == 0) or \
                    (cfg.save_minutes and time.monotonic() - last_save > cfg.save_minutes * 60):
                trainer.save()
                last_save = time.monotonic()
    finally:
        bar.close()
    trainer.metrics.flush(trainer.step)
    trainer.write_samples()


def _same_option(saved: Any, given: Any) -> bool:
    """Equal values, or two spellings of one existing path (`../data` and `/abs/data`)."""
    if saved == given:
        return True
    if isinstance(saved, str) and isinstance(given, str) and os.path.exists(given):
        return os.path.exists(saved) and os.path.samefile(saved, given)
    return False


def read_resume_checkpoint(path: Path, cfg: Any, fixed: tuple[str, ...]) -> dict[str, Any]:
    """A run's checkpoint, refused when it was trained with other values of the `fixed` options."""
    ckpt = load_checkpoint(path, what="training checkpoint")
    saved = ckpt.get("args") or {}
    changed = [k for k in fixed if k in saved and not _same_option(saved[k], getattr(cfg, k))]
    if changed:
        raise VidinvertError(f"{path} was trained with other {', '.join(changed)} "
                             f"({', '.join(f'{k}={saved[k]!r}' for k in changed)}); use another --output")
    return ckpt
