"""The edit spec file: reading and checking it, one configuration per face track, writing it back,
and `vidinvert edit --spec` on a real clip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _fixtures_batch import MODEL_OPTIONS
from _fixtures_video import decode_all, write_clip

from vidinvert.cli import main
from vidinvert.config import MOTION_EXPRESSIONS, ModelConfig, RunConfig
from vidinvert.demo.paths import DIRECTIONS_DIR, ENCODER_FILE, GENERATOR_FILE
from vidinvert.edit.spec import EditSpec, FaceEdits, check_directions, load_spec, save_spec, spec_example
from vidinvert.errors import VidinvertError
from vidinvert.files import partial_files
from vidinvert.loading import configured_directions_dir

DOCS = Path(__file__).resolve().parents[1] / "docs" / "edit-spec.md"
MINIMAL = {"faces": {"all": {"attr": {"smile": 2}}, "1": {"attr": {"smile": 0, "age": "0s:0,2s:-1"}}}}


def write_spec(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def one_line_error(path: Path) -> str:
    with pytest.raises(VidinvertError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.fixture()
def clip(tmp_path) -> Path:
    """A short clip without a face: enough for errors raised before any model loads."""
    return write_clip(tmp_path / "in.mp4", frames=3)


def test_the_minimal_example_parses(tmp_path):
    spec = load_spec(write_spec(tmp_path / "edit.json", MINIMAL))
    assert list(spec.faces) == ["all", "1"]
    assert spec.faces["1"] == FaceEdits("1", attr={"smile": 0, "age": "0s:0,2s:-1"})
    assert spec.track_ids() == [1] and spec.ref_photos() == []
    assert spec.root == tmp_path and spec.source == tmp_path / "edit.json"


@pytest.fixture()
def layered(tmp_path) -> EditSpec:
    (tmp_path / "actor.jpg").write_bytes(b"photo")
    (tmp_path / "dirs").mkdir()
    np.save(tmp_path / "dirs" / "age.npy", np.zeros((1, 8)))
    return load_spec(write_spec(tmp_path / "edit.json", {"faces": {
        "2": {"attr": {"smile": 3}, "mask_feather": 0.2},
        "ref:actor.jpg": {"direction": ["dirs/age.npy"], "strength": "0s:0,1s:2", "render": "delta"},
        "all": {"attr": {"smile": 1}, "mask_feather": 0.1, "mask_dilate": 0.07},
    }}))


def test_config_for_applies_all_then_refs_then_the_track_id(layered, tmp_path):
    base = RunConfig.from_options(attr=["brows_raised"], codec="lossless", mask_forehead=0.3)
    only_all = layered.config_for(base, 5)
    assert only_all.edit.attr == ("smile=1",) and only_all.edit.direction == ()
    render = only_all.render
    assert (render.mask_feather, render.mask_dilate, render.mask_forehead) == (0.1, 0.07, 0.3)
    assert only_all.output.codec == "lossless"  # global settings come from the command line
    ref = layered.config_for(base, 5, {"ref:actor.jpg"})
    assert ref.edit.attr == () and ref.edit.direction == (tmp_path / "dirs" / "age.npy",)
    assert ref.edit.strength == "0s:0,1s:2" and ref.render.render == "delta" and ref.render.mask_feather == 0.1
    assert layered.config_for(base, 5, lambda selector: selector == "ref:actor.jpg") == ref
    most = layered.config_for(base, 2, {"ref:actor.jpg"})
    assert most.edit.attr == ("smile=3",) and most.edit.direction == ()  # the id's attr replaces the ref's edits
    assert most.render.render == "delta" and most.render.mask_feather == 0.2 and most.render.mask_dilate == 0.07
    assert layered.track_ids() == [2] and layered.ref_photos() == [tmp_path / "actor.jpg"]


def test_an_entry_of_options_alone_keeps_the_command_lines_edits(tmp_path):
    spec = load_spec(write_spec(tmp_path / "edit.json", {"faces": {"0": {"render": "delta", "strength": 2}}}))
    config = spec.config_for(RunConfig.from_options(attr=["smile=1.5"], direction=["d.npy"]), 0)
    assert config.edit.attr == ("smile=1.5",) and config.edit.direction == ("d.npy",)
    assert config.render.render == "delta" and config.edit.strength == 2


def test_a_track_no_entry_selects_is_not_edited_and_strength_0_is_an_edit(tmp_path):
    spec = load_spec(write_spec(tmp_path / "edit.json", {"faces": {"1": {"attr": {"smile": 0, "age": None}}}}))
    assert spec.config_for(RunConfig.from_options(attr=["smile"]), 0) is None
    assert spec.config_for(RunConfig(), 1).edit.attr == ("smile=0", "age")


@pytest.mark.parametrize("data, expected", [
    ("", "not valid JSON: Expecting value at line 1, column 1"),
    ('{"faces": {"all": {"attr": {"smile": 2,}}}}', "not valid JSON: Expecting property name enclosed in double "
                                                     "quotes at line 1, column 40"),
    ('{"faces": {"all": {}}, "faces": {}}', "key 'faces' is given twice"),
    ('{"faces": {"all": {"attr": {"smile": NaN}}}}', "NaN is not a JSON number"),
    ([], "an edit spec is a JSON object"),
    ({"faces": {}}, "faces: give at least one face entry"),
    ({"version": 1}, "faces: give at least one face entry"),
    ({"faces": ["all"]}, "faces: an object of face selector -> entry, not a list"),
    ({"version": 2, "faces": {"all": {}}}, "version: this vidinvert reads version 1, not the number 2"),
    ({"face": {"all": {}}}, "unknown key(s) face; the top level takes version, faces"),
    ({"faces": {"1": {"atr": {"smile": 1}}}}, "unknown key(s) faces.1.atr; a face entry takes attr, direction, "),
    ({"faces": {"1": {"mask-feather": 0.1}}}, "unknown key(s) faces.1.mask-feather (write mask_feather)"),
    ({"faces": {"1": {"codec": "h264"}}}, "faces.1.codec: codec is a global option"),
    ({"faces": {"all": {"frames": "0:5"}}}, "faces.all.frames: frames is a global option"),
    ({"faces": {"all": {"face": "1"}}}, "faces.all.face: face is a global option"),
    ({"faces": {"all": {"generator": "G.pt"}}}, "faces.all.generator: generator is a global option"),
    ({"faces": {"all": {"batch_size": 2}}}, "faces.all.batch_size: batch_size is a global option"),
    ({"faces": {"left": {}}}, "faces.left: bad face selector 'left': use \"all\", a track id"),
    ({"faces": {"02": {}}}, "faces.02: bad face selector '02'"),
    ({"faces": {"-1": {}}}, "faces.-1: bad face selector '-1'"),
    ({"faces": {"ref:": {}}}, "faces.ref:: bad face selector 'ref:'"),
    ({"faces": {"ref:nobody.jpg": {}}}, "faces.ref:nobody.jpg: photo not found: "),
    ({"faces": {"all": "smile"}}, "faces.all: a face entry is an object"),
    ({"faces": {"all": {"attr": ["smile"]}}}, "faces.all.attr: an object of direction name -> strength"),
    ({"faces": {"all": {"attr": {"smile=2": 1}}}}, "faces.all.attr.smile=2: bad direction name"),
    ({"faces": {"all": {"attr": {"smile": "strong"}}}}, "faces.all.attr.smile: bad strength 'strong'"),
    ({"faces": {"1": {"attr": {"age": "0s:0,2s:x"}}}}, "faces.1.attr.age: bad strength '2s:x' in '0s:0,2s:x'"),
    ({"faces": {"1": {"attr": {"age": "0s:0,0s:1"}}}}, "faces.1.attr.age: two keyframes fall on the same time"),
    ({"faces": {"1": {"attr": {"age": "ramp.json"}}}}, "faces.1.attr.age: bad strength 'ramp.json'"),
    ({"faces": {"1": {"attr": {"age": True}}}}, "faces.1.attr.age: a strength is a number or keyframe text"),
    ({"faces": {"1": {"strength": "big"}}}, "faces.1.strength: bad strength 'big'"),
    ({"faces": {"1": {"direction": "age.npy"}}}, "faces.1.direction: a list of direction files, not the text"),
    ({"faces": {"1": {"direction": [{"file": "age.npy", "strength": 2}]}}},
     "faces.1.direction[0]: a direction file's path, not an object (the strength of an entry's files is its "
     '"strength"'),
    ({"faces": {"1": {"direction": ["missing.npy"]}}}, "faces.1.direction[0]: direction file not found: "),
    ({"faces": {"1": {"render": "blur"}}}, "faces.1.render: unknown --render 'blur'"),
    ({"faces": {"1": {"mask_feather": -1}}}, "faces.1.mask_feather: --mask-feather must be 0 or more"),
    ({"faces": {"1": {"mask_feather": "wide"}}}, "faces.1.mask_feather: takes a number, not the text 'wide'"),
    ({"faces": {"1": {"seamless": 1}}}, "faces.1.seamless: takes true or false, not the number 1"),
    ({"faces": {"1": {"layers": "a-b"}}}, "faces.1.layers: bad layer selection 'a-b'"),
    ({"faces": {"1": {"smooth_latents": "wobble:2"}}}, "faces.1.smooth_latents: unknown smoothing 'wobble:2'"),
    ({"faces": {"1": {"smooth_change": "gaussian:1,2,3"}}}, "faces.1.smooth_change: bad smoothing"),
    ({"faces": {"1": {"interpolation": "spline"}}}, "faces.1.interpolation: unknown interpolation 'spline'"),
    ({"faces": {"1": {"change_from": "latents:2"}}}, "faces.1.change_from: the change source's truncation"),
    ({"faces": {"1": {"direction_format": "svg"}}}, "faces.1.direction_format: unknown direction format 'svg'"),
    ({"faces": {"1": {"occluders": "none"}}}, "faces.1.occluders: occluders is a global option"),
])
def test_every_problem_is_one_line_naming_where_it_is(tmp_path, data, expected):
    path = write_spec(tmp_path / "edit.json", data)
    message = one_line_error(path)
    assert message.startswith(f"{path}: ") and expected in message, message


def test_a_missing_spec_or_a_folder_is_one_line(tmp_path):
    assert one_line_error(tmp_path / "nope.json") == f"edit spec not found: {tmp_path / 'nope.json'}"
    assert one_line_error(tmp_path) == f"edit spec {tmp_path} is a folder, not a file"


def test_unknown_direction_names_are_named_all_at_once(tmp_path):
    spec = load_spec(write_spec(tmp_path / "edit.json", {"faces": {
        "all": {"attr": {"smiel": 1, "motion:smile": 1, "age": 1}}, "3": {"attr": {"motion:frown": 2}}}}))
    known = {"age", *MOTION_EXPRESSIONS}
    with pytest.raises(VidinvertError) as caught:
        check_directions(spec, known)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(
        f"{tmp_path / 'edit.json'}: unknown direction name(s) at faces.all.attr.smiel, faces.3.attr.motion:frown "
        "(known names: age,")
    check_directions(load_spec(write_spec(tmp_path / "ok.json", MINIMAL)), known)


def test_names_are_checked_against_the_generator_the_run_will_load(tmp_path, monkeypatch, clip, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIDINVERT_WEIGHTS", raising=False)
    store, other = tmp_path / "weights", tmp_path / "G.pt"
    other.write_bytes(b"not read")
    assert configured_directions_dir(ModelConfig(weights_dir=store)) == DIRECTIONS_DIR  # nothing given: the demo
    assert configured_directions_dir(ModelConfig(GENERATOR_FILE, ENCODER_FILE, store)) == DIRECTIONS_DIR
    assert configured_directions_dir(ModelConfig(other, ENCODER_FILE, store)) is None
    assert configured_directions_dir(ModelConfig(encoder=ENCODER_FILE, weights_dir=store)) is None
    spec = write_spec(tmp_path / "edit.json", {"faces": {"all": {"attr": {"smile_labels": 2}}}})
    out = tmp_path / "out.mp4"
    args = ["edit", str(clip), "--spec", str(spec), "-o", str(out), "--weights-dir", str(store)]
    assert main([*args, "--generator", str(other), "--encoder", str(ENCODER_FILE)]) == 1
    assert "unknown direction name(s) at faces.all.attr.smile_labels" in capsys.readouterr().err
    assert not out.exists()


def test_save_spec_writes_what_load_spec_reads_with_paths_for_its_folder(layered, tmp_path):
    moved = save_spec(layered, tmp_path / "elsewhere" / "copy.json")
    again = load_spec(moved)
    assert list(again.faces) == ["2", "ref:../actor.jpg", "all"]
    assert again.faces["ref:../actor.jpg"].direction == ("../dirs/age.npy",)
    assert again.ref_photos()[0].resolve() == tmp_path / "actor.jpg"
    direction = again.config_for(RunConfig(), 5, {"ref:../actor.jpg"}).edit.direction
    assert [p.resolve() for p in direction] == [tmp_path / "dirs" / "age.npy"]
    assert partial_files(moved) == []
    in_place = save_spec(layered, tmp_path / "edit.json")
    assert load_spec(in_place) == layered and in_place.read_text() == layered.to_json()


def test_save_spec_refuses_what_load_spec_would_refuse(tmp_path):
    bad = EditSpec({"all": FaceEdits("all", options={"codec": "h264"})})
    with pytest.raises(VidinvertError, match="codec is a global option"):
        save_spec(bad, tmp_path / "edit.json")
    assert not (tmp_path / "edit.json").exists() and partial_files(tmp_path / "edit.json") == []


def test_spec_example_prints_a_spec_that_loads_back_as_the_example(tmp_path, capsys):
    assert main(["edit", "--spec-example"]) == 0
    printed = capsys.readouterr().out
    assert printed == spec_example()
    (tmp_path / "actor.jpg").write_bytes(b"photo")
    spec = load_spec(write_spec(tmp_path / "example.json", printed))
    assert spec.to_json() == printed and set(spec.faces) == {"all", "ref:actor.jpg", "1"}
    assert f"```json\n{printed}```" in DOCS.read_text()  # the schema's page shows the same example


@pytest.mark.parametrize("spec, args, expected", [
    ({"faces": {"1": {"atr": {"smile": 1}}}}, [], "unknown key(s) faces.1.atr"),
    ({"faces": {"all": {"attr": {"smiel": 1}}}}, [], "unknown direction name(s) at faces.all.attr.smiel"),
    ({"faces": {"0": {"render": "delta"}}}, [], "nothing to edit for track 0"),
    (None, [], "edit spec not found: "),
    ("{", [], "not valid JSON"),
])
def test_cli_spec_errors_are_one_line_and_write_nothing(clip, tmp_path, capsys, spec, args, expected):
    path = tmp_path / "edit.json"
    if spec is not None:
        write_spec(path, spec)
    out = tmp_path / "out.mp4"
    code = main(["edit", str(clip), "--spec", str(path), "-o", str(out), "--encoder", str(tmp_path / "missing.pt"),
                 "--device", "cpu", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("error: ") and expected in err[0], err
    assert not out.exists() and partial_files(out) == []


#: The fastest settings that still edit every processed frame: 3 frames, one refinement step.
FAST = ["--codec", "lossless", "--frames", "0:3", "--steps", "1", "--next-steps", "0", "--threads", "1",
        "--device", "cpu", "-q", *MODEL_OPTIONS]


@pytest.mark.parametrize("strength", [0, 2])
def test_a_spec_for_track_0_edits_frame_for_frame_as_attr_does(shared_data, tmp_path, strength):
    source = shared_data / "videos" / "single_face.mp4"
    spec = write_spec(tmp_path / "edit.json", {"faces": {"0": {"attr": {"smile": strength}}}})
    by_spec, by_attr = tmp_path / "spec.mkv", tmp_path / "attr.mkv"
    assert main(["edit", str(source), "--spec", str(spec), "-o", str(by_spec), *FAST]) == 0
    assert main(["edit", str(source), "--attr", f"smile={strength}", "-o", str(by_attr), *FAST]) == 0
    _, spec_frames = decode_all(by_spec)
    _, attr_frames = decode_all(by_attr)
    assert len(spec_frames) == len(attr_frames) == 72
    assert all(np.array_equal(spec_frames[i], attr_frames[i]) for i in spec_frames)
    if strength:
        _, src = decode_all(source, keep={0, 1, 2})
        assert all(not np.array_equal(spec_frames[i], src[i]) for i in src)  # the smile reached every frame


def test_a_spec_naming_a_track_the_clip_lacks_is_refused_before_models_load(shared_data, tmp_path, capsys):
    source = shared_data / "videos" / "single_face.mp4"
    spec = write_spec(tmp_path / "edit.json", {"faces": {"3": {"attr": {"smile": 2}}}})
    out = tmp_path / "out.mkv"
    missing = str(tmp_path / "missing.pt")  # no model loads: a missing encoder is never looked for
    assert main(["edit", str(source), "--spec", str(spec), "-o", str(out), "--encoder", missing, *FAST]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: no track 3 in this clip; its tracks: 0"]
    assert not out.exists() and partial_files(out) == []
