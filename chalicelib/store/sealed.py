"""Secrets kept encrypted with the brand's key: AES-256-GCM (the `cryptography` package), under
a key derived with HKDF-SHA256 from the brand's secret (`LOYALTY_PII_KEY`), bound to what the
secret belongs to (the associated data), so a sealed value copied to another record does not
open there. Stored as `v1.<base64 of nonce + ciphertext + tag>`."""

import base64
import os
from functools import cache

from ..domain.errors import Misconfigured

VERSION = "v1"
_INFO = b"loyalty webhook secrets v1"


@cache  # one key derivation per warm Lambda, not one per secret opened
def _cipher(brand_key: bytes):  # type: ignore[no-untyped-def]
    # Imported on first use: a cold start that never touches a secret does not load OpenSSL.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if not brand_key:
        raise Misconfigured("LOYALTY_PII_KEY must be set to seal and open webhook secrets")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(brand_key)
    return AESGCM(key)


def seal(brand_key: bytes, plaintext: str, bound_to: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(brand_key).encrypt(nonce, plaintext.encode(), bound_to.encode())
    return f"{VERSION}.{base64.b64encode(nonce + sealed).decode()}"


def open_sealed(brand_key: bytes, sealed: str, bound_to: str) -> str:
    version, _, body = sealed.partition(".")
    if version != VERSION:
        raise ValueError(f"unknown sealed format {version!r}")
    raw = base64.b64decode(body)
    return _cipher(brand_key).decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
