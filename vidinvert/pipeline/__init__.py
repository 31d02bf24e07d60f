"""The streaming face-editing pipeline: stages from decoded frames to composited frames.

    frames -> track_faces -> smooth_crops -> align_crops -> invert_frames -> (edit stage)
           -> render_faces -> composite_frames -> frames

Each stage is an iterator over frames in order; a frame without a tracked face flows through all
of them untouched. Memory is bounded by the stages' look-ahead (gap bridging, crop smoothing,
latent smoothing) and one render batch.
"""
