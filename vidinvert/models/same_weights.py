"""Whether two loaded generators are the same network: same layers, equal weights and stored noise."""

from __future__ import annotations

import torch

from vidinvert.models.stylegan2 import Generator


def same_generator(a: Generator, b: Generator) -> bool:
    """True when `a` is `b`, or both hold equal tensors under the same names (weights and stored
    noise). The average latent is left out: encoder files carry their own (ReStyle's `latent_avg`)."""
    if a is b:
        return True
    if (a.size, a.n_latent, a.style_dim) != (b.size, b.n_latent, b.style_dim):
        return False
    mine, theirs = a.state_dict(), b.state_dict()
    if mine.keys() != theirs.keys():
        return False
    return all(mine[k].shape == theirs[k].shape and torch.equal(mine[k].cpu(), theirs[k].cpu()) for k in mine)
