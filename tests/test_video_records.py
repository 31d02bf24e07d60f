from fractions import Fraction

import numpy as np
import pytest

from vidinvert.errors import VidinvertError
from vidinvert.video import FrameRange, FrameRecord, parse_frame_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10:250", FrameRange(10, 250)), (":100", FrameRange(0, 100)), ("5:", FrameRange(5, None)),
     (" 3 : 7 ", FrameRange(3, 7)), (None, FrameRange()), ("", FrameRange()), (":", FrameRange())],
)
def test_parse_frame_range(text, expected):
    assert parse_frame_range(text) == expected


@pytest.mark.parametrize("text", ["10", "a:b", "5:5", "9:3", "-1:4", "1:2:3", "1.5:3"])
def test_parse_frame_range_rejects(text):
    with pytest.raises(VidinvertError, match="bad frame range"):
        parse_frame_range(text)


def test_frame_range_membership_is_half_open():
    r = FrameRange(2, 5)
    assert [i for i in range(8) if i in r] == [2, 3, 4]
    assert [i for i in range(4) if i in FrameRange(2)] == [2, 3]
    assert str(r) == "2:5" and str(FrameRange(2)) == "2:"


def test_record_time_and_with_image():
    rec = FrameRecord(3, 1531, Fraction(1, 15360), 512, np.zeros((2, 2, 3), np.uint8))
    assert rec.time == pytest.approx(1531 / 15360)
    other = rec.with_image(np.ones((2, 2, 3), np.uint8))
    assert (other.index, other.pts, other.duration) == (3, 1531, 512) and other.image.max() == 1
