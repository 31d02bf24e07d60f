"""Latent editing: directions and their formats, the named-direction registry, strength keyframes,
temporal filters, SeFa and direction fitting. Pure latent maths; the video pipeline's editing stage
lives in vidinvert.pipeline.edit_stage."""
