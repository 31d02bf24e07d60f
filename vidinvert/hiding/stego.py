"""A code into a carrier picture and back out: header and sealed body in the pictures' LSBs, every
way a picture can fail to give its code back told in one line."""

from __future__ import annotations

import math
import os

import numpy as np

from vidinvert.errors import VidinvertError
from vidinvert.hiding.bits import body_positions, capacity_bits, header_positions, read_bits, write_bits
from vidinvert.hiding.code import Code, code_from_bytes
from vidinvert.hiding.header import HEADER_BYTES, Header, HeaderError, unpack_header
from vidinvert.hiding.seal import SealError, check_key, open_body, seal, sealed_bytes


def needed_bits(code: Code, encrypted: bool) -> int:
    """The carrier values (one bit each) header and body of `code` take."""
    return 8 * (HEADER_BYTES + sealed_bytes(code.n_bytes, encrypted))


def check_capacity(shape: tuple[int, ...], code: Code, encrypted: bool, name: str | os.PathLike) -> None:
    """Refuse a carrier of `shape` too small for `code`, naming the capacity needed."""
    needed, held = needed_bits(code, encrypted), capacity_bits(shape)
    if needed > held:
        side = math.ceil(math.sqrt(needed / 3))
        raise VidinvertError(f"carrier {name} is too small: the code needs {needed} bits (one per colour value, "
                             f"e.g. {side}x{side} pixels); its {shape[1]}x{shape[0]} pixels hold {held}")


#: The least PSNR of a stego picture against its carrier. One bit per value changes half the values
#: used on average (51.1 dB when every value carries a bit), but a carrier whose bits happen to be
#: the code's complement would change them all (48.1 dB): such a picture is refused.
MIN_PSNR_DB = 50.0


def embed(carrier: np.ndarray, code: Code, fingerprint: bytes, feature_index: int | None,
          key: str | None, name: str | os.PathLike = "the carrier") -> np.ndarray:
    """`carrier` (uint8 RGB) with `code` hidden in its LSBs (check_capacity first); refused under MIN_PSNR_DB."""
    header = Header(fingerprint, *code.wplus.shape, None if code.feature is None else code.feature.shape,
                    None if code.feature is None else feature_index, 0)
    header, body = seal(header, code.to_bytes(), key)
    total = capacity_bits(carrier.shape)
    stego = write_bits(carrier, header.pack(), header_positions(HEADER_BYTES))
    stego = write_bits(stego, body, body_positions(total, 8 * HEADER_BYTES, len(body)))
    quality = psnr(stego, carrier)
    if quality < MIN_PSNR_DB:
        raise VidinvertError(f"hiding the code in {name} would bring its PSNR down to {quality:.1f} dB (under "
                             f"{MIN_PSNR_DB:g}): use a carrier with more pixels")
    return stego


def read_header(picture: np.ndarray, name: str | os.PathLike) -> Header:
    """The header `picture` carries; a one-line error when it carries none or a damaged one."""
    if capacity_bits(picture.shape) < 8 * HEADER_BYTES:
        raise VidinvertError(f"no hidden code in {name}: it is too small to hold one")
    try:
        return unpack_header(read_bits(picture, header_positions(HEADER_BYTES)))
    except HeaderError as error:
        if error.damaged:
            raise VidinvertError(f"{name} was changed after the code was hidden: its header is damaged") from None
        raise VidinvertError(f"{error} in {name}" if str(error) == "no hidden code" else f"{name}: {error}") from None


def extract(picture: np.ndarray, header: Header, key: str | None, fingerprint: bytes,
            name: str | os.PathLike) -> Code:
    """The code `picture` carries under `header`, opened with `key`, for the generator of `fingerprint`."""
    try:
        secret = check_key(header, key)
    except SealError as error:
        raise VidinvertError(_KEY_MESSAGES[error.reason].format(name=name)) from None
    if header.fingerprint != fingerprint:
        raise VidinvertError(f"the code in {name} was hidden with a different generator (fingerprint "
                             f"{header.fingerprint.hex()}; this one is {fingerprint.hex()}): pass the same --generator")
    total, start = capacity_bits(picture.shape), 8 * HEADER_BYTES
    if 8 * header.body_bytes > total - start:
        raise VidinvertError(f"{name} was changed after the code was hidden: its header is damaged")
    body = read_bits(picture, body_positions(total, start, header.body_bytes))
    try:
        plain = open_body(header, body, secret)
    except SealError:
        raise VidinvertError(f"{name} was changed after the code was hidden (its integrity check fails): "
                             "it was re-encoded, resized or edited") from None
    return code_from_bytes(plain, header.n_latent, header.style_dim, header.feature_shape)


_KEY_MESSAGES = {
    "key missing": "the code in {name} is encrypted: pass its --key",
    "key not needed": "the code in {name} is not encrypted: leave --key out",
    "wrong key": "wrong key for the code in {name}",
}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 pictures (inf when equal)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)
