#!/usr/bin/env python
"""`vidinvert edit` at the official model sizes on a GPU: frames/s end to end and per stage, serial
against overlapped, each precision the build offers, and the GPU's utilisation while it runs.

Models: a 1024 px config-f generator and a FeatureStyleEncoder at 256 px input, random weights,
written in the official file layouts (`{'g_ema', 'latent_avg'}` and the bare `fs_encoder_v2` state
dict) and read back through `load_models`. Input: `--clip` scaled to 1920x1080 (`--width/--height`),
first `--frames` frames. Each precision runs serial then overlapped; utilisation is sampled every
0.2 s from NVML (`torch.cuda.utilization`) or `nvidia-smi`.

Stage times on a GPU are host-side: a stage's time holds the kernels it waits for (a copy to the
CPU, a synchronisation), so the GPU's work shows up in the stage that first needs its result.

    python bin/bench_gpu_official.py                      # on a CUDA machine
    python bin/bench_gpu_official.py --device cpu --size 64 --frames 3 --width 320 --height 180
                                                          # smoke check of the script on a CPU
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench_overlap import VIDEOS, scaled_clip, stage_cells  # also puts the checkout on sys.path

import numpy as np  # noqa: E402
import torch  # noqa: E402

from vidinvert.api import edit_video, load_models  # noqa: E402
from vidinvert.models import Generator  # noqa: E402
from vidinvert.models.fse import FSE_FEATURE_SIZE, FSE_INPUT_SIZE, FeatureStyleEncoder, fse_stride  # noqa: E402
from vidinvert.stage_timing import StageTimes  # noqa: E402

STAGES = ["decode", "landmarks", "crop smoothing", "align", "inversion", "edit", "render", "composite", "encode"]


def official_files(folder: Path, size: int) -> tuple[Path, Path, Path]:
    """(generator file, encoder file, direction file) with random weights in the official layouts."""
    torch.manual_seed(0)
    G = Generator(size).eval().requires_grad_(False)
    with torch.no_grad():
        latent_avg = G.mean_latent(n=2000).reshape(-1)
    generator = folder / "stylegan2-ffhq-config-f.pt"
    torch.save({"g_ema": G.state_dict(), "latent_avg": latent_avg}, generator)
    E = FeatureStyleEncoder(n_styles=G.n_latent, in_channels=3, fs_stride=fse_stride(FSE_INPUT_SIZE, FSE_FEATURE_SIZE),
                            input_size=FSE_INPUT_SIZE)
    encoder = folder / "143_enc.pth"
    torch.save(E.state_dict(), encoder)
    direction = folder / "random_boundary.npy"
    np.save(direction, np.random.RandomState(0).randn(1, G.style_dim))
    return generator, encoder, direction


class Utilisation:
    """Samples the GPU's utilisation (percent) on a thread while a run goes."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.samples: list[float] = []
        self.running = threading.Event()
        self.thread: threading.Thread | None = None
        self.read = self._reader()

    def _reader(self):
        if self.device.type != "cuda":
            return None
        try:
            torch.cuda.utilization(self.device)
            return lambda: float(torch.cuda.utilization(self.device))
        except Exception:  # no NVML bindings: ask nvidia-smi
            if shutil.which("nvidia-smi") is None:
                return None
            index = self.device.index or 0
            command = ["nvidia-smi", f"--id={index}", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
            return lambda: float(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip())

    def __enter__(self) -> Utilisation:
        if self.read is not None:
            self.running.set()
            self.thread = threading.Thread(target=self._sample, daemon=True)
            self.thread.start()
        return self

    def _sample(self) -> None:
        while self.running.is_set():
            self.samples.append(self.read())
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self.running.clear()
        if self.thread is not None:
            self.thread.join()

    def summary(self) -> str:
        if not self.samples:
            return "n/a"
        return f"{np.mean(self.samples):.0f} / {np.max(self.samples):.0f}"


def precisions(device: torch.device) -> list[str]:
    """The precisions to compare (reduced precision only on CUDA)."""
    if device.type != "cuda":
        return ["fp32"]
    found = ["fp32", "fp16"]
    if device.type != "cuda" or torch.cuda.is_bf16_supported():
        found.append("bf16")
    return found


def run(clip: Path, out: Path, models, direction: Path, device: torch.device, precision: str,
        serial: bool) -> tuple[float, int, StageTimes, Utilisation]:
    with Utilisation(device) as busy:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        summary = edit_video(clip, out, direction=[direction], strength="1", models=models, overwrite=True,
                             quiet=True, serial=serial, precision=precision)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - start
    return seconds, summary.frames, summary.stage_times, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--size", type=int, default=1024, help="generator resolution (official: 1024)")
    parser.add_argument("--clip", default="single_face.mp4")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--frames", type=int, default=72)
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"torch {torch.__version__}, {name}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generator, encoder, direction = official_files(folder, args.size)
        start = time.perf_counter()
        G, E = load_models(generator, encoder, device=device)
        print(f"models: {G.size} px config-f generator, {E.kind} encoder at {E.input_size} px "
              f"(random weights, official layouts), loaded in {time.perf_counter() - start:.1f} s")
        clip = scaled_clip(VIDEOS / args.clip, (args.width, args.height), args.frames, folder / "input.mp4")
        print(f"input: {args.clip} scaled to {args.width}x{args.height}, {args.frames} frames, "
              f"--batch-size {args.batch_size}\n")
        run(clip, folder / "warmup.mp4", (G, E), direction, device, "fp32", serial=False)
        print(f"| precision | mode | frames/s | ratio | GPU util mean / max % | {' | '.join(STAGES)} (ms/frame) |")
        print(f"|---|---|---|---|---|{'---|' * len(STAGES)}")
        for precision in precisions(device):
            label = precision
            serial_s, frames, serial_times, serial_busy = run(clip, folder / "s.mp4", (G, E), direction, device,
                                                              precision, serial=True)
            overlap_s, _, overlap_times, overlap_busy = run(clip, folder / "o.mp4", (G, E), direction, device,
                                                            precision, serial=False)
            print(f"| {label} | serial | {frames / serial_s:.2f} | 1.00 | {serial_busy.summary()} | "
                  f"{stage_cells(serial_times, STAGES)} |")
            print(f"| {label} | overlapped | {frames / overlap_s:.2f} | {serial_s / overlap_s:.2f} | "
                  f"{overlap_busy.summary()} | {stage_cells(overlap_times, STAGES)} |", flush=True)


if __name__ == "__main__":
    main()
