"""The preview's frames: a slider move re-renders the shown frame from the cached inversion; a range
renders frame for frame what `edit --spec --frames A:B` writes; the exported spec holds the edits."""

from __future__ import annotations

import numpy as np
import pytest
from _fixtures_preview import face_clip, models, session  # noqa: F401
from _fixtures_video import decode_all

from vidinvert.api import edit_video
from vidinvert.edit.spec import load_spec, save_spec
from vidinvert.errors import VidinvertError
from vidinvert.preview.edits import PreviewEdits, command_line, parse_edits
from vidinvert.preview.range_job import range_frames


def test_the_clip_opens_with_its_track_and_the_models_directions(session):
    assert session.track_ids == [0]
    assert {"smile", "smile_labels", "mouth_open"} <= set(session.directions())
    assert all(f.inverted is not None for f in session.face_frames(0))


def test_a_strength_change_changes_the_face_and_strength_0_is_the_input(session):
    original = session.records[3].image
    still, _ = session.render(PreviewEdits(0, {"smile_labels": 0.0}), 3)
    assert np.array_equal(still, original)
    edited, _ = session.render(PreviewEdits(0, {"smile_labels": 2.5}), 3)
    stronger, _ = session.render(PreviewEdits(0, {"smile_labels": 3.0}), 3)
    assert not np.array_equal(edited, original) and not np.array_equal(edited, stronger)


@pytest.mark.parametrize("view", ["side", "difference", "mask", "original"])
def test_every_view_is_a_picture(session, view):
    picture = session.view(PreviewEdits(0, {"smile_labels": 2.0}), 2, view)
    height, width = session.records[2].image.shape[:2]
    assert picture.dtype == np.uint8 and picture.shape == (height, width * (2 if view == "side" else 1), 3)


def test_a_range_preview_is_what_edit_writes_for_that_range(session, tmp_path):
    edits = PreviewEdits(0, {"smile_labels": 1.0}, {"smile": {1: 0.0, 5: 2.0}}, render="warp")
    spec = edits.spec(session.files, session.time_of, session.source.parent)
    shown = list(range_frames(session, edits, 1, 6))
    out = tmp_path / "edited.mp4"
    edit_video(session.source, out, session.config, models=session.models, spec=spec, frames="1:6", codec="lossless",
               quiet=True)
    _, written = decode_all(out)
    assert len(shown) == 5
    for k, frame in enumerate(shown):
        assert np.array_equal(frame, written[1 + k]), f"frame {1 + k} differs"
    assert not np.array_equal(shown[3], session.records[4].image)


def test_the_spec_holds_strengths_keyframes_and_render_options(session, tmp_path):
    edits = parse_edits({"track": 0, "strengths": {"smile_labels": 1.5, "smile": 0},
                         "keyframes": {"mouth_open": {"0": 0, "4": 1.5}}, "render": "delta",
                         "masks": {"mask_feather": 0.06}}, session.directions(), session.track_ids)
    path = save_spec(edits.spec(session.files, session.time_of, session.source.parent), tmp_path / "edit.json")
    entry = load_spec(path).faces["0"]
    assert entry.attr == {"smile_labels": 1.5, "mouth_open": "0s:0,0.4s:1.5"}
    assert entry.options == {"render": "delta", "mask_feather": 0.06}


@pytest.mark.parametrize("data, expected", [
    ({"strengths": {"age": 1}}, "unknown direction(s) age"),
    ({"track": 7}, "unknown face track 7"),
    ({"render": "paint"}, "unknown render mode"),
    ({"strengths": {"smile": "a lot"}}, "finite number"),
    ({"keyframes": {"smile": {"x": 1}}}, "not a frame number"),
    ({"occluders": "gloves"}, "unknown occluders 'gloves'"),
])
def test_bad_edits_are_one_line(session, data, expected):
    with pytest.raises(VidinvertError, match="^" + ".*" + expected.replace("(", r"\(").replace(")", r"\)")) as caught:
        parse_edits(data, session.directions(), session.track_ids)
    assert "\n" not in str(caught.value)


def test_nothing_to_export_without_an_edit(session):
    with pytest.raises(VidinvertError, match="nothing to edit"):
        PreviewEdits(0, {"smile": 0}).spec(session.files, session.time_of, session.source.parent)


def test_occluders_hold_for_the_run_so_they_go_on_the_command_line_not_in_the_spec(session, tmp_path):
    edits = parse_edits({"track": 0, "strengths": {"smile": 1}, "occluders": "none"}, session.directions(),
                        session.track_ids)
    assert edits.options(session.files, session.time_of)["occluders"] == "none"
    assert "occluders" not in edits.spec(session.files, session.time_of, session.source.parent).faces["0"].options
    spec = tmp_path / "edit.json"
    assert "--occluders none" in command_line(session.source, spec, [], edits.occluders)
    assert "--occluders" not in command_line(session.source, spec, [], "hands")
