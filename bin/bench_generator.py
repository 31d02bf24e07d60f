#!/usr/bin/env python
"""Generator throughput: images/s of our generator against the straightforward reference forward.

The reference is written here from the state dict alone, the way the rosinality code runs it: one
grouped convolution with per-sample modulated weights, a transposed convolution then a separate
blur for upsampling, noise, bias and activation as separate steps, NCHW memory. Ours is
`Generator.synthesize` in its default form. Both get the same random config-f weights, latents
and stored noise; each row prints their images/s (median of the repeats, with min-max), the
ratio of the medians and the largest absolute difference between the two outputs. Repeats of the
two alternate, so that load from other jobs falls on both alike.

With --compile, ours is `torch.compile(G.synthesize)` and the seconds of its first call (the
compilation) are printed too.

    python bin/bench_generator.py [--sizes 256 1024] [--batches 1 4] [--repeats 3] [--threads 1] [--compile]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F

from vidinvert.models import Generator


def reference_upfirdn(x: torch.Tensor, kernel: torch.Tensor, up: int, pad: tuple[int, int]) -> torch.Tensor:
    """Zero insertion, padding, then the kernel as a one-channel convolution over every plane."""
    b, c, h, w = x.shape
    x = x.reshape(b * c, 1, h, 1, w, 1)
    x = F.pad(x, (0, up - 1, 0, 0, 0, up - 1)).reshape(b * c, 1, h * up, w * up)
    x = F.pad(x, (pad[0], pad[1], pad[0], pad[1]))
    x = F.conv2d(x, torch.flip(kernel, (0, 1))[None, None])
    return x.reshape(b, c, x.shape[2], x.shape[3])


def reference_synthesize(sd: dict, num_rgbs: int, w: torch.Tensor) -> torch.Tensor:
    """W+ (B,n_latent,S) -> RGB with the stored noise, from the state dict `sd` of a Generator."""
    blur_kernel = sd["convs.0.conv.blur.kernel"]
    up_kernel = sd["to_rgbs.0.upsample.kernel"]

    def modconv(x, prefix, style, demodulate, upsample=False):
        weight = sd[prefix + ".weight"]
        _, out_c, in_c, k, _ = weight.shape
        mod_w = sd[prefix + ".modulation.weight"]
        s = F.linear(style, mod_w / math.sqrt(mod_w.shape[1]), sd[prefix + ".modulation.bias"])
        weight = weight / math.sqrt(in_c * k * k) * s[:, None, :, None, None]
        if demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum(dim=(2, 3, 4), keepdim=True) + 1e-8)
        b, _, h, wd = x.shape
        x = x.reshape(1, b * in_c, h, wd)
        if upsample:
            weight = weight.transpose(1, 2).reshape(b * in_c, out_c, k, k)
            out = F.conv_transpose2d(x, weight, stride=2, groups=b)
            return reference_upfirdn(out.reshape(b, out_c, out.shape[2], out.shape[3]), blur_kernel, 1, (1, 1))
        out = F.conv2d(x, weight.reshape(b * out_c, in_c, k, k), padding=k // 2, groups=b)
        return out.reshape(b, out_c, h, wd)

    def styled(x, prefix, style, layer, upsample=False):
        out = modconv(x, prefix + ".conv", style, True, upsample)
        out = out + sd[prefix + ".noise.weight"] * sd[f"noises.noise_{layer}"]
        out = out + sd[prefix + ".activate.bias"][None, :, None, None]
        return F.leaky_relu(out, 0.2) * math.sqrt(2)

    def to_rgb(x, prefix, style, skip):
        out = modconv(x, prefix + ".conv", style, False) + sd[prefix + ".bias"]
        return out if skip is None else out + reference_upfirdn(skip, up_kernel, 2, (2, 1))

    x = sd["input.input"].repeat(w.shape[0], 1, 1, 1)
    x = styled(x, "conv1", w[:, 0], 0)
    skip = to_rgb(x, "to_rgb1", w[:, 1], None)
    for j in range(num_rgbs):
        x = styled(x, f"convs.{2 * j}", w[:, 2 * j + 1], 2 * j + 1, upsample=True)
        x = styled(x, f"convs.{2 * j + 1}", w[:, 2 * j + 2], 2 * j + 2)
        skip = to_rgb(x, f"to_rgbs.{j}", w[:, 2 * j + 3], skip)
    return skip


def seconds(render, device: str) -> float:
    start = time.perf_counter()
    render()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--half", action="store_true", help="bf16 autocast (GPU)")
    parser.add_argument("--compile", action="store_true", help="ours through torch.compile")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dtype = torch.bfloat16 if args.half else None
    print(f"device={args.device} threads={torch.get_num_threads()} torch={torch.__version__} "
          f"repeats={args.repeats} (after one warm-up each)")
    print(f"{'size':>5} {'batch':>5} {'reference img/s (min-max)':>27} {'ours img/s (min-max)':>24} "
          f"{'ratio':>6} {'max |diff|':>11}")
    for size in args.sizes:
        torch.manual_seed(0)
        G = Generator(size).to(args.device).eval()
        sd = {k: v.detach() for k, v in G.state_dict().items()}
        synthesize = torch.compile(G.synthesize) if args.compile else G.synthesize
        for batch in args.batches:
            w = torch.randn(batch, G.n_latent, G.style_dim, device=args.device)
            times = {"reference": [], "ours": []}
            outputs = {}
            renders = {"reference": lambda: reference_synthesize(sd, len(G.to_rgbs), w),
                       "ours": lambda: synthesize(w)}
            with torch.no_grad(), torch.autocast(args.device, dtype=dtype, enabled=dtype is not None):
                for name, render in renders.items():
                    start = time.perf_counter()
                    outputs[name] = render().float()
                    if args.compile and name == "ours":
                        print(f"{size:>5} {batch:>5} first call of the compiled generator: "
                              f"{time.perf_counter() - start:.1f} s", flush=True)
                for _ in range(args.repeats):
                    for name, render in renders.items():
                        times[name].append(seconds(render, args.device))
            rates = {name: sorted(batch / t for t in ts) for name, ts in times.items()}
            med = {name: statistics.median(r) for name, r in rates.items()}
            diff = (outputs["ours"] - outputs["reference"]).abs().max().item()
            cells = [f"{med[n]:.3f} ({rates[n][0]:.3f}-{rates[n][-1]:.3f})" for n in ("reference", "ours")]
            print(f"{size:>5} {batch:>5} {cells[0]:>27} {cells[1]:>24} {med['ours'] / med['reference']:>6.2f} "
                  f"{diff:>11.2e}", flush=True)


if __name__ == "__main__":
    main()
