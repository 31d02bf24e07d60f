"""Keyframed edit strength: parsing, interpolation, files, frame numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vidinvert.edit.keyframes import load_keyframes, parse_keyframes, parse_strength, strength_at
from vidinvert.errors import VidinvertError


def test_linear_schedule() -> None:
    k = parse_keyframes("0s:0,1s:1.5,4s:1.5,5s:0")
    assert [k(t) for t in (-1, 0, 0.5, 1, 2.5, 4, 4.5, 5, 9)] == pytest.approx(
        [0, 0, 0.75, 1.5, 1.5, 1.5, 0.75, 0, 0])


def test_units_and_constant_outside() -> None:
    k = parse_keyframes("500ms:1, 1.5s:3")
    assert k(0.0) == 1 and k(1.0) == pytest.approx(2.0) and k(10) == 3
    frames = parse_keyframes("0:0,30:2", fps=30)
    assert frames(0.5) == pytest.approx(1.0)
    with pytest.raises(VidinvertError, match="frame rate"):
        parse_keyframes("0:0,30:2")(0.5)
    assert parse_keyframes("0:0,30:2").at_fps(15)(1.0) == pytest.approx(1.0)
    assert parse_keyframes("2s:-1")(0) == -1


def test_smooth_and_cubic_interpolation() -> None:
    spec = "0s:0,1s:1,3s:1,4s:0"
    smooth = parse_keyframes(spec, interpolation="smooth")
    assert smooth(0.5) == pytest.approx(0.5) and smooth(0.25) == pytest.approx(0.15625)
    t = np.linspace(0, 4, 401)
    s = smooth.evaluate(t)
    assert np.abs(np.diff(s[:100], 2)).max() < 1e-3  # no kink inside a segment
    assert np.diff(s)[0] < np.diff(parse_keyframes(spec).evaluate(t))[0]  # eases in
    cubic = parse_keyframes(spec, interpolation="cubic").evaluate(t)
    assert cubic.max() <= 1 + 1e-12 and cubic.min() >= -1e-12  # monotone: no overshoot
    np.testing.assert_allclose(cubic[100:301], 1.0)


def test_bad_specs() -> None:
    for bad in ("0s", "1s:x", "xs:1", "-1s:0", "1.5:2", "0s:1,0ms:2"):
        with pytest.raises(VidinvertError):
            parse_keyframes(bad)
    with pytest.raises(VidinvertError, match="interpolation"):
        parse_keyframes("0s:1", interpolation="bezier")


def test_files(tmp_path: Path) -> None:
    js = tmp_path / "k.json"
    js.write_text(json.dumps({"interpolation": "smooth", "keys": [["0s", 0], {"time": "2s", "strength": 2}]}))
    k = load_keyframes(js)
    assert k.interpolation == "smooth" and k(1.0) == pytest.approx(1.0) and k(0.5) == pytest.approx(0.3125)
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps([[0, 1], [10, 3]]))
    assert load_keyframes(plain, fps=10)(0.5) == pytest.approx(2.0)
    csv_file = tmp_path / "k.csv"
    csv_file.write_text("time,strength\n0s,0\n1s,1.5\n4s,1.5\n5s,0\n")
    assert parse_strength(str(csv_file))(4.5) == pytest.approx(0.75)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(VidinvertError, match="cannot read keyframe file"):
        load_keyframes(broken)
    with pytest.raises(VidinvertError, match="not found"):
        parse_strength(str(tmp_path / "missing.csv"))


def test_strength_values_and_callables() -> None:
    assert parse_strength("1.5") == 1.5 and parse_strength(2) == 2.0
    assert strength_at(1.5, 10.0) == 1.5
    assert strength_at(lambda t: 2 * t, 0.25) == 0.5
    assert strength_at(parse_strength("0s:0,1s:1"), 0.5) == pytest.approx(0.5)
    ramp = lambda t: 3 * t  # noqa: E731
    assert parse_strength(ramp) is ramp
