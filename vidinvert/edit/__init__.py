"""Latent editing, pure latent maths: directions and their formats, the named-direction registry,
strength keyframes, the feature-tensor edit and where the warp/delta change is drawn from. Finding
new directions lives in vidinvert.discover; the video pipeline's editing stage in
vidinvert.pipeline.edit_stage; the temporal filters in vidinvert.temporal."""
