"""Training the occluder segmenter: real faces with synthetic occluders pasted on, and the training loop.

An occluded sample is an FFHQ-aligned CelebA crop with one occluder (sometimes two) drawn over it, and
the mask of the pixels it covers. The kinds:

- "hand": real hands cut out of phone clips (mediapipe's hand landmarks, the bones and palm drawn a
  finger wide, refined by GrabCut), pasted at a random scale, angle and place, colour-jittered;
- "object": microphones (handle and ball head), cups, phones, ellipses and polygons, filled with flat
  colours, gradients, noise or patches of real video frames, shaded;
- "hair": thin curved strokes in hair colours, a few pixels wide, in bundles;
- "glasses": frame outlines (ellipses or rounded rectangles) at the aligned eye positions, with bridge
  and temples, sometimes with tinted lenses.

Every draw comes from a numpy generator, so a seed fixes a sample exactly. Clean faces are part of
the mix so that the network learns to mark nothing on them.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vidinvert.errors import VidinvertError
from vidinvert.face.occlusion import OcclusionSegmenter, to_input
from vidinvert.face.occlusion_net import OccluderNet
from vidinvert.video import open_video

log = logging.getLogger(__name__)

KINDS = ("hand", "object", "hair", "glasses")
#: Side of the square a hand cut-out is stored in.
CUT = 96
#: Side of the stored texture patches.
PATCH = 64
#: The part of every clip (from its end) whose hands and textures are kept for measuring only.
HELD_OUT = 0.2
#: Eye centres in an FFHQ-aligned crop, as fractions of its side (from the alignment's quad geometry).
EYES = ((0.375, 0.47), (0.625, 0.47))
MOUTH = (0.5, 0.745)
#: The face area for false-positive counts: an ellipse (centre, half-axes) in crop fractions.
FACE_ELLIPSE = ((0.5, 0.58), (0.25, 0.33))

HAND_CLIPS = ("hands/phone_s20.mp4", "hands/phone_s29.mp4")
TEXTURE_CLIPS = ("videos/head_d18.mp4", "videos/head_d19.mp4", "videos/single_face.mp4", "videos/face_noface.mov")
HAIR_COLOURS = np.array([(20, 16, 12), (45, 30, 20), (90, 60, 35), (130, 90, 50), (200, 170, 110),
                         (225, 200, 150), (140, 60, 30), (160, 160, 160)], np.float32)


@dataclasses.dataclass
class OccluderAssets:
    """What the synthesis pastes: hand cut-outs (N, CUT, CUT, 4) RGBA and texture patches (M, PATCH, PATCH, 3)."""

    hands: np.ndarray
    textures: np.ndarray


# ----------------------------------------------------------------------------------------------- assets

def read_frames(path: str | Path, every: int = 1) -> list[np.ndarray]:
    """Every `every`-th frame of a video as uint8 RGB."""
    frames = []
    with open_video(path) as video:
        for i, record in enumerate(video):
            if i % every == 0:
                frames.append(np.ascontiguousarray(record.image))
    return frames


def cut_hand(frame: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """RGBA cut-out (CUT, CUT, 4) of the hand whose 21 landmarks (pixels) are `points`, or None if too small."""
    import mediapipe as mp

    finger = max(0.9 * float(np.hypot(*(points[5] - points[9]))), 3.0)
    pad = int(2.5 * finger) + 2
    h, w = frame.shape[:2]
    x0, y0 = np.maximum(np.floor(points.min(axis=0)).astype(int) - pad, 0)
    x1, y1 = np.minimum(np.ceil(points.max(axis=0)).astype(int) + pad, (w, h))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    roi = np.ascontiguousarray(frame[y0:y1, x0:x1])
    local = (points - (x0, y0)).astype(np.int32)
    palm = local[[0, 1, 5, 9, 13, 17]]

    def drawn(width: float) -> np.ndarray:
        mask = np.zeros(roi.shape[:2], np.uint8)
        for a, b in mp.solutions.hands.HAND_CONNECTIONS:
            cv2.line(mask, tuple(map(int, local[a])), tuple(map(int, local[b])), 1, max(int(round(width)), 1))
        cv2.fillPoly(mask, [cv2.convexHull(palm)], 1)
        return mask

    hull = np.zeros(roi.shape[:2], np.uint8)
    cv2.fillPoly(hull, [cv2.convexHull(local)], 1)
    hull = cv2.dilate(hull, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (int(2 * finger) | 1,) * 2))
    labels = np.full(roi.shape[:2], cv2.GC_BGD, np.uint8)
    labels[hull > 0] = cv2.GC_PR_BGD
    labels[drawn(finger) > 0] = cv2.GC_PR_FGD
    labels[drawn(0.3 * finger) > 0] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    try:
        cv2.grabCut(cv2.cvtColor(roi, cv2.COLOR_RGB2BGR), labels, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return None
    mask = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, comp = cv2.connectedComponents(mask)
    keep = np.unique(comp[drawn(0.3 * finger) > 0])
    mask = np.isin(comp, keep[keep > 0]).astype(np.uint8)
    if mask.sum() < 200:
        return None
    ys, xs = np.nonzero(mask)
    roi, mask = roi[ys.min():ys.max() + 1, xs.min():xs.max() + 1], mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = (CUT - 4) / max(roi.shape[:2])
    size = (max(int(round(roi.shape[1] * scale)), 1), max(int(round(roi.shape[0] * scale)), 1))
    rgb = cv2.resize(roi, size, interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    out = np.zeros((CUT, CUT, 4), np.uint8)
    oy, ox = (CUT - size[1]) // 2, (CUT - size[0]) // 2
    out[oy:oy + size[1], ox:ox + size[0], :3] = rgb
    out[oy:oy + size[1], ox:ox + size[0], 3] = np.clip(np.rint(alpha * 255), 0, 255).astype(np.uint8)
    return out


def detect_hands(frames: list[np.ndarray]) -> list[list[np.ndarray]]:
    """The 21 landmarks (pixels) of every hand mediapipe finds in each frame."""
    import mediapipe as mp

    found = []
    with mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=2, min_detection_confidence=0.5) as hands:
        for frame in frames:
            h, w = frame.shape[:2]
            result = hands.process(frame)
            found.append([np.array([(p.x * w - 0.5, p.y * h - 0.5) for p in hand.landmark])
                          for hand in result.multi_hand_landmarks or ()])
    return found


def hand_cutouts(data: Path, held_out: bool, every: int = 2) -> np.ndarray:
    """Hand cut-outs (N, CUT, CUT, 4) from the phone clips: the first part of each clip, or its held-out end."""
    cuts = []
    for clip in HAND_CLIPS:
        frames = read_frames(data / clip, every)
        split = int(len(frames) * (1 - HELD_OUT))
        frames = frames[split:] if held_out else frames[:split]
        for frame, hands in zip(frames, detect_hands(frames)):
            for points in hands:
                cut = cut_hand(frame, points)
                if cut is not None:
                    cuts.append(cut)
    if not cuts:
        raise VidinvertError(f"no hands cut out of {', '.join(HAND_CLIPS)} in {data}")
    return np.stack(cuts)


def texture_patches(data: Path, held_out: bool, per_frame: int = 12, every: int = 10, seed: int = 0) -> np.ndarray:
    """Random square patches (M, PATCH, PATCH, 3) of real video frames, resized to PATCH."""
    rng = np.random.default_rng(seed)
    patches = []
    for clip in TEXTURE_CLIPS:
        frames = read_frames(data / clip, every)
        split = int(len(frames) * (1 - HELD_OUT))
        for frame in frames[split:] if held_out else frames[:split]:
            h, w = frame.shape[:2]
            for _ in range(per_frame):
                side = int(rng.integers(24, max(min(h, w) // 3, 25)))
                y, x = int(rng.integers(0, h - side)), int(rng.integers(0, w - side))
                patches.append(cv2.resize(frame[y:y + side, x:x + side], (PATCH, PATCH), interpolation=cv2.INTER_AREA))
    return np.stack(patches)


def load_assets(data: str | Path, held_out: bool, cache_dir: str | Path | None = None) -> OccluderAssets:
    """Hands and textures for training (held_out=False) or measuring (True), cached in `cache_dir`."""
    data = Path(data)
    name = "held-out" if held_out else "train"
    cache = Path(cache_dir) / f"occluder-assets-{name}.npz" if cache_dir is not None else None
    if cache is not None and cache.exists():
        stored = np.load(cache)
        return OccluderAssets(stored["hands"], stored["textures"])
    assets = OccluderAssets(hand_cutouts(data, held_out), texture_patches(data, held_out, seed=int(held_out)))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, hands=assets.hands, textures=assets.textures)
    log.info("%s occluder assets: %d hands, %d texture patches", name, len(assets.hands), len(assets.textures))
    return assets


# -------------------------------------------------------------------------------------------- synthesis

def _fill(rng: np.random.Generator, size: int, assets: OccluderAssets) -> np.ndarray:
    """A (size, size, 3) float colour layer: flat, gradient, noise or a real patch, then shaded."""
    choice = rng.random()
    if choice < 0.2:
        layer = np.broadcast_to(rng.uniform(0, 255, 3), (size, size, 3)).astype(np.float32)
    elif choice < 0.45:
        a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        angle = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:size, 0:size] / size
        t = np.clip((xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle) + 0.5, 0, 1)[..., None]
        layer = (a * (1 - t) + b * t).astype(np.float32)
    elif choice < 0.65:
        cells = int(rng.integers(2, 24))
        noise = rng.random((cells, cells, 1)).astype(np.float32)
        noise = cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)[..., None]
        a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        layer = (a * (1 - noise) + b * noise).astype(np.float32)
    else:
        patch = assets.textures[rng.integers(len(assets.textures))]
        layer = cv2.resize(patch, (size, size), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        layer = layer * rng.uniform(0.6, 1.4, 3).astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:size, 0:size] / size
    shade = 1 + rng.uniform(-0.5, 0.5) * ((xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle))
    return np.clip(layer * shade[..., None].astype(np.float32), 0, 255)


def _face_point(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.uniform((0.2, 0.25), (0.8, 0.92)) * size


def _draw_hand(rng: np.random.Generator, size: int, assets: OccluderAssets) -> tuple[np.ndarray, np.ndarray]:
    cut = assets.hands[rng.integers(len(assets.hands))]
    if rng.random() < 0.5:
        cut = cut[:, ::-1]
    side = size * rng.uniform(0.35, 0.85)
    matrix = cv2.getRotationMatrix2D((CUT / 2 - 0.5, CUT / 2 - 0.5), rng.uniform(-180, 180), side / CUT)
    matrix[:, 2] += _face_point(rng, size) - (CUT / 2 - 0.5)
    warped = cv2.warpAffine(np.ascontiguousarray(cut), matrix, (size, size), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(np.float32)
    rgb = warped[..., :3] * (rng.uniform(0.6, 1.35) * rng.uniform(0.88, 1.12, 3)).astype(np.float32)
    return np.clip(rgb, 0, 255), warped[..., 3] / 255


def _draw_object(rng: np.random.Generator, size: int, assets: OccluderAssets) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros((size, size), np.uint8)
    shape = rng.choice(("microphone", "cup", "phone", "ellipse", "polygon"))
    centre = _face_point(rng, size)
    angle = rng.uniform(0, 2 * np.pi)
    rgb = _fill(rng, size, assets)
    if shape == "microphone":
        radius = size * rng.uniform(0.07, 0.15)
        width = radius * rng.uniform(0.5, 1.0)
        end = centre + 2 * size * np.array([np.cos(angle), np.sin(angle)])
        cv2.line(mask, _pt(centre), _pt(end), 255, max(int(2 * width), 2), cv2.LINE_AA)
        dark = rng.uniform(10, 90, 3).astype(np.float32)
        body = np.broadcast_to(dark, rgb.shape).copy()
        head = np.zeros_like(mask)
        cv2.circle(head, _pt(centre), int(radius), 255, -1, cv2.LINE_AA)
        grid = rgb.copy()
        step = max(int(rng.integers(2, 5)), 2)
        grid[::step] *= 0.5
        grid[:, ::step] *= 0.5
        rgb = np.where(head[..., None] > 0, grid if rng.random() < 0.6 else body + 60, body)
        mask = np.maximum(mask, head)
    elif shape in ("cup", "phone"):
        if shape == "cup":
            w, h = size * rng.uniform(0.12, 0.25), size * rng.uniform(0.15, 0.35)
        else:
            w, h = size * rng.uniform(0.1, 0.2), size * rng.uniform(0.2, 0.4)
            rgb = rgb * rng.uniform(0.1, 0.5)
        degrees = rng.uniform(-60, 60)
        _rounded_rect(mask, centre, (w, h), degrees, min(w, h) * rng.uniform(0.05, 0.4))
        if shape == "cup" and rng.random() < 0.5:
            lid = np.zeros_like(mask)
            top = centre - h * np.array([-np.sin(np.radians(degrees)), np.cos(np.radians(degrees))])
            cv2.ellipse(lid, _pt(top), (int(w * 1.1), max(int(h * 0.2), 1)), degrees, 0, 360, 255, -1, cv2.LINE_AA)
            rgb = np.where(lid[..., None] > 0, np.float32(rng.uniform(150, 255)), rgb)
            mask = np.maximum(mask, lid)
    elif shape == "ellipse":
        axes = (int(size * rng.uniform(0.06, 0.3)), int(size * rng.uniform(0.04, 0.2)))
        cv2.ellipse(mask, _pt(centre), axes, np.degrees(angle), 0, 360, 255, -1, cv2.LINE_AA)
    else:
        n = int(rng.integers(3, 9))
        radius = size * rng.uniform(0.08, 0.35)
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        points = centre + (radius * rng.uniform(0.4, 1.0, n))[:, None] * np.stack([np.cos(angles), np.sin(angles)], 1)
        cv2.fillPoly(mask, [np.rint(points * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    return rgb.astype(np.float32), mask.astype(np.float32) / 255


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _rounded_rect(mask: np.ndarray, centre: np.ndarray, half: tuple[float, float], degrees: float,
                  radius: float, thickness: int = -1) -> None:
    """Draw a rotated rounded rectangle (half-sizes `half`) into mask: filled, or outlined `thickness` wide."""
    w, h = half
    r = min(radius, w, h)
    corners = [(w - r, h - r, 0), (-w + r, h - r, 90), (-w + r, -h + r, 180), (w - r, -h + r, 270)]
    points = []
    for cx, cy, start in corners:
        t = np.radians(np.linspace(start, start + 90, 6))
        points.append(np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1))
    points = np.concatenate(points)
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    points = points @ np.array([[c, s], [-s, c]]) + centre
    poly = np.rint(points * 16).astype(np.int32)
    if thickness < 0:
        cv2.fillPoly(mask, [poly], 255, cv2.LINE_AA, shift=4)
    else:
        cv2.polylines(mask, [poly], True, 255, thickness, cv2.LINE_AA, shift=4)


def _draw_hair(rng: np.random.Generator, size: int, assets: OccluderAssets) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros((size, size), np.uint8)
    rgb = np.zeros((size, size, 3), np.float32)
    base = HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))]
    start = rng.uniform((0.15, 0.0), (0.85, 0.5)) * size
    heading = rng.uniform(0.2, np.pi - 0.2)
    for _ in range(int(rng.integers(1, 10))):
        p0 = start + rng.normal(0, 0.06 * size, 2)
        length = size * rng.uniform(0.3, 0.8)
        direction = heading + rng.normal(0, 0.25)
        p3 = p0 + length * np.array([np.cos(direction), np.sin(direction)])
        p1 = p0 + (p3 - p0) / 3 + rng.normal(0, 0.12 * size, 2)
        p2 = p0 + 2 * (p3 - p0) / 3 + rng.normal(0, 0.12 * size, 2)
        t = np.linspace(0, 1, 24)[:, None]
        curve = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3
        stroke = np.zeros_like(mask)
        width = max(int(round(size / 128 * rng.uniform(2.0, 4.5))), 1)
        cv2.polylines(stroke, [np.rint(curve * 16).astype(np.int32)], False, 255, width, cv2.LINE_AA, shift=4)
        colour = np.clip(base * rng.uniform(0.75, 1.25), 0, 255)
        rgb[stroke > 0] = colour
        mask = np.maximum(mask, stroke)
    return rgb, mask.astype(np.float32) / 255


def _draw_glasses(rng: np.random.Generator, size: int, assets: OccluderAssets) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros((size, size), np.uint8)
    lenses = np.zeros_like(mask)
    shift = rng.normal(0, 0.015 * size, 2)
    eyes = [np.array(e) * size + shift + rng.normal(0, 0.005 * size, 2) for e in EYES]
    w, h = size * rng.uniform(0.08, 0.12), size * rng.uniform(0.045, 0.08)
    thickness = max(int(round(size / 128 * rng.uniform(1.5, 4.5))), 1)
    tilt = rng.normal(0, 3)
    round_lens = rng.random() < 0.5
    for eye in eyes:
        if round_lens:
            cv2.ellipse(mask, _pt(eye), (int(w), int(h)), tilt, 0, 360, 255, thickness, cv2.LINE_AA)
            cv2.ellipse(lenses, _pt(eye), (int(w), int(h)), tilt, 0, 360, 255, -1, cv2.LINE_AA)
        else:
            _rounded_rect(mask, eye, (w, h), tilt, h * rng.uniform(0.1, 0.8), thickness)
            _rounded_rect(lenses, eye, (w, h), tilt, h * rng.uniform(0.1, 0.8))
    cv2.line(mask, _pt(eyes[0] + (w, -h * 0.3)), _pt(eyes[1] - (w, h * 0.3)), 255, thickness, cv2.LINE_AA)
    reach = size * rng.uniform(0.05, 0.15)
    cv2.line(mask, _pt(eyes[0] - (w, h * 0.3)), _pt(eyes[0] - (w + reach, h * 0.1)), 255, thickness, cv2.LINE_AA)
    cv2.line(mask, _pt(eyes[1] + (w, -h * 0.3)), _pt(eyes[1] + (w + reach, -h * 0.1)), 255, thickness, cv2.LINE_AA)
    colour = rng.uniform(0, 60, 3) if rng.random() < 0.6 else rng.uniform(0, 255, 3)
    rgb = np.broadcast_to(colour.astype(np.float32), (size, size, 3)).copy()
    alpha = mask.astype(np.float32) / 255
    if rng.random() < 0.25:
        tint = lenses.astype(np.float32) / 255 * rng.uniform(0.7, 0.95)
        rgb = np.where((tint > alpha)[..., None], rng.uniform(0, 70, 3).astype(np.float32), rgb)
        alpha = np.maximum(alpha, tint)
    return rgb, alpha


DRAW = {"hand": _draw_hand, "object": _draw_object, "hair": _draw_hair, "glasses": _draw_glasses}


def occlude(face: np.ndarray, kinds: tuple[str, ...], rng: np.random.Generator, assets: OccluderAssets,
            degrade: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Paste occluders of `kinds` (in order) onto an aligned uint8 RGB face.

    Returns the image (uint8, same shape) and the occluder mask (bool: the occluder's alpha above 1/2).
    With `degrade` the whole image is then blurred, noised or JPEG-compressed at random, so that the
    pasted edges are no sharper than the face's.
    """
    size = face.shape[0]
    image = face.astype(np.float32)
    mask = np.zeros((size, size), bool)
    for kind in kinds:
        rgb, alpha = DRAW[kind](rng, size, assets)
        image = image + (rgb - image) * alpha[..., None]
        mask |= alpha > 0.5
    if degrade:
        image = _degrade(rng, image)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), mask


def _degrade(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    image = (image - 128) * rng.uniform(0.8, 1.2) + 128 + rng.uniform(-20, 20)
    if rng.random() < 0.35:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.0))
    if rng.random() < 0.3:
        image = image + rng.normal(0, rng.uniform(1, 6), image.shape).astype(np.float32)
    if rng.random() < 0.3:
        encoded = np.clip(np.rint(image), 0, 255).astype(np.uint8)
        _, buf = cv2.imencode(".jpg", encoded, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
        image = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED).astype(np.float32)
    return image


def training_kinds(rng: np.random.Generator, clean: float = 0.12, second: float = 0.15) -> tuple[str, ...]:
    """The occluders of one training sample: none (clean), one, or sometimes two."""
    if rng.random() < clean:
        return ()
    weights = np.array([0.4, 0.3, 0.15, 0.15])
    first = KINDS[rng.choice(len(KINDS), p=weights)]
    if rng.random() < second:
        return first, KINDS[rng.choice(len(KINDS), p=weights)]
    return (first,)


def held_out_samples(faces: np.ndarray, assets: OccluderAssets, seed: int = 1234,
                     ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The fixed measurement set: face i gets one occluder of kind KINDS[i % 4] (seed, i fix the draw)."""
    images, masks, kinds = [], [], []
    for i, face in enumerate(faces):
        kind = KINDS[i % len(KINDS)]
        image, mask = occlude(face, (kind,), np.random.default_rng([seed, i]), assets)
        images.append(image)
        masks.append(mask)
        kinds.append(kind)
    return np.stack(images), np.stack(masks), kinds


# ----------------------------------------------------------------------------------------- measurement

def face_ellipse(size: int) -> np.ndarray:
    """Bool (size, size) mask of the fixed face area in an aligned crop."""
    (cx, cy), (ax, ay) = FACE_ELLIPSE
    yy, xx = (np.mgrid[0:size, 0:size] + 0.5) / size
    return ((xx - cx) / ax) ** 2 + ((yy - cy) / ay) ** 2 <= 1


def measure(segmenter: OcclusionSegmenter, faces: np.ndarray, assets: OccluderAssets, seed: int = 1234,
            batch: int = 64) -> dict[str, float]:
    """Held-out numbers: pooled IoU (overall and per kind), mean per-image IoU, false positives on clean faces."""
    images, masks, kinds = held_out_samples(faces, assets, seed)
    predicted = np.concatenate([segmenter(images[i:i + batch]) > 0.5 for i in range(0, len(images), batch)])
    clean = np.concatenate([segmenter(faces[i:i + batch]) > 0.5 for i in range(0, len(faces), batch)])
    inter = (predicted & masks).sum(axis=(1, 2)).astype(np.float64)
    union = (predicted | masks).sum(axis=(1, 2)).astype(np.float64)
    kinds = np.array(kinds)
    result = {"iou": float(inter.sum() / union.sum()),
              "iou_mean_per_face": float(np.mean(inter / np.maximum(union, 1)))}
    for kind in KINDS:
        pick = kinds == kind
        result[f"iou_{kind}"] = float(inter[pick].sum() / union[pick].sum())
    area = face_ellipse(faces.shape[1])
    result["false_positive_crop"] = float(clean.mean())
    result["false_positive_face"] = float(clean[:, area].mean())
    result["clean_faces_with_any"] = float((clean.reshape(len(clean), -1).sum(axis=1) > 0).mean())
    result["faces"] = len(faces)
    return result


# ---------------------------------------------------------------------------------------------- training

@dataclasses.dataclass(kw_only=True)
class OccluderTraining:
    """The training run's settings."""

    input_size: int = 64
    channels: tuple[int, ...] = (8, 16, 32, 64, 96)
    batch: int = 32
    steps: int = 3000
    minutes: float | None = None
    lr: float = 2e-3
    seed: int = 0
    log_every: int = 100


def make_batch(faces: np.ndarray, assets: OccluderAssets, rng: np.random.Generator, batch: int,
               input_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of network inputs (B, 3, s, s) and soft targets (B, 1, s, s) at the input size."""
    images, targets = [], []
    for _ in range(batch):
        face = faces[rng.integers(len(faces))]
        if rng.random() < 0.5:
            face = face[:, ::-1]
        image, mask = occlude(np.ascontiguousarray(face), training_kinds(rng), rng, assets)
        images.append(image)
        targets.append(cv2.resize(mask.astype(np.float32), (input_size, input_size), interpolation=cv2.INTER_AREA))
    return to_input(np.stack(images), input_size), torch.from_numpy(np.stack(targets))[:, None]


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    prob = torch.sigmoid(logits)
    inter = (prob * target).sum()
    return 1 - (2 * inter + 1) / (prob.sum() + target.sum() + 1)


def train(faces: np.ndarray, assets: OccluderAssets, settings: OccluderTraining,
          init: OccluderNet | None = None) -> tuple[OccluderNet, dict]:
    """Train the network (`init`, or a new one) on `faces` (N, S, S, 3) uint8 with occluders from `assets`.

    Returns the network and a log of the run.
    """
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    net = init.train() if init is not None else OccluderNet(settings.channels)
    optimiser = torch.optim.AdamW(net.parameters(), lr=settings.lr, weight_decay=1e-4)
    start = time.perf_counter()
    history = []
    step = 0
    total = settings.steps
    for step in range(settings.steps):
        elapsed = time.perf_counter() - start
        if settings.minutes is not None and elapsed > settings.minutes * 60:
            break
        progress = step / total if settings.minutes is None else max(step / total, elapsed / (settings.minutes * 60))
        for group in optimiser.param_groups:
            group["lr"] = settings.lr * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        x, y = make_batch(faces, assets, rng, settings.batch, settings.input_size)
        logits = net(x)
        loss = F.binary_cross_entropy_with_logits(logits, y) + 0.5 * dice_loss(logits, y)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        history.append(loss.item())
        if (step + 1) % settings.log_every == 0:
            log.info("step %d  loss %.4f  %.0f s", step + 1, np.mean(history[-settings.log_every:]), elapsed)
    net.eval()
    return net, {"steps": step + 1, "seconds": time.perf_counter() - start,
                 "final_loss": float(np.mean(history[-settings.log_every:]))}
