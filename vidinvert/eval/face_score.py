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

from vidinvert.config import TrackConfig
from vidinvert.errors import VidinvertError
from vidinvert.face.align import ffhq_quad
from vidinvert.record_files import encode_float, write_json_atomic
from vidinvert.face.detect import MeshDetector
from vidinvert.eval.identity_score import IdentityTrack
from vidinvert.eval.matte_area import MatteArea
from vidinvert.face.landmarks import FaceLandmarks
from vidinvert.face.tracks import FaceTracks
from vidinvert.face.recognition import FaceRecognizer, recognition_available, unavailable_reason
from vidinvert.metrics.face_quality import EXPRESSIONS, SMILE_RISE, FaceQuality
from vidinvert.pipeline.find_tracks import clip_tracks
from vidinvert.video import open_video, probe
from vidinvert.video.sources import check_source


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
    track: int | None = None  # the input's face track scored (`score --faces`), or None: its largest face

    def lines(self) -> list[str]:
        s = self.summary
        whose = "a face" if self.track is None else f"track {self.track}'s face"
        out = [f"{self.output} against {self.input}: {self.frames} frames, {int(s['face_frames'])} with {whose} "
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
                **({} if self.track is None else {"track": self.track}),
                "summary": {k: encode_float(v) for k, v in self.summary.items()},
                "identity": ({"available": False, "reason": self.identity_unavailable} if self.identity is None
                             else {"available": True, **{k: encode_float(v) if isinstance(v, float) else v
                                                          for k, v in self.identity.items()}}),
                "per_frame": [{k: encode_float(v) for k, v in row.items()} for row in self.rows],
                **({} if self.matte is None else {"matte": self.matte})}


def _nearest(faces: list[FaceLandmarks], centre: np.ndarray, reach: float = math.inf) -> FaceLandmarks | None:
    """The face whose centre is nearest to `centre`, if nearer than `reach` (pixels)."""
    if not faces:
        return None
    face = min(faces, key=lambda f: float(np.linalg.norm(f.centre - centre)))
    return face if float(np.linalg.norm(face.centre - centre)) < reach else None


def _points(face: FaceLandmarks | None) -> np.ndarray | None:
    return None if face is None else face.points


def desaturate(image: np.ndarray) -> np.ndarray:
    """The uint8 RGB image in grey (its Rec. 601 luma in all three channels)."""
    return np.repeat(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)


class FaceScorer:
    """Scores a stream of (input frame, output frame) pairs of one video, given in frame order;
    close it (or use `with`) to release its face meshes (colour and grey frames, input and output).
    With `identity`, the input's face is also measured by it.

    With `tracks` (the input's face tracks, `vidinvert.pipeline.find_tracks.clip_tracks`), every
    track's face is scored on its own (`track_ids`: only these), and the output's face of a track is
    the one nearest to it within half its size; without, the input's largest face is scored."""

    def __init__(self, identity: IdentityTrack | None = None, tracks: FaceTracks | None = None,
                 track_ids: list[int] | None = None) -> None:
        self.tracks = tracks
        self.track_ids = None if tracks is None else list(tracks.ids() if track_ids is None else track_ids)
        keys = [None] if self.track_ids is None else self.track_ids
        self.qualities = {key: FaceQuality() for key in keys}
        self.identities = {key: identity if key is None else IdentityTrack(identity.recognizer)
                           for key in keys} if identity is not None else {}
        self._source_mesh = MeshDetector(video=True) if tracks is None else None
        self._output_mesh = MeshDetector(video=True)
        self._source_grey_mesh = MeshDetector(video=True)
        self._output_grey_mesh = MeshDetector(video=True)

    @property
    def quality(self) -> FaceQuality:
        return self.qualities[self._only()]

    @property
    def identity(self) -> IdentityTrack | None:
        return self.identities.get(self._only())

    def add(self, index: int, source: np.ndarray, output: np.ndarray) -> None:
        """Score frame `index`: uint8 RGB input and output images of one size."""
        if self.tracks is None:
            found = self._source_mesh.detect(source)
            face = found[0] if found else None
            self._add(None, index, source, output, face, *(self._found(source, output) if face else ()))
            return
        present = {face.track: face.landmarks for face in self.tracks.at(index)}
        if not any(key in present for key in self.qualities):
            for key in self.qualities:
                self._add(key, index, source, output, None)
            return
        found = self._found(source, output)
        for key in self.qualities:
            self._add(key, index, source, output, present.get(key), *found, gate=True)

    def _found(self, source: np.ndarray, output: np.ndarray) -> tuple[list[FaceLandmarks], ...]:
        """The faces of the output frame and of the desaturated input and output frames."""
        return (self._output_mesh.detect(output), self._source_grey_mesh.detect(desaturate(source)),
                self._output_grey_mesh.detect(desaturate(output)))

    def _add(self, key: int | None, index: int, source: np.ndarray, output: np.ndarray,
             face: FaceLandmarks | None, outputs=(), source_greys=(), output_greys=(), gate: bool = False) -> None:
        quality = self.qualities[key]
        if face is None:
            quality.add(index, source, output, None, None)  # breaks the temporal chain
            return
        reach = 0.5 * face.size if gate else math.inf
        out_face, *grey = (_nearest(faces, face.centre, reach) for faces in (outputs, source_greys, output_greys))
        quality.add(index, source, output, face.points, _points(out_face), grey_points=tuple(map(_points, grey)),
                    quad=ffhq_quad(face))
        if key in self.identities:
            self.identities[key].add(index, source, output, face)

    def _only(self) -> int | None:
        if len(self.qualities) != 1:
            raise ValueError("a scorer of several tracks has no single face's scores: use rows(key) / summary(key)")
        return next(iter(self.qualities))

    def rows(self, key: int | None = None) -> list[dict[str, float]]:
        """The measurements of each frame with the face in the input (its identity distance last, when
        measured); `key`: the track's id, in a scorer of tracks."""
        key = self._only() if key is None and None not in self.qualities else key
        rows = [s.row() for s in self.qualities[key].scores]
        if key in self.identities:
            for row in rows:
                row["identity_distance"] = self.identities[key].distances.get(int(row["frame"]), math.nan)
        return rows

    def summary(self, key: int | None = None) -> dict[str, float]:
        """`FaceQuality.summary` of the frames so far (keys `SUMMARY_KEYS`); `key` as for `rows`."""
        key = self._only() if key is None and None not in self.qualities else key
        return self.qualities[key].summary()

    def close(self) -> None:
        for mesh in (self._source_mesh, self._output_mesh, self._source_grey_mesh, self._output_grey_mesh):
            if mesh is not None:
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


@dataclass
class TrackScores:
    """`score --faces`: one `ScoreReport` per face track of the input."""

    reports: list[ScoreReport]

    def lines(self) -> list[str]:
        if not self.reports:
            return ["no face track in the input: nothing to score"]
        return [line for report in self.reports for line in report.lines() + [""]][:-1]

    def as_json(self) -> dict:
        first = self.reports[0] if self.reports else None
        return {"input": None if first is None else str(first.input),
                "output": None if first is None else str(first.output),
                "tracks": [report.as_json() for report in self.reports]}


def score_videos(input: str | os.PathLike, output: str | os.PathLike, *, frames: str | None = None,
                 json_path: str | os.PathLike | None = None, quiet: bool = True, identity: bool = True,
                 matte: str | os.PathLike | None = None, faces: bool = False,
                 tracks: list[int] | None = None) -> ScoreReport | TrackScores:
    """Score OUTPUT (an edit of INPUT with the same frames) on the frames where INPUT has a face.

    `identity`: also the identity distance of the face, when face recognition is installed.
    `matte`: the edit's matte (`edit --matte-out`), for the changed area of every frame.
    `faces`: score every face track of the input on its own (the ids `probe --faces` lists), or
    with `tracks` only those; the answer is then a `TrackScores`.
    Raises VidinvertError when the videos (or the matte) differ in frame count or size, or a track
    id is not the input's.
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
    face_tracks = None
    if faces or tracks:
        face_tracks = clip_tracks(check_source(input), TrackConfig(), frames=frames, quiet=quiet)
        face_tracks.check_ids(tracks or [])
    track, identity_unavailable = _identity_track(identity)
    count = 0
    with open_video(input, frames=frames) as source_video, open_video(output, frames=frames) as output_video, \
            FaceScorer(track, face_tracks, tracks or None) as scorer, tqdm(total=info_in.frames, unit="frame", disable=quiet, leave=False) as bar, \
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
    matte_area = None if area is None else area.summary()

    def report(key: int | None) -> ScoreReport:
        measured = scorer.identities.get(key)
        return ScoreReport(Path(input), Path(output), count, scorer.rows(key), scorer.summary(key),
                           None if measured is None else measured.summary(), identity_unavailable, matte_area, key)

    report = report(None) if face_tracks is None else TrackScores([report(key) for key in scorer.track_ids])
    if json_path is not None:
        write_json_atomic(Path(json_path), report.as_json())
    return report
