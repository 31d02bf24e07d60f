"""dlib's face embedding of our faces, on real photos of two people (one of them in two photos)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from _fixtures_recognition import recognizer  # noqa: F401  (fixture)
from vidinvert.errors import VidinvertError
from vidinvert.face import recognition
from vidinvert.face.align import crop, ffhq_quad
from vidinvert.face.detect import detect
from vidinvert.face.recognition import (SAME_PERSON, FaceRecognizer, aligned_box, check_photo, distance, face_box,
                                        photo_embedding)
from vidinvert.images import read_rgb


@pytest.fixture(scope="module")
def people(shared_data):
    return shared_data / "faces" / "people"


@pytest.fixture(scope="module")
def embeddings(people, recognizer):
    return {name: photo_embedding(people / f"{name}.jpg", recognizer) for name in ("obama", "obama2", "biden")}


def test_two_photos_of_one_person_are_within_the_threshold_and_another_person_beyond(embeddings):
    assert distance(embeddings["obama"], embeddings["obama2"]) < SAME_PERSON
    assert distance(embeddings["obama"], embeddings["biden"]) > SAME_PERSON
    assert distance(embeddings["obama2"], embeddings["biden"]) > SAME_PERSON
    for vector in embeddings.values():
        assert vector.shape == (128,) and vector.dtype == np.float64


def test_embedding_is_deterministic(people, recognizer, embeddings):
    image = read_rgb(people / "obama.jpg")
    face = check_photo(people / "obama.jpg")
    # One CPU code path on the same pixels: the bits repeat, across calls and recognizers alike,
    # so any tolerance would only hide a nondeterministic step.
    assert np.array_equal(recognizer.embed(image, face), embeddings["obama"])
    assert np.array_equal(FaceRecognizer().embed(image, face), embeddings["obama"])


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    inner = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None).prod()
    return float(inner / ((a[2:] - a[:2]).prod() + (b[2:] - b[:2]).prod() - inner))


def test_face_rectangle_stands_where_dlibs_detector_puts_it(people, recognizer, embeddings):
    import dlib

    detector = dlib.get_frontal_face_detector()
    for name, ours in embeddings.items():
        image = read_rgb(people / f"{name}.jpg")
        (found,) = detector(image, 1)
        theirs = np.array([found.left(), found.top(), found.right(), found.bottom()])
        assert _iou(face_box(check_photo(people / f"{name}.jpg")), theirs) > 0.6, name
        shape = recognizer._predictor(image, found)
        reference = np.array(recognizer._resnet.compute_face_descriptor(image, shape))
        # 0.15: shifting dlib's own rectangle by 3% of its side moves the embedding by up to 0.14 on
        # the shared photos and frames
        assert distance(ours, reference) < 0.15, name


def test_embed_many_is_embed_of_each_face(people, recognizer):
    image = read_rgb(people / "two_people.jpg")
    faces = detect(image)
    assert len(faces) == 2
    together = recognizer.embed_many(image, faces)
    assert together.shape == (2, 128)
    for row, face in zip(together, faces):
        assert np.array_equal(row, recognizer.embed(image, face))
    assert distance(*together) > SAME_PERSON
    assert recognizer.embed_many(image, []).shape == (0, 128)


def test_an_ffhq_crop_embeds_like_its_frame(people, recognizer, embeddings):
    image = read_rgb(people / "obama.jpg")
    quad = ffhq_quad(check_photo(people / "obama.jpg"))
    for size in (256, 1024):
        aligned, _ = crop(image, quad, size)
        assert distance(recognizer.embed_aligned(aligned), embeddings["obama"]) < 0.15, size
    assert list(aligned_box(256)) == [51, 76, 204, 230]


def test_photo_with_several_faces_is_refused(people):
    with pytest.raises(VidinvertError, match=r"two_people.jpg has 2 faces; --face-ref needs a photo of one person"):
        check_photo(people / "two_people.jpg")
    with pytest.raises(VidinvertError, match=r"multi_face.jpg has 3 faces"):
        photo_embedding(people / "multi_face.jpg")


def test_photo_without_a_face_is_refused(people, tmp_path):
    flat = tmp_path / "flat.png"
    Image.new("RGB", (640, 480), (128, 120, 110)).save(flat)
    body = tmp_path / "below_the_face.png"
    Image.fromarray(read_rgb(people / "obama.jpg")[800:]).save(body)
    for path in (flat, body):
        with pytest.raises(VidinvertError, match="no face found in .*; --face-ref needs a photo of one person"):
            photo_embedding(path)


def test_unreadable_photo_is_a_one_line_error(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    for path in (broken, tmp_path / "missing.jpg"):
        with pytest.raises(VidinvertError, match="cannot read the photo") as caught:
            check_photo(path)
        assert "\n" not in str(caught.value)


def test_checking_a_photo_loads_no_dlib(people):
    code = ("import sys; from vidinvert.face.recognition import check_photo; "
            f"check_photo({str(people / 'obama.jpg')!r}); assert 'dlib' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_without_the_packages_the_error_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "dlib" else real(name, *a))
    assert not recognition.recognition_available()
    with pytest.raises(VidinvertError, match=r"needs dlib \(dlib-bin\).*pip install -e '\.\[identity\]'") as caught:
        FaceRecognizer()
    assert "\n" not in str(caught.value)


def test_a_photo_is_read_upright_by_its_exif_orientation(tmp_path):
    from PIL import Image

    from vidinvert.images import read_rgb

    picture = np.zeros((20, 40, 3), np.uint8)
    picture[:, :20] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: shown rotated 90 degrees clockwise
    Image.fromarray(picture).save(tmp_path / "sideways.jpg", exif=exif, quality=95)
    upright = read_rgb(tmp_path / "sideways.jpg")
    assert upright.shape == (40, 20, 3)
    assert upright[:15].mean() > 200 and upright[25:].mean() < 50  # the white half is now on top
