"""The demo clip's sound: a synthetic voice whose loudness follows the face's talking rhythm."""

from __future__ import annotations

import numpy as np

from vidinvert.demo.motion import mouth_opening

AUDIO_RATE = 16_000
#: Pitch of the voice (Hz) and how far it wanders, like intonation.
PITCH_HZ, PITCH_SWING_HZ = 130.0, 18.0
HARMONICS = 12
LOUDNESS = 0.3
BREATH = 0.02  # level of the noise under the voice
FADE_S = 0.01  # fade in and out so the clip starts and ends without a click


def voice(seconds: float, rate: int = AUDIO_RATE, seed: int = 0) -> np.ndarray:
    """Mono float32 samples in [-1, 1], round(seconds * rate) of them: a buzzing voice with a moving
    pitch, loud while the mouth is open (`mouth_opening`), plus a little breath noise."""
    n = round(seconds * rate)
    t = np.arange(n) / rate
    pitch = PITCH_HZ + PITCH_SWING_HZ * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    k = np.arange(1, HARMONICS + 1)[:, None]
    buzz = (np.sin(k * phase) / k).sum(axis=0)
    buzz /= np.abs(buzz).max(initial=1.0)
    noise = np.random.default_rng(seed).standard_normal(n)
    samples = LOUDNESS * mouth_opening(t) * buzz + BREATH * noise
    fade = np.clip(np.minimum(t, (n - 1) / rate - t) / FADE_S, 0.0, 1.0)
    return np.clip(samples * fade, -1.0, 1.0).astype(np.float32)
