"""Editing: attribute directions (load, find, fit), feature-tensor edits, temporal filters, keyframes."""

from vidinvert.edit.directions import Direction, apply_edits, edit, load_direction, parse_layers, save_direction
from vidinvert.edit.keyframes import Keyframes, load_keyframes, parse_keyframes, parse_strength, strength_at
from vidinvert.edit.registry import EditRequest, find_direction, resolve_edits
from vidinvert.edit.stage import EditStage, LatentFrame, make_edit_stage
from vidinvert.edit.temporal import EMAFilter, GaussianFilter, LayerGroups, OneEuroFilter, parse_filter

__all__ = [
    "Direction", "EMAFilter", "EditRequest", "EditStage", "LatentFrame", "make_edit_stage", "GaussianFilter", "Keyframes", "LayerGroups", "OneEuroFilter",
    "apply_edits", "edit", "find_direction", "load_direction", "load_keyframes", "parse_filter",
    "parse_keyframes", "parse_layers", "parse_strength", "resolve_edits", "save_direction", "strength_at",
]
