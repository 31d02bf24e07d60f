"""How the demo clip's face moves: a talking rhythm, a latent path along SeFa directions, a drifting
position in the frame. Everything is a smooth function of time, so any frame rate gives the same
performance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vidinvert.discover.sefa import sefa
from vidinvert.errors import VidinvertError
from vidinvert.models import Generator

#: Latent layers whose leading SeFa directions turn and tilt the head (4x4 and 8x8 styles).
POSE_LAYERS = (0, 1, 2, 3)
#: Latent layers whose leading SeFa direction changes the expression (16x16 styles).
TALK_LAYERS = (4, 5)
#: Syllables per second, and how often a phrase pauses.
SYLLABLE_HZ = 3.0
PHRASE_HZ = 0.3
#: Head turn and tilt frequencies (Hz): slow and unrelated, so the motion does not loop visibly.
TURN_HZ, TILT_HZ = 0.25, 0.4
#: Amplitudes in standard deviations of the generator's own w along each direction: small enough
#: that the face stays the same person.
TURN_AMPLITUDE, TILT_AMPLITUDE, TALK_AMPLITUDE = 1.5, 0.8, 1.5
#: Face drift across the frame, as fractions of the frame side.
DRIFT_X, DRIFT_Y = 0.03, 0.02
#: Mapped latents drawn to measure the spread of w along a direction.
SPREAD_SAMPLES = 2000


def mouth_opening(t: np.ndarray) -> np.ndarray:
    """How open the mouth is at times `t` (s), in [0, 1]: syllables at SYLLABLE_HZ, in phrases that
    fall silent briefly every 1/PHRASE_HZ seconds."""
    t = np.asarray(t, dtype=np.float64)
    syllables = 0.5 - 0.5 * np.cos(2 * np.pi * SYLLABLE_HZ * t)
    phrases = np.clip(1.6 * (0.5 + 0.5 * np.cos(2 * np.pi * PHRASE_HZ * t)), 0.0, 1.0)
    return syllables * phrases


@dataclass(frozen=True)
class LatentPath:
    """One identity's W+ latent and the unit directions (already expanded to W+) it moves along."""

    base: torch.Tensor  # (n_latent, style_dim)
    turn: torch.Tensor  # (n_latent, style_dim), zero outside POSE_LAYERS
    tilt: torch.Tensor
    talk: torch.Tensor  # zero outside TALK_LAYERS

    def at(self, t: np.ndarray) -> torch.Tensor:
        """W+ latents (len(t), n_latent, style_dim) at times `t` (s)."""
        t = np.asarray(t, dtype=np.float64)
        weights = np.stack([np.sin(2 * np.pi * TURN_HZ * t), np.sin(2 * np.pi * TILT_HZ * t + 1.0),
                            mouth_opening(t)], axis=1)
        w = torch.as_tensor(weights, dtype=self.base.dtype, device=self.base.device)
        moves = torch.stack([self.turn, self.tilt, self.talk])  # (3, n_latent, style_dim)
        return self.base + torch.einsum("tk,kls->tls", w, moves)


@torch.no_grad()
def latent_path(G: Generator, seed: int = 0, truncation: float = 0.6) -> LatentPath:
    """The demo identity (seeded w, truncated) and its head and mouth motions, scaled to `G`'s w spread."""
    if G.n_latent <= max(TALK_LAYERS):
        raise VidinvertError(f"the demo clip needs a generator of 16 px or more, got {G.size} px")
    device = G.latent_avg.device
    base = G.sample_w(1, seed=seed, truncation=truncation)[0]
    spread = G.sample_w(SPREAD_SAMPLES, seed=seed + 1).float().cpu()
    state = G.state_dict()
    pose = sefa(state, layers=POSE_LAYERS, num=2).vectors
    talk = sefa(state, layers=TALK_LAYERS, num=1).vectors

    def motion(direction: torch.Tensor, layers: tuple[int, ...], amplitude: float) -> torch.Tensor:
        sigma = float((spread @ direction).std())
        move = torch.zeros(G.n_latent, G.style_dim)
        move[list(layers)] = amplitude * sigma * direction
        return move.to(device)

    return LatentPath(base=base.expand(G.n_latent, -1).clone(),
                      turn=motion(pose[0], POSE_LAYERS, TURN_AMPLITUDE),
                      tilt=motion(pose[1], POSE_LAYERS, TILT_AMPLITUDE),
                      talk=motion(talk[0], TALK_LAYERS, TALK_AMPLITUDE))


def face_centre(t: np.ndarray, size: int) -> np.ndarray:
    """Where the face's centre is at times `t` (s) in a `size` px square frame: (len(t), 2) x, y in
    pixels, drifting slowly by a few percent around the middle."""
    t = np.asarray(t, dtype=np.float64)
    x = 0.5 + DRIFT_X * np.sin(2 * np.pi * 0.21 * t)
    y = 0.48 + DRIFT_Y * np.sin(2 * np.pi * 0.33 * t + 0.7)
    return np.stack([x, y], axis=1) * size
