"""RAVDESS names, filters, discovery, sampling and sharding."""

from __future__ import annotations

from pathlib import Path

import pytest

from _fixtures_eval import AUDIO_ONLY, BAD_NAMES, RAVDESS_VIDEOS, make_ravdess_tree
from vidinvert.errors import VidinvertError
from vidinvert.eval.ravdess import RavdessFilter, RavdessName, parse_ravdess_name
from vidinvert.eval.videos import discover_videos, parse_shard, sample_videos, shard_videos


@pytest.fixture()
def ravdess_root(tmp_path, shared_data) -> Path:
    return make_ravdess_tree(tmp_path / "ravdess", shared_data / "videos")


def test_parse_name():
    name = parse_ravdess_name(Path("Actor_12/02-01-06-01-02-01-12.mp4"))
    assert name == RavdessName(modality=2, channel=1, emotion=6, intensity=1, statement=2, repetition=1, actor=12)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("clip.mp4", "not a RAVDESS name"),
        ("01-01-03-01-01-01.mp4", "not a RAVDESS name"),
        ("04-01-03-01-01-01-01.mp4", "modality code 04"),
        ("01-03-03-01-01-01-01.mp4", "vocal channel code 03"),
        ("01-01-09-01-01-01-01.mp4", "emotion code 09"),
        ("01-01-01-02-01-01-01.mp4", "neutral emotion has no strong intensity"),
        ("01-01-03-01-03-01-01.mp4", "statement code 03"),
        ("01-01-03-01-01-01-25.mp4", "actor code 25"),
    ],
)
def test_bad_names_give_reasons(name, reason):
    with pytest.raises(ValueError, match=reason):
        parse_ravdess_name(Path("Actor_01") / name)


def test_actor_folder_must_match():
    with pytest.raises(ValueError, match="actor 02 in a folder named Actor_01"):
        parse_ravdess_name(Path("Actor_01/01-01-03-01-01-01-02.mp4"))
    assert parse_ravdess_name(Path("flat/01-01-03-01-01-01-02.mp4")).actor == 2


def test_filters_accept_names_and_codes():
    name = parse_ravdess_name(Path("Actor_03/01-02-05-02-01-01-03.mp4"))
    assert RavdessFilter().accepts(name)
    assert RavdessFilter.from_options(channel=["song"], emotion=["angry", "03"], actor=["3"]).accepts(name)
    assert not RavdessFilter.from_options(intensity=["normal"]).accepts(name)
    assert not RavdessFilter.from_options(modality=["video-only"]).accepts(name)
    with pytest.raises(VidinvertError, match="unknown emotion 'joy'"):
        RavdessFilter.from_options(emotion=["joy"])
    with pytest.raises(VidinvertError, match="unknown actor"):
        RavdessFilter.from_options(actor=["25"])


def test_discover_ravdess_tree(ravdess_root):
    found = discover_videos(ravdess_root)
    assert found.layout == "ravdess"
    assert sorted(v.path.relative_to(ravdess_root).as_posix() for v in found.videos) == sorted(RAVDESS_VIDEOS)
    skipped = dict(found.skipped)
    assert skipped[AUDIO_ONLY] == "audio-only (modality 03)"
    assert set(skipped) == {AUDIO_ONLY, *BAD_NAMES}
    assert [v.key for v in found.videos] == sorted(v.key for v in found.videos)
    assert found.videos[0].key == "Actor_01__01-01-01-01-01-01-01.mp4"


def test_discover_with_filters(ravdess_root):
    speech_actor2 = discover_videos(ravdess_root, filters=RavdessFilter.from_options(channel=["speech"], actor=["2"]))
    expected = {k for k in RAVDESS_VIDEOS if k.startswith("Actor_02/") and k.split("/")[1].split("-")[1] == "01"}
    assert {v.path.relative_to(ravdess_root).as_posix() for v in speech_actor2.videos} == expected
    # Asking for audio-only keeps nothing: those files are never evaluated.
    with pytest.raises(VidinvertError, match="match the filters"):
        discover_videos(ravdess_root, filters=RavdessFilter.from_options(modality=["audio-only"]))


def test_plain_folder(shared_data):
    found = discover_videos(shared_data / "videos")
    assert found.layout == "folder" and len(found.videos) == 5 and not found.skipped
    with pytest.raises(VidinvertError, match="no RAVDESS-named files"):
        discover_videos(shared_data / "videos", filters=RavdessFilter.from_options(emotion=["happy"]))
    with pytest.raises(VidinvertError, match="not a folder"):
        discover_videos(shared_data / "videos" / "head_d18.mp4")


def test_sampling_is_reproducible(ravdess_root):
    videos = discover_videos(ravdess_root).videos
    first = sample_videos(videos, 4, seed=1)
    assert first == sample_videos(list(reversed(videos)), 4, seed=1)
    assert len(first) == 4 and [v.key for v in first] == sorted(v.key for v in first)
    assert any(sample_videos(videos, 4, seed=s) != first for s in range(2, 6))
    assert sample_videos(videos, 100, seed=1) == sorted(videos, key=lambda v: v.key)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 9])
def test_shards_cover_every_video_once(ravdess_root, count):
    videos = sample_videos(discover_videos(ravdess_root).videos, None, 0)
    shards = [shard_videos(videos, i, count) for i in range(count)]
    keys = [v.key for shard in shards for v in shard]
    assert sorted(keys) == [v.key for v in videos] and len(keys) == len(set(keys))


@pytest.mark.parametrize("text", ["1", "a/b", "2/2", "-1/3", "0/0"])
def test_bad_shard_specs(text):
    with pytest.raises(VidinvertError, match="shard"):
        parse_shard(text)
