"""A contact sheet of a clip's face tracks: one labelled thumbnail per track."""

from __future__ import annotations

import os

import cv2
import numpy as np
from PIL import Image

from vidinvert.errors import VidinvertError
from vidinvert.face.tracks import THUMBNAIL, FaceTracks
from vidinvert.files import atomic_path

COLUMNS = 6
LABEL_HEIGHT = 34


def track_sheet(tracks: FaceTracks) -> np.ndarray:
    """uint8 RGB: each track's largest face with its id, frames and size under it."""
    if not tracks.tracks:
        raise VidinvertError("no face track to draw: no face was found")
    columns = min(COLUMNS, len(tracks.tracks))
    rows = -(-len(tracks.tracks) // columns)
    cell_h = THUMBNAIL + LABEL_HEIGHT
    sheet = np.full((rows * cell_h, columns * THUMBNAIL, 3), 255, np.uint8)
    for k, track in enumerate(tracks.tracks):
        y, x = (k // columns) * cell_h, (k % columns) * THUMBNAIL
        sheet[y:y + THUMBNAIL, x:x + THUMBNAIL] = track.picture
        for line, text in enumerate((f"track {track.id}", f"{track.first}-{track.last}, {track.size:.0f} px")):
            cv2.putText(sheet, text, (x + 4, y + THUMBNAIL + 14 + 15 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.42,
                        (0, 0, 0), 1, cv2.LINE_AA)
    return sheet


def check_sheet_path(path: str | os.PathLike) -> None:
    """Refuse a sheet file name whose extension names no image format."""
    if os.path.splitext(str(path))[1].lower() not in Image.registered_extensions():
        raise VidinvertError(f"--faces-sheet {path}: give an image file name (.png, .jpg)")


def save_track_sheet(tracks: FaceTracks, path: str | os.PathLike) -> None:
    """The sheet as an image file (written beside and renamed when complete)."""
    check_sheet_path(path)
    sheet = track_sheet(tracks)
    with atomic_path(path) as partial:
        Image.fromarray(sheet).save(partial)
