"""Faces in frames: landmarks, tracking, FFHQ alignment, temporal smoothing and compositing."""
