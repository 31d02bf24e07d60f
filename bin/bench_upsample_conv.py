#!/usr/bin/env python
"""The generator's upsampling convolution: transposed conv + separate blur against one folded kernel.

StyleGAN2 upsamples with a stride-2 transposed 3x3 convolution followed by the [1,3,3,1] blur. The
two fold into one 6x6 transposed convolution (the 3x3 weight convolved with the 4x4 blur), run
once. Per upsampling layer of a config-f 256 px generator this prints milliseconds (best of the
repeats) of: the two steps in NCHW memory, the two steps channels-last (what the generator runs),
and the folded kernel in both layouts, with the largest difference between the folded and the
two-step outputs.

    python bin/bench_upsample_conv.py [--batch 4] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from vidinvert.models.ops import make_kernel, upfirdn2d

#: (in channels, out channels, input side) of the upsampling convolutions of a 256 px config-f generator.
LAYERS = [(512, 512, 16), (512, 256, 32), (256, 128, 64), (128, 64, 128)]
BLUR = make_kernel() * 4


def two_steps(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return upfirdn2d(F.conv_transpose2d(x, weight, stride=2), BLUR, pad=(1, 1))


def folded_weight(weight: torch.Tensor) -> torch.Tensor:
    """(in,out,3,3) -> (in,out,6,6): the full 2-D convolution of each 3x3 kernel with the blur."""
    cin, cout, k, _ = weight.shape
    planes = weight.reshape(cin * cout, 1, k, k)
    blur = torch.flip(BLUR, (0, 1))[None, None]
    return F.conv2d(F.pad(planes, (3, 3, 3, 3)), blur).reshape(cin, cout, k + 3, k + 3)


def folded(x: torch.Tensor, weight6: torch.Tensor) -> torch.Tensor:
    # padding=2 crops the 6x6 result to the blur's (1,1) window: 2H outputs.
    return F.conv_transpose2d(x, weight6, stride=2, padding=2)


def best_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"threads={torch.get_num_threads()} torch={torch.__version__} batch={args.batch} "
          f"best of {args.repeats} repeats, ms")
    print(f"{'layer':>16} {'2 steps NCHW':>13} {'2 steps CL':>11} {'folded NCHW':>12} {'folded CL':>10} "
          f"{'max |diff|':>11}")
    torch.manual_seed(0)
    with torch.no_grad():
        for cin, cout, side in LAYERS:
            x = torch.randn(args.batch, cin, side, side)
            weight = torch.randn(cin, cout, 3, 3) / (3 * cin ** 0.5)
            weight6 = folded_weight(weight)
            xcl = x.contiguous(memory_format=torch.channels_last)
            diff = (folded(x, weight6) - two_steps(x, weight)).abs().max().item()
            cells = [best_ms(lambda: two_steps(x, weight), args.repeats),
                     best_ms(lambda: two_steps(xcl, weight), args.repeats),
                     best_ms(lambda: folded(x, weight6), args.repeats),
                     best_ms(lambda: folded(xcl, weight6), args.repeats)]
            name = f"{cin}->{cout} @{side}"
            print(f"{name:>16} {cells[0]:>13.1f} {cells[1]:>11.1f} {cells[2]:>12.1f} {cells[3]:>10.1f} "
                  f"{diff:>11.2e}", flush=True)


if __name__ == "__main__":
    main()
