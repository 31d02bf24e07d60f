"""Batch evaluation of video inversion and editing (the RAVDESS protocol and any folder of videos):
`vidinvert.eval.runner.evaluate_folder` / `merge` over a folder, a `RunConfig`, the video selection
and metrics of `vidinvert.eval.evaluation`, and an engine; the per-video pipeline function in
`vidinvert.eval.pipeline_frames`, the per-frame record `vidinvert.eval.records.EvalFrame`."""
