"""The FFHQ crop done step by step as the official recipe does it (PIL, a 4096 intermediate).

Slow; kept as the yardstick for the fast crop in align.py (tests and bin/bench_align.py).
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage
from PIL import Image

from vidinvert.face.align import quad_side

TRANSFORM_SIZE = 4096


def crop_reference(image: np.ndarray, quad: np.ndarray, size: int) -> np.ndarray:
    """The size x size uint8 RGB FFHQ crop of the quad, computed the official way."""
    img = Image.fromarray(image)
    quad = np.asarray(quad, dtype=np.float64).copy()
    qsize = quad_side(quad)

    shrink = int(np.floor(qsize / size * 0.5))
    if shrink > 1:
        rsize = (int(np.rint(img.size[0] / shrink)), int(np.rint(img.size[1] / shrink)))
        img = img.resize(rsize, Image.LANCZOS)
        quad /= shrink
        qsize /= shrink

    border = max(int(np.rint(qsize * 0.1)), 3)
    lo = np.floor(quad.min(axis=0)).astype(int)
    hi = np.ceil(quad.max(axis=0)).astype(int)
    box = (max(lo[0] - border, 0), max(lo[1] - border, 0),
           min(hi[0] + border, img.size[0]), min(hi[1] + border, img.size[1]))
    if box[2] - box[0] < img.size[0] or box[3] - box[1] < img.size[1]:
        img = img.crop(box)
        quad -= box[:2]

    lo = np.floor(quad.min(axis=0)).astype(int)
    hi = np.ceil(quad.max(axis=0)).astype(int)
    pad = (max(-lo[0] + border, 0), max(-lo[1] + border, 0),
           max(hi[0] - img.size[0] + border, 0), max(hi[1] - img.size[1] + border, 0))
    if max(pad) > border - 4:
        pad = np.maximum(pad, int(np.rint(qsize * 0.3)))
        arr = np.pad(np.float32(img), ((pad[1], pad[3]), (pad[0], pad[2]), (0, 0)), "reflect")
        h, w, _ = arr.shape
        y, x, _ = np.ogrid[:h, :w, :1]
        mask = np.maximum(1.0 - np.minimum(np.float32(x) / pad[0], np.float32(w - 1 - x) / pad[2]),
                          1.0 - np.minimum(np.float32(y) / pad[1], np.float32(h - 1 - y) / pad[3]))
        blur = qsize * 0.02
        arr += (scipy.ndimage.gaussian_filter(arr, [blur, blur, 0]) - arr) * np.clip(mask * 3.0 + 1.0, 0.0, 1.0)
        arr += (np.median(arr, axis=(0, 1)) - arr) * np.clip(mask, 0.0, 1.0)
        img = Image.fromarray(np.uint8(np.clip(np.rint(arr), 0, 255)), "RGB")
        quad += pad[:2]

    img = img.transform((TRANSFORM_SIZE, TRANSFORM_SIZE), Image.QUAD, tuple((quad + 0.5).flatten()),
                        Image.BILINEAR)
    if size < TRANSFORM_SIZE:
        img = img.resize((size, size), Image.LANCZOS)
    return np.asarray(img)
