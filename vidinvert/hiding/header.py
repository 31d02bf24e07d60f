"""The header written before a hidden code: what it is, for which generator, how long, how sealed.

Layout (big-endian, 81 bytes): magic, format version, flags (encrypted, feature tensor), the
generator's fingerprint, the code's shapes (W+ latents and style size; feature tensor channels,
height, width and the layer it enters at, zeros without one), the key's salt, the nonce and a key
check value (zeros without a key), the body length in bytes, and the first 8 bytes of the SHA-256
of all that (a damaged header is told from a picture that never held a code).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

MAGIC = b"VIhd"
VERSION = 1
ENCRYPTED, HAS_FEATURE = 1, 2
FINGERPRINT_BYTES, SALT_BYTES, NONCE_BYTES, KEY_CHECK_BYTES, DIGEST_BYTES = 16, 16, 12, 8, 8
NO_FEATURE_INDEX = 0xFF

_FIELDS = struct.Struct(f">4sBB{FINGERPRINT_BYTES}sHHHHHB{SALT_BYTES}s{NONCE_BYTES}s{KEY_CHECK_BYTES}sI")
HEADER_BYTES = _FIELDS.size + DIGEST_BYTES


class HeaderError(ValueError):
    """The bits read are not a header this version writes; `damaged` when they start like one."""

    def __init__(self, message: str, damaged: bool) -> None:
        super().__init__(message)
        self.damaged = damaged


@dataclass(frozen=True)
class Header:
    """What a stego picture says about the code it carries (see the module's layout)."""

    fingerprint: bytes
    n_latent: int
    style_dim: int
    feature_shape: tuple[int, int, int] | None
    feature_index: int | None
    body_bytes: int
    salt: bytes = bytes(SALT_BYTES)
    nonce: bytes = bytes(NONCE_BYTES)
    key_check: bytes = bytes(KEY_CHECK_BYTES)
    encrypted: bool = False

    def pack(self) -> bytes:
        flags = (ENCRYPTED if self.encrypted else 0) | (HAS_FEATURE if self.feature_shape else 0)
        channels, height, width = self.feature_shape or (0, 0, 0)
        index = NO_FEATURE_INDEX if self.feature_index is None else self.feature_index
        fields = _FIELDS.pack(MAGIC, VERSION, flags, self.fingerprint, self.n_latent, self.style_dim, channels,
                              height, width, index, self.salt, self.nonce, self.key_check, self.body_bytes)
        return fields + hashlib.sha256(fields).digest()[:DIGEST_BYTES]


def unpack_header(data: bytes) -> Header:
    """The header in the first HEADER_BYTES of `data`; a HeaderError when there is none or it is damaged."""
    fields, digest = data[:_FIELDS.size], data[_FIELDS.size:HEADER_BYTES]
    if len(data) < HEADER_BYTES or not fields.startswith(MAGIC):
        raise HeaderError("no hidden code", damaged=False)
    if hashlib.sha256(fields).digest()[:DIGEST_BYTES] != digest:
        raise HeaderError("the hidden code's header is damaged", damaged=True)
    (_, version, flags, fingerprint, n_latent, style_dim, channels, height, width, index, salt, nonce, key_check,
     body_bytes) = _FIELDS.unpack(fields)
    if version != VERSION:
        raise HeaderError(f"the hidden code has format version {version}; this version reads {VERSION}",
                          damaged=False)
    feature = (channels, height, width) if flags & HAS_FEATURE else None
    return Header(fingerprint, n_latent, style_dim, feature, None if index == NO_FEATURE_INDEX else index,
                  body_bytes, salt, nonce, key_check, bool(flags & ENCRYPTED))
