#!/usr/bin/env python
"""What the occluders cost and whether they hold, with the bundled model, on the shared clips.

Cost: the hand finder on 1280x720 frames (the shared phone clip with hands, scaled and padded to
720p), per frame, and the whole occluder matte of a frame (hands plus, with `auto`, the segmenter
on the face's crop); against the frame's composite without occluders (the straightforward way).

Hold: `vidinvert edit --attr smile=3 --codec ffv1` on the phone clips (hands near, not over, the
face) and on a talking face with a real hand pasted over the mouth (tests/_fixtures_hands.py): the
pixels changed inside the hands the landmarker finds in the input (goal 0), and those changed on
the rest of the face; then the same with `--occluders none`.

    python bin/bench_occluders.py [--frames 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests._fixtures_face import clip_frames  # noqa: E402
from tests._fixtures_hands import detected_hands, hand_over_face  # noqa: E402
from vidinvert import api  # noqa: E402
from vidinvert.face.detect import MeshDetector  # noqa: E402
from vidinvert.face.hands import HandFinder  # noqa: E402
from vidinvert.face.occluders import Occluders  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def to_720p(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    scale = 720 / h
    small = cv2.resize(image, (round(w * scale), 720), interpolation=cv2.INTER_AREA)
    out = np.zeros((720, 1280, 3), np.uint8)
    x = (1280 - small.shape[1]) // 2
    out[:, x:x + small.shape[1]] = small
    return out


def ms_per_frame(work, frames) -> float:
    times = []
    for frame in frames:
        started = time.perf_counter()
        work(frame)
        times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times[3:]))  # the first frames start the graphs


def cost(frames: list[np.ndarray]) -> None:
    frames = [to_720p(f) for f in frames]
    detector = MeshDetector(video=False)
    face = detector.detect(frames[0])[0]
    detector.close()
    finder = HandFinder()
    hands = ms_per_frame(finder.find, frames)
    finder.close()
    print(f"hand finder, 1280x720: {hands:.1f} ms/frame")
    for kind in ("hands", "auto"):
        try:
            occluders = Occluders(kind)
        except Exception as exc:  # the segmenter's weights may be absent in a checkout
            print(f"occluders {kind}: unavailable ({exc})")
            continue
        crop = cv2.resize(frames[0][:256, :256], (256, 256))
        total = ms_per_frame(lambda f: occluders(f, [(face, crop, _identity_transform())]), frames)
        occluders.close()
        print(f"occluder matte ({kind}), 1280x720, one face: {total:.1f} ms/frame")


def _identity_transform():
    from vidinvert.face.align import crop_transform

    return crop_transform(np.array([[0.0, 0], [0, 255], [255, 255], [255, 0]]), 256)


def hold(clip: Path, folder: Path, frames: int) -> None:
    source = clip_frames(clip, frames)
    regions = detected_hands(clip)[:frames]
    for occluders in ("hands", "none"):
        out = folder / f"{clip.stem}_{occluders}.mkv"
        api.edit_video(clip, out, attr=["smile=3"], codec="ffv1", frames=f"0:{frames}", occluders=occluders,
                       quiet=True, overwrite=True)
        edited = clip_frames(out, frames)
        inside = outside = 0
        for before, after, hand in zip(source, edited, regions):
            moved = (before != after).any(axis=-1)
            inside += int(moved[hand].sum())
            outside += int(moved[~hand].sum())
        with_hands = sum(bool(r.any()) for r in regions)
        print(f"{clip.name:28s} --occluders {occluders:5s}: {with_hands}/{len(regions)} frames with hands, "
              f"{sum(int(r.sum()) for r in regions) / max(with_hands, 1):.0f} hand px/frame; changed inside hands "
              f"{inside}, elsewhere {outside / len(regions):.0f} px/frame")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()
    phone = DATA / "hands" / "phone_s20.mp4"
    cost(clip_frames(phone, 40))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clips = []
        for name in ("phone_s20.mp4", "phone_s29.mp4"):  # lossless copies, so that 0 changed means 0
            path = folder / name.replace(".mp4", ".mkv")
            with av.open(str(path), "w") as container:
                images = clip_frames(DATA / "hands" / name, args.frames)
                stream = container.add_stream("ffv1", rate=30)
                stream.width, stream.height, stream.pix_fmt = images[0].shape[1], images[0].shape[0], "bgr0"
                for image in images:
                    container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
                container.mux(stream.encode())
            clips.append(path)
        clips.append(hand_over_face(DATA, folder / "hand_over_talk.mkv", frames=args.frames))
        for clip in clips:
            hold(clip, folder, args.frames)


if __name__ == "__main__":
    main()
