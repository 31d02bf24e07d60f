#!/usr/bin/env python
"""What the bundled generator can express: for each expression defined by its motion, solved at a
clip's first face as `edit` solves it, the motion its renders make at growing strengths.

Per clip, expression and strength, on the pair the warp draws (G(w') and G(w' + s delta), w' the
first face's inversion pulled towards the average by 0.7):
- target: the share of the target motion the render's mesh points make (1 = the target);
- motion: that motion along the target at the moved points, in % of the eye distance d;
- carried: the motion the warp carries there (the spline field, tapered), in % of d;
- delta-E: the skin colour cast between the two renders (as `vidinvert score` measures it);
- drift: the mean motion of the points the expression leaves alone, in % of d.
The last column of the summary is the largest strength tried whose renders stay a face, with
delta-E <= 2 and drift <= 6% of d.

    python bin/measure_expression_range.py [--clips talk_audio.mp4 ...] [--strengths 0.5 1 2 3 4]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch

from vidinvert.api import invert_video, load_default_models
from vidinvert.face.expression_targets import EXPRESSIONS, face_axes, target_motion
from vidinvert.face.mask import polygon_mask
from vidinvert.face.render_motion import RenderMesh, expression_displacement, motion_field
from vidinvert.face.transfer import work_size
from vidinvert.metrics.edit_artifacts import skin_cast, skin_mask
from vidinvert.pipeline.expression_directions import MAX_DRIFT, expression_direction, pulled, render

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos"
CLIPS = ("talk_audio.mp4", "head_d18.mp4", "head_d19.mp4", "single_face.mp4", "face_noface.mov")
UPSCALE = 4  # renders are scored at 4x their side, where the skin mask has pixels enough


def first_face_wplus(clip: Path, models, tmp: Path) -> torch.Tensor:
    invert_video(clip, tmp / "inv.mkv", frames="0:1", save_latents=tmp / "inv.npz", models=models, quiet=True,
                 overwrite=True)
    return torch.as_tensor(np.load(tmp / "inv.npz")["wplus"][0])


def measure(G, mesh: RenderMesh, name: str, anchor: torch.Tensor, delta: torch.Tensor, strength: float) -> dict | None:
    images = render(G, torch.stack([anchor, anchor + strength * delta]), "stored")
    before, after = mesh.points(images[0]), mesh.points(images[1])
    if before is None or after is None:
        return None
    target, weight = target_motion(name, before)
    _, moved = expression_displacement(before, after)
    motion = -moved
    chosen = weight == 1
    _, _, d = face_axes(before)
    unit = target[chosen] / np.maximum(np.linalg.norm(target[chosen], axis=1, keepdims=True), 1e-9)
    side = images.shape[1]
    work = work_size(side)
    grid = (before + 0.5) * (work / side) - 0.5
    hull = polygon_mask(grid, (work, work), convex=True).astype(np.float32)
    field = motion_field(before, after, hull, side)
    at = np.clip(np.rint((after[chosen] + 0.5) * (work / side) - 0.5).astype(int), 0, work - 1)
    carried = -field[at[:, 1], at[:, 0]] / (work / side)
    big = [cv2.resize(image, (side * UPSCALE,) * 2, interpolation=cv2.INTER_CUBIC) for image in images]
    points = (before + 0.5) * UPSCALE - 0.5
    delta_e, _ = skin_cast(big[0], big[1], skin_mask(points, big[0].shape, d * UPSCALE), d * UPSCALE)
    return {"target": float((motion[chosen] * target[chosen]).sum() / (target[chosen] ** 2).sum()),
            "motion": 100 * float(np.mean(np.sum(motion[chosen] * unit, axis=1)) / d),
            "carried": 100 * float(np.mean(np.sum(carried * unit, axis=1)) / d),
            "delta_e": delta_e, "drift": 100 * float(np.linalg.norm(motion[~chosen], axis=1).mean() / d)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", nargs="+", default=list(CLIPS))
    parser.add_argument("--strengths", nargs="+", type=float, default=[0.5, 1, 2, 3, 4])
    args = parser.parse_args()
    torch.set_num_threads(1)
    models = load_default_models("cpu")
    G = models.G
    mesh = RenderMesh()
    print("| clip | expression | strength | target reached | motion % d | carried % d | skin delta-E | drift % d |")
    print("|---|---|---|---|---|---|---|---|")
    reach: dict[str, list] = {name: [] for name in EXPRESSIONS}
    with tempfile.TemporaryDirectory() as tmp:
        for clip in args.clips:
            w = first_face_wplus(DATA / clip, models, Path(tmp))
            anchors = pulled(G, w)
            for name in EXPRESSIONS:
                delta = expression_direction(G, name, anchors).delta(G.n_latent, G.style_dim)
                best = None
                for strength in args.strengths:
                    row = measure(G, mesh, name, anchors[1], delta, strength)
                    if row is None:
                        print(f"| {clip} | {name} | {strength:g} | the mesh loses the face | | | | |")
                        break
                    print(f"| {clip} | {name} | {strength:g} | {row['target']:.2f} | {row['motion']:.1f} | "
                          f"{row['carried']:.1f} | {row['delta_e']:.2f} | {row['drift']:.1f} |", flush=True)
                    if row["delta_e"] > 2 or row["drift"] > 100 * MAX_DRIFT:
                        break
                    best = (strength, row["motion"], row["carried"])
                reach[name].append(best)
    mesh.close()
    print("\n| expression | largest strength kept (per clip) | motion there, % d | carried there, % d |")
    print("|---|---|---|---|")
    for name, kept in reach.items():
        print(f"| {name} | " + ", ".join("-" if k is None else f"{k[0]:g}" for k in kept) + " | "
              + ", ".join("-" if k is None else f"{k[1]:.1f}" for k in kept) + " | "
              + ", ".join("-" if k is None else f"{k[2]:.1f}" for k in kept) + " |")


if __name__ == "__main__":
    main()
