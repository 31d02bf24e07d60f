"""One run configuration: every default once, the CLI's options generated from it, old spellings kept."""

from __future__ import annotations

import dataclasses

import click
import pytest
from click.testing import CliRunner

from vidinvert.cli import cli
from vidinvert.config import DEFAULTS, OPTION_GROUP, RunConfig
from vidinvert.errors import VidinvertError

NOT_CONFIG = {"input", "output", "spec"}  # command arguments and the spec file, not settings


def command_params(name: str) -> dict[str, click.Parameter]:
    return {p.name: p for p in cli.commands[name].params}


@pytest.mark.parametrize("command", ["edit", "invert"])
def test_run_commands_take_their_defaults_from_the_config(command: str) -> None:
    parsed = cli.commands[command].make_context(command, ["in.mp4", "-o", "out.mp4"]).params
    _check_defaults(command, parsed, NOT_CONFIG, {})


def test_edit_offers_every_setting_of_the_config() -> None:
    assert set(OPTION_GROUP) <= set(command_params("edit"))


#: Options of the commands that are not run settings, by command.
OWN_OPTIONS = {
    "eval": {"folders", "report_dir", "merge_shards", "quiet", "workers", "engine", "ray_address", "ray_workers",
             "gpus_per_video", "cpus_per_video", "retries"},
    "batch": {"source", "output", "quiet", "invert", "engine", "ray_address", "ray_workers", "gpus_per_video",
              "cpus_per_video", "retries"},
    "probe": {"input", "quiet", "faces", "faces_sheet", "as_json"},
}


def _check_defaults(command: str, parsed: dict, own: set[str], records: dict[str, object]) -> None:
    options = DEFAULTS.options()
    for name, value in parsed.items():
        if name in own:
            continue
        if name in records:
            assert value == records[name], (command, name)
            continue
        assert name in OPTION_GROUP, f"{command} --{name} is neither a RunConfig field nor its own option"
        expected = options[name]
        if name == "smooth":  # the CLI takes text ("3" or "causal"); the config keeps the parsed sigma
            assert float(value) == expected
        else:
            assert value == expected or (value in ((), None) and expected in ((), None)), (command, name)


def _same_types(command: str, names, same_help: bool = True) -> None:
    mine, edit = command_params(command), command_params("edit")
    for name in names:
        assert mine[name].type.to_info_dict() == edit[name].type.to_info_dict(), (command, name)
        assert mine[name].help == edit[name].help or not same_help, (command, name)


def test_eval_takes_every_option_of_edit_that_shapes_the_frames() -> None:
    from vidinvert.eval.evaluation import NOT_FRAME_SHAPING, MetricOptions, VideoSelection

    params = command_params("eval")
    shaping = set(OPTION_GROUP) - NOT_FRAME_SHAPING
    assert shaping | {"device", "threads", "serial"} <= set(params)
    assert not set(params) & (NOT_FRAME_SHAPING - {"device", "threads", "serial", "quiet"})
    records = {**dataclasses.asdict(VideoSelection()), **dataclasses.asdict(MetricOptions())}
    parsed = cli.commands["eval"].make_context("eval", ["ROOT", "-o", "OUT"], resilient_parsing=True).params
    _check_defaults("eval", parsed, OWN_OPTIONS["eval"], records)
    _same_types("eval", shaping | {"device", "threads", "serial"})


def test_batch_takes_the_options_of_edit_with_their_config_defaults() -> None:
    parsed = cli.commands["batch"].make_context("batch", ["SRC", "-o", "OUT"], resilient_parsing=True).params
    _check_defaults("batch", parsed, OWN_OPTIONS["batch"], {})
    one_file = {"save_latents", "matte_out"}  # one file per run: a batch writes many
    assert set(OPTION_GROUP) - one_file - {"quiet"} <= set(parsed)
    assert not one_file & set(parsed)
    _same_types("batch", set(OPTION_GROUP) - one_file - {"quiet"})


def test_probe_reads_its_tracking_options_from_the_config() -> None:
    parsed = cli.commands["probe"].make_context("probe", ["IN"], resilient_parsing=True).params
    _check_defaults("probe", parsed, OWN_OPTIONS["probe"], {})
    assert {"face", "max_gap", "landmarks", "frames"} <= set(parsed)
    _same_types("probe", ["face", "max_gap", "landmarks"])
    _same_types("probe", ["frames"], same_help=False)  # probe looks at the frames, edit copies the others


def test_options_land_in_their_groups_and_unknown_names_are_refused() -> None:
    config = RunConfig.from_options(steps=3, attr=["smile=2"], mask_feather=0.1, codec="lossless")
    assert config.invert.steps == 3 and config.edit.attr == ("smile=2",)
    assert config.render.mask_feather == 0.1 and config.output.codec == "lossless"
    assert config.track == DEFAULTS.track  # untouched groups keep their defaults
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.invert.steps = 4
    with pytest.raises(VidinvertError, match="unknown option"):
        RunConfig.from_options(stepz=3)


@pytest.mark.parametrize("options, message", [
    ({"steps": 0}, "--steps must be 1 or more"),
    ({"batch_size": 0}, "--batch-size must be 1 or more"),
    ({"smooth": "fast"}, "--smooth takes a sigma"),
    ({"codec": "mpeg2"}, "unknown --codec"),
    ({"landmarks": "dlib"}, "unknown --landmarks"),
    ({"precision": "fp8"}, "unknown --precision"),
])
def test_bad_settings_are_one_line_errors(options, message) -> None:
    with pytest.raises(VidinvertError, match=message):
        RunConfig.from_options(**options)


@pytest.mark.parametrize("args, name, value", [
    (["eval", "--edit", "smile=1"], "attr", ("smile=1",)),
    (["eval", "--attr", "smile=1"], "attr", ("smile=1",)),
    (["eval", "--no-progress"], "quiet", True),
    (["eval", "--progress"], "quiet", False),
    (["eval", "-q"], "quiet", True),
    (["train", "generator", "--batch", "4"], "batch_size", 4),
    (["train", "generator", "--batch-size", "4"], "batch_size", 4),
    (["train", "encoder", "--steps", "7"], "iterations", 7),
    (["train", "encoder", "--iterations", "7"], "iterations", 7),
    (["train", "encoder", "--iters", "2"], "refine_steps", 2),
    (["train", "encoder", "--refine-steps", "2"], "refine_steps", 2),
])
def test_old_spellings_still_work_and_new_ones_are_shown(args, name, value) -> None:
    command, rest = cli, list(args)
    while isinstance(command, click.Group):
        command = command.commands[rest.pop(0)]
    ctx = command.make_context(command.name, rest + _required(command), resilient_parsing=True)
    assert ctx.params[name] == value


def _required(command: click.Command) -> list[str]:
    """Values for the command's required arguments and options, so parsing gets to the one tested."""
    extra: list[str] = []
    for p in command.params:
        if p.required and isinstance(p, click.Option):
            extra += [p.opts[0], "x"]
        elif p.required:
            extra.append("x")
    return extra


@pytest.mark.parametrize("args, shown, hidden", [
    (["eval", "--help"], ["--attr", "-q, --quiet"], ["--edit", "--no-progress"]),
    (["train", "generator", "--help"], ["--batch-size", "--iterations"], ["--batch ", "--steps"]),
    (["train", "encoder", "--help"], ["--batch-size", "--iterations", "--refine-steps"], ["--batch ", "--steps", "--iters"]),
])
def test_help_lists_the_aligned_names_only(args, shown, hidden) -> None:
    text = CliRunner().invoke(cli, args, terminal_width=200).output
    for name in shown:
        assert name in text
    for name in hidden:
        assert name not in text


def test_atomic_files_leave_nothing_behind_on_failure(tmp_path) -> None:
    from vidinvert.files import atomic_path, write_text_atomic

    target = tmp_path / "grid.png"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("the writer failed")
    assert list(tmp_path.iterdir()) == []
    write_text_atomic(target, "whole")
    assert target.read_text() == "whole" and list(tmp_path.iterdir()) == [target]


def test_stage_constructors_default_to_the_config() -> None:
    import inspect

    from vidinvert.pipeline.edit_stage import make_edit_stage
    from vidinvert.pipeline.face_stages import smooth_crops
    from vidinvert.pipeline.latents_file import LatentsRecorder
    from vidinvert.pipeline.render_stage import Renderer

    renderer = Renderer(None, None)
    assert renderer.change_from.spec == DEFAULTS.render.change_from
    assert (renderer.batch_size, renderer.precision) == (DEFAULTS.render.batch_size, DEFAULTS.models.precision)
    recorder = LatentsRecorder(DEFAULTS.render)
    assert (recorder.render, recorder.change_from) == (DEFAULTS.render.render, DEFAULTS.render.change_from)
    assert inspect.signature(make_edit_stage).parameters["batch_size"].default == DEFAULTS.render.batch_size
    assert inspect.signature(smooth_crops).parameters["smooth"].default == DEFAULTS.track.smooth


def test_one_list_of_codecs_presets_and_landmark_backends() -> None:
    from vidinvert.config import CODEC_NAMES, LANDMARK_BACKENDS, X264_PRESETS
    from vidinvert.face.detect import BACKENDS
    from vidinvert.video.encoding import CODECS, EncodeSettings

    assert set(CODECS) | {"same"} == set(CODEC_NAMES) and BACKENDS is LANDMARK_BACKENDS  # same: the input's family
    params = command_params("edit")
    assert set(params["codec"].type.choices) == set(CODEC_NAMES)
    assert tuple(params["preset"].type.choices) == X264_PRESETS
    assert tuple(params["landmarks"].type.choices) == LANDMARK_BACKENDS
    for options in ({"codec": "vp9"}, {"preset": "quick"}, {"crf": 60}):  # the same words at both layers
        with pytest.raises(VidinvertError) as from_config:
            RunConfig.from_options(**options)
        with pytest.raises(VidinvertError) as from_encoder:
            EncodeSettings(**options)
        assert str(from_config.value) == str(from_encoder.value)


@pytest.mark.parametrize("command, config_path", [
    ("generator", "vidinvert.train.generator:GeneratorTrainConfig"),
    ("encoder", "vidinvert.train.encoder:EncoderTrainConfig"),
])
def test_train_commands_are_their_dataclasses(command: str, config_path: str) -> None:
    import importlib

    module, name = config_path.split(":")
    config = getattr(importlib.import_module(module), name)
    train = cli.commands["train"].commands[command]
    params = {p.name: p for p in train.params}
    parsed = train.make_context(command, _required(train), resilient_parsing=True).params
    fields = {f.name: f for f in dataclasses.fields(config)}
    cli_only = {"threads", "quiet"}  # torch threads are set by the command; quiet is `progress`
    assert set(params) - cli_only == set(fields) - {"progress"}
    for name, param in params.items():
        if name in cli_only or param.required:
            continue
        assert parsed[name] == fields[name].default, name
