"""`vidinvert score INPUT OUTPUT`: the face quality of an edited video against its input.

`FaceScorer` takes (input frame, output frame) pairs in order: the face mesh runs on both (the
input's largest face, and the output's face nearest to it) and `vidinvert.metrics.face_quality`
measures each pair; given an `IdentityTrack`, it also measures the identity distance of that face
(`vidinvert.eval.identity_score`). `score_videos` feeds it two decoded videos side by side, with the
identity distance when face recognition is installed; the evaluation feeds it the pipeline's output
frames as they are made (`vidinvert.eval.pipeline_frames`).
"""

from __future__ import annotations

import contextlib

import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from vidinvert.errors import VidinvertError
from vidinvert.face.align import ffhq_quad
from vidinvert.record_files import encode_float, write_json_atomic
from vidinvert.face.detect import MeshDetector
from vidinvert.eval.identity_score import IdentityTrack
from vidinvert.eval.matte_area import MatteArea
from vidinvert.face.landmarks import FaceLandmarks
from vidinvert.face.recognition import FaceRecognizer, recognition_available, unavailable_reason
from vidinvert.metrics.face_quality import EXPRESSIONS, SMILE_RISE, FaceQuality
from vidinvert.video import open_video, probe


@dataclass
class ScoreReport:
    """Per-frame rows and the summary of one input/output pair; `identity` is `IdentityTrack.summary`,
    or None with the reason in `identity_unavailable`."""

    input: Path
    output: Path
    frames: int
    rows: list[dict[str, float]]
    summary: dict[str, float]
    identity: dict | None = None
    identity_unavailable: str = ""
    matte: dict[str, float] | None = None  # the changed area (`score --matte`), vidinvert.eval.matte_area

    def lines(self) -> list[str]:
        s = self.summary
        out = [f"{self.output} against {self.input}: {self.frames} frames, {int(s['face_frames'])} with a face "
               f"in the input, {int(s['output_face_frames'])} of them with a face found in the output"]
        if not self.rows:
            out.append("no face found in the input: nothing to score")
            return out if self.matte is None else out + [MatteArea.line(self.matte, self.frames)]
        out += [
            f"face PSNR           output against input   {s['psnr']:.2f} dB  (the fidelity, for a zero edit)",
            f"sharpness           output / input         {s['sharpness']:.3f}",
            f"temporal stability  warp error out / in    {s['warp_error_ratio']:.3f}  "
            f"({s['warp_error_output']:.4f} / {s['warp_error_input']:.4f})",
            f"rigid landmarks     moved / eye distance   {s['displacement']:.4f}",
            "expression          input    output   change (medians)",
        ]
        for name in EXPRESSIONS:
            out.append(f"  {name:<17} {s[name + '_input']:.4f}   {s[name + '_output']:.4f}   "
                       f"{s[name + '_change']:+.4f}")
        out.append(f"smile rose by >= {SMILE_RISE} in {100 * s['smile_rose_share']:.0f}% of the frames with a face")
        out.append("expression, grey     input    output   change   rose    fell  (desaturated frames)")
        for name in EXPRESSIONS:
            out.append(f"  {name:<17} {s[name + '_grey_input']:.4f}   {s[name + '_grey_output']:.4f}   "
                       f"{s[name + '_grey_change']:+.4f}  {100 * s[name + '_grey_rose_share']:4.0f}%  "
                       f"{100 * s[name + '_grey_fell_share']:4.0f}%")
        out += [f"skin colour cast    CIELAB delta-E         {s['skin_delta_e']:.2f}  (95th percentile "
                f"{s['skin_delta_e_p95']:.2f})",
                f"seams               step of the change     {s['seam_edit']:.2f} levels at the edit's border, "
                f"{s['seam_crop']:.2f} at the crop's edges"]
        out.append(self._identity_line())
        return out if self.matte is None else out + [MatteArea.line(self.matte, self.frames)]

    def _identity_line(self) -> str:
        if self.identity is None:
            return f"identity            n/a: {self.identity_unavailable}"
        i = self.identity
        return (f"identity            distance in / out      {i['median']:.4f} median, worst {i['worst']:.4f} at "
                f"frame {i['worst_frame']}  ({i['backbone']}; one person below {i['same_person']})")

    def as_json(self) -> dict:
        return {"input": str(self.input), "output": str(self.output), "frames": self.frames,
                "summary": {k: encode_float(v) for k, v in self.summary.items()},
                "identity": ({"available": False, "reason": self.identity_unavailable} if self.identity is None
                             else {"available": True, **{k: encode_float(v) if isinstance(v, float) else v
                                                          for k, v in self.identity.items()}}),
                "per_frame": [{k: encode_float(v) for k, v in row.items()} for row in self.rows],
                **({} if self.matte is None else {"matte": self.matte})}


def _nearest(faces: list[FaceLandmarks], centre: np.ndarray) -> FaceLandmarks | None:
    if not faces:
        return None
    return min(faces, key=lambda f: float(np.linalg.norm(f.centre - centre)))


def _points(face: FaceLandmarks | None) -> np.ndarray | None:
    return None if face is None else face.points


def desaturate(image: np.ndarray) -> np.ndarray:
    """The uint8 RGB image in grey (its Rec. 601 luma in all three channels)."""
    return np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)


class FaceScorer:
    """Scores a stream of (input frame, output frame) pairs of one video, given in frame order;
    close it (or use `with`) to release its face meshes (colour and grey frames, input and output).
    With `identity`, the input's face is also measured by it."""

    def __init__(self, identity: IdentityTrack | None = None) -> None:
        self.quality = FaceQuality()
        self.identity = identity
        self._source_mesh = MeshDetector(video=True)
        self._output_mesh = MeshDetector(video=True)
        self._source_grey_mesh = MeshDetector(video=True)
        self._output_grey_mesh = MeshDetector(video=True)

    def add(self, index: int, source: np.ndarray, output: np.ndarray) -> None:
        """Score frame `index`: uint8 RGB input and output images of one size."""
        found = self._source_mesh.detect(source)
        face = found[0] if found else None
        out_face = _nearest(self._output_mesh.detect(output), face.centre) if face is not None else None
        grey = (None, None)
        if face is not None:
            grey = tuple(_points(_nearest(mesh.detect(desaturate(image)), face.centre))
                         for mesh, image in ((self._source_grey_mesh, source), (self._output_grey_mesh, output)))
        self.quality.add(index, source, output, _points(face), _points(out_face), grey_points=grey,
                         quad=None if face is None else ffhq_quad(face))
        if self.identity is not None and face is not None:
            self.identity.add(index, source, output, face)

    def rows(self) -> list[dict[str, float]]:
        """The measurements of each frame with a face in the input (its identity distance last, when measured)."""
        rows = [s.row() for s in self.quality.scores]
        if self.identity is not None:
            for row in rows:
                row["identity_distance"] = self.identity.distances.get(int(row["frame"]), math.nan)
        return rows

    def summary(self) -> dict[str, float]:
        """`FaceQuality.summary` of the frames so far (keys `SUMMARY_KEYS`)."""
        return self.quality.summary()

    def close(self) -> None:
        for mesh in (self._source_mesh, self._output_mesh, self._source_grey_mesh, self._output_grey_mesh):
            mesh.close()

    def __enter__(self) -> FaceScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _identity_track(identity: bool) -> tuple[IdentityTrack | None, str]:
    if not identity:
        return None, "not measured (--no-identity)"
    if not recognition_available():
        return None, unavailable_reason()
    return IdentityTrack(FaceRecognizer()), ""


def score_videos(input: str | os.PathLike, output: str | os.PathLike, *, frames: str | None = None,
                 json_path: str | os.PathLike | None = None, quiet: bool = True, identity: bool = True,
                 matte: str | os.PathLike | None = None) -> ScoreReport:
    """Score OUTPUT (an edit of INPUT with the same frames) on the frames where INPUT has a face.

    `identity`: also the identity distance of the face, when face recognition is installed.
    `matte`: the edit's matte (`edit --matte-out`), for the changed area of every frame.
    Raises VidinvertError when the videos (or the matte) differ in frame count or size.
    """
    info_in, info_out = probe(input), probe(output)
    if matte is not None:
        info_matte = probe(matte)
        if (info_matte.width, info_matte.height) != (info_out.width, info_out.height):
            raise VidinvertError(f"the matte {matte} is {info_matte.width}x{info_matte.height} but {output} is "
                                 f"{info_out.width}x{info_out.height}")
    if (info_in.width, info_in.height) != (info_out.width, info_out.height):
        raise VidinvertError(f"{output} is {info_out.width}x{info_out.height} but {input} is "
                             f"{info_in.width}x{info_in.height}: score compares frames of one size")
    track, identity_unavailable = _identity_track(identity)
    count = 0
    with open_video(input, frames=frames) as source_video, open_video(output, frames=frames) as output_video, \
            FaceScorer(track) as scorer, tqdm(total=info_in.frames, unit="frame", disable=quiet, leave=False) as bar, \
            contextlib.ExitStack() as stack:
        sources, outputs = iter(source_video), iter(output_video)
        area, mattes = None, None
        if matte is not None:
            area, mattes = MatteArea(), iter(stack.enter_context(open_video(matte, frames=frames)))
        for source in sources:
            if mattes is not None:
                matte_record = next(mattes, None)
                if matte_record is None:
                    raise VidinvertError(f"the matte {matte} has fewer frames than {input} ({count})")
                area.add(matte_record)
            result = next(outputs, None)
            if result is None:
                raise VidinvertError(f"{output} has fewer frames than {input} ({count})")
            if result.image.shape != source.image.shape:
                raise VidinvertError(f"frame {source.index} of {output} is {result.image.shape[1]}x"
                                     f"{result.image.shape[0]}, not {source.image.shape[1]}x{source.image.shape[0]}")
            scorer.add(source.index, source.image, result.image)
            count += 1
            bar.update(1)
        if next(outputs, None) is not None:
            raise VidinvertError(f"{output} has more frames than {input} ({count})")
    report = ScoreReport(Path(input), Path(output), count, scorer.rows(), scorer.summary(),
                         None if track is None else track.summary(), identity_unavailable,
                         None if area is None else area.summary())
    if json_path is not None:
        write_json_atomic(Path(json_path), report.as_json())
    return report
