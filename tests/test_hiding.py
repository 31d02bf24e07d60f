"""Secure deep hiding: the bit layout, header and seal on random bytes, the round trip of real
photos through `hide` and `reveal` with the bundled model (with and without a key), every refusal
in one line with nothing written, and official-layout random-weight models' code shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from _fixtures_enc import (FSE_TEST_INPUT, RESTYLE_TEST_INPUT, e2style_generator, encoder_generator, fse_encoder,
                           restyle_checkpoint, restyle_encoder)
from model_factories import tiny_generator
from vidinvert.api import hide_image, reveal_image
from vidinvert.cli import main
from vidinvert.demo.model import load_default_models
from vidinvert.errors import VidinvertError
from vidinvert.hiding.bits import body_positions, capacity_bits, header_positions, read_bits, write_bits
from vidinvert.hiding.code import code_from_bytes, generator_fingerprint, quantise
from vidinvert.hiding.header import HEADER_BYTES, Header, HeaderError, unpack_header
from vidinvert.hiding.stego import check_capacity, embed, needed_bits
from vidinvert.hiding.seal import DIGEST_BYTES, TAG_BYTES, SealError, check_key, open_body, seal
from vidinvert.images import read_rgb
from vidinvert.models import LoadedModels, load_encoder

# ----------------------------------------------------------------------------- bits, header, seal


def test_bits_round_trip_random_bytes_in_the_lsbs_only():
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    head, body = rng.bytes(HEADER_BYTES), rng.bytes(500)
    total = capacity_bits(picture.shape)
    where = body_positions(total, 8 * HEADER_BYTES, len(body))
    assert len(np.unique(where)) == len(where) and where[0] >= 8 * HEADER_BYTES and where[-1] < total
    stego = write_bits(write_bits(picture, head, header_positions(HEADER_BYTES)), body, where)
    assert read_bits(stego, header_positions(HEADER_BYTES)) == head and read_bits(stego, where) == body
    assert np.abs(stego.astype(np.int16) - picture).max() == 1  # only least significant bits move
    assert np.array_equal(stego >> 1, picture >> 1)
    assert np.diff(where).max() - np.diff(where).min() <= 1  # spread evenly over the rest of the picture
    with pytest.raises(ValueError):
        body_positions(total, 8 * HEADER_BYTES, total // 8)


def _header(**changes) -> Header:
    fields = dict(fingerprint=bytes(range(16)), n_latent=18, style_dim=512, feature_shape=(512, 16, 16),
                  feature_index=5, body_bytes=12345)
    return Header(**(fields | changes))


def test_header_round_trip_and_its_damage_is_told_from_no_header():
    for header in (_header(), _header(feature_shape=None, feature_index=None, encrypted=True, salt=b"s" * 16)):
        assert unpack_header(header.pack()) == header
    packed = bytearray(_header().pack())
    assert len(packed) == HEADER_BYTES
    packed[30] ^= 4
    with pytest.raises(HeaderError, match="damaged") as error:
        unpack_header(bytes(packed))
    assert error.value.damaged
    with pytest.raises(HeaderError, match="no hidden code"):
        unpack_header(np.random.default_rng(1).bytes(HEADER_BYTES))


@pytest.mark.parametrize("key", [None, "correct horse"])
def test_seal_opens_only_unchanged_with_the_right_key(key):
    plain = np.random.default_rng(2).bytes(1000)
    header, body = seal(_header(), plain, key)
    assert header.encrypted == (key is not None)
    assert header.body_bytes == len(body) == len(plain) + (TAG_BYTES if key else DIGEST_BYTES)
    assert open_body(header, body, check_key(header, key)) == plain
    if key:
        assert plain not in body
        with pytest.raises(SealError, match="wrong key"):
            check_key(header, "wrong horse")
        with pytest.raises(SealError, match="key missing"):
            check_key(header, None)
    else:
        with pytest.raises(SealError, match="key not needed"):
            check_key(header, "any")
    flipped = bytearray(body)
    flipped[len(body) // 2] ^= 1
    with pytest.raises(SealError, match="damaged"):
        open_body(header, bytes(flipped), check_key(header, key))
    moved = _header(n_latent=14) if not key else header.__class__(**{**header.__dict__, "n_latent": 14})
    with pytest.raises(SealError, match="damaged"):  # the header is covered by the digest or the tag
        open_body(moved, body, check_key(header, key))


def test_code_is_float16_of_the_inversion_and_reads_back_bit_for_bit():
    gen = torch.Generator().manual_seed(3)
    w, f = 3 * torch.randn(18, 512, generator=gen), torch.randn(32, 8, 8, generator=gen)
    code = quantise(w, f)
    back = code_from_bytes(code.to_bytes(), 18, 512, (32, 8, 8))
    assert np.array_equal(back.wplus, code.wplus) and np.array_equal(back.feature, code.feature)
    assert code.n_bytes == 2 * (18 * 512 + 32 * 8 * 8)
    wt, ft = back.tensors()
    assert torch.equal(wt, w.half().float()) and torch.equal(ft, f.half().float())
    with pytest.raises(VidinvertError, match="float16"):
        quantise(torch.full((2, 4), 1e6))


def test_a_carrier_whose_bits_are_the_codes_complement_is_refused_under_50_db():
    code = quantise(torch.randn(10, 512, generator=torch.Generator().manual_seed(5)))
    needed = needed_bits(code, encrypted=False)
    carrier = np.random.default_rng(6).integers(0, 256, (1, -(-needed // 3), 3), dtype=np.uint8)
    stego = embed(carrier, code, bytes(16), None, None)
    # random carrier bits: half the values used change (MSE 1/2, 51.14 dB), give or take 0.3% of them
    assert 51.0 < psnr(stego, carrier) < 51.3
    opposite = stego ^ 1  # every value's last bit is now the opposite of the code's: all of them would change
    with pytest.raises(VidinvertError, match="under 50"):
        embed(opposite, code, bytes(16), None, None)


def test_fingerprint_tells_generators_apart_and_not_copies():
    G = tiny_generator(seed=0)
    copy = tiny_generator(seed=0)
    assert generator_fingerprint(G) == generator_fingerprint(copy)
    assert generator_fingerprint(G) != generator_fingerprint(tiny_generator(seed=1))
    with torch.no_grad():
        copy.noises.noise_0.add_(1e-3)  # the stored noise is part of what draws the face
    assert generator_fingerprint(G) != generator_fingerprint(copy)


# ----------------------------------------------------------------------------- real photos, bundled model


@pytest.fixture(scope="module")
def bundled() -> LoadedModels:
    return load_default_models("cpu")


@pytest.fixture(scope="module")
def photos(shared_data) -> tuple[Path, Path]:
    secret, carrier = shared_data / "faces" / "celebahq" / "ref_female_015248.jpg", shared_data / "faces" / "people" / "obama.jpg"
    for path in (secret, carrier):
        if not path.is_file():
            pytest.skip(f"real photo {path} not found")
    return secret, carrier


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0 ** 2 / mse))


@pytest.mark.parametrize("key", [None, "a passphrase"])
def test_real_photo_round_trip_reveals_exactly_the_render_of_the_stored_code(bundled, photos, tmp_path, key):
    secret, carrier = photos
    before = carrier.read_bytes()
    hidden = hide_image(secret, carrier, tmp_path / "stego.png", key=key, models=bundled,
                        preview=tmp_path / "preview.png")
    stego, original = read_rgb(hidden.path), read_rgb(carrier)
    assert carrier.read_bytes() == before and stego.shape == original.shape
    assert np.array_equal(stego >> 1, original >> 1)  # LSB embedding: nothing above the last bit moves
    measured = psnr(stego, original)
    assert measured >= 50 and hidden.psnr == pytest.approx(measured, abs=1e-9)
    revealed = read_rgb(reveal_image(hidden.path, tmp_path / "revealed.png", key=key, models=bundled))
    assert revealed.shape == (bundled.G.size, bundled.G.size, 3)
    assert np.array_equal(revealed, hidden.face) and np.array_equal(revealed, read_rgb(tmp_path / "preview.png"))
    # the render of the float16 code W+ and feature tensor: not a blank or mean face
    assert revealed.std() > 20


def test_no_feature_hides_fewer_bits_and_still_reveals_its_render(bundled, photos, tmp_path):
    full = hide_image(*photos, tmp_path / "full.png", models=bundled)
    plain = hide_image(*photos, tmp_path / "plain.png", models=bundled, feature=False)
    assert full.bits - plain.bits == 8 * 2 * 32 * 8 * 8  # the bundled encoder's 32x8x8 feature tensor, float16
    assert plain.psnr > full.psnr >= 50
    revealed = read_rgb(reveal_image(plain.path, tmp_path / "r.png", models=bundled))
    assert np.array_equal(revealed, plain.face) and not np.array_equal(plain.face, full.face)


# ----------------------------------------------------------------------------- refusals


def _fails(capsys, argv: list[str], message: str, output: Path) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 1 and len(lines) == 1 and message in lines[0], err
    assert "Traceback" not in err and not output.exists()


@pytest.fixture(scope="module")
def stegos(bundled, photos, tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("stego")
    plain = hide_image(*photos, folder / "plain.png", models=bundled).path
    sealed = hide_image(*photos, folder / "sealed.png", key="k1", models=bundled).path
    return plain, sealed


def test_reveal_refuses_keys_that_do_not_fit_in_one_line(stegos, tmp_path, capsys):
    plain, sealed = stegos
    out = tmp_path / "out.png"
    _fails(capsys, ["reveal", str(sealed), "-o", str(out), "--key", "k2"], "wrong key", out)
    _fails(capsys, ["reveal", str(sealed), "-o", str(out)], "is encrypted: pass its --key", out)
    _fails(capsys, ["reveal", str(plain), "-o", str(out), "--key", "k1"], "not encrypted: leave --key out", out)
    assert main(["reveal", str(sealed), "-o", str(out), "--key", "k1", "-q"]) == 0 and out.is_file()


@pytest.mark.parametrize("where", ["header", "body"])
def test_reveal_refuses_a_changed_stego(stegos, tmp_path, capsys, where):
    # the header's bits after the magic (its shapes and length), or a run of the spread body's bits
    flipped = slice(8 * 10, 8 * 20) if where == "header" else slice(8 * HEADER_BYTES + 1000, 8 * HEADER_BYTES + 2000)
    for stego in stegos:
        picture = read_rgb(stego).copy()
        picture.reshape(-1)[flipped] ^= 1
        changed = tmp_path / f"changed_{stego.name}"
        Image.fromarray(picture).save(changed)
        key = ["--key", "k1"] if "sealed" in stego.name else []
        out = tmp_path / "out.png"
        _fails(capsys, ["reveal", str(changed), "-o", str(out), *key], "was changed after the code was hidden", out)


def test_reveal_refuses_a_picture_without_a_code_and_a_jpeg_copy(stegos, photos, tmp_path, capsys):
    out = tmp_path / "out.png"
    _fails(capsys, ["reveal", str(photos[1]), "-o", str(out)], "no hidden code in", out)
    jpeg = tmp_path / "stego.jpg"
    Image.open(stegos[0]).save(jpeg, quality=100)
    _fails(capsys, ["reveal", str(jpeg), "-o", str(out)], "no hidden code in", out)


def test_reveal_refuses_another_generator(bundled, stegos, tmp_path):
    other = LoadedModels(tiny_generator(seed=4), bundled.E)
    with pytest.raises(VidinvertError, match="different generator"):
        reveal_image(stegos[0], tmp_path / "out.png", models=other)
    assert not (tmp_path / "out.png").exists()


def test_hide_refuses_lossy_outputs_small_carriers_and_its_own_inputs(bundled, photos, tmp_path, capsys):
    secret, carrier = photos
    for suffix in (".jpg", ".webp", ".tif"):
        out = tmp_path / f"stego{suffix}"
        _fails(capsys, ["hide", str(secret), str(carrier), "-o", str(out)], "must be a .png", out)
    small = tmp_path / "small.png"
    Image.open(carrier).convert("RGB").resize((120, 120)).save(small)
    out = tmp_path / "stego.png"
    needed = hide_image(secret, carrier, tmp_path / "fits.png", models=bundled).bits
    _fails(capsys, ["hide", str(secret), str(small), "-o", str(out)], f"is too small: the code needs {needed} bits", out)
    before = small.read_bytes()
    _fails(capsys, ["hide", str(secret), str(small), "-o", str(small), "--overwrite"], "is the input", out)
    assert small.read_bytes() == before
    _fails(capsys, ["hide", str(secret), str(carrier), "-o", str(out), "--key", ""], "key is empty", out)


# ----------------------------------------------------------------------------- official layouts, random weights


def _restyle_18(tmp_path: Path):
    """An 18-latent (1024 px, 8 channels) generator and a ReStyle e4e encoder in the official file layout."""
    G = e2style_generator()
    path = tmp_path / "restyle.pt"
    source = restyle_encoder("resnet34", True, n_styles=G.n_latent, seed=2)
    torch.save(restyle_checkpoint(source, "ResNetProgressiveBackboneEncoder", G), path)
    return LoadedModels(G, load_encoder(path, input_size=RESTYLE_TEST_INPUT))


def test_an_18_latent_generator_hides_its_w_plus_and_the_carrier_size_it_needs(photos, tmp_path):
    models = _restyle_18(tmp_path)
    assert models.G.n_latent == 18 and models.E.feature_index is None
    hidden = hide_image(*photos, tmp_path / "stego.png", models=models, steps=1)
    assert hidden.bits == 8 * (HEADER_BYTES + 2 * 18 * 512 + DIGEST_BYTES)  # float16 W+ and its SHA-256
    assert hidden.psnr >= 50
    revealed = read_rgb(reveal_image(hidden.path, tmp_path / "revealed.png", models=models))
    assert revealed.shape == (1024, 1024, 3) and np.array_equal(revealed, hidden.face)
    # the fewest rows of a 200 px wide carrier that hold this code, and one row fewer
    code = quantise(torch.zeros(18, 512))
    height = -(-hidden.bits // (3 * 200))
    check_capacity((height, 200, 3), code, False, "just")
    with pytest.raises(VidinvertError, match=f"carrier short is too small: the code needs {hidden.bits} bits"):
        check_capacity((height - 1, 200, 3), code, False, "short")


def test_feature_style_encoder_hides_its_feature_tensor_too(photos, tmp_path):
    """The official FeatureStyleEncoder layout: a 512x16x16 feature tensor beside 8 latents."""
    G = encoder_generator()
    path, psp = tmp_path / "143_enc.pth", tmp_path / "psp_ffhq_encode.pt"
    torch.save(fse_encoder(n_styles=G.n_latent, seed=1).state_dict(), path)
    torch.save({"state_dict": {}, "opts": {}, "latent_avg": G.latent_avg.expand(G.n_latent, -1).clone()}, psp)
    models = LoadedModels(G, load_encoder(path, latent_avg=psp, input_size=FSE_TEST_INPUT))
    hidden = hide_image(*photos, tmp_path / "stego.png", models=models, key="k")
    assert hidden.bits == 8 * (HEADER_BYTES + 2 * (8 * 512 + 512 * 16 * 16) + TAG_BYTES)
    assert hidden.psnr >= 50
    revealed = read_rgb(reveal_image(hidden.path, tmp_path / "revealed.png", key="k", models=models))
    assert revealed.shape == (32, 32, 3) and np.array_equal(revealed, hidden.face)
    w_only = hide_image(*photos, tmp_path / "w.png", models=models, feature=False)
    assert w_only.bits == 8 * (HEADER_BYTES + 2 * 8 * 512 + DIGEST_BYTES)
    assert np.array_equal(read_rgb(reveal_image(w_only.path, tmp_path / "w_r.png", models=models)), w_only.face)
