"""The streaming face-editing pipeline: stages from decoded frames to composited frames.

    frames -> track_faces -> smooth_crops -> align_crops -> invert_frames -> [EditStage]
           -> Renderer -> [change_fields] -> composite_frames -> frames

(`change_fields`, the change stage, runs for the warp/delta render modes when the latents change.)

`build_pipeline` (vidinvert.pipeline.build) wires them from a RunConfig. Each stage is an iterator
over immutable FaceFrame records in order; a frame without a tracked face flows through all of them
untouched. Memory is bounded by the stages' look-ahead (gap bridging, crop smoothing, latent
smoothing) and one render batch.
"""
