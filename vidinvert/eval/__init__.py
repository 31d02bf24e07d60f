"""Batch evaluation of video inversion and editing (the RAVDESS protocol and any folder of videos)."""

from vidinvert.eval.pipeline_frames import pipeline_video_fn
from vidinvert.eval.records import FrameRecord, VideoFn
from vidinvert.eval.runner import evaluate, evaluate_folder, merge

__all__ = ["FrameRecord", "VideoFn", "evaluate", "evaluate_folder", "merge", "pipeline_video_fn"]
