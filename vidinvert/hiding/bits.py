"""Bytes in the least significant bits of a uint8 picture, one bit per colour value.

The header takes the first values in raster order, so it can be read before its length is known;
the body is spread evenly over all the values after it, so a small payload changes a sparse grid
across the whole picture rather than a band at its top.
"""

from __future__ import annotations

import numpy as np


def capacity_bits(shape: tuple[int, ...]) -> int:
    """How many bits a picture of `shape` (H, W, 3) holds: one per colour value."""
    return int(np.prod(shape))


def header_positions(n_bytes: int) -> np.ndarray:
    """Where a header of `n_bytes` lies: the first 8 * n_bytes values."""
    return np.arange(8 * n_bytes, dtype=np.int64)


def body_positions(total: int, start: int, n_bytes: int) -> np.ndarray:
    """Where a body of `n_bytes` lies among the values `start`..`total - 1`: evenly spaced."""
    count = 8 * n_bytes
    if count > total - start:
        raise ValueError(f"{count} bits do not fit in {total - start}")
    return start + (np.arange(count, dtype=np.int64) * (total - start)) // max(count, 1)


def write_bits(picture: np.ndarray, data: bytes, positions: np.ndarray) -> np.ndarray:
    """A copy of `picture` whose values at `positions` (flat indices) carry `data`'s bits in their LSB."""
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    if len(bits) != len(positions):
        raise ValueError(f"{len(bits)} bits for {len(positions)} positions")
    flat = np.array(picture, dtype=np.uint8).reshape(-1)
    flat[positions] = (flat[positions] & 0xFE) | bits
    return flat.reshape(picture.shape)


def read_bits(picture: np.ndarray, positions: np.ndarray) -> bytes:
    """The bytes carried by the LSBs of `picture` at `positions` (a multiple of 8 of them)."""
    flat = np.asarray(picture, dtype=np.uint8).reshape(-1)
    return np.packbits(flat[positions] & 1).tobytes()
