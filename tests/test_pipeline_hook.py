"""The stage hook of edit_video (what the benchmarks time with) sees every stage and changes nothing."""

from __future__ import annotations

import numpy as np
import torch

from _fixtures_enc import encoder_generator, restyle_checkpoint, restyle_encoder
from vidinvert.api import edit_video
from vidinvert.video import open_video


def test_stage_hook_sees_every_stage_in_order_and_keeps_the_output(shared_data, tmp_path):
    G = encoder_generator()
    encoder = tmp_path / "restyle_psp_ffhq_encode.pt"
    torch.save(restyle_checkpoint(restyle_encoder("resnet34", progressive=False), "ResNetBackboneEncoder", G), encoder)
    direction = tmp_path / "smile_boundary.npy"
    np.save(direction, np.random.RandomState(0).randn(1, 512))
    seen: dict[str, int] = {}

    def hook(name, items):
        seen[name] = 0
        return counted(name, items)

    def counted(name, items):
        for item in items:
            seen[name] += 1
            yield item

    common = dict(direction=[direction], strength="2", encoder=encoder, device="cpu", frames="0:3", steps=1,
                  next_steps=1, codec="lossless", quiet=True)
    source = shared_data / "videos/single_face.mp4"
    edit_video(source, tmp_path / "plain.mp4", **common)
    summary = edit_video(source, tmp_path / "hooked.mp4", observe=hook, **common)

    assert list(seen) == ["decode", "landmarks", "crop smoothing", "align", "inversion", "edit", "render", "change",
                          "composite"]
    assert all(count == 3 for count in seen.values()) and summary.edited == 3
    with open_video(tmp_path / "plain.mp4") as plain, open_video(tmp_path / "hooked.mp4") as hooked:
        pairs = list(zip(plain, hooked, strict=True))
    assert len(pairs) == 72
    assert all(a.pts == b.pts and np.array_equal(a.image, b.image) for a, b in pairs)
