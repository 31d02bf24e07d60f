"""The body after the header: the code's bytes sealed so that any change to header or body is found.

With a key: AES-256-GCM, its key and a key check value derived from the passphrase by scrypt with
the header's random salt; the header is the associated data, so neither part can be changed without
the tag failing. Without a key: the code in clear and the SHA-256 of header and code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os

from vidinvert.errors import VidinvertError
from vidinvert.hiding.header import KEY_CHECK_BYTES, NONCE_BYTES, SALT_BYTES, Header

#: scrypt's cost (2**14 rounds, 16 MiB): a guess costs tens of milliseconds; fixed by format version 1.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
TAG_BYTES, DIGEST_BYTES = 16, 32


class SealError(VidinvertError):
    """The body cannot be opened: `reason` is 'key missing', 'key not needed', 'wrong key' or 'damaged'."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sealed_bytes(plain_bytes: int, encrypted: bool) -> int:
    """The body's length for a code of `plain_bytes`."""
    return plain_bytes + (TAG_BYTES if encrypted else DIGEST_BYTES)


def _aesgcm():
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise VidinvertError("a key needs the cryptography package: pip install 'cryptography>=41'") from None
    return AESGCM


def derive_key(key: str, salt: bytes) -> tuple[bytes, bytes]:
    """The AES-256 key and the key check value for the passphrase `key` and `salt`."""
    if not key:
        raise VidinvertError("the key is empty; give a passphrase")
    derived = hashlib.scrypt(key.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                             maxmem=64 * 2 ** 20, dklen=32 + KEY_CHECK_BYTES)
    return derived[:32], derived[32:]


def seal(header: Header, plain: bytes, key: str | None) -> tuple[Header, bytes]:
    """The header completed (length; salt, nonce and key check with a key) and the sealed body."""
    header = dataclasses.replace(header, body_bytes=sealed_bytes(len(plain), key is not None),
                                 encrypted=key is not None)
    if key is None:
        return header, plain + hashlib.sha256(header.pack() + plain).digest()
    aesgcm = _aesgcm()
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    secret, check = derive_key(key, salt)
    header = dataclasses.replace(header, salt=salt, nonce=nonce, key_check=check)
    return header, aesgcm(secret).encrypt(nonce, plain, header.pack())


def check_key(header: Header, key: str | None) -> bytes | None:
    """The AES key when `key` opens `header`'s body (None when it is not encrypted); a SealError else."""
    if header.encrypted and key is None:
        raise SealError("key missing")
    if not header.encrypted:
        if key is not None:
            raise SealError("key not needed")
        return None
    _aesgcm()
    secret, check = derive_key(key, header.salt)
    if not hmac.compare_digest(check, header.key_check):
        raise SealError("wrong key")
    return secret


def open_body(header: Header, body: bytes, secret: bytes | None) -> bytes:
    """The code's bytes from the body (`secret` from `check_key`); SealError('damaged') when anything changed."""
    if secret is None:
        plain, digest = body[:-DIGEST_BYTES], body[-DIGEST_BYTES:]
        if not hmac.compare_digest(hashlib.sha256(header.pack() + plain).digest(), digest):
            raise SealError("damaged")
        return plain
    from cryptography.exceptions import InvalidTag

    try:
        return _aesgcm()(secret).decrypt(header.nonce, body, header.pack())
    except InvalidTag:
        raise SealError("damaged") from None
